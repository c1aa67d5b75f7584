//! Wire representations of the model's non-string scalar types: [`Blob`] and
//! [`Timestamp`].

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-sensitive `blob`: raw bytes, base64 (standard alphabet, padded) in JSON.
///
/// (The Secrets Manager model's only blob, `SecretBinary`, is sensitive and uses
/// [`crate::SensitiveBlob`]; this type exists so the generator covers the whole type
/// system.)
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Blob(Vec<u8>);

impl Blob {
    /// Wraps `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    /// Unwraps the bytes.
    pub fn into_inner(self) -> Vec<u8> {
        self.0
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }
}

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&BASE64.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let encoded = String::deserialize(deserializer)?;
        BASE64
            .decode(encoded.as_bytes())
            .map(Self)
            .map_err(|_| D::Error::custom("invalid base64 in a blob"))
    }
}

/// A `timestamp`: seconds since the Unix epoch, with a fractional part.
///
/// awsJson 1.1 sends timestamps as JSON numbers of epoch seconds; Secrets Manager uses
/// millisecond precision, e.g. `1523477145.713`. A whole number of seconds is written
/// without a fraction (`1523923200`). Both forms, and any JSON number, are accepted on
/// input. The value is always finite.
#[derive(Clone, Copy, Default, PartialEq, PartialOrd)]
pub struct Timestamp(f64);

impl Timestamp {
    /// From epoch seconds. A non-finite value (which JSON cannot carry) becomes the epoch.
    pub fn from_secs(secs: f64) -> Self {
        Self(if secs.is_finite() { secs } else { 0.0 })
    }

    /// From epoch milliseconds, the precision Secrets Manager reports.
    pub fn from_millis(millis: i64) -> Self {
        // Exact for any date this server will see: f64 holds integers up to 2^53 exactly
        // and the division rounds to the nearest representable value, which prints as
        // the shortest decimal (`…145.713`).
        Self::from_secs(millis as f64 / 1000.0)
    }

    /// Epoch seconds.
    pub fn as_secs(&self) -> f64 {
        self.0
    }

    /// Epoch milliseconds, rounded to the nearest millisecond (saturating).
    pub fn as_millis(&self) -> i64 {
        (self.0 * 1000.0).round() as i64
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

/// Largest magnitude below which every integer is exactly representable in an `f64`.
const EXACT_INT_LIMIT: f64 = 9_007_199_254_740_992.0; // 2^53

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.0.fract() == 0.0 && self.0.abs() < EXACT_INT_LIMIT {
            // Checked just above: integral and within i64, so the cast is exact.
            serializer.serialize_i64(self.0 as i64)
        } else {
            serializer.serialize_f64(self.0)
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `f64` accepts any JSON number, integer or not.
        f64::deserialize(deserializer).map(Self::from_secs)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_json_form() {
        let t = Timestamp::from_millis(1_523_477_145_713);
        assert_eq!(serde_json::to_string(&t).unwrap(), "1523477145.713");
        assert_eq!(
            serde_json::to_string(&Timestamp::from_secs(1_523_923_200.0)).unwrap(),
            "1523923200"
        );
        assert_eq!(
            serde_json::to_string(&Timestamp::from_secs(1_511_974_462.36)).unwrap(),
            "1511974462.36"
        );
        let back: Timestamp = serde_json::from_str("1523477145.713").unwrap();
        assert_eq!(back, t);
        assert_eq!(back.as_millis(), 1_523_477_145_713);
        let whole: Timestamp = serde_json::from_str("1523923200").unwrap();
        assert_eq!(whole.as_secs(), 1_523_923_200.0);
        assert!(serde_json::from_str::<Timestamp>(r#""1523923200""#).is_err());
        assert_eq!(Timestamp::from_secs(f64::NAN).as_secs(), 0.0);
    }

    #[test]
    fn blob_json_form() {
        let b = Blob::from(vec![0xde, 0xad]);
        assert_eq!(serde_json::to_string(&b).unwrap(), r#""3q0=""#);
        assert_eq!(serde_json::from_str::<Blob>(r#""3q0=""#).unwrap(), b);
        assert!(serde_json::from_str::<Blob>(r#""3q0""#).is_err());
    }
}
