//! [`QueryParams`]: an awsQuery request's parameters, and [`FromParams`], the decoding of
//! operation inputs from them.
//!
//! # Parsing
//!
//! The body (`application/x-www-form-urlencoded`) and/or the query string are split on
//! `&`, then each pair on its first `=` (a pair without `=` has an empty value); `+` is a
//! space and `%XX` a byte (a `%` not followed by two hex digits is kept as is, as browsers
//! and `form_urlencoded` do). The decoded bytes must be UTF-8, else the request is
//! `MalformedInput`: replacing them would silently alter the value the caller meant.
//!
//! As on AWS, when a parameter appears more than once the **first** value wins (recorded
//! from live STS: `Action=GetCallerIdentity&Action=NoSuchAction` succeeds, the reverse
//! fails; likewise for `Version` and members), and parameters no operation knows are
//! ignored.
//!
//! # Decoding members (botocore's `QuerySerializer`, read backwards)
//!
//! - A scalar member is the parameter named after it (its `locationName` if the model
//!   gives one), prefixed by its structure's path: `Tags.member.1.Key`.
//! - A list is `Name.member.N` (`member` is replaced by the list member's `locationName`
//!   if any; a `flattened` list is `Name.N`), `N` counting from 1. Elements are taken in
//!   increasing `N`; gaps are skipped. `Name=` alone (what botocore sends for `[]`) is an
//!   empty list.
//! - A map is `Name.entry.N.key` / `Name.entry.N.value` (`Name.N.…` when flattened; the
//!   model may rename `key` and `value`); an entry without a key is skipped, and the first
//!   entry with a given key wins.
//! - A structure is present as soon as any parameter lies under `Name.`.
//!
//! Scalars: strings as given (an empty string is present and empty), `integer` and `long`
//! as decimal numbers in the Java `int` / `long` range (a leading `+` or zeros are fine, as
//! on AWS), booleans `true`/`false` (ASCII case-insensitive), timestamps ISO 8601, blobs
//! base64. Anything else is `MalformedInput`, which (as on AWS) carries no message, so no
//! value is ever echoed; AWS's one explained case, an empty number, says
//! `missing value for decimal type`.
//!
//! # Secrets
//!
//! Parameter values may be secret (a password, a session policy), so [`QueryParams`]
//! zeroes every key and value it holds when dropped, and its `Debug` shows parameter names
//! only. The request body the parameters were parsed from belongs to the HTTP layer.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use zeroize::Zeroize;

use crate::sensitive::decode_zeroizing;
use crate::{Blob, SensitiveBlob, SensitiveString, Timestamp};

use super::time::parse_iso8601;
use super::QueryError;

/// The parameters of one awsQuery request.
#[derive(Default, Clone)]
pub struct QueryParams {
    map: BTreeMap<String, String>,
}

impl Drop for QueryParams {
    fn drop(&mut self) {
        for (mut key, mut value) in std::mem::take(&mut self.map) {
            key.zeroize();
            value.zeroize();
        }
    }
}

impl fmt::Debug for QueryParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: values may be secret.
        f.debug_struct("QueryParams")
            .field("names", &self.map.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes one form component (`+` is a space, `%XX` a byte).
fn decode_component(raw: &[u8]) -> Result<String, QueryError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                raw.get(i + 1).copied().and_then(hex),
                raw.get(i + 2).copied().and_then(hex),
            ) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|e| {
        e.into_bytes().zeroize();
        QueryError::malformed_input(Some("The request parameters are not valid UTF-8."))
    })
}

impl QueryParams {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses a form-encoded request body (`Action=CreateUser&Version=2010-05-08&...`).
    ///
    /// Errors: `MalformedInput` if a decoded name or value is not UTF-8.
    pub fn parse(body: &[u8]) -> Result<Self, QueryError> {
        let mut params = Self::new();
        params.add_form(body)?;
        Ok(params)
    }

    /// Parses a whole request: the URL's query string (if any) first, then the form body,
    /// so that for a name given in both the query string's value wins (GET requests carry
    /// everything in the query string and an empty body).
    pub fn parse_request(query: Option<&str>, body: &[u8]) -> Result<Self, QueryError> {
        let mut params = Self::new();
        if let Some(query) = query {
            params.add_form(query.as_bytes())?;
        }
        params.add_form(body)?;
        Ok(params)
    }

    /// Adds the pairs of a form-encoded string; names already present keep their value.
    pub fn add_form(&mut self, form: &[u8]) -> Result<(), QueryError> {
        for pair in form.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(eq) => (&pair[..eq], &pair[eq + 1..]),
                None => (pair, &[][..]),
            };
            let name = decode_component(name)?;
            let value = decode_component(value)?;
            self.insert(name, value);
        }
        Ok(())
    }

    /// Parameters from decoded `(name, value)` pairs (first value wins).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        let mut params = Self::new();
        for (k, v) in pairs {
            params.insert(k.into(), v.into());
        }
        params
    }

    /// Adds `name=value` unless `name` is already present (first value wins).
    pub fn insert(&mut self, name: String, mut value: String) {
        match self.map.entry(name) {
            std::collections::btree_map::Entry::Occupied(_) => value.zeroize(),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(value);
            }
        }
    }

    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The `Action` parameter.
    pub fn action(&self) -> Option<&str> {
        self.get("Action")
    }

    /// The `Version` parameter.
    pub fn version(&self) -> Option<&str> {
        self.get("Version")
    }

    /// How many distinct parameters there are.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The parameter names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// Whether any parameter lies under `prefix.` (a structure's presence).
    pub fn has_members(&self, prefix: &str) -> bool {
        let start = format!("{prefix}.");
        self.map
            .range::<str, _>((
                std::ops::Bound::Included(start.as_str()),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .is_some_and(|(k, _)| k.starts_with(&start))
    }

    /// The element numbers `N` (≥ 1, written without sign or leading zeros) of the
    /// parameters named `base.N` or `base.N.…`, ascending.
    fn indices(&self, base: &str) -> BTreeSet<u32> {
        let start = format!("{base}.");
        let mut out = BTreeSet::new();
        let range = self.map.range::<str, _>((
            std::ops::Bound::Included(start.as_str()),
            std::ops::Bound::Unbounded,
        ));
        for (key, _) in range {
            let Some(rest) = key.strip_prefix(&start) else {
                break;
            };
            let index = rest.split('.').next().unwrap_or_default();
            let canonical = !index.is_empty()
                && index.bytes().all(|b| b.is_ascii_digit())
                && !index.starts_with('0');
            if let Some(n) = canonical.then(|| index.parse::<u32>().ok()).flatten() {
                out.insert(n);
            }
        }
        out
    }

    /// Decodes the value at `key` (see [`FromParams`]).
    pub fn value<T: FromParams>(&self, key: &str) -> Result<Option<T>, QueryError> {
        T::from_params(self, key)
    }

    /// Decodes an `integer` member (Java `int` range) at `key`.
    pub fn integer(&self, key: &str) -> Result<Option<i64>, QueryError> {
        self.get(key)
            .map(|v| parse_number(v, i64::from(i32::MIN), i64::from(i32::MAX)))
            .transpose()
    }

    /// Decodes a `long` member (Java `long` range) at `key`.
    pub fn long(&self, key: &str) -> Result<Option<i64>, QueryError> {
        self.get(key)
            .map(|v| parse_number(v, i64::MIN, i64::MAX))
            .transpose()
    }

    /// Decodes a list whose elements are at `element_base.N`; `marker` is the list's own
    /// name, which alone (`Tags=`) means an empty list.
    pub fn list<T: FromParams>(
        &self,
        marker: &str,
        element_base: &str,
    ) -> Result<Option<Vec<T>>, QueryError> {
        let indices = self.indices(element_base);
        if indices.is_empty() {
            return Ok(self.get(marker).map(|_| Vec::new()));
        }
        let mut items = Vec::with_capacity(indices.len());
        for n in indices {
            if let Some(item) = T::from_params(self, &format!("{element_base}.{n}"))? {
                items.push(item);
            }
        }
        Ok(Some(items))
    }

    /// Decodes a map whose entries are at `entry_base.N.{key_name,value_name}`; `marker`
    /// is the map's own name, which alone means an empty map.
    pub fn map<V: FromParams>(
        &self,
        marker: &str,
        entry_base: &str,
        key_name: &str,
        value_name: &str,
    ) -> Result<Option<BTreeMap<String, V>>, QueryError> {
        let indices = self.indices(entry_base);
        if indices.is_empty() {
            return Ok(self.get(marker).map(|_| BTreeMap::new()));
        }
        let mut map = BTreeMap::new();
        for n in indices {
            let Some(key) = self.get(&format!("{entry_base}.{n}.{key_name}")) else {
                continue;
            };
            if map.contains_key(key) {
                continue;
            }
            if let Some(value) = V::from_params(self, &format!("{entry_base}.{n}.{value_name}"))? {
                map.insert(key.to_owned(), value);
            }
        }
        Ok(Some(map))
    }
}

/// Parses a decimal number in `min..=max` (Java `Integer.parseInt` / `Long.parseLong`
/// syntax: optional sign, digits).
fn parse_number(value: &str, min: i64, max: i64) -> Result<i64, QueryError> {
    if value.is_empty() {
        return Err(QueryError::malformed_input(Some(
            "missing value for decimal type",
        )));
    }
    value
        .parse::<i64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| QueryError::malformed_input(None))
}

/// The name of member `name` of the structure at `prefix` (`prefix.name`, or `name` at
/// the top level).
pub fn member_key(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// A value decodable from the parameters at a key: a scalar's parameter name, or the
/// prefix of a structure's members. The generated structures implement it.
pub trait FromParams: Sized {
    /// The value at `key`, or `None` if the request does not carry it.
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError>;
}

/// An operation input: decoded from the whole request (its members at the top level).
pub trait QueryInput: Sized + crate::Validate {
    /// Decodes the input from `params` (types only; [`crate::Validate`] checks the model's
    /// constraints afterwards).
    fn from_query(params: &QueryParams) -> Result<Self, QueryError>;
}

impl FromParams for String {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        Ok(params.get(key).map(str::to_owned))
    }
}

impl FromParams for SensitiveString {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        Ok(params.get(key).map(SensitiveString::from))
    }
}

impl FromParams for i64 {
    /// As a `long`.
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        params.long(key)
    }
}

impl FromParams for bool {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        params
            .get(key)
            .map(|v| {
                if v.eq_ignore_ascii_case("true") {
                    Ok(true)
                } else if v.eq_ignore_ascii_case("false") {
                    Ok(false)
                } else {
                    Err(QueryError::malformed_input(None))
                }
            })
            .transpose()
    }
}

impl FromParams for Timestamp {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        params
            .get(key)
            .map(|v| parse_iso8601(v).ok_or_else(|| QueryError::malformed_input(None)))
            .transpose()
    }
}

impl FromParams for Blob {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        params
            .get(key)
            .map(|v| {
                BASE64
                    .decode(v.as_bytes())
                    .map(Blob::new)
                    .map_err(|_| QueryError::malformed_input(None))
            })
            .transpose()
    }
}

impl FromParams for SensitiveBlob {
    fn from_params(params: &QueryParams, key: &str) -> Result<Option<Self>, QueryError> {
        params
            .get(key)
            .map(|v| {
                decode_zeroizing(v.as_bytes())
                    .map(|mut bytes| SensitiveBlob::new(std::mem::take(&mut *bytes)))
                    .ok_or_else(|| QueryError::malformed_input(None))
            })
            .transpose()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        let p = QueryParams::parse(
            b"Action=CreateUser&Path=%2Fa%2Fb%2F&Name=a+b%20c&Empty=&Bare&&Pct=100%&Pct2=%zz",
        )
        .unwrap();
        assert_eq!(p.action(), Some("CreateUser"));
        assert_eq!(p.get("Path"), Some("/a/b/"));
        assert_eq!(p.get("Name"), Some("a b c"));
        assert_eq!(p.get("Empty"), Some(""));
        assert_eq!(p.get("Bare"), Some(""));
        assert_eq!(p.get("Pct"), Some("100%"));
        assert_eq!(p.get("Pct2"), Some("%zz"));
        assert_eq!(p.len(), 7);
        let p = QueryParams::parse("K=%C3%A9%E2%82%AC".as_bytes()).unwrap();
        assert_eq!(p.get("K"), Some("é€"));
    }

    #[test]
    fn invalid_utf8_is_malformed_input() {
        let err = QueryParams::parse(b"K=%E9").unwrap_err();
        assert_eq!(err.code, "MalformedInput");
        assert_eq!(err.status, 400);
        assert!(QueryParams::parse(b"K=\xff").is_err());
    }

    #[test]
    fn first_value_wins_and_query_string_comes_first() {
        let p = QueryParams::parse(b"Action=A&Action=B").unwrap();
        assert_eq!(p.action(), Some("A"));
        let p = QueryParams::parse_request(Some("Action=Q&Version=1"), b"Action=B&X=y").unwrap();
        assert_eq!(p.action(), Some("Q"));
        assert_eq!(p.get("X"), Some("y"));
    }

    #[test]
    fn debug_hides_values() {
        let p = QueryParams::parse(b"Password=hunter2").unwrap();
        let shown = format!("{p:?}");
        assert!(shown.contains("Password") && !shown.contains("hunter2"));
    }

    #[test]
    fn numbers_follow_java_parsing() {
        let p = QueryParams::from_pairs([
            ("a", "900"),
            ("b", "+900"),
            ("c", "0900"),
            ("d", "-1"),
            ("e", "2147483648"),
            ("f", "900.0"),
            ("g", ""),
            ("h", "abc"),
            ("i", " 1"),
        ]);
        assert_eq!(p.integer("a").unwrap(), Some(900));
        assert_eq!(p.integer("b").unwrap(), Some(900));
        assert_eq!(p.integer("c").unwrap(), Some(900));
        assert_eq!(p.integer("d").unwrap(), Some(-1));
        assert_eq!(p.long("e").unwrap(), Some(2_147_483_648));
        assert_eq!(p.integer("zz").unwrap(), None);
        for k in ["e", "f", "h", "i"] {
            let err = p.integer(k).unwrap_err();
            assert_eq!(
                (&*err.code, err.message.as_str()),
                ("MalformedInput", ""),
                "{k}"
            );
        }
        assert_eq!(
            p.integer("g").unwrap_err().message,
            "missing value for decimal type"
        );
    }

    #[test]
    fn lists_and_maps() {
        let p = QueryParams::from_pairs([
            ("L.member.2", "b"),
            ("L.member.1", "a"),
            ("L.member.10", "c"),
            ("L.member.01", "ignored"),
            ("L.member.0", "ignored"),
            ("L.memberx.3", "ignored"),
            ("E", ""),
            ("M.entry.1.key", "k1"),
            ("M.entry.1.value", "v1"),
            ("M.entry.2.key", "k1"),
            ("M.entry.2.value", "dup"),
            ("M.entry.3.value", "no key"),
        ]);
        assert_eq!(
            p.list::<String>("L", "L.member").unwrap(),
            Some(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(p.list::<String>("E", "E.member").unwrap(), Some(vec![]));
        assert_eq!(p.list::<String>("X", "X.member").unwrap(), None);
        let m = p
            .map::<String>("M", "M.entry", "key", "value")
            .unwrap()
            .unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m["k1"], "v1");
        assert!(p.has_members("M"));
        assert!(p.has_members("L.member"));
        assert!(!p.has_members("L.memb"));
    }

    #[test]
    fn scalars() {
        let p = QueryParams::from_pairs([
            ("t", "true"),
            ("f", "FALSE"),
            ("x", "yes"),
            ("ts", "2013-10-02T17:01:44Z"),
            ("b", "3q0="),
            ("bad", "3q0"),
        ]);
        assert_eq!(p.value::<bool>("t").unwrap(), Some(true));
        assert_eq!(p.value::<bool>("f").unwrap(), Some(false));
        assert!(p.value::<bool>("x").is_err());
        assert_eq!(
            p.value::<Timestamp>("ts").unwrap().unwrap().as_secs(),
            1_380_733_304.0
        );
        assert!(p.value::<Timestamp>("t").is_err());
        assert_eq!(
            p.value::<Blob>("b").unwrap().unwrap().as_slice(),
            &[0xde, 0xad]
        );
        assert!(p.value::<Blob>("bad").is_err());
        assert_eq!(
            p.value::<SensitiveBlob>("b").unwrap().unwrap().expose(),
            &[0xde, 0xad]
        );
    }
}
