//! Envelope encryption: a fresh data key per message, wrapped under a key-encryption key.
//!
//! ```text
//! envelope = 0x01 || u16-be len(wrapped_dek) || wrapped_dek || sealed_payload
//! wrapped_dek    = seal(kek, dek, WRAP_LABEL || aad)
//! sealed_payload = seal(dek, plaintext, aad)
//! ```
//!
//! Both layers are bound to the caller's `aad`, so neither the whole envelope nor its
//! wrapped data key can be moved to a row with different context. The wrap layer's
//! associated data is prefixed with a fixed label so that a wrapped data key can never be
//! mistaken for (or substituted by) a plain [`seal`] output made with the same KEK and
//! the same `aad`.
//!
//! Why envelopes: rotating or re-wrapping a KEK touches 61 bytes per version instead of
//! re-encrypting every value, and the number of messages under any one data key is one,
//! which removes the random-nonce collision budget from consideration.

use zeroize::Zeroizing;

use crate::aead::{open, seal, KEY_LEN_WRAPPED};
use crate::{CryptoError, Key256};

/// The format version byte that starts every envelope.
pub const ENVELOPE_VERSION: u8 = 0x01;

/// Domain-separation label prepended to the caller's `aad` when wrapping a data key.
const WRAP_LABEL: &[u8] = b"cofre.envelope.v1.dek\0";

fn wrap_aad(aad: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(WRAP_LABEL.len() + aad.len()));
    out.extend_from_slice(WRAP_LABEL);
    out.extend_from_slice(aad);
    out
}

/// Encrypts `plaintext` under a freshly generated 256-bit data key and wraps that key
/// under `kek`; both layers are bound to `aad`.
///
/// The data key exists only in zeroizing memory and is gone when this returns.
///
/// # Panics
///
/// Only if `plaintext` or `aad` exceeds the AES-GCM limit of 64 GiB (see [`seal`]).
pub fn envelope_seal(kek: &Key256, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let dek = Key256::generate();
    let wrapped = seal(kek, dek.expose(), &wrap_aad(aad));
    let payload = seal(&dek, plaintext, aad);
    // The wrapped key is always KEY_LEN_WRAPPED (61) bytes, well inside a u16.
    let wrapped_len = u16::try_from(wrapped.len()).unwrap_or(u16::MAX);
    let mut out = Vec::with_capacity(3 + wrapped.len() + payload.len());
    out.push(ENVELOPE_VERSION);
    out.extend_from_slice(&wrapped_len.to_be_bytes());
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&payload);
    out
}

/// Opens an envelope produced by [`envelope_seal`] with the same `kek` and `aad`.
///
/// Every failure (unknown version, bad length field, wrong KEK, wrong `aad`, any
/// tampering with either layer) is an error; never panics.
pub fn envelope_open(
    kek: &Key256,
    blob: &[u8],
    aad: &[u8],
) -> Result<crate::SecretBytes, CryptoError> {
    let (&version, rest) = blob
        .split_first()
        .ok_or(CryptoError::Malformed("empty envelope"))?;
    if version != ENVELOPE_VERSION {
        return Err(CryptoError::UnsupportedVersion(version));
    }
    if rest.len() < 2 {
        return Err(CryptoError::Malformed("envelope too short"));
    }
    let (len_bytes, rest) = rest.split_at(2);
    let wrapped_len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
    if wrapped_len != KEY_LEN_WRAPPED {
        return Err(CryptoError::Malformed("bad wrapped key length"));
    }
    if rest.len() < wrapped_len {
        return Err(CryptoError::Malformed("envelope too short"));
    }
    let (wrapped, payload) = rest.split_at(wrapped_len);
    let dek_bytes = open(kek, wrapped, &wrap_aad(aad))?;
    let dek = Key256::from_bytes(dek_bytes.expose())
        .map_err(|_| CryptoError::Malformed("bad data key length"))?;
    drop(dek_bytes);
    open(&dek, payload, aad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aad;

    #[test]
    fn round_trip() {
        let kek = Key256::generate();
        let context = aad(&["123456789012", "us-east-1", "uid-1", "v-1"]);
        for plaintext in [&b""[..], b"x", b"{\"username\":\"admin\"}", &[0u8; 70000]] {
            let blob = envelope_seal(&kek, plaintext, &context);
            assert_eq!(blob[0], ENVELOPE_VERSION);
            assert_eq!(
                u16::from_be_bytes([blob[1], blob[2]]) as usize,
                KEY_LEN_WRAPPED
            );
            let opened = envelope_open(&kek, &blob, &context).expect("round trip");
            assert_eq!(opened.expose(), plaintext);
        }
    }

    #[test]
    fn data_keys_are_fresh() {
        let kek = Key256::generate();
        let a = envelope_seal(&kek, b"same", b"ctx");
        let b = envelope_seal(&kek, b"same", b"ctx");
        assert_ne!(a[3..3 + KEY_LEN_WRAPPED], b[3..3 + KEY_LEN_WRAPPED]);
    }

    #[test]
    fn flipping_any_byte_fails() {
        let kek = Key256::generate();
        let blob = envelope_seal(&kek, b"super secret", b"ctx");
        for i in 0..blob.len() {
            let mut bad = blob.clone();
            bad[i] ^= 0x80;
            assert!(envelope_open(&kek, &bad, b"ctx").is_err(), "byte {i}");
        }
    }

    #[test]
    fn truncation_fails_without_panicking() {
        let kek = Key256::generate();
        let blob = envelope_seal(&kek, b"super secret", b"ctx");
        for len in 0..blob.len() {
            assert!(envelope_open(&kek, &blob[..len], b"ctx").is_err(), "{len}");
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(
            envelope_open(&kek, &longer, b"ctx"),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn wrong_kek_or_aad_fails() {
        let kek = Key256::generate();
        let blob = envelope_seal(&kek, b"value", b"ctx-a");
        assert_eq!(
            envelope_open(&Key256::generate(), &blob, b"ctx-a"),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            envelope_open(&kek, &blob, b"ctx-b"),
            Err(CryptoError::Decrypt)
        );
    }

    /// Two rows' envelopes, and their halves, cannot be exchanged.
    #[test]
    fn swapped_envelopes_fail() {
        let kek = Key256::generate();
        let ctx_a = aad(&["111111111111", "us-east-1", "secret-a", "v1"]);
        let ctx_b = aad(&["111111111111", "us-east-1", "secret-b", "v1"]);
        let blob_a = envelope_seal(&kek, b"value of a", &ctx_a);
        let blob_b = envelope_seal(&kek, b"value of b", &ctx_b);
        assert_eq!(
            envelope_open(&kek, &blob_a, &ctx_b),
            Err(CryptoError::Decrypt)
        );
        assert_eq!(
            envelope_open(&kek, &blob_b, &ctx_a),
            Err(CryptoError::Decrypt)
        );

        // Splice a's wrapped key onto b's payload and vice versa.
        let head = 3 + KEY_LEN_WRAPPED;
        let mut spliced = blob_a[..head].to_vec();
        spliced.extend_from_slice(&blob_b[head..]);
        assert!(envelope_open(&kek, &spliced, &ctx_a).is_err());
        assert!(envelope_open(&kek, &spliced, &ctx_b).is_err());
    }

    /// The wrapped data key is domain-separated from plain `seal` output under the KEK.
    #[test]
    fn wrapped_key_is_not_a_plain_seal() {
        let kek = Key256::generate();
        let blob = envelope_seal(&kek, b"value", b"ctx");
        let wrapped = &blob[3..3 + KEY_LEN_WRAPPED];
        assert_eq!(open(&kek, wrapped, b"ctx"), Err(CryptoError::Decrypt));
        // A plain seal of a key-sized value, placed where a wrapped key goes, is refused.
        let forged_wrap = seal(&kek, &[0u8; 32], b"ctx");
        let mut forged = blob[..3].to_vec();
        forged.extend_from_slice(&forged_wrap);
        forged.extend_from_slice(&seal(
            &Key256::from_bytes(&[0u8; 32]).expect("32"),
            b"x",
            b"ctx",
        ));
        assert_eq!(
            envelope_open(&kek, &forged, b"ctx"),
            Err(CryptoError::Decrypt)
        );
    }

    #[test]
    fn structural_errors() {
        let kek = Key256::generate();
        assert_eq!(
            envelope_open(&kek, &[], b""),
            Err(CryptoError::Malformed("empty envelope"))
        );
        assert_eq!(
            envelope_open(&kek, &[0x07, 0, 61], b""),
            Err(CryptoError::UnsupportedVersion(0x07))
        );
        assert_eq!(
            envelope_open(&kek, &[ENVELOPE_VERSION, 0xFF, 0xFF, 1, 2, 3], b""),
            Err(CryptoError::Malformed("bad wrapped key length"))
        );
        assert_eq!(
            envelope_open(&kek, &[ENVELOPE_VERSION, 0, 61, 1, 2, 3], b""),
            Err(CryptoError::Malformed("envelope too short"))
        );
    }
}
