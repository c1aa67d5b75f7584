//! The canonical request: URI, query string and headers in AWS's normal form.
//!
//! The rules are those of AWS's "Create a canonical request" page and of the
//! signers that real clients use (botocore's `SigV4Auth`, the AWS SDK for
//! Rust's `aws-sigv4`), checked against AWS's published test suite in
//! `tests/aws_sig_v4_test_suite.rs`.

use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986's unreserved characters (`A-Z a-z 0-9 - _ . ~`).
const NOT_UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// As [`NOT_UNRESERVED`], but keeping `/` (path separators stay as they are).
const NOT_UNRESERVED_OR_SLASH: &AsciiSet = &NOT_UNRESERVED.remove(b'/');

/// The canonical URI of a request path, for every service but S3.
///
/// `raw_path` is the path as it arrived (still percent-encoded). AWS normalizes
/// it (removing empty, `.` and `..` segments, keeping a trailing slash) and then
/// URI-encodes it *again*: a `%` on the wire becomes `%25`, so `/a%20b` signs as
/// `/a%2520b`. This is the "encode each segment twice" rule of AWS's docs, seen
/// from the server, and what botocore (`quote(normalized_path, safe='/~')`) and
/// the Rust SDK (`PercentEncodingMode::Double`) sign.
#[must_use]
pub fn canonical_uri(raw_path: &str) -> String {
    let normalized = normalize_path(raw_path);
    percent_encode(normalized.as_bytes(), NOT_UNRESERVED_OR_SLASH).to_string()
}

/// RFC 3986 dot-segment removal plus AWS's collapsing of empty segments.
///
/// Mirrors botocore's `remove_dot_segments` + `_normalize_url_path`: the result
/// always starts with `/`, and ends with `/` when the input did and anything is
/// left. `..` above the root is dropped.
fn normalize_path(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    out.push('/');
    out.push_str(&segments.join("/"));
    if path.ends_with('/') && !segments.is_empty() {
        out.push('/');
    }
    out
}

/// The canonical query string of a raw (still percent-encoded) query.
///
/// Each `name=value` pair is decoded (`%XY` escapes, and `+` as a space, as the
/// Rust SDK and Java servers read it; an invalid escape stays literal), then
/// re-encoded with only unreserved characters left bare. A name without `=`
/// gets an empty value. Pairs are sorted by encoded name, then encoded value.
#[must_use]
pub fn canonical_query_string(raw_query: &str) -> String {
    let mut pairs: Vec<(String, String)> = raw_query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (reencode(name), reencode(value))
        })
        .collect();
    pairs.sort();
    let mut out = String::with_capacity(raw_query.len() + 16);
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// Decodes one query component and encodes it in the canonical form.
fn reencode(component: &str) -> String {
    let plus_as_space = component.replace('+', " ");
    let decoded: Vec<u8> = percent_decode(plus_as_space.as_bytes()).collect();
    percent_encode(&decoded, NOT_UNRESERVED).to_string()
}

/// Whether a query string names the given parameter (after decoding its name).
pub(crate) fn query_has_param(raw_query: &str, wanted: &str) -> bool {
    raw_query.split('&').any(|pair| {
        let name = pair.split_once('=').map_or(pair, |(name, _)| name);
        let plus_as_space = name.replace('+', " ");
        percent_decode(plus_as_space.as_bytes()).eq(wanted.bytes())
    })
}

/// Appends a header value in canonical form: surrounding whitespace trimmed and
/// each inner run of whitespace collapsed to one space.
///
/// "Whitespace" is any ASCII whitespace, not only spaces, as botocore
/// (`' '.join(value.split())`) and AWS's Java signer do; this also folds
/// obsolete multi-line values the way AWS's `get-header-value-multiline` vector
/// expects.
pub(crate) fn push_header_value(out: &mut Vec<u8>, value: &[u8]) {
    let mut started = false;
    let mut pending_space = false;
    for &byte in value {
        if matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(byte);
            started = true;
        }
    }
}

/// The canonical request's parts, assembled by [`build`].
pub(crate) struct CanonicalInput<'a> {
    /// The HTTP method, as received.
    pub method: &'a str,
    /// The raw request path.
    pub path: &'a str,
    /// The raw query string (without `?`).
    pub query: &'a str,
    /// All request headers, names in any case.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The signed header names, lowercase, in the client's order.
    pub signed_headers: &'a [String],
    /// Lowercase hex SHA-256 of the payload.
    pub payload_hash: &'a str,
}

/// Builds the canonical request.
///
/// Each signed header gets one line, `name:value[,value…]`, its values taken in
/// the order received and joined with `,`. A signed header missing from the
/// request gets no line (the request then fails to verify, which is right).
pub(crate) fn build(input: &CanonicalInput<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        256 + input
            .headers
            .iter()
            .map(|(_, v)| v.len() + 32)
            .sum::<usize>(),
    );
    out.extend_from_slice(input.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_uri(input.path).as_bytes());
    out.push(b'\n');
    out.extend_from_slice(canonical_query_string(input.query).as_bytes());
    out.push(b'\n');
    for name in input.signed_headers {
        let mut values = input
            .headers
            .iter()
            .filter(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| *value)
            .peekable();
        if values.peek().is_none() {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_header_value(&mut out, value);
        }
        out.push(b'\n');
    }
    out.push(b'\n');
    out.extend_from_slice(input.signed_headers.join(";").as_bytes());
    out.push(b'\n');
    out.extend_from_slice(input.payload_hash.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized() {
        for (raw, want) in [
            ("", "/"),
            ("/", "/"),
            ("//", "/"),
            ("/./", "/"),
            ("/.", "/"),
            ("/example/..", "/"),
            ("/example1/example2/../..", "/"),
            ("/../..", "/"),
            ("/./example", "/example"),
            ("//example//", "/example/"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/a/b/", "/a/b/"),
        ] {
            assert_eq!(canonical_uri(raw), want, "path {raw:?}");
        }
    }

    #[test]
    fn paths_are_encoded_again() {
        assert_eq!(canonical_uri("/example space/"), "/example%20space/");
        assert_eq!(canonical_uri("/example%20space/"), "/example%2520space/");
        assert_eq!(canonical_uri("/ሴ"), "/%E1%88%B4");
        assert_eq!(
            canonical_uri("/test/@connections/JBDvjfGEIAMCERw%3D"),
            "/test/%40connections/JBDvjfGEIAMCERw%253D"
        );
        assert_eq!(
            canonical_uri("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
        );
    }

    #[test]
    fn query_strings_are_sorted_and_reencoded() {
        assert_eq!(canonical_query_string(""), "");
        assert_eq!(
            canonical_query_string("Param2=value2&Param1=value1"),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(
            canonical_query_string("Param-3=Value3&Param=Value2&%E1%88%B4=Value1"),
            "%E1%88%B4=Value1&Param=Value2&Param-3=Value3"
        );
        assert_eq!(canonical_query_string("b=2&a&a=1&&c="), "a=&a=1&b=2&c=");
        assert_eq!(canonical_query_string("k=a+b%2Bc%2fd"), "k=a%20b%2Bc%2Fd");
        assert_eq!(canonical_query_string("k=%zz%"), "k=%25zz%25");
        assert_eq!(
            canonical_query_string("Action=ListUsers&Version=2010-05-08"),
            "Action=ListUsers&Version=2010-05-08"
        );
    }

    #[test]
    fn header_values_are_trimmed_and_collapsed() {
        let mut out = Vec::new();
        push_header_value(&mut out, b"  \"a   b \t c\"  ");
        assert_eq!(out, b"\"a b c\"");
        out.clear();
        push_header_value(&mut out, b"value1\n  value2\n     value3");
        assert_eq!(out, b"value1 value2 value3");
        out.clear();
        push_header_value(&mut out, b"   ");
        assert!(out.is_empty());
    }

    #[test]
    fn query_param_lookup_decodes_names() {
        assert!(query_has_param(
            "a=1&X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm"
        ));
        assert!(query_has_param("X%2DAmz-Algorithm", "X-Amz-Algorithm"));
        assert!(!query_has_param("x-amz-algorithm=1", "X-Amz-Algorithm"));
        assert!(!query_has_param("", "X-Amz-Algorithm"));
    }
}
