//! Known-answer tests: AWS's SigV4 test suite (vectors under `tests/vectors/`,
//! see its README) and the worked IAM example from AWS's documentation.
//!
//! For each vector the signed request is fed to `prepare`, and the canonical
//! request, string to sign and signature must be AWS's, byte for byte.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cofre_sigv4::{prepare, RequestParts, SigV4Error};

const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// 2015-08-30T12:36:00Z, the suite's signing time.
fn suite_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_440_938_160)
}

/// A request parsed from a vector's `header-signed-request.txt`.
struct Request {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Request {
    /// Parses the suite's HTTP/1.1 text. Lines starting with whitespace continue
    /// the previous header (obsolete folding), keeping the line break, as in
    /// `get-header-value-multiline`.
    fn parse(text: &str) -> Self {
        let (head, body) = text
            .split_once("\n\n")
            .unwrap_or((text.trim_end_matches('\n'), ""));
        let mut lines = head.lines();
        let request_line = lines.next().expect("request line");
        let (method, target) = request_line.split_once(' ').expect("method and target");
        let target = target.strip_suffix(" HTTP/1.1").unwrap_or(target);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut headers: Vec<(String, Vec<u8>)> = Vec::new();
        for line in lines {
            if line.starts_with([' ', '\t']) {
                let last = headers.last_mut().expect("continuation follows a header");
                last.1.push(b'\n');
                last.1.extend_from_slice(line.as_bytes());
            } else {
                let (name, value) = line.split_once(':').expect("header line");
                headers.push((name.to_owned(), value.as_bytes().to_vec()));
            }
        }
        Self {
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    fn with_parts<T>(&self, f: impl FnOnce(&RequestParts<'_>) -> T) -> T {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        f(&RequestParts {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &headers,
            body: &self.body,
        })
    }
}

/// One vector's files.
struct Vector {
    signed_request: &'static str,
    canonical_request: &'static str,
    string_to_sign: &'static str,
    signature: Option<&'static str>,
    service: &'static str,
    now: SystemTime,
}

fn run(vector: &Vector) {
    let request = Request::parse(vector.signed_request);
    let prepared = request
        .with_parts(|parts| prepare(parts, vector.service, vector.now))
        .unwrap_or_else(|e| panic!("prepare failed: {e}"));
    assert_eq!(
        String::from_utf8_lossy(prepared.canonical_request()),
        vector.canonical_request.trim_end_matches('\n'),
        "canonical request"
    );
    assert_eq!(
        prepared.string_to_sign(),
        vector.string_to_sign.trim_end_matches('\n'),
        "string to sign"
    );
    if let Some(signature) = vector.signature {
        assert_eq!(
            hex::encode(&prepared.auth.signature),
            signature.trim(),
            "signature"
        );
    }
    prepared.verify(SECRET).expect("AWS's signature verifies");
    assert!(matches!(
        prepared.verify(b"not the secret"),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));
}

macro_rules! vector {
    ($test:ident, $dir:literal) => {
        vector!(
            $test,
            $dir,
            "service",
            suite_time(),
            Some(include_str!(concat!(
                "vectors/",
                $dir,
                "/header-signature.txt"
            )))
        );
    };
    ($test:ident, $dir:literal, $service:expr, $now:expr, $signature:expr) => {
        #[test]
        fn $test() {
            run(&Vector {
                signed_request: include_str!(concat!(
                    "vectors/",
                    $dir,
                    "/header-signed-request.txt"
                )),
                canonical_request: include_str!(concat!(
                    "vectors/",
                    $dir,
                    "/header-canonical-request.txt"
                )),
                string_to_sign: include_str!(concat!(
                    "vectors/",
                    $dir,
                    "/header-string-to-sign.txt"
                )),
                signature: $signature,
                service: $service,
                now: $now,
            });
        }
    };
}

vector!(get_header_key_duplicate, "get-header-key-duplicate");
vector!(get_header_value_multiline, "get-header-value-multiline");
vector!(get_header_value_order, "get-header-value-order");
vector!(get_header_value_trim, "get-header-value-trim");
vector!(get_relative, "get-relative-normalized");
vector!(get_relative_relative, "get-relative-relative-normalized");
vector!(get_slash_dot_slash, "get-slash-dot-slash-normalized");
vector!(get_slash, "get-slash-normalized");
vector!(
    get_slash_pointless_dot,
    "get-slash-pointless-dot-normalized"
);
vector!(get_slashes, "get-slashes-normalized");
vector!(get_space, "get-space-normalized");
vector!(get_unreserved, "get-unreserved");
vector!(get_utf8, "get-utf8");
vector!(get_vanilla, "get-vanilla");
vector!(get_vanilla_empty_query_key, "get-vanilla-empty-query-key");
vector!(get_vanilla_query, "get-vanilla-query");
vector!(
    get_vanilla_query_order_encoded,
    "get-vanilla-query-order-encoded"
);
vector!(
    get_vanilla_query_order_key_case,
    "get-vanilla-query-order-key-case"
);
vector!(get_vanilla_query_unreserved, "get-vanilla-query-unreserved");
vector!(get_vanilla_utf8_query, "get-vanilla-utf8-query");
vector!(
    get_vanilla_with_session_token,
    "get-vanilla-with-session-token"
);
vector!(post_header_key_case, "post-header-key-case");
vector!(post_header_key_sort, "post-header-key-sort");
vector!(post_header_value_case, "post-header-value-case");
vector!(post_sts_header_after, "post-sts-header-after");
vector!(post_sts_header_before, "post-sts-header-before");
vector!(post_vanilla, "post-vanilla");
vector!(
    post_vanilla_empty_query_value,
    "post-vanilla-empty-query-value"
);
vector!(post_vanilla_query, "post-vanilla-query");
vector!(post_x_www_form_urlencoded, "post-x-www-form-urlencoded");
vector!(
    post_x_www_form_urlencoded_parameters,
    "post-x-www-form-urlencoded-parameters"
);
// A Lambda request whose path is already percent-encoded on the wire: the
// canonical URI encodes it again (`%3A` → `%253A`). Signed 2021-05-11T15:40:45Z.
vector!(
    double_url_encode,
    "double-url-encode",
    "lambda",
    UNIX_EPOCH + Duration::from_secs(1_620_747_645),
    None
);

#[test]
fn session_token_is_exposed_whether_signed_or_not() {
    for text in [
        include_str!("vectors/post-sts-header-before/header-signed-request.txt"),
        include_str!("vectors/post-sts-header-after/header-signed-request.txt"),
    ] {
        let prepared = Request::parse(text)
            .with_parts(|parts| prepare(parts, "service", suite_time()))
            .expect("prepares");
        assert!(prepared
            .session_token()
            .is_some_and(|t| t.starts_with("AQoDYXdzEPT//////////wEXAMPLE")));
    }
}

/// AWS's worked example of a signed IAM request ("Signature Version 4 signing
/// process", AWS General Reference):
/// `GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08`.
#[test]
fn iam_list_users_documentation_example() {
    let headers: [(&str, &[u8]); 4] = [
        ("Host", b"iam.amazonaws.com"),
        (
            "Content-Type",
            b"application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("X-Amz-Date", b"20150830T123600Z"),
        (
            "Authorization",
            b"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, \
              SignedHeaders=content-type;host;x-amz-date, \
              Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
        ),
    ];
    let req = RequestParts {
        method: "GET",
        path: "/",
        query: "Action=ListUsers&Version=2010-05-08",
        headers: &headers,
        body: b"",
    };
    let prepared = prepare(&req, "iam", suite_time()).expect("prepares");
    assert_eq!(
        String::from_utf8_lossy(prepared.canonical_request()),
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n\
         content-type:application/x-www-form-urlencoded; charset=utf-8\n\
         host:iam.amazonaws.com\n\
         x-amz-date:20150830T123600Z\n\n\
         content-type;host;x-amz-date\n\
         e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        prepared.string_to_sign(),
        "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n\
         f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    assert_eq!(prepared.access_key_id(), "AKIDEXAMPLE");
    assert_eq!(prepared.region(), "us-east-1");
    assert_eq!(prepared.service(), "iam");
    assert_eq!(prepared.amz_date(), "20150830T123600Z");
    assert_eq!(prepared.request_time(), suite_time());
    prepared
        .verify(SECRET)
        .expect("AWS's documented signature verifies");
}
