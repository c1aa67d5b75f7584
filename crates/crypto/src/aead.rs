//! AES-256-GCM sealing with a versioned, self-describing output format.
//!
//! ```text
//! sealed = 0x01 || nonce (12 bytes, random) || ciphertext || tag (16 bytes)
//! ```
//!
//! Nonces are drawn from the OS CSPRNG for every call. With 96-bit random nonces the
//! collision bound stays comfortable up to roughly 2^32 messages per key; keys in Cofre
//! encrypt far fewer messages than that because every secret version gets its own data
//! key (see [`crate::envelope`]).

use aes_gcm::aead::{AeadInPlace as _, KeyInit as _};
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use rand::rngs::OsRng;
use rand::RngCore as _;

use crate::{CryptoError, Key256, SecretBytes};

/// The format version byte that starts every [`seal`] output.
pub const SEAL_VERSION: u8 = 0x01;
/// Length of the GCM nonce in bytes.
pub const NONCE_LEN: usize = 12;
/// Length of the GCM authentication tag in bytes.
pub const TAG_LEN: usize = 16;
/// Bytes [`seal`] adds to the plaintext: version byte, nonce and tag.
pub const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;
/// Length of a sealed 256-bit key: [`SEAL_OVERHEAD`] plus 32 (61 bytes).
pub const KEY_LEN_WRAPPED: usize = SEAL_OVERHEAD + crate::KEY_LEN;

/// Encrypts and authenticates `plaintext` under `key`, binding it to `aad`.
///
/// `aad` is not stored in the output; the same bytes must be presented to [`open`].
///
/// # Panics
///
/// Only if `plaintext` or `aad` is larger than 64 GiB, the AES-GCM limit. Callers bound
/// their inputs far below that (secret values are at most 64 KiB).
pub fn seal(key: &Key256, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    OsRng.fill_bytes(&mut nonce);
    seal_with_nonce(key, &nonce, plaintext, aad)
}

/// [`seal`] with a caller-chosen nonce. Private: reusing a nonce under one key breaks
/// GCM completely, so only [`seal`] (random nonces) and the known-answer tests call it.
fn seal_with_nonce(key: &Key256, nonce: &[u8; NONCE_LEN], plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.push(SEAL_VERSION);
    out.extend_from_slice(nonce);
    out.extend_from_slice(plaintext);
    let cipher = Aes256Gcm::new(key.expose().into());
    let tag = cipher
        .encrypt_in_place_detached(Nonce::from_slice(nonce), aad, &mut out[1 + NONCE_LEN..])
        .expect("AES-GCM input limit (64 GiB) exceeded");
    out.extend_from_slice(&tag);
    out
}

/// Verifies and decrypts a blob produced by [`seal`] with the same `key` and `aad`.
///
/// Fails with [`CryptoError::UnsupportedVersion`] for an unknown format byte,
/// [`CryptoError::Malformed`] for a blob too short to hold nonce and tag, and
/// [`CryptoError::Decrypt`] when authentication fails. Never panics.
pub fn open(key: &Key256, sealed: &[u8], aad: &[u8]) -> Result<SecretBytes, CryptoError> {
    let (&version, rest) = sealed
        .split_first()
        .ok_or(CryptoError::Malformed("empty"))?;
    if version != SEAL_VERSION {
        return Err(CryptoError::UnsupportedVersion(version));
    }
    if rest.len() < NONCE_LEN + TAG_LEN {
        return Err(CryptoError::Malformed("too short"));
    }
    let (nonce, ct_and_tag) = rest.split_at(NONCE_LEN);
    let mut nonce_array = [0u8; NONCE_LEN];
    nonce_array.copy_from_slice(nonce);
    open_with_nonce(key, &nonce_array, ct_and_tag, aad)
}

/// Decrypts `ciphertext || tag` under an explicit nonce. The plaintext is produced in
/// place inside a [`SecretBytes`], so it never sits in memory that is not zeroed on drop.
fn open_with_nonce(
    key: &Key256,
    nonce: &[u8; NONCE_LEN],
    ct_and_tag: &[u8],
    aad: &[u8],
) -> Result<SecretBytes, CryptoError> {
    let split = ct_and_tag
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(CryptoError::Malformed("too short"))?;
    let (ciphertext, tag) = ct_and_tag.split_at(split);
    let mut buffer = SecretBytes::new(ciphertext.to_vec());
    let cipher = Aes256Gcm::new(key.expose().into());
    cipher
        .decrypt_in_place_detached(
            Nonce::from_slice(nonce),
            aad,
            buffer.expose_mut(),
            Tag::from_slice(tag),
        )
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Vector {
        name: &'static str,
        key: &'static str,
        nonce: &'static str,
        plaintext: &'static str,
        aad: &'static str,
        ciphertext: &'static str,
        tag: &'static str,
    }

    const KEY_FEFF: &str = "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308";
    const PT_64: &str = "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                         1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255";
    const CT_64: &str = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                         8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad";

    /// Test cases 13–16 of McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)"
    /// (the AES-256, 96-bit IV cases; 17 and 18 use other IV lengths, which Cofre's
    /// format cannot express).
    const VECTORS: &[Vector] = &[
        Vector {
            name: "GCM test case 13 (empty plaintext, empty AAD)",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            nonce: "000000000000000000000000",
            plaintext: "",
            aad: "",
            ciphertext: "",
            tag: "530f8afbc74536b9a963b4f1c4cb738b",
        },
        Vector {
            name: "GCM test case 14 (one zero block)",
            key: "0000000000000000000000000000000000000000000000000000000000000000",
            nonce: "000000000000000000000000",
            plaintext: "00000000000000000000000000000000",
            aad: "",
            ciphertext: "cea7403d4d606b6e074ec5d3baf39d18",
            tag: "d0d1c8a799996bf0265b98b5d48ab919",
        },
        Vector {
            name: "GCM test case 15 (four blocks, no AAD)",
            key: KEY_FEFF,
            nonce: "cafebabefacedbaddecaf888",
            plaintext: PT_64,
            aad: "",
            ciphertext: CT_64,
            tag: "b094dac5d93471bdec1a502270e3cc6c",
        },
        Vector {
            name: "GCM test case 16 (partial block, 20-byte AAD)",
            key: KEY_FEFF,
            nonce: "cafebabefacedbaddecaf888",
            // The first 60 bytes of test case 15's plaintext and ciphertext.
            plaintext: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
                        1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
            aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
            ciphertext: "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
                         8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
            tag: "76fc6ece0f4e1768cddf8853bb2d551b",
        },
    ];

    fn unhex(text: &str) -> Vec<u8> {
        hex::decode(text).expect("test vector is valid hex")
    }

    fn parts(v: &Vector) -> (Key256, [u8; NONCE_LEN], Vec<u8>, Vec<u8>, Vec<u8>) {
        let key = Key256::from_bytes(&unhex(v.key)).expect("32-byte key");
        let nonce: [u8; NONCE_LEN] = unhex(v.nonce).try_into().expect("12-byte nonce");
        let mut ct_and_tag = unhex(v.ciphertext);
        ct_and_tag.extend_from_slice(&unhex(v.tag));
        (key, nonce, unhex(v.plaintext), unhex(v.aad), ct_and_tag)
    }

    #[test]
    fn known_answer_encrypt() {
        for v in VECTORS {
            let (key, nonce, plaintext, aad, ct_and_tag) = parts(v);
            let sealed = seal_with_nonce(&key, &nonce, &plaintext, &aad);
            assert_eq!(sealed[0], SEAL_VERSION, "{}", v.name);
            assert_eq!(&sealed[1..1 + NONCE_LEN], &nonce, "{}", v.name);
            assert_eq!(
                hex::encode(&sealed[1 + NONCE_LEN..]),
                hex::encode(&ct_and_tag),
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn known_answer_decrypt() {
        for v in VECTORS {
            let (key, nonce, plaintext, aad, ct_and_tag) = parts(v);
            let opened = open_with_nonce(&key, &nonce, &ct_and_tag, &aad).expect(v.name);
            assert_eq!(opened.expose(), plaintext.as_slice(), "{}", v.name);

            // The same vector through the public, framed path.
            let mut framed = vec![SEAL_VERSION];
            framed.extend_from_slice(&nonce);
            framed.extend_from_slice(&ct_and_tag);
            let opened = open(&key, &framed, &aad).expect(v.name);
            assert_eq!(opened.expose(), plaintext.as_slice(), "{}", v.name);
        }
    }

    #[test]
    fn known_answer_rejects_any_flipped_bit_in_tag() {
        let (key, nonce, _, aad, ct_and_tag) = parts(&VECTORS[3]);
        for bit in 0..TAG_LEN * 8 {
            let mut bad = ct_and_tag.clone();
            let at = bad.len() - TAG_LEN + bit / 8;
            bad[at] ^= 1 << (bit % 8);
            assert_eq!(
                open_with_nonce(&key, &nonce, &bad, &aad),
                Err(CryptoError::Decrypt)
            );
        }
    }

    #[test]
    fn round_trip_various_lengths() {
        let key = Key256::generate();
        for len in [0usize, 1, 15, 16, 17, 64, 1000, 65536] {
            let plaintext: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
            let sealed = seal(&key, &plaintext, b"context");
            assert_eq!(sealed.len(), plaintext.len() + SEAL_OVERHEAD);
            let opened = open(&key, &sealed, b"context").expect("round trip");
            assert_eq!(opened.expose(), plaintext.as_slice());
        }
    }

    #[test]
    fn nonces_are_fresh() {
        let key = Key256::generate();
        let a = seal(&key, b"same", b"");
        let b = seal(&key, b"same", b"");
        assert_ne!(a[1..1 + NONCE_LEN], b[1..1 + NONCE_LEN]);
        assert_ne!(a, b);
    }

    #[test]
    fn flipping_any_byte_fails() {
        let key = Key256::generate();
        let sealed = seal(&key, b"attack at dawn", b"aad");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            let err = open(&key, &bad, b"aad").expect_err("tampered blob must fail");
            if i == 0 {
                assert_eq!(err, CryptoError::UnsupportedVersion(0x00));
            } else {
                assert_eq!(err, CryptoError::Decrypt, "byte {i}");
            }
        }
    }

    #[test]
    fn wrong_key_or_aad_fails() {
        let key = Key256::generate();
        let sealed = seal(&key, b"value", b"aad-1");
        assert_eq!(open(&key, &sealed, b"aad-2"), Err(CryptoError::Decrypt));
        assert_eq!(open(&key, &sealed, b""), Err(CryptoError::Decrypt));
        assert_eq!(
            open(&Key256::generate(), &sealed, b"aad-1"),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn truncated_and_malformed_inputs_fail_without_panicking() {
        let key = Key256::generate();
        let sealed = seal(&key, b"value", b"");
        for len in 0..sealed.len() {
            assert!(open(&key, &sealed[..len], b"").is_err(), "prefix {len}");
        }
        assert_eq!(open(&key, &[], b""), Err(CryptoError::Malformed("empty")));
        assert_eq!(
            open(&key, &[SEAL_VERSION; SEAL_OVERHEAD - 1], b""),
            Err(CryptoError::Malformed("too short"))
        );
        assert_eq!(
            open(&key, &[0x02; 64], b""),
            Err(CryptoError::UnsupportedVersion(0x02))
        );
        // Extra bytes appended are authenticated as ciphertext, so they fail too.
        let mut longer = sealed.clone();
        longer.push(0);
        assert_eq!(open(&key, &longer, b""), Err(CryptoError::Decrypt));
    }
}
