//! Shamir secret sharing of a 256-bit key over GF(2^8), for sealing the root key.
//!
//! [`split`] turns a [`Key256`] into `n` [`Share`]s of which any `t` (2 ≤ t ≤ n ≤ 255)
//! give the key back through [`combine`], while `t - 1` reveal nothing about it. Each key
//! byte is shared on its own: byte `b` is the constant term of a random polynomial
//! `f_b(x) = s_b + a_1 x + … + a_{t-1} x^{t-1}` over GF(2^8), and share `x` (1..=n) holds
//! `f_b(x)` for all 32 bytes. [`combine`] is Lagrange interpolation at `x = 0`.
//!
//! A share's text form, [`Share::encode`], is `cofre-share-1-` followed by unpadded
//! URL-safe base64 of `index (1 byte) || value (32 bytes) || CRC-32 (4 bytes, big-endian)`.
//! The CRC catches a mistyped or truncated share before it is used; it is not a security
//! check. Whether a set of shares reconstructs *the* key (and not some other 32 bytes, from
//! a share of another key set or a tampered one) is told by [`KeyCheck`], a verification
//! value computed from the key and stored beside the data.
//!
//! # Security notes
//!
//! - Field: GF(2^8) modulo x^8 + x^4 + x^3 + x + 1 (AES's). Multiplication is the shift-
//!   and-add loop with masks instead of branches or log/exp tables, so its timing and
//!   memory accesses do not depend on the key or share bytes; inversion is `a^254`
//!   by a fixed square-and-multiply chain. Only share indices (public) are branched on.
//! - Coefficients are drawn uniformly from all 256 byte values, zero included, from the OS
//!   CSPRNG, for every degree up to `t - 1`. (Excluding zero, as some libraries did, biases
//!   the shares and leaks key bits; drawing too few coefficients lowers the threshold.
//!   Both are tested: `t - 1` shares do not reconstruct.)
//! - Coefficients, shares and reconstructed bytes live in zeroizing buffers; [`Share`]
//!   zeroes itself on drop and its `Debug` shows only the index.
//! - Errors never quote a share's text.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::{aad, open, seal, Key256, RootKey, SecretBytes, KEY_LEN};

/// What every share's text form starts with; the digit is the format version.
pub const SHARE_PREFIX: &str = "cofre-share-1-";
/// Bytes in a decoded share: index, value, CRC-32.
const SHARE_BYTES: usize = 1 + KEY_LEN + 4;

/// Errors from splitting, parsing and combining shares. No variant carries share bytes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShamirError {
    /// The threshold and share count are out of range (2 ≤ threshold ≤ shares ≤ 255).
    #[error("need 2 <= threshold <= shares <= 255, got threshold {threshold} of {shares} shares")]
    InvalidParameters {
        /// The threshold asked for.
        threshold: u8,
        /// The number of shares asked for.
        shares: u8,
    },
    /// A share's text is not a Cofre share, or was mistyped.
    #[error("malformed unseal key share: {0}")]
    MalformedShare(&'static str),
    /// Fewer than two shares were given to [`combine`].
    #[error("at least 2 shares are needed")]
    TooFewShares,
    /// Two of the shares given to [`combine`] have the same index.
    #[error("two shares have the same index {0}")]
    DuplicateIndex(u8),
    /// A stored [`KeyCheck`] is not in the expected format.
    #[error("malformed root key verification value")]
    MalformedCheck,
}

/// One share of a split key: the polynomials' values at `x = index`.
///
/// Zeroed on drop; `Debug` is redacted. Its text form is [`Share::encode`] /
/// [`Share::from_str`].
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Share {
    index: u8,
    value: [u8; KEY_LEN],
}

impl Share {
    /// The share's x coordinate, 1..=255 (not secret).
    pub fn index(&self) -> u8 {
        self.index
    }

    /// The text form to hand to an operator: `cofre-share-1-<base64url>`.
    pub fn encode(&self) -> SecretBytes {
        let mut raw = Zeroizing::new([0u8; SHARE_BYTES]);
        raw[0] = self.index;
        raw[1..1 + KEY_LEN].copy_from_slice(&self.value);
        let crc = crc32(&raw[..1 + KEY_LEN]);
        raw[1 + KEY_LEN..].copy_from_slice(&crc.to_be_bytes());
        let mut text = String::with_capacity(SHARE_PREFIX.len() + 50);
        text.push_str(SHARE_PREFIX);
        URL_SAFE_NO_PAD.encode_string(&raw[..], &mut text);
        SecretBytes::from(text)
    }
}

impl FromStr for Share {
    type Err = ShamirError;

    /// Parses [`Share::encode`]'s output; surrounding whitespace is ignored.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let body = text
            .trim()
            .strip_prefix(SHARE_PREFIX)
            .ok_or(ShamirError::MalformedShare(
                "it does not start with cofre-share-1-",
            ))?;
        let raw = Zeroizing::new(
            URL_SAFE_NO_PAD
                .decode(body)
                // The decoder's message quotes the offending byte; drop it.
                .map_err(|_| ShamirError::MalformedShare("not valid base64"))?,
        );
        if raw.len() != SHARE_BYTES {
            return Err(ShamirError::MalformedShare("wrong length"));
        }
        let mut crc = [0u8; 4];
        crc.copy_from_slice(&raw[1 + KEY_LEN..]);
        if crc32(&raw[..1 + KEY_LEN]) != u32::from_be_bytes(crc) {
            return Err(ShamirError::MalformedShare(
                "checksum mismatch (mistyped or truncated?)",
            ));
        }
        if raw[0] == 0 {
            return Err(ShamirError::MalformedShare("index 0"));
        }
        let mut share = Share {
            index: raw[0],
            value: [0u8; KEY_LEN],
        };
        share.value.copy_from_slice(&raw[1..1 + KEY_LEN]);
        Ok(share)
    }
}

impl fmt::Debug for Share {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Share(index {}, <redacted>)", self.index)
    }
}

/// Splits `secret` into `shares` shares, any `threshold` of which reconstruct it.
///
/// Coefficients come from the OS CSPRNG and are zeroed before this returns.
pub fn split(secret: &Key256, threshold: u8, shares: u8) -> Result<Vec<Share>, ShamirError> {
    check_parameters(threshold, shares)?;
    let mut coefficients = Zeroizing::new(vec![0u8; KEY_LEN * usize::from(threshold - 1)]);
    OsRng.fill_bytes(&mut coefficients);
    split_with(secret, threshold, shares, &coefficients)
}

fn check_parameters(threshold: u8, shares: u8) -> Result<(), ShamirError> {
    if threshold < 2 || threshold > shares {
        return Err(ShamirError::InvalidParameters { threshold, shares });
    }
    Ok(())
}

/// [`split`] with given coefficients: `coefficients[b * (threshold - 1) + d - 1]` is the
/// coefficient of `x^d` in byte `b`'s polynomial. Private: only [`split`] (random
/// coefficients) and the known-answer tests call it.
fn split_with(
    secret: &Key256,
    threshold: u8,
    shares: u8,
    coefficients: &[u8],
) -> Result<Vec<Share>, ShamirError> {
    check_parameters(threshold, shares)?;
    let degree = usize::from(threshold - 1);
    if coefficients.len() != KEY_LEN * degree {
        return Err(ShamirError::InvalidParameters { threshold, shares });
    }
    let out = (1..=shares)
        .map(|x| {
            let mut share = Share {
                index: x,
                value: [0u8; KEY_LEN],
            };
            for (b, (y, s)) in share.value.iter_mut().zip(secret.expose()).enumerate() {
                // Horner: ((a_{t-1} x + a_{t-2}) x + …) x + s.
                let poly = &coefficients[b * degree..(b + 1) * degree];
                let mut acc = 0u8;
                for &a in poly.iter().rev() {
                    acc = gf_mul(acc, x) ^ a;
                }
                *y = gf_mul(acc, x) ^ s;
            }
            share
        })
        .collect();
    Ok(out)
}

/// Reconstructs the key from shares of distinct indices (at least 2; pass at least the
/// threshold, or the result is a wrong key).
///
/// Shares of another key, or too few of them, give some other 32 bytes without error:
/// check the result against a [`KeyCheck`].
pub fn combine(shares: &[Share]) -> Result<Key256, ShamirError> {
    if shares.len() < 2 {
        return Err(ShamirError::TooFewShares);
    }
    for (i, a) in shares.iter().enumerate() {
        if shares[..i].iter().any(|b| b.index == a.index) {
            return Err(ShamirError::DuplicateIndex(a.index));
        }
    }
    let mut secret = Zeroizing::new([0u8; KEY_LEN]);
    for (i, share) in shares.iter().enumerate() {
        // Lagrange basis polynomial of x_i evaluated at 0: Π_{j≠i} x_j / (x_j - x_i); in
        // characteristic 2, subtraction is XOR. Indices are public, so this needs no care
        // about timing.
        let mut num = 1u8;
        let mut den = 1u8;
        for (j, other) in shares.iter().enumerate() {
            if i != j {
                num = gf_mul(num, other.index);
                den = gf_mul(den, other.index ^ share.index);
            }
        }
        let basis = gf_mul(num, gf_inv(den));
        for (s, y) in secret.iter_mut().zip(&share.value) {
            *s ^= gf_mul(basis, *y);
        }
    }
    Key256::from_bytes(&secret[..]).map_err(|_| ShamirError::TooFewShares)
}

/// [`combine`], as a [`RootKey`] (for the root key's shares).
pub fn combine_root_key(shares: &[Share]) -> Result<RootKey, ShamirError> {
    let key = combine(shares)?;
    // RootKey is built from its text form only; the text lives in a zeroizing buffer.
    let mut text = Zeroizing::new(String::with_capacity(44));
    BASE64.encode_string(key.expose(), &mut text);
    RootKey::from_base64(&text).map_err(|_| ShamirError::TooFewShares)
}

/// Multiplication in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1, without tables or branches:
/// eight rounds of "add `a` if the low bit of `b` is set, then double `a`", where "if" is a
/// mask.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0u8;
    for _ in 0..8 {
        product ^= a & 0u8.wrapping_sub(b & 1);
        let carry = 0u8.wrapping_sub(a >> 7);
        a = (a << 1) ^ (0x1b & carry);
        b >>= 1;
    }
    product
}

/// The inverse in GF(2^8), as `a^254` (a^255 = 1 for a ≠ 0); maps 0 to 0.
fn gf_inv(a: u8) -> u8 {
    // 254 = 2 + 4 + 8 + 16 + 32 + 64 + 128: square seven times, multiplying each in.
    let mut square = a;
    let mut result = 1u8;
    for _ in 0..7 {
        square = gf_mul(square, square);
        result = gf_mul(result, square);
    }
    result
}

/// CRC-32 (IEEE 802.3, reflected, as zlib's), bitwise with masks: share bytes are secret.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & 0u32.wrapping_sub(crc & 1));
        }
    }
    !crc
}

/// A verification value for a key: tells, without revealing the key, whether a candidate
/// (reconstructed from shares, or supplied by the operator) is the key it was made from.
///
/// It is the AES-256-GCM [`seal`] of a fixed text under the key, bound to associated data
/// naming its purpose. Opening it needs the key; anything else fails authentication. Its
/// text form is standard base64.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyCheck(Vec<u8>);

/// The text sealed in a [`KeyCheck`].
const CHECK_PLAINTEXT: &[u8] = b"cofre root key check";

impl KeyCheck {
    /// The verification value of `key` (a random nonce makes each call's output differ).
    pub fn new(key: &Key256) -> Self {
        Self(seal(key, CHECK_PLAINTEXT, &Self::aad()))
    }

    /// Parses the text form.
    pub fn from_base64(text: &str) -> Result<Self, ShamirError> {
        let bytes = BASE64
            .decode(text.trim())
            .map_err(|_| ShamirError::MalformedCheck)?;
        if bytes.len() != crate::aead::SEAL_OVERHEAD + CHECK_PLAINTEXT.len() {
            return Err(ShamirError::MalformedCheck);
        }
        Ok(Self(bytes))
    }

    /// The text form.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.0)
    }

    /// Whether `key` is the key this value was made from.
    pub fn matches(&self, key: &Key256) -> bool {
        match open(key, &self.0, &Self::aad()) {
            Ok(plain) => crate::ct_eq(plain.expose(), CHECK_PLAINTEXT),
            Err(_) => false,
        }
    }

    fn aad() -> Vec<u8> {
        aad(&["cofre", "root-key-check", "1"])
    }
}

impl fmt::Debug for KeyCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyCheck({})", self.to_base64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(bytes: [u8; KEY_LEN]) -> Key256 {
        Key256::from_bytes(&bytes).expect("32 bytes")
    }

    fn counting_key() -> Key256 {
        let mut k = [0u8; KEY_LEN];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8;
        }
        key(k)
    }

    /// Coefficients of the known-answer test: a_d for byte b is `(b * 7 + d * 13) mod 256`,
    /// with every fifth one zero (zero coefficients must work).
    fn fixed_coefficients(threshold: u8) -> Vec<u8> {
        let degree = usize::from(threshold - 1);
        let mut out = Vec::new();
        for b in 0..KEY_LEN {
            for d in 1..=degree {
                let n = b * degree + d - 1;
                out.push(if n % 5 == 4 {
                    0
                } else {
                    ((b * 7 + d * 13) % 256) as u8
                });
            }
        }
        out
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn gf_mul_known_answers() {
        // FIPS-197 §4.2: {57}·{83} = {c1}, {57}·{13} = {fe}; §4.2.1 xtime chain.
        assert_eq!(gf_mul(0x57, 0x83), 0xc1);
        assert_eq!(gf_mul(0x57, 0x13), 0xfe);
        assert_eq!(gf_mul(0x57, 0x02), 0xae);
        assert_eq!(gf_mul(0x57, 0x04), 0x47);
        assert_eq!(gf_mul(0x57, 0x08), 0x8e);
        assert_eq!(gf_mul(0x57, 0x10), 0x07);
        // FIPS-197 §4.4: {53} and {ca} are inverses.
        assert_eq!(gf_mul(0x53, 0xca), 0x01);
        assert_eq!(gf_inv(0x53), 0xca);
        assert_eq!(gf_inv(0), 0);
    }

    #[test]
    fn gf_field_laws_exhaustively() {
        for a in 0..=255u8 {
            assert_eq!(gf_mul(a, 1), a);
            assert_eq!(gf_mul(a, 0), 0);
            if a != 0 {
                assert_eq!(gf_mul(a, gf_inv(a)), 1, "inverse of {a}");
            }
            for b in 0..=255u8 {
                assert_eq!(gf_mul(a, b), gf_mul(b, a));
            }
        }
    }

    #[test]
    fn crc32_known_answer() {
        // The CRC-32 check value (e.g. zlib's crc32(b"123456789")).
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
    }

    #[test]
    fn split_by_hand() {
        // Byte 0 only matters here: s = 0x00, a_1 = 13 = 0x0d (b = 0, d = 1), t = 2.
        // f(1) = 0x0d, f(2) = 0x1a, f(3) = 0x0d ^ 0x1a = 0x17.
        let shares =
            split_with(&counting_key(), 2, 3, &fixed_coefficients(2)).expect("valid parameters");
        assert_eq!(
            shares.iter().map(|s| s.value[0]).collect::<Vec<_>>(),
            [0x0d, 0x1a, 0x17]
        );
        assert_eq!(
            shares.iter().map(Share::index).collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }

    #[test]
    fn split_known_answer_3_of_5() {
        // Computed independently (a short Python implementation of the same field and
        // coefficient layout); see the module docs for the scheme.
        let shares =
            split_with(&counting_key(), 3, 5, &fixed_coefficients(3)).expect("valid parameters");
        let got: Vec<String> = shares.iter().map(|s| hex(&s.value)).collect();
        assert_eq!(got, KAT_3_OF_5);
        let first = shares[0].encode();
        assert_eq!(first.expose_str().expect("ascii"), KAT_3_OF_5_SHARE_1);
    }

    const KAT_3_OF_5: [&str; 5] = [
        "17342a0e2d08754c1f453936621061fae78001812b18a202ad6c09cc13c52d0a",
        "72ada2fb56916330d1913738af12d0d9f463492c93ccf08a6973ea6af0b62629",
        "65988af67f9c107bc6dd0405c10fbf2c03f25abeacc1449fdc06f9bdff6e153c",
        "8f77b44da038f6db50220752b6a7a92487c24b6dc89da3dcfafb94c43a500d03",
        "98429c4089358590476e346fd8bac6d1705358fff79017c94f8e871335883e16",
    ];
    const KAT_3_OF_5_SHARE_1: &str =
        "cofre-share-1-ARc0Kg4tCHVMH0U5NmIQYfrngAGBKxiiAq1sCcwTxS0KBbHuwQ";

    #[test]
    fn any_threshold_subset_reconstructs() {
        let secret = Key256::generate();
        let shares = split(&secret, 3, 5).expect("valid parameters");
        assert_eq!(shares.len(), 5);
        for a in 0..5 {
            for b in a + 1..5 {
                for c in b + 1..5 {
                    let subset = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                    assert_eq!(combine(&subset).expect("3 shares"), secret);
                    // Order does not matter.
                    let reversed = [shares[c].clone(), shares[a].clone(), shares[b].clone()];
                    assert_eq!(combine(&reversed).expect("3 shares"), secret);
                }
            }
        }
        // More than the threshold works too.
        assert_eq!(combine(&shares).expect("5 shares"), secret);
    }

    #[test]
    fn fewer_than_threshold_do_not_reconstruct() {
        for (t, n) in [(2u8, 2u8), (3, 5), (5, 5), (4, 255)] {
            let secret = Key256::generate();
            let shares = split(&secret, t, n).expect("valid parameters");
            let usable = &shares[..usize::from(t)];
            assert_eq!(combine(usable).expect("t shares"), secret, "{t} of {n}");
            if t > 2 {
                let short = &shares[..usize::from(t - 1)];
                assert_ne!(combine(short).expect("t-1 shares"), secret, "{t} of {n}");
            }
        }
        // With 2-of-n, one share is refused outright.
        let shares = split(&Key256::generate(), 2, 3).expect("valid parameters");
        assert_eq!(
            combine(&shares[..1]).expect_err("one share"),
            ShamirError::TooFewShares
        );
    }

    #[test]
    fn known_answer_shares_reconstruct_with_any_three() {
        let shares =
            split_with(&counting_key(), 3, 5, &fixed_coefficients(3)).expect("valid parameters");
        assert_eq!(
            combine(&[shares[4].clone(), shares[1].clone(), shares[2].clone()]).expect("3"),
            counting_key()
        );
        assert_ne!(
            combine(&[shares[4].clone(), shares[1].clone()]).expect("2"),
            counting_key()
        );
    }

    #[test]
    fn parameters_are_checked() {
        let k = Key256::generate();
        for (t, n) in [(0u8, 5u8), (1, 5), (6, 5), (2, 1), (0, 0)] {
            assert_eq!(
                split(&k, t, n).expect_err("invalid"),
                ShamirError::InvalidParameters {
                    threshold: t,
                    shares: n
                }
            );
        }
        assert_eq!(split(&k, 255, 255).expect("max").len(), 255);
    }

    #[test]
    fn duplicate_indices_are_refused() {
        let shares = split(&Key256::generate(), 2, 3).expect("valid parameters");
        assert_eq!(
            combine(&[shares[1].clone(), shares[0].clone(), shares[1].clone()])
                .expect_err("duplicate"),
            ShamirError::DuplicateIndex(2)
        );
    }

    #[test]
    fn shares_round_trip_through_text() {
        let shares = split(&Key256::generate(), 2, 3).expect("valid parameters");
        for share in &shares {
            let text = share.encode();
            let text = text.expose_str().expect("ascii");
            assert!(text.starts_with(SHARE_PREFIX));
            assert_eq!(text.len(), SHARE_PREFIX.len() + 50);
            let parsed: Share = format!("  {text}\n").parse().expect("round trip");
            assert_eq!(parsed.index, share.index);
            assert_eq!(parsed.value, share.value);
        }
    }

    #[test]
    fn mistyped_shares_are_detected() {
        let share = split(&Key256::generate(), 2, 2).expect("valid parameters")[0].clone();
        let text = share.encode().expose_str().expect("ascii").to_owned();
        // Change each base64 character in turn: the CRC catches every one.
        for i in SHARE_PREFIX.len()..text.len() {
            let mut bad = text.clone().into_bytes();
            bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
            let bad = String::from_utf8(bad).expect("ascii");
            let err = bad.parse::<Share>().expect_err("mistyped");
            assert!(matches!(err, ShamirError::MalformedShare(_)), "{i}: {err}");
            assert!(!err.to_string().contains(&bad[SHARE_PREFIX.len()..]));
        }
        let short = format!(
            "{SHARE_PREFIX}{}",
            URL_SAFE_NO_PAD.encode([1u8; SHARE_BYTES - 1])
        );
        let cases: &[(&str, &str)] = &[
            ("", "it does not start with cofre-share-1-"),
            (
                "cofre-share-2-AAAA",
                "it does not start with cofre-share-1-",
            ),
            (&short, "wrong length"),
            (&text[..text.len() - 1], "not valid base64"),
            ("cofre-share-1-!!!!", "not valid base64"),
        ];
        for (input, reason) in cases {
            assert_eq!(
                input.parse::<Share>().expect_err(input),
                ShamirError::MalformedShare(reason)
            );
        }
        // A well-formed share with index 0 (would be the secret itself) is refused.
        let mut raw = [0u8; SHARE_BYTES];
        let crc = crc32(&raw[..1 + KEY_LEN]);
        raw[1 + KEY_LEN..].copy_from_slice(&crc.to_be_bytes());
        let zero = format!("{SHARE_PREFIX}{}", URL_SAFE_NO_PAD.encode(raw));
        assert_eq!(
            zero.parse::<Share>().expect_err("index 0"),
            ShamirError::MalformedShare("index 0")
        );
    }

    #[test]
    fn debug_is_redacted() {
        let share = split(&key([0xAB; KEY_LEN]), 2, 2).expect("valid parameters")[0].clone();
        let shown = format!("{share:?}");
        assert_eq!(shown, "Share(index 1, <redacted>)");
    }

    #[test]
    fn key_check_tells_the_right_key() {
        let k = Key256::generate();
        let check = KeyCheck::new(&k);
        let text = check.to_base64();
        let parsed = KeyCheck::from_base64(&text).expect("round trip");
        assert!(parsed.matches(&k));
        assert!(!parsed.matches(&Key256::generate()));
        // The value is not the key, nor derived from it without a random nonce.
        assert!(!text.contains(&BASE64.encode(k.expose())));
        assert_ne!(KeyCheck::new(&k), check);
        assert_eq!(
            KeyCheck::from_base64("not base64!"),
            Err(ShamirError::MalformedCheck)
        );
        assert_eq!(
            KeyCheck::from_base64(&BASE64.encode([0u8; 10])),
            Err(ShamirError::MalformedCheck)
        );
    }

    #[test]
    fn corrupted_or_foreign_shares_fail_the_key_check() {
        let k = Key256::generate();
        let check = KeyCheck::new(&k);
        let shares = split(&k, 3, 5).expect("valid parameters");
        assert!(check.matches(&combine(&shares[..3]).expect("3")));

        // A share whose value was altered (checksum recomputed, so it parses): the
        // reconstruction is some other key, which the check refuses.
        let mut corrupted = shares[2].clone();
        corrupted.value[7] ^= 0x01;
        let reparsed: Share = corrupted
            .encode()
            .expose_str()
            .expect("ascii")
            .parse()
            .expect("well-formed");
        let got = combine(&[shares[0].clone(), shares[1].clone(), reparsed]).expect("3");
        assert_ne!(got, k);
        assert!(!check.matches(&got));

        // A share with the right index from another key's split.
        let other = split(&Key256::generate(), 3, 5).expect("valid parameters");
        let got = combine(&[shares[0].clone(), shares[1].clone(), other[2].clone()]).expect("3");
        assert!(!check.matches(&got));

        // Too few shares.
        let got = combine(&shares[..2]).expect("2");
        assert!(!check.matches(&got));

        // As a root key.
        let root = combine_root_key(&shares[2..]).expect("3");
        assert_eq!(root.key(), &k);
        assert!(check.matches(root.key()));
    }
}
