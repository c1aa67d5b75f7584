//! Types that hold secret material: [`SecretBytes`], [`Key256`] and [`RootKey`].
//!
//! All three zero their memory on drop, print as redacted in `Debug`, and can only be
//! read through an explicit `expose()`, so that a secret reaching a log line or an
//! error message takes a visible, greppable call.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::rngs::OsRng;
use rand::RngCore as _;
use subtle::ConstantTimeEq as _;
use zeroize::{Zeroize, Zeroizing};

use crate::CryptoError;

/// A byte string holding secret material (a secret value, a decrypted key, a token).
///
/// The buffer is zeroed (over its whole capacity) when dropped. `Debug` shows only the
/// length. Equality is constant-time in the contents (the length is not secret).
#[derive(Clone, Default)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Takes ownership of `bytes` without copying them.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The secret bytes. Every read of a secret goes through here.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The secret as UTF-8 text, if it is valid UTF-8.
    pub fn expose_str(&self) -> Result<&str, std::str::Utf8Error> {
        std::str::from_utf8(&self.0)
    }

    /// Number of bytes held.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Mutable access for in-place decryption inside this crate.
    pub(crate) fn expose_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<redacted, {} bytes>)", self.0.len())
    }
}

impl PartialEq for SecretBytes {
    fn eq(&self, other: &Self) -> bool {
        crate::ct_eq(&self.0, &other.0)
    }
}

impl Eq for SecretBytes {}

impl From<Vec<u8>> for SecretBytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl From<String> for SecretBytes {
    /// Reuses the string's allocation; no copy of the text is left behind.
    fn from(text: String) -> Self {
        Self(text.into_bytes())
    }
}

/// Length of a [`Key256`] in bytes.
pub const KEY_LEN: usize = 32;

/// A 256-bit symmetric key (AES-256-GCM). Zeroed on drop; `Debug` is redacted.
#[derive(Clone)]
pub struct Key256([u8; KEY_LEN]);

impl Key256 {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Self {
        let mut key = Self([0u8; KEY_LEN]);
        OsRng.fill_bytes(&mut key.0);
        key
    }

    /// A key from exactly 32 bytes of material.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let array: [u8; KEY_LEN] = bytes
            .try_into()
            .map_err(|_| CryptoError::InvalidKeyLength {
                expected: KEY_LEN,
                actual: bytes.len(),
            })?;
        Ok(Self(array))
    }

    /// The raw key bytes.
    pub fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl Drop for Key256 {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Key256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key256(<redacted>)")
    }
}

impl PartialEq for Key256 {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for Key256 {}

/// The root of the key hierarchy: the key-encryption key loaded from the operator's key
/// file, under which every other key (and, via [`crate::envelope_seal`], every stored
/// secret value) is wrapped.
///
/// Its text form is standard base64 (with padding) of exactly 32 bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct RootKey(Key256);

impl RootKey {
    /// Parses the text form: standard base64 of exactly 32 bytes; surrounding
    /// whitespace (such as a trailing newline in a key file) is ignored.
    ///
    /// Errors never echo the input.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(CryptoError::InvalidRootKey("empty"));
        }
        let decoded = Zeroizing::new(
            BASE64
                .decode(text)
                // The decoder's own error names the offending byte; drop it.
                .map_err(|_| CryptoError::InvalidRootKey("not valid base64"))?,
        );
        if decoded.len() != KEY_LEN {
            return Err(CryptoError::InvalidRootKey(
                "must decode to exactly 32 bytes",
            ));
        }
        Key256::from_bytes(&decoded).map(Self)
    }

    /// A fresh root key and its text form (base64, no trailing newline) for writing to
    /// a key file.
    pub fn generate() -> (Self, SecretBytes) {
        let key = Key256::generate();
        let text = SecretBytes::from(BASE64.encode(key.expose()));
        (Self(key), text)
    }

    /// The key itself.
    pub fn key(&self) -> &Key256 {
        &self.0
    }
}

impl fmt::Debug for RootKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RootKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_bytes_debug_is_redacted() {
        let secret = SecretBytes::from("hunter2-password".to_string());
        let shown = format!("{secret:?}");
        assert_eq!(shown, "SecretBytes(<redacted, 16 bytes>)");
        assert!(!format!("{secret:#?}").contains("hunter2"));
    }

    #[test]
    fn secret_bytes_expose_and_eq() {
        let a = SecretBytes::from(b"abc".to_vec());
        let b = a.clone();
        assert_eq!(a.expose(), b"abc");
        assert_eq!(a.expose_str(), Ok("abc"));
        assert_eq!(a, b);
        assert_ne!(a, SecretBytes::from(b"abd".to_vec()));
        assert_ne!(a, SecretBytes::from(b"ab".to_vec()));
        assert_eq!(a.len(), 3);
        assert!(!a.is_empty());
        assert!(SecretBytes::default().is_empty());
    }

    #[test]
    fn key_debug_is_redacted() {
        let key = Key256::from_bytes(&[0xAB; 32]).expect("32 bytes");
        let shown = format!("{key:?}");
        assert_eq!(shown, "Key256(<redacted>)");
        assert!(!shown.to_lowercase().contains("ab".repeat(2).as_str()));
        let (root, _) = RootKey::generate();
        assert_eq!(format!("{root:?}"), "RootKey(<redacted>)");
    }

    #[test]
    fn key_from_bytes_checks_length() {
        assert_eq!(
            Key256::from_bytes(&[0; 31]),
            Err(CryptoError::InvalidKeyLength {
                expected: 32,
                actual: 31
            })
        );
        assert!(Key256::from_bytes(&[0; 33]).is_err());
        assert!(Key256::from_bytes(&[]).is_err());
        assert_eq!(
            Key256::from_bytes(&[7; 32]).expect("32 bytes").expose(),
            &[7; 32]
        );
    }

    #[test]
    fn generated_keys_differ() {
        assert_ne!(Key256::generate(), Key256::generate());
    }

    #[test]
    fn root_key_round_trips_through_text() {
        let (root, text) = RootKey::generate();
        let text = text.expose_str().expect("base64 is ASCII").to_owned();
        assert_eq!(text.len(), 44);
        assert_eq!(RootKey::from_base64(&text), Ok(root.clone()));
        // A key file usually ends in a newline; editors may add spaces.
        assert_eq!(RootKey::from_base64(&format!("  {text}\n")), Ok(root));
    }

    #[test]
    fn root_key_parse_errors() {
        let short = BASE64.encode([0u8; 31]);
        let long = BASE64.encode([0u8; 33]);
        let valid = BASE64.encode([0u8; 32]);
        let unpadded = valid.trim_end_matches('=').to_owned();
        let url_safe = BASE64.encode([0xFFu8; 32]).replace('/', "_");
        let cases: &[(&str, &str)] = &[
            ("", "empty"),
            (" \n\t", "empty"),
            ("not base64!!", "not valid base64"),
            (&short, "must decode to exactly 32 bytes"),
            (&long, "must decode to exactly 32 bytes"),
            // The documented format is the standard alphabet, padded.
            (&url_safe, "not valid base64"),
            (&unpadded, "not valid base64"),
        ];
        for (input, reason) in cases {
            let err = RootKey::from_base64(input).expect_err(input);
            assert_eq!(err, CryptoError::InvalidRootKey(reason), "input {input:?}");
            assert_eq!(err.to_string(), format!("invalid root key: {reason}"));
        }
        assert_eq!(
            RootKey::from_base64(&valid).expect("valid").key().expose(),
            &[0; 32]
        );
    }

    #[test]
    fn root_key_errors_do_not_echo_input() {
        // A near-miss key file: one bad character in otherwise real key text.
        let (_, text) = RootKey::generate();
        let mut bad = text.expose_str().expect("ASCII").to_owned();
        bad.replace_range(10..11, "*");
        let err = RootKey::from_base64(&bad).expect_err("invalid");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&bad[..10]));
        assert!(!shown.contains('*'));
    }
}
