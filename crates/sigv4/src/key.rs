//! The SigV4 signing key and HMAC helpers, holding key material in zeroizing buffers.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

/// HMAC-SHA256 of `data` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], data: &[u8]) -> Zeroizing<[u8; 32]> {
    // HMAC takes keys of any length (RFC 2104, section 2), so this cannot fail.
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC-SHA256 accepts keys of any length");
    mac.update(data);
    let mut tag = mac.finalize().into_bytes();
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(&tag);
    tag.as_mut_slice().zeroize();
    out
}

/// Lowercase hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A derived SigV4 signing key (`kSigning`) for one date, region and service.
///
/// Zeroized on drop; `Debug` shows nothing of it.
pub struct SigningKey(Zeroizing<[u8; 32]>);

impl SigningKey {
    /// Derives `kSigning` from a secret access key, as AWS's "Calculate the
    /// signature" page describes:
    ///
    /// ```text
    /// kDate    = HMAC("AWS4" + secret, date)
    /// kRegion  = HMAC(kDate, region)
    /// kService = HMAC(kRegion, service)
    /// kSigning = HMAC(kService, "aws4_request")
    /// ```
    ///
    /// `date` is the scope's `YYYYMMDD`.
    #[must_use]
    pub fn derive(secret_access_key: &[u8], date: &str, region: &str, service: &str) -> Self {
        let mut seed = Zeroizing::new(Vec::with_capacity(4 + secret_access_key.len()));
        seed.extend_from_slice(b"AWS4");
        seed.extend_from_slice(secret_access_key);
        let k_date = hmac_sha256(&seed, date.as_bytes());
        let k_region = hmac_sha256(k_date.as_slice(), region.as_bytes());
        let k_service = hmac_sha256(k_region.as_slice(), service.as_bytes());
        Self(hmac_sha256(k_service.as_slice(), b"aws4_request"))
    }

    /// The signature of a string to sign: HMAC-SHA256 under this key.
    pub(crate) fn sign(&self, string_to_sign: &[u8]) -> Zeroizing<[u8; 32]> {
        hmac_sha256(self.0.as_slice(), string_to_sign)
    }

    /// The raw key bytes, for known-answer tests.
    #[cfg(test)]
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's worked example ("Examples of how to derive a signing key for
    /// Signature Version 4", IAM user guide): the key for the IAM example.
    #[test]
    fn derives_aws_documented_signing_key() {
        let key = SigningKey::derive(
            b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key.expose()),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }

    #[test]
    fn sha256_of_empty_body() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
