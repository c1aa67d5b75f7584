//! Small helpers: constant-time comparison, associated-data encoding, randomness.

use rand::distributions::{Alphanumeric, Distribution as _};
use rand::rngs::OsRng;
use rand::seq::SliceRandom as _;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;

/// Compares two byte strings in time independent of their contents.
///
/// The length is not treated as secret: strings of different lengths compare unequal
/// immediately.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Encodes `parts` as associated data, unambiguously: each part is a 4-byte big-endian
/// length followed by its bytes.
///
/// Plain concatenation would let `["ab", "c"]` and `["a", "bc"]` collide; with length
/// prefixes, two different part lists always encode differently. Used to bind a
/// ciphertext to (account, region, secret id, version id), so a stored blob cannot be
/// moved to another row and still decrypt.
pub fn aad(parts: &[&str]) -> Vec<u8> {
    let total: usize = parts.iter().map(|p| 4 + p.len()).sum();
    let mut out = Vec::with_capacity(total);
    for part in parts {
        // A part longer than 4 GiB cannot occur (identifiers are short); saturating keeps
        // this total without a panic path.
        let len = u32::try_from(part.len()).unwrap_or(u32::MAX);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(part.as_bytes());
    }
    out
}

/// `n` bytes from the operating system's CSPRNG.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    OsRng.fill_bytes(&mut out);
    out
}

/// `n` characters drawn uniformly from `[A-Za-z0-9]` with the OS CSPRNG
/// (for ARN suffixes and similar identifiers).
pub fn random_alnum(n: usize) -> String {
    Alphanumeric
        .sample_iter(OsRng)
        .take(n)
        .map(char::from)
        .collect()
}

/// `n` characters drawn uniformly from an ASCII `alphabet` with the OS CSPRNG
/// (for example `b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"` for access key ids).
///
/// Returns an empty string if `alphabet` is empty. Bytes outside ASCII are mapped to
/// the Unicode scalar of the same value, so pass an ASCII alphabet.
pub fn random_from_alphabet(alphabet: &[u8], n: usize) -> String {
    (0..n)
        .filter_map(|_| alphabet.choose(&mut OsRng))
        .map(|&b| char::from(b))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ct_eq_semantics() {
        assert!(ct_eq(b"", b""));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert!(!ct_eq(b"", b"a"));
    }

    #[test]
    fn aad_is_length_prefixed() {
        assert_eq!(aad(&[]), Vec::<u8>::new());
        assert_eq!(aad(&["ab"]), vec![0, 0, 0, 2, b'a', b'b']);
        assert_eq!(aad(&[""]), vec![0, 0, 0, 0]);
    }

    #[test]
    fn aad_is_unambiguous() {
        let lists: &[&[&str]] = &[
            &["ab", "c"],
            &["a", "bc"],
            &["abc"],
            &["abc", ""],
            &["", "abc"],
            &["a", "b", "c"],
            &[],
            &[""],
            &["", ""],
            // A part that itself looks like an encoded prefix.
            &["\0\0\0\u{1}a"],
            &["a"],
        ];
        let encoded: HashSet<Vec<u8>> = lists.iter().map(|l| aad(l)).collect();
        assert_eq!(encoded.len(), lists.len());
    }

    #[test]
    fn random_bytes_lengths_and_freshness() {
        assert!(random_bytes(0).is_empty());
        assert_eq!(random_bytes(33).len(), 33);
        assert_ne!(random_bytes(32), random_bytes(32));
    }

    #[test]
    fn random_alnum_shape() {
        assert_eq!(random_alnum(0), "");
        let s = random_alnum(4096);
        assert_eq!(s.len(), 4096);
        assert!(s.bytes().all(|b| b.is_ascii_alphanumeric()));
        // With 4096 draws over 62 symbols every symbol appears (miss chance < 1e-25).
        let distinct: HashSet<u8> = s.bytes().collect();
        assert_eq!(distinct.len(), 62);
    }

    #[test]
    fn random_from_alphabet_shape() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let s = random_from_alphabet(alphabet, 2048);
        assert_eq!(s.len(), 2048);
        assert!(s.bytes().all(|b| alphabet.contains(&b)));
        let distinct: HashSet<u8> = s.bytes().collect();
        assert_eq!(distinct.len(), alphabet.len());
        assert_eq!(random_from_alphabet(b"", 5), "");
    }
}
