//! Raw HTTP/1.1 tests: requests written byte by byte over a `TcpStream`, for what no SDK
//! sends (bad signatures, malformed bodies, oversize requests, unknown targets).
//!
//! Valid requests are signed with the real `aws-sigv4` crate, then tampered with. Every
//! response must carry `x-amzn-RequestId` and no response may be a 5xx.

mod common;

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde_json::{json, Value};

const JSON_1_1: &str = "application/x-amz-json-1.1";
const MISMATCH: &str =
    "The request signature we calculated does not match the signature you provided.";
const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

// ---------------------------------------------------------------------------------------
// HTTP plumbing
// ---------------------------------------------------------------------------------------

/// A parsed HTTP response.
#[derive(Debug)]
struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("response body is not JSON ({e}): {self}"))
    }

    /// `__type`, without any `namespace#` prefix.
    fn error_type(&self) -> String {
        let v = self.json();
        let t = v["__type"]
            .as_str()
            .unwrap_or_else(|| panic!("error body has no __type: {self}"));
        t.rsplit('#').next().unwrap_or(t).to_owned()
    }

    /// The error message, under `message` or `Message`.
    fn message(&self) -> Option<String> {
        let v = self.json();
        v.get("message")
            .or_else(|| v.get("Message"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }
}

impl std::fmt::Display for Resp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HTTP {} {:?} {}", self.status, self.headers, self.text())
    }
}

/// How the body is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    /// `Content-Length` of the body actually sent.
    Length,
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// This `Content-Length`, whatever the body.
    DeclaredLength(u64),
}

/// The bytes of a request: head (request line and headers) and framed body.
fn request_bytes(
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
    framing: Framing,
) -> (Vec<u8>, Vec<u8>) {
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let framed = match framing {
        Framing::Length => {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
            body.to_vec()
        }
        Framing::DeclaredLength(n) => {
            head.push_str(&format!("Content-Length: {n}\r\n"));
            body.to_vec()
        }
        Framing::Chunked => {
            head.push_str("Transfer-Encoding: chunked\r\n");
            let mut out = Vec::with_capacity(body.len() + body.len() / 1000 + 16);
            for chunk in body.chunks(64 * 1024) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
            out
        }
    };
    head.push_str("Connection: close\r\n\r\n");
    (head.into_bytes(), framed)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes a chunked body; `None` until the last chunk has arrived.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = find(data, b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        if data.len() < size + 2 {
            return None;
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// Parses a complete response from `buf`; `None` if more bytes are needed (at `eof`, the
/// body is whatever arrived).
fn parse_response(buf: &[u8], eof: bool) -> Option<Resp> {
    let head_end = find(buf, b"\r\n\r\n")?;
    let head = std::str::from_utf8(&buf[..head_end]).expect("response head is not UTF-8");
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let rest = &buf[head_end + 4..];
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = if let Some(len) = get("content-length") {
        let len: usize = len.parse().expect("bad Content-Length in response");
        if rest.len() < len {
            if eof {
                panic!("response body truncated: {} of {len} bytes", rest.len());
            }
            return None;
        }
        rest[..len].to_vec()
    } else if get("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        match dechunk(rest) {
            Some(b) => b,
            None if eof => panic!("chunked response truncated"),
            None => return None,
        }
    } else if eof {
        rest.to_vec()
    } else {
        return None;
    };
    Some(Resp {
        status,
        headers,
        body,
    })
}

/// Sends one request on a fresh connection and reads the response. The body is written on
/// another thread, so a server that answers before reading it all (413) is still heard.
///
/// Asserts what holds for every response: no 5xx, and an `x-amzn-RequestId`.
fn exchange(addr: &str, head: Vec<u8>, body: Vec<u8>) -> Resp {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .expect("write timeout");
    let mut writer = stream.try_clone().expect("clone stream");
    let sender = std::thread::spawn(move || {
        // The server may close early (e.g. after a 413): write errors are expected then.
        let _ = writer
            .write_all(&head)
            .and_then(|()| writer.write_all(&body))
            .and_then(|()| writer.flush());
    });
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 64 * 1024];
    let resp = loop {
        if let Some(r) = parse_response(&buf, false) {
            break r;
        }
        match stream.read(&mut chunk) {
            Ok(0) => {
                break parse_response(&buf, true).unwrap_or_else(|| {
                    panic!(
                        "connection closed before a full response: {:?}",
                        String::from_utf8_lossy(&buf)
                    )
                })
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => match parse_response(&buf, true) {
                Some(r) if !buf.is_empty() => break r,
                _ => panic!(
                    "reading the response failed: {e}; got {:?}",
                    String::from_utf8_lossy(&buf)
                ),
            },
        }
    };
    let _ = stream.shutdown(Shutdown::Both);
    let _ = sender.join();
    assert!(resp.status < 500, "server answered with a 5xx: {resp}");
    assert!(
        resp.header("x-amzn-RequestId")
            .is_some_and(|v| !v.trim().is_empty()),
        "response has no x-amzn-RequestId: {resp}"
    );
    resp
}

// ---------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------

/// Who signs, for which scope, at what time.
#[derive(Clone)]
struct Signer {
    access_key_id: String,
    secret: String,
    region: String,
    service: String,
    time: SystemTime,
}

impl Signer {
    fn root() -> Self {
        Self {
            access_key_id: common::ACCESS_KEY_ID.to_owned(),
            secret: common::SECRET_ACCESS_KEY.to_owned(),
            region: common::REGION.to_owned(),
            service: "secretsmanager".to_owned(),
            time: SystemTime::now(),
        }
    }

    /// The headers SigV4 adds (`x-amz-date`, `authorization`) for a request with `headers`
    /// (which must include `host`) and `body`.
    fn sign(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Vec<(String, String)> {
        let identity: Identity = Credentials::new(
            self.access_key_id.clone(),
            self.secret.clone(),
            None,
            None,
            "raw-http-tests",
        )
        .into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&self.region)
            .name(&self.service)
            .time(self.time)
            .settings(SigningSettings::default())
            .build()
            .expect("signing params")
            .into();
        let host = headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str())
            .expect("host header");
        let uri = format!("http://{host}/");
        let signable = SignableRequest::new(
            method,
            uri.as_str(),
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body),
        )
        .expect("signable request");
        let (instructions, _signature) = sign(signable, &params).expect("sign").into_parts();
        instructions
            .headers()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }
}

/// A server plus request helpers.
struct Api {
    _dir: common::TempDir,
    srv: common::Server,
}

impl Api {
    fn start(tag: &str) -> Self {
        let dir = common::TempDir::new(tag);
        let srv = common::Server::start(&dir);
        Self { _dir: dir, srv }
    }

    /// `host`, `content-type` and (if any) `x-amz-target`.
    fn base_headers(&self, target: Option<&str>) -> Vec<(String, String)> {
        let mut h = vec![
            ("Host".to_owned(), self.srv.addr.clone()),
            ("Content-Type".to_owned(), JSON_1_1.to_owned()),
        ];
        if let Some(t) = target {
            h.push(("X-Amz-Target".to_owned(), t.to_owned()));
        }
        h
    }

    /// Headers of a POST signed by `signer` over `body`.
    fn signed_headers(
        &self,
        target: Option<&str>,
        body: &[u8],
        signer: &Signer,
    ) -> Vec<(String, String)> {
        let mut h = self.base_headers(target);
        let sig = signer.sign("POST", &h, body);
        h.extend(sig);
        h
    }

    fn send(
        &self,
        method: &str,
        headers: &[(String, String)],
        body: &[u8],
        framing: Framing,
    ) -> Resp {
        let (head, framed) = request_bytes(method, "/", headers, body, framing);
        exchange(&self.srv.addr, head, framed)
    }

    /// A correctly signed `secretsmanager.<op>` call with this raw body.
    fn call_raw(&self, op: &str, body: &[u8]) -> Resp {
        let target = format!("secretsmanager.{op}");
        let h = self.signed_headers(Some(&target), body, &Signer::root());
        self.send("POST", &h, body, Framing::Length)
    }

    fn call(&self, op: &str, body: &Value) -> Resp {
        self.call_raw(op, body.to_string().as_bytes())
    }

    /// A call that must succeed; returns its JSON.
    fn ok(&self, op: &str, body: &Value) -> Value {
        let r = self.call(op, body);
        assert_eq!(r.status, 200, "{op} failed: {r}");
        r.json()
    }

    fn secret_names(&self) -> Vec<String> {
        let v = self.ok("ListSecrets", &json!({}));
        v["SecretList"]
            .as_array()
            .expect("SecretList")
            .iter()
            .map(|s| s["Name"].as_str().expect("Name").to_owned())
            .collect()
    }

    /// The server still answers a valid request.
    fn assert_alive(&self) {
        let r = self.call("ListSecrets", &json!({}));
        assert_eq!(
            r.status, 200,
            "server no longer answers a valid request: {r}"
        );
    }
}

/// Asserts an AWS error response: status, `__type` (body) and `x-amzn-ErrorType` (header),
/// and — if `message` is given — a message containing it.
#[track_caller]
fn assert_error(r: &Resp, status: u16, code: &str, message: Option<&str>) {
    assert_eq!(r.status, status, "expected HTTP {status} {code}: {r}");
    assert_eq!(r.error_type(), code, "wrong __type: {r}");
    let header = r
        .header("x-amzn-ErrorType")
        .unwrap_or_else(|| panic!("no x-amzn-ErrorType: {r}"));
    assert!(
        header.split(':').next() == Some(code),
        "x-amzn-ErrorType {header:?} is not {code}: {r}"
    );
    if let Some(m) = message {
        let got = r
            .message()
            .unwrap_or_else(|| panic!("error has no message (expected {m:?}): {r}"));
        assert!(
            got.contains(m),
            "message {got:?} does not contain {m:?}: {r}"
        );
    }
}

/// Asserts a 4xx AWS error of any type (JSON `__type` and a matching `x-amzn-ErrorType`);
/// returns the type.
#[track_caller]
fn assert_client_error(r: &Resp) -> String {
    assert!((400..500).contains(&r.status), "expected a 4xx: {r}");
    let t = r.error_type();
    assert!(!t.is_empty(), "empty __type: {r}");
    let header = r
        .header("x-amzn-ErrorType")
        .unwrap_or_else(|| panic!("no x-amzn-ErrorType: {r}"));
    assert_eq!(
        header.split(':').next(),
        Some(t.as_str()),
        "x-amzn-ErrorType differs from __type: {r}"
    );
    t
}

/// Asserts an error whose code is one of `codes` (4xx).
#[track_caller]
fn assert_error_among(r: &Resp, codes: &[&str]) -> String {
    assert!((400..500).contains(&r.status), "expected a 4xx: {r}");
    let t = r.error_type();
    assert!(
        codes.contains(&t.as_str()),
        "__type {t} is none of {codes:?}: {r}"
    );
    t
}

/// Asserts `needle` appears nowhere in the response (body or headers).
#[track_caller]
fn assert_not_echoed(r: &Resp, needle: &str) {
    assert!(
        !r.text().contains(needle),
        "response echoes {needle:?}: {r}"
    );
    for (k, v) in &r.headers {
        assert!(!v.contains(needle), "header {k} echoes {needle:?}: {r}");
    }
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs_f64()
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[test]
fn signed_requests_succeed_with_the_aws_wire_shape() {
    let api = Api::start("raw-ok");
    let r = api.call(
        "CreateSecret",
        &json!({"Name": "raw/ok", "SecretString": "v1"}),
    );
    assert_eq!(r.status, 200, "{r}");
    assert!(
        r.header("content-type")
            .is_some_and(|v| v.starts_with(JSON_1_1)),
        "{r}"
    );
    let v = r.json();
    let arn = v["ARN"].as_str().expect("ARN");
    let prefix = format!(
        "arn:aws:secretsmanager:{}:{}:secret:raw/ok-",
        common::REGION,
        common::ACCOUNT
    );
    assert!(
        arn.starts_with(&prefix) && arn.len() == prefix.len() + 6,
        "ARN {arn} is not {prefix}XXXXXX"
    );

    let d = api.ok("DescribeSecret", &json!({"SecretId": "raw/ok"}));
    for field in ["CreatedDate", "LastChangedDate"] {
        let t = d[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field} is not epoch seconds: {d}"));
        assert!(
            (t - now_epoch()).abs() < 300.0,
            "{field} {t} is not near now"
        );
    }
    let g = api.ok("GetSecretValue", &json!({"SecretId": "raw/ok"}));
    assert_eq!(g["SecretString"], "v1");
    assert!(
        g["CreatedDate"].is_number(),
        "CreatedDate is not a number: {g}"
    );
    // Another region is another namespace.
    let mut eu = Signer::root();
    eu.region = "eu-west-1".to_owned();
    let body = br#"{"SecretId":"raw/ok"}"#;
    let h = api.signed_headers(Some("secretsmanager.GetSecretValue"), body, &eu);
    assert_error(
        &api.send("POST", &h, body, Framing::Length),
        400,
        "ResourceNotFoundException",
        None,
    );
}

#[test]
fn unsigned_request_is_missing_authentication_token() {
    let api = Api::start("raw-unsigned");
    let h = api.base_headers(Some("secretsmanager.ListSecrets"));
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert!((400..500).contains(&r.status), "{r}");
    assert_error(
        &r,
        r.status,
        "MissingAuthenticationTokenException",
        Some("Authentication Token"),
    );
}

#[test]
fn wrong_secret_key_is_an_invalid_signature() {
    let api = Api::start("raw-wrong-secret");
    let mut s = Signer::root();
    s.secret = "not/the/right/secret/key/0000000000000000".to_owned();
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &s);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "InvalidSignatureException", Some(MISMATCH));
    assert_not_echoed(&r, common::SECRET_ACCESS_KEY);
}

#[test]
fn body_altered_after_signing_is_an_invalid_signature() {
    let api = Api::start("raw-altered");
    let signed = br#"{"Name":"raw/a","SecretString":"original"}"#;
    let sent = br#"{"Name":"raw/b","SecretString":"tampered"}"#;
    let h = api.signed_headers(Some("secretsmanager.CreateSecret"), signed, &Signer::root());
    let r = api.send("POST", &h, sent, Framing::Length);
    assert_error(&r, 400, "InvalidSignatureException", Some(MISMATCH));
    assert_not_echoed(&r, "tampered");
    // A changed signed header is caught too.
    let mut h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &Signer::root());
    for (k, v) in &mut h {
        if k.eq_ignore_ascii_case("x-amz-target") {
            *v = "secretsmanager.GetRandomPassword".to_owned();
        }
    }
    assert_error(
        &api.send("POST", &h, b"{}", Framing::Length),
        400,
        "InvalidSignatureException",
        Some(MISMATCH),
    );
    assert!(
        api.secret_names().is_empty(),
        "a request with a bad signature created something"
    );
}

#[test]
fn unknown_access_key_is_an_unrecognized_client() {
    let api = Api::start("raw-unknown-key");
    let mut s = Signer::root();
    s.access_key_id = "AKIAUNKNOWNKEY000000".to_owned();
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &s);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "UnrecognizedClientException", Some(INVALID_TOKEN));
}

#[test]
fn signatures_outside_the_clock_skew_are_rejected() {
    let api = Api::start("raw-skew");
    let twenty_minutes = Duration::from_secs(20 * 60);

    let mut past = Signer::root();
    past.time = SystemTime::now() - twenty_minutes;
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &past);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(
        &r,
        400,
        "InvalidSignatureException",
        Some("Signature expired: "),
    );
    assert!(
        r.message()
            .unwrap_or_default()
            .starts_with("Signature expired: "),
        "{r}"
    );

    let mut future = Signer::root();
    future.time = SystemTime::now() + twenty_minutes;
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &future);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(
        &r,
        400,
        "InvalidSignatureException",
        Some("Signature not yet current: "),
    );
    assert!(
        r.message()
            .unwrap_or_default()
            .starts_with("Signature not yet current: "),
        "{r}"
    );

    // Two minutes off is within the allowed skew.
    let mut close = Signer::root();
    close.time = SystemTime::now() - Duration::from_secs(120);
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &close);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_eq!(r.status, 200, "a signature 2 minutes old was refused: {r}");
}

/// The signed headers with `authorization` replaced by `f(authorization)`.
fn with_authorization(h: &[(String, String)], f: impl Fn(&str) -> String) -> Vec<(String, String)> {
    h.iter()
        .map(|(k, v)| {
            if k.eq_ignore_ascii_case("authorization") {
                (k.clone(), f(v))
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

#[test]
fn malformed_authorization_headers_are_incomplete_signatures() {
    let api = Api::start("raw-malformed-auth");
    let good = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &Signer::root());

    // The algorithm followed by garbage.
    let h = with_authorization(&good, |_| "AWS4-HMAC-SHA256 garbage".to_owned());
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(
        &r,
        400,
        "IncompleteSignatureException",
        Some("Authorization"),
    );

    // A real header without its Signature= part.
    let h = with_authorization(&good, |v| {
        let cut = v
            .find(", Signature=")
            .or_else(|| v.find(",Signature="))
            .expect("Signature= in header");
        v[..cut].to_owned()
    });
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "IncompleteSignatureException", Some("Signature"));

    // Credential without its five parts.
    let h = with_authorization(&good, |v| {
        let start = v.find("Credential=").expect("Credential=") + "Credential=".len();
        let end = start + v[start..].find(',').expect("comma after Credential");
        format!("{}{}{}", &v[..start], common::ACCESS_KEY_ID, &v[end..])
    });
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "IncompleteSignatureException", Some("Credential"));

    // A header naming no algorithm at all.
    let h = with_authorization(&good, |_| "AWS4-HMAC-SHA256".to_owned());
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "IncompleteSignatureException", Some("Credential"));
    api.assert_alive();
}

/// An `Authorization` header that is not SigV4 at all. Secrets Manager's front end is the
/// same as Kinesis's (awsJson 1.1), which answers `Authorization: X` with
/// `IncompleteSignatureException` listing the missing parts ("Authorization header requires
/// 'Credential' parameter. ... Authorization=X"; kinesalite's tests against live AWS), not
/// `MissingAuthenticationTokenException`, which is for requests without any credentials.
#[test]
fn garbage_authorization_header_is_an_incomplete_signature() {
    let api = Api::start("raw-garbage-auth");
    let good = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &Signer::root());
    let h = with_authorization(&good, |_| "garbage".to_owned());
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(
        &r,
        400,
        "IncompleteSignatureException",
        Some("Authorization header requires 'Credential' parameter."),
    );
    api.assert_alive();
}

#[test]
fn credential_scope_for_another_service_is_rejected() {
    let api = Api::start("raw-scope");
    let mut s = Signer::root();
    s.service = "s3".to_owned();
    let h = api.signed_headers(Some("secretsmanager.ListSecrets"), b"{}", &s);
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error_among(
        &r,
        &["InvalidSignatureException", "IncompleteSignatureException"],
    );
    let m = r.message().unwrap_or_default();
    assert!(
        m.contains("secretsmanager") || m.to_lowercase().contains("service"),
        "unhelpful message: {r}"
    );
}

#[test]
fn malformed_json_and_wrong_member_types_are_serialization_errors() {
    let api = Api::start("raw-serialization");
    let cases: [(&str, &[u8]); 6] = [
        ("GetSecretValue", br#"{"SecretId": "#),
        ("GetSecretValue", b"not json at all"),
        ("GetSecretValue", br#"{"SecretId": 5}"#),
        ("CreateSecret", br#"{"Name":"x","Tags":"notalist"}"#),
        ("ListSecrets", br#"{"MaxResults":"ten"}"#),
        ("GetSecretValue", br#"["SecretId"]"#),
    ];
    for (op, body) in cases {
        let r = api.call_raw(op, body);
        assert_error(&r, 400, "SerializationException", None);
    }
    assert!(
        api.secret_names().is_empty(),
        "a malformed request created a secret"
    );
}

#[test]
fn constraint_violations_are_validation_errors_and_change_nothing() {
    let api = Api::start("raw-validation");
    let r = api.call("GetSecretValue", &json!({}));
    assert_error(
        &r,
        400,
        "ValidationException",
        Some("Member must not be null"),
    );

    let long_name = "n".repeat(600);
    let r = api.call(
        "CreateSecret",
        &json!({"Name": long_name, "SecretString": "v"}),
    );
    assert_error(
        &r,
        400,
        "ValidationException",
        Some("Member must have length less than or equal to 512"),
    );

    let r = api.call(
        "CreateSecret",
        &json!({"Name": "raw/short-token", "SecretString": "v", "ClientRequestToken": "abcde"}),
    );
    assert_error(
        &r,
        400,
        "ValidationException",
        Some("Member must have length greater than or equal to 32"),
    );

    let r = api.call("ListSecrets", &json!({"MaxResults": 500}));
    assert_error(
        &r,
        400,
        "ValidationException",
        Some("Member must have value less than or equal to 100"),
    );

    for r in [
        api.call("CreateSecret", &json!({"Name": "", "SecretString": "v"})),
        api.call("GetRandomPassword", &json!({"PasswordLength": 0})),
    ] {
        assert_error(
            &r,
            400,
            "ValidationException",
            Some("1 validation error detected"),
        );
    }
    assert!(
        api.secret_names().is_empty(),
        "an invalid request created a secret"
    );
}

#[test]
fn oversize_bodies_are_413_and_the_server_keeps_serving() {
    let api = Api::start("raw-oversize");
    let big = format!(
        r#"{{"Name":"raw/big","SecretString":"{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    let target = Some("secretsmanager.CreateSecret");

    // 2 MiB, signed, with its Content-Length.
    let h = api.signed_headers(target, big.as_bytes(), &Signer::root());
    let r = api.send("POST", &h, big.as_bytes(), Framing::Length);
    assert_eq!(r.status, 413, "{r}");
    assert_client_error(&r);
    api.assert_alive();

    // The same body chunked: no Content-Length to refuse it by.
    let r = api.send("POST", &h, big.as_bytes(), Framing::Chunked);
    assert_eq!(r.status, 413, "{r}");
    assert_client_error(&r);
    api.assert_alive();

    // Only a huge Content-Length header, and a small body.
    let small = br#"{"Name":"raw/small","SecretString":"v"}"#;
    let h = api.signed_headers(target, small, &Signer::root());
    let r = api.send("POST", &h, small, Framing::DeclaredLength(1 << 40));
    assert_eq!(r.status, 413, "{r}");
    assert_client_error(&r);
    api.assert_alive();

    // Unsigned, too: the size is refused whoever asks.
    let h = api.base_headers(target);
    let r = api.send("POST", &h, b"", Framing::DeclaredLength(u64::MAX / 2));
    assert_client_error(&r);
    api.assert_alive();

    assert!(
        api.secret_names().is_empty(),
        "an oversize request created a secret"
    );
}

#[test]
fn unknown_or_missing_target_is_an_unknown_operation() {
    let api = Api::start("raw-target");
    for target in [
        "secretsmanager.NoSuchOperation",
        "DynamoDB_20120810.ListTables",
        "secretsmanager.",
    ] {
        let h = api.signed_headers(Some(target), b"{}", &Signer::root());
        let r = api.send("POST", &h, b"{}", Framing::Length);
        assert_error(&r, 400, "UnknownOperationException", None);
    }
    let h = api.signed_headers(None, b"{}", &Signer::root());
    let r = api.send("POST", &h, b"{}", Framing::Length);
    assert_error(&r, 400, "UnknownOperationException", None);
}

#[test]
fn get_is_a_client_error() {
    let api = Api::start("raw-get");
    // Unsigned.
    let h = vec![("Host".to_owned(), api.srv.addr.clone())];
    let r = api.send("GET", &h, b"", Framing::Length);
    assert_client_error(&r);
    // Signed.
    let mut h = vec![("Host".to_owned(), api.srv.addr.clone())];
    let sig = Signer::root().sign("GET", &h, b"");
    h.extend(sig);
    let r = api.send("GET", &h, b"", Framing::Length);
    assert_client_error(&r);
    // Signed, with a real operation's target.
    let mut h = api.base_headers(Some("secretsmanager.ListSecrets"));
    let sig = Signer::root().sign("GET", &h, b"");
    h.extend(sig);
    let r = api.send("GET", &h, b"", Framing::Length);
    assert_client_error(&r);
    api.assert_alive();
}

#[test]
fn secret_string_limit_is_65536_characters() {
    let api = Api::start("raw-limit");
    let marker = "LIMIT-MARKER-7f3a9c";
    let mut value = marker.repeat(65536 / marker.len() + 1);
    value.truncate(65536);
    assert_eq!(value.len(), 65536);
    let r = api.call(
        "CreateSecret",
        &json!({"Name": "raw/max", "SecretString": value}),
    );
    assert_eq!(
        r.status, 200,
        "a 65536-character SecretString was refused: {}",
        r.status
    );
    let g = api.ok("GetSecretValue", &json!({"SecretId": "raw/max"}));
    assert_eq!(g["SecretString"].as_str().map(str::len), Some(65536));

    let over = format!("{value}x");
    let r = api.call(
        "CreateSecret",
        &json!({"Name": "raw/over", "SecretString": over}),
    );
    assert_error(&r, 400, "ValidationException", Some("65536"));
    assert_not_echoed(&r, marker);
    let r = api.call(
        "PutSecretValue",
        &json!({"SecretId": "raw/max", "SecretString": over}),
    );
    assert_error(&r, 400, "ValidationException", Some("65536"));
    assert_not_echoed(&r, marker);
    let mut names = api.secret_names();
    names.sort();
    assert_eq!(names, vec!["raw/max".to_owned()]);
}

#[test]
fn error_responses_never_echo_secret_values() {
    let api = Api::start("raw-echo");
    let secret = "S3CR3T-VALUE-e1b0c442";
    api.ok(
        "CreateSecret",
        &json!({"Name": "raw/exists", "SecretString": "original"}),
    );

    let bodies: Vec<(&str, String)> = vec![
        // Invalid name characters.
        (
            "CreateSecret",
            json!({"Name": "bad name!", "SecretString": secret}).to_string(),
        ),
        // Wrong type elsewhere in the request.
        (
            "CreateSecret",
            json!({"Name": "raw/x", "SecretString": secret, "Tags": "notalist"}).to_string(),
        ),
        // The value itself of the wrong type.
        (
            "CreateSecret",
            json!({"Name": "raw/x", "SecretString": [secret]}).to_string(),
        ),
        // Truncated JSON right after the value.
        (
            "CreateSecret",
            format!(r#"{{"Name":"raw/x","SecretString":"{secret}"#),
        ),
        (
            "CreateSecret",
            format!(r#"{{"Name":"raw/x","SecretString":"{secret}", "#),
        ),
        // Another member fails its constraints.
        (
            "CreateSecret",
            json!({"Name": "raw/x", "SecretString": secret, "ClientRequestToken": "short"})
                .to_string(),
        ),
        (
            "CreateSecret",
            json!({"Name": "n".repeat(600), "SecretString": secret}).to_string(),
        ),
        // Both kinds of value.
        (
            "CreateSecret",
            json!({"Name": "raw/x", "SecretString": secret, "SecretBinary": "AAEC"}).to_string(),
        ),
        // The name is taken.
        (
            "CreateSecret",
            json!({"Name": "raw/exists", "SecretString": secret}).to_string(),
        ),
        // No such secret.
        (
            "PutSecretValue",
            json!({"SecretId": "raw/missing", "SecretString": secret}).to_string(),
        ),
        (
            "UpdateSecret",
            json!({"SecretId": "raw/missing", "SecretString": secret}).to_string(),
        ),
        // An existing version's token with another value.
        (
            "PutSecretValue",
            json!({"SecretId": "raw/exists", "SecretString": "first-value",
            "ClientRequestToken": "11111111-1111-4111-8111-111111111111"})
            .to_string(),
        ),
        (
            "PutSecretValue",
            json!({"SecretId": "raw/exists", "SecretString": secret,
            "ClientRequestToken": "11111111-1111-4111-8111-111111111111"})
            .to_string(),
        ),
        // Unsupported parameters alongside a value.
        (
            "PutSecretValue",
            json!({"SecretId": "raw/exists", "SecretString": secret,
            "VersionStages": []})
            .to_string(),
        ),
    ];
    for (op, body) in &bodies {
        let r = api.call_raw(op, body.as_bytes());
        if r.status == 200 {
            // Only the first use of the token may succeed.
            assert!(
                !body.contains(secret),
                "{op} {body} unexpectedly succeeded: {r}"
            );
            continue;
        }
        assert!((400..500).contains(&r.status), "{op} {body}: {r}");
        assert_not_echoed(&r, secret);
    }

    // A signature mismatch over a body holding a secret.
    let signed = json!({"Name": "raw/sig", "SecretString": "other"}).to_string();
    let sent = json!({"Name": "raw/sig", "SecretString": secret}).to_string();
    let h = api.signed_headers(
        Some("secretsmanager.CreateSecret"),
        signed.as_bytes(),
        &Signer::root(),
    );
    let r = api.send("POST", &h, sent.as_bytes(), Framing::Length);
    assert_error(&r, 400, "InvalidSignatureException", None);
    assert_not_echoed(&r, secret);

    let names = api.secret_names();
    assert_eq!(
        names,
        vec!["raw/exists".to_owned()],
        "a failed request created a secret"
    );
}

#[test]
fn unimplemented_operations_answer_invalid_request() {
    let api = Api::start("raw-unimplemented");
    api.ok(
        "CreateSecret",
        &json!({"Name": "raw/u", "SecretString": "v"}),
    );
    let cases = [
        (
            "RemoveRegionsFromReplication",
            json!({"SecretId": "raw/u", "RemoveReplicaRegions": ["eu-west-1"]}),
        ),
        (
            "ReplicateSecretToRegions",
            json!({"SecretId": "raw/u", "AddReplicaRegions": [{"Region": "eu-west-1"}]}),
        ),
    ];
    for (op, body) in cases {
        let r = api.call(op, &body);
        assert_error(&r, 400, "InvalidRequestException", Some("does not support"));
    }
}
