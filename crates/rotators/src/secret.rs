//! Secret material: [`SecretString`] and the parsed secret JSON (`SecretDict`).
//!
//! The templates load the secret with `json.loads` into a dict, edit it, and write it back
//! with `json.dumps`. `SecretDict` is that dict with the `password` member held apart in a
//! [`SecretString`], so printing a dict, or an error built from one, cannot show it.

use std::fmt;

use serde_json::{Map, Value};
use zeroize::{Zeroize, Zeroizing};

use crate::RotatorError;

/// Text holding secret material (a secret value, a password), zeroed when dropped.
///
/// `Debug` is redacted; the text is read only through [`SecretString::expose`].
#[derive(Clone, Default)]
pub struct SecretString(Zeroizing<String>);

impl SecretString {
    /// Takes ownership of `value` without copying it.
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The secret text. Every read goes through here.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

/// The secret JSON object, with `password` kept apart in a [`SecretString`].
///
/// Every other member is kept as parsed and written back unchanged, as the templates'
/// `json.dumps(current_dict)` does (members come back in sorted order).
#[derive(Clone)]
pub(crate) struct SecretDict {
    fields: Map<String, Value>,
    password: Option<SecretString>,
}

/// Members whose values `Debug` may show: connection facts, never credentials.
const SHOWN_IN_DEBUG: [&str; 5] = ["engine", "host", "port", "username", "dbname"];

impl fmt::Debug for SecretDict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("SecretDict");
        for key in SHOWN_IN_DEBUG {
            if let Some(v) = self.fields.get(key) {
                s.field(key, v);
            }
        }
        let others: Vec<&str> = self
            .fields
            .keys()
            .map(String::as_str)
            .filter(|k| !SHOWN_IN_DEBUG.contains(k))
            .collect();
        s.field("other_keys", &others);
        s.field("password", &self.password.as_ref().map(|_| "<redacted>"));
        s.finish()
    }
}

impl SecretDict {
    /// Parses a secret value as a JSON object (the templates' `json.loads`).
    ///
    /// Errors never quote the text: serde_json's messages can echo a value (`invalid type:
    /// string "…"`), so only the error category and position are reported.
    pub(crate) fn parse(text: &SecretString) -> Result<Self, RotatorError> {
        let value: Value = serde_json::from_str(text.expose()).map_err(|e| {
            RotatorError::Invalid(format!(
                "The secret value is not valid JSON ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })?;
        let mut fields = match value {
            Value::Object(fields) => fields,
            other => {
                scrub(other);
                return Err(RotatorError::Invalid(
                    "The secret value is not a JSON object".to_owned(),
                ));
            }
        };
        let password = match fields.remove("password") {
            None => None,
            // Moves the parsed buffer into the zeroizing type; nothing is copied.
            Some(Value::String(p)) => Some(SecretString::new(p)),
            Some(other) => {
                scrub(other);
                return Err(RotatorError::Invalid(
                    "The secret JSON's password value must be a string".to_owned(),
                ));
            }
        };
        Ok(Self { fields, password })
    }

    /// Serializes back to JSON (the templates' `json.dumps`).
    pub(crate) fn to_secret_string(&self) -> Result<SecretString, RotatorError> {
        let fail = |_| RotatorError::Invalid("The secret JSON could not be serialized".to_owned());
        let mut map = self.fields.clone();
        let mut capacity = serde_json::to_vec(&map).map_err(fail)?.len() + 32;
        if let Some(p) = &self.password {
            // Room for the worst case (`\uXXXX` per byte), so the buffer holding the password
            // never reallocates and leaves an unzeroed copy behind.
            capacity += 6 * p.expose().len() + 16;
            map.insert("password".to_owned(), Value::String(p.expose().to_owned()));
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(capacity));
        let written = serde_json::to_writer(&mut *buf, &map).map_err(fail);
        if let Some(copy) = map.remove("password") {
            scrub(copy);
        }
        written?;
        let text = String::from_utf8(std::mem::take(&mut *buf)).map_err(|e| {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            RotatorError::Invalid("The secret JSON could not be serialized".to_owned())
        })?;
        Ok(SecretString::new(text))
    }

    /// Whether the member is present (Python's `key in secret_dict`).
    pub(crate) fn contains(&self, key: &str) -> bool {
        (key == "password" && self.password.is_some()) || self.fields.contains_key(key)
    }

    /// A member's raw value (never the password).
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    /// A member that must be a string when present.
    pub(crate) fn str_field(&self, key: &str) -> Result<Option<&str>, RotatorError> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(RotatorError::Invalid(format!(
                "The secret JSON's {key} value must be a string"
            ))),
        }
    }

    /// A required string member (after the template's required-keys check).
    pub(crate) fn required_str(&self, key: &str) -> Result<&str, RotatorError> {
        self.str_field(key)?.ok_or_else(|| {
            RotatorError::MissingKey(format!("{key} key is missing from secret JSON"))
        })
    }

    /// `username`.
    pub(crate) fn username(&self) -> Result<&str, RotatorError> {
        self.required_str("username")
    }

    /// `host`.
    pub(crate) fn host(&self) -> Result<&str, RotatorError> {
        self.required_str("host")
    }

    /// `password`.
    pub(crate) fn password(&self) -> Result<&SecretString, RotatorError> {
        self.password.as_ref().ok_or_else(|| {
            RotatorError::MissingKey("password key is missing from secret JSON".into())
        })
    }

    /// `int(secret_dict['port']) if 'port' in secret_dict else default`.
    pub(crate) fn port(&self, default: u16) -> Result<u16, RotatorError> {
        let bad =
            || RotatorError::Invalid("The secret JSON's port value is not a valid port".into());
        match self.fields.get("port") {
            None => Ok(default),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                        .map(|f| f as u64)
                })
                .and_then(|p| u16::try_from(p).ok())
                .ok_or_else(bad),
            Some(Value::String(s)) => s.trim().parse().map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }

    /// `dbname` when present and not null.
    pub(crate) fn dbname(&self) -> Result<Option<&str>, RotatorError> {
        self.str_field("dbname")
    }

    /// Sets a member other than the password.
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        debug_assert_ne!(key, "password");
        self.fields.insert(key.to_owned(), value);
    }

    /// Removes a member other than the password.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Value> {
        self.fields.remove(key)
    }

    /// Replaces the password.
    pub(crate) fn set_password(&mut self, password: SecretString) {
        self.password = Some(password);
    }

    /// The templates' `get_ssl_config`: `(use_ssl, fall_back)`.
    pub(crate) fn ssl_config(&self) -> (bool, bool) {
        match self.fields.get("ssl") {
            None => (true, true),
            Some(Value::Bool(b)) => (*b, false),
            Some(Value::String(s)) => match s.to_lowercase().as_str() {
                "true" => (true, false),
                "false" => (false, false),
                _ => (true, true),
            },
            Some(_) => (true, true),
        }
    }
}

/// Zeroes every string inside a JSON value that is being thrown away.
fn scrub(value: Value) {
    match value {
        Value::String(mut s) => s.zeroize(),
        Value::Array(items) => items.into_iter().for_each(scrub),
        Value::Object(map) => map.into_iter().for_each(|(_, v)| scrub(v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dict(text: &str) -> SecretDict {
        SecretDict::parse(&SecretString::from(text)).unwrap()
    }

    #[test]
    fn debug_never_shows_the_password() {
        let d = dict(
            r#"{"engine":"postgres","host":"db","username":"app","password":"hunter2","apikey":"k-secret"}"#,
        );
        let shown = format!("{d:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("k-secret"), "{shown}");
        assert!(
            shown.contains("\"app\"") && shown.contains("apikey"),
            "{shown}"
        );
        assert_eq!(
            format!("{:?}", SecretString::from("hunter2")),
            "SecretString(<redacted>)"
        );
    }

    #[test]
    fn round_trip_keeps_other_members_and_replaces_the_password() {
        let mut d = dict(
            r#"{"engine":"mysql","host":"db","port":3306,"username":"app","password":"old","extra":{"a":[1,2]}}"#,
        );
        d.set_password(SecretString::from("n\"ew\\"));
        let out = d.to_secret_string().unwrap();
        let v: Value = serde_json::from_str(out.expose()).unwrap();
        assert_eq!(v["password"], "n\"ew\\");
        assert_eq!(v["extra"]["a"][1], 2);
        assert_eq!(v["port"], 3306);
        assert_eq!(v.as_object().unwrap().len(), 6);
    }

    #[test]
    fn parse_errors_do_not_quote_the_value() {
        for text in [
            "\"hunter2\"",
            "{\"password\": hunter2}",
            "[\"hunter2\"]",
            "{\"password\": [\"hunter2\"]}",
        ] {
            let err = SecretDict::parse(&SecretString::from(text)).unwrap_err();
            assert!(matches!(err, RotatorError::Invalid(_)));
            assert!(!err.to_string().contains("hunter2"), "{err}");
        }
    }

    #[test]
    fn port_and_ssl_follow_the_templates() {
        assert_eq!(dict("{}").port(5432).unwrap(), 5432);
        assert_eq!(dict(r#"{"port":"3307"}"#).port(3306).unwrap(), 3307);
        assert_eq!(dict(r#"{"port":5433}"#).port(5432).unwrap(), 5433);
        assert!(dict(r#"{"port":"x"}"#).port(5432).is_err());
        assert!(dict(r#"{"port":70000}"#).port(5432).is_err());
        assert_eq!(dict("{}").ssl_config(), (true, true));
        assert_eq!(dict(r#"{"ssl":false}"#).ssl_config(), (false, false));
        assert_eq!(dict(r#"{"ssl":"TRUE"}"#).ssl_config(), (true, false));
        assert_eq!(dict(r#"{"ssl":"maybe"}"#).ssl_config(), (true, true));
        assert_eq!(dict(r#"{"ssl":1}"#).ssl_config(), (true, true));
    }
}
