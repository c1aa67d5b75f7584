//! Target `sigv4`: SigV4 verification of a request built from the input: the `Authorization`
//! header parser ([`parse_authorization`]), the canonical URI and query string, query
//! (presigned) authentication detection, date parsing and the skew window, credential scope
//! checks, the canonical request and string to sign ([`prepare_with`]), and the HMAC
//! comparison ([`Prepared::verify`]). Every error is rendered as AWS's message.
//!
//! # Input
//!
//! An HTTP/1.1 request as text, in the format of AWS's SigV4 test suite
//! (`crates/sigv4/tests/vectors/*/header-signed-request.txt`): a request line
//! `METHOD path?query HTTP/1.1`, header lines `Name:value` (a line starting with a space or a
//! tab continues the previous value, after a line break), an empty line, then the body.
//! Header values are bytes; everything else is read as UTF-8, lossily.
//!
//! The request is prepared at the test suite's time (2015-08-30T12:36:00Z) and, when its date
//! is out of the skew window, again at its own date, so that the checks after the window
//! are reached for any date. The expected service is the one the credential names (else
//! `secretsmanager`), in any region and then in `us-east-1`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cofre_sigv4::{
    canonical_query_string, canonical_uri, parse_authorization, prepare_with, Expectations,
    Prepared, RequestParts, SigV4Error, SigningKey,
};
use time::macros::format_description;
use time::PrimitiveDateTime;

/// The test suite's secret access key.
const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// 2015-08-30T12:36:00Z, the test suite's signing time.
fn suite_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A request parsed from the input.
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Request {
    fn parse(data: &[u8]) -> Request {
        let (head, body) = match data.windows(2).position(|w| w == b"\n\n") {
            Some(at) => (&data[..at], &data[at + 2..]),
            None => (data, &[][..]),
        };
        let mut lines = head.split(|&b| b == b'\n');
        let request_line = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
        let (method, target) = request_line
            .split_once(' ')
            .unwrap_or((request_line.as_str(), "/"));
        let target = target.strip_suffix(" HTTP/1.1").unwrap_or(target);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if let (Some(b' ' | b'\t'), Some(last)) = (line.first(), headers.last_mut()) {
                last.1.push(b'\n');
                last.1.extend_from_slice(line);
                continue;
            }
            let (name, value) = match line.iter().position(|&b| b == b':') {
                Some(colon) => (&line[..colon], &line[colon + 1..]),
                None => (line, &[][..]),
            };
            headers.push((String::from_utf8_lossy(name).into_owned(), value.to_vec()));
        }
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.to_vec(),
        }
    }
}

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let req = Request::parse(data);
    let _ = canonical_uri(&req.path);
    let _ = canonical_query_string(&req.query);

    let mut service = "secretsmanager".to_owned();
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("authorization") {
            match parse_authorization(&String::from_utf8_lossy(value)) {
                Ok(auth) => {
                    let _ = auth.scope();
                    service.clone_from(&auth.service);
                }
                Err(err) => describe(&err),
            }
        }
    }

    let headers: Vec<(&str, &[u8])> = req
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_slice()))
        .collect();
    let parts = RequestParts {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &headers,
        body: &req.body,
    };
    for region in [None, Some("us-east-1")] {
        let expect = Expectations {
            service: &service,
            region,
            max_skew_minutes: 15,
        };
        let request_date = match check(&parts, &expect, suite_time()) {
            Err(
                SigV4Error::SignatureExpired { request_date, .. }
                | SigV4Error::SignatureNotYetCurrent { request_date, .. },
            ) => request_date,
            _ => continue,
        };
        if let Some(at) = parse_amz_date(&request_date) {
            let _ = check(&parts, &expect, at);
        }
    }
}

/// `prepare_with`, then `verify` when it succeeds; every error described.
fn check(
    parts: &RequestParts<'_>,
    expect: &Expectations<'_>,
    now: SystemTime,
) -> Result<(), SigV4Error> {
    let prepared = prepare_with(parts, expect, now).inspect_err(describe)?;
    use_prepared(&prepared);
    Ok(())
}

fn use_prepared(prepared: &Prepared) {
    let _ = (
        prepared.access_key_id(),
        prepared.region(),
        prepared.service(),
        prepared.session_token(),
        prepared.amz_date(),
        prepared.request_time(),
        prepared.canonical_request(),
        prepared.string_to_sign(),
        format!("{prepared:?}"),
    );
    if let Err(err) = prepared.verify(SECRET) {
        describe(&err);
    }
    let key = SigningKey::derive(
        SECRET,
        &prepared.auth.date,
        prepared.region(),
        prepared.service(),
    );
    if let Err(err) = prepared.verify_with_key(&key) {
        describe(&err);
    }
}

/// Renders an error as the server would.
fn describe(err: &SigV4Error) {
    let _ = (
        err.code(),
        err.status(),
        err.message(),
        err.message_with_details(),
        format!("{err:?}"),
    );
}

/// Parses `YYYYMMDD'T'HHMMSS'Z'` (as the skew errors print the request date).
fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let format = format_description!("[year][month][day]T[hour][minute][second]Z");
    PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|at| SystemTime::from(at.assume_utc()))
}
