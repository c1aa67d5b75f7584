//! Wire types for members the model marks `"sensitive": true`: [`SensitiveString`]
//! (`SecretString`, `RandomPassword`, `RotationToken`) and [`SensitiveBlob`]
//! (`SecretBinary`).
//!
//! Both zero their buffers when dropped, print as redacted in `Debug`, and are read only
//! through an explicit `expose()`, so a secret that reaches a log line or an error message
//! has taken a visible, greppable call to get there. Neither implements `PartialEq`:
//! comparing secrets belongs to code that can do it in constant time.

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// A string holding secret material, zeroed when dropped.
///
/// On the wire it is a plain JSON string (serde-transparent).
#[derive(Clone, Default)]
pub struct SensitiveString(String);

impl SensitiveString {
    /// Takes ownership of `value` without copying it.
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The secret text. Every read of the value goes through here.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length in bytes (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the string is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for SensitiveString {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for SensitiveString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveString(<redacted>)")
    }
}

impl From<String> for SensitiveString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SensitiveString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl Serialize for SensitiveString {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for SensitiveString {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // From a `serde_json::Value` this moves the parsed buffer in; nothing is copied.
        String::deserialize(deserializer).map(Self)
    }
}

/// Bytes holding secret material, zeroed when dropped; base64 (standard alphabet, padded)
/// in JSON.
#[derive(Clone, Default)]
pub struct SensitiveBlob(Zeroizing<Vec<u8>>);

impl SensitiveBlob {
    /// Takes ownership of `bytes` without copying them.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The secret bytes. Every read of the value goes through here.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// Number of bytes held (not secret).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no bytes are held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SensitiveBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SensitiveBlob(<redacted>)")
    }
}

impl From<Vec<u8>> for SensitiveBlob {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl Serialize for SensitiveBlob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let encoded = Zeroizing::new(BASE64.encode(self.expose()));
        serializer.serialize_str(&encoded)
    }
}

impl<'de> Deserialize<'de> for SensitiveBlob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let encoded = Zeroizing::new(String::deserialize(deserializer)?);
        decode_zeroizing(encoded.as_bytes())
            .map(Self)
            .ok_or_else(|| D::Error::custom("invalid base64 in a blob"))
    }
}

/// Decodes standard padded base64 into a buffer allocated once at its final size, so no
/// reallocation leaves a partial copy of the secret behind. The buffer is zeroed on drop
/// even when decoding fails half way.
pub(crate) fn decode_zeroizing(encoded: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(encoded.len() / 4 * 3 + 3));
    BASE64.decode_vec(encoded, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let s = SensitiveString::from("hunter2".to_owned());
        assert_eq!(format!("{s:?}"), "SensitiveString(<redacted>)");
        let b = SensitiveBlob::from(b"hunter2".to_vec());
        assert_eq!(format!("{b:?}"), "SensitiveBlob(<redacted>)");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn string_is_a_plain_json_string() {
        let s: SensitiveString = serde_json::from_str(r#""p\"w""#).unwrap();
        assert_eq!(s.expose(), "p\"w");
        assert_eq!(serde_json::to_string(&s).unwrap(), r#""p\"w""#);
    }

    #[test]
    fn blob_is_base64() {
        let b: SensitiveBlob = serde_json::from_str(r#""AAEC/w==""#).unwrap();
        assert_eq!(b.expose(), &[0, 1, 2, 255]);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#""AAEC/w==""#);
        assert!(serde_json::from_str::<SensitiveBlob>(r#""AAE""#).is_err());
        assert!(serde_json::from_str::<SensitiveBlob>(r#""A*==""#).is_err());
    }
}
