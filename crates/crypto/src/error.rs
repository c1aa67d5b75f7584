//! The crate's error type.
//!
//! Every message is fixed text or a length/version number: no variant ever carries key
//! bytes, plaintext, or the text of a decoder error (base64 decoder errors quote the
//! offending input byte, which for a root key file is a byte of the key).

/// Errors from key parsing, sealing and opening.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// Key material had the wrong length.
    #[error("invalid key length: expected {expected} bytes, got {actual}")]
    InvalidKeyLength {
        /// The required length in bytes.
        expected: usize,
        /// The length that was supplied.
        actual: usize,
    },
    /// A root key's text form could not be parsed.
    #[error("invalid root key: {0}")]
    InvalidRootKey(&'static str),
    /// A sealed blob is structurally invalid (too short, bad length field, ...).
    #[error("malformed ciphertext: {0}")]
    Malformed(&'static str),
    /// A sealed blob starts with a format version this build does not understand.
    #[error("unsupported ciphertext format version {0}")]
    UnsupportedVersion(u8),
    /// Authentication failed: wrong key, wrong associated data, or tampered bytes.
    /// Deliberately one variant, so a caller cannot tell which.
    #[error("decryption failed: wrong key, wrong context, or tampered data")]
    Decrypt,
}
