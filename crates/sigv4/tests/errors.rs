//! Every error the verifier can give, with AWS's exact type, message and status,
//! and a sign-then-verify round trip with a small signer written independently
//! of the crate (straight from AWS's description of the algorithm).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cofre_sigv4::{prepare, prepare_with, Expectations, Prepared, RequestParts, SigV4Error};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

const AKID: &str = "AKIDEXAMPLE";
const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SERVICE: &str = "secretsmanager";

/// 2015-08-30T12:36:00Z.
const T0: u64 = 1_440_938_160;

fn at(seconds_after_t0: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0.saturating_add_signed(seconds_after_t0))
}

// ---------------------------------------------------------------------------
// A test-only signer, independent of the crate's canonicalization: it handles
// only what these tests send (path `/`, no query, lowercase header names).

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Signs a `POST /` with the given lowercase headers (all of them signed) and
/// returns the `Authorization` value.
fn sign(
    headers: &[(&str, &str)],
    body: &[u8],
    amz_date: &str,
    region: &str,
    secret: &[u8],
) -> String {
    let mut sorted: Vec<_> = headers.to_vec();
    sorted.sort();
    let signed: Vec<&str> = sorted.iter().map(|(n, _)| *n).collect();
    let signed = signed.join(";");
    let mut canonical = String::from("POST\n/\n\n");
    for (name, value) in &sorted {
        canonical.push_str(&format!("{name}:{}\n", value.trim()));
    }
    canonical.push_str(&format!(
        "\n{signed}\n{}",
        hex::encode(Sha256::digest(body))
    ));
    let day = &amz_date[..8];
    let scope = format!("{day}/{region}/{SERVICE}/aws4_request");
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
        hex::encode(Sha256::digest(canonical.as_bytes()))
    );
    let k_date = hmac(&[b"AWS4", secret].concat(), day.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, SERVICE.as_bytes());
    let k_signing = hmac(&k_service, b"aws4_request");
    let signature = hex::encode(hmac(&k_signing, string_to_sign.as_bytes()));
    format!(
        "AWS4-HMAC-SHA256 Credential={AKID}/{scope}, SignedHeaders={signed}, Signature={signature}"
    )
}

/// A Secrets Manager request as the AWS SDK for Rust sends it.
struct Fixture {
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

const BODY: &[u8] = br#"{"SecretId":"prod/db/password","VersionStage":"AWSCURRENT"}"#;

impl Fixture {
    fn signed() -> Self {
        Self::signed_with(&[], "us-east-1")
    }

    fn signed_with(extra: &[(&str, &str)], region: &str) -> Self {
        let mut headers = vec![
            ("host", "secretsmanager.us-east-1.amazonaws.com"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
            ("x-amz-date", "20150830T123600Z"),
        ];
        headers.extend_from_slice(extra);
        let authorization = sign(&headers, BODY, "20150830T123600Z", region, SECRET);
        let mut all: Vec<(String, Vec<u8>)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect();
        all.push(("Authorization".into(), authorization.into_bytes()));
        // Unsigned headers a real client adds.
        all.push(("User-Agent".into(), b"aws-sdk-rust/1.0".to_vec()));
        all.push(("Content-Length".into(), BODY.len().to_string().into_bytes()));
        Self {
            headers: all,
            body: BODY.to_vec(),
        }
    }

    /// Replaces (or, with `None`, removes) a header, matched case-insensitively.
    fn set(mut self, name: &str, value: Option<&str>) -> Self {
        self.headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        if let Some(value) = value {
            self.headers
                .push((name.to_owned(), value.as_bytes().to_vec()));
        }
        self
    }

    fn authorization(&self) -> String {
        let (_, value) = self
            .headers
            .iter()
            .find(|(n, _)| n == "Authorization")
            .expect("signed");
        String::from_utf8(value.clone()).expect("ascii")
    }

    fn prepare_at(&self, now: SystemTime) -> Result<Prepared, SigV4Error> {
        self.prepare_full("/", "", now, &Expectations::new(SERVICE))
    }

    fn prepare(&self) -> Result<Prepared, SigV4Error> {
        self.prepare_at(at(0))
    }

    fn prepare_full(
        &self,
        path: &str,
        query: &str,
        now: SystemTime,
        expect: &Expectations<'_>,
    ) -> Result<Prepared, SigV4Error> {
        let headers: Vec<(&str, &[u8])> = self
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let req = RequestParts {
            method: "POST",
            path,
            query,
            headers: &headers,
            body: &self.body,
        };
        prepare_with(&req, expect, now)
    }

    fn verify(&self) -> Result<(), SigV4Error> {
        self.prepare()?.verify(SECRET)
    }
}

/// Asserts an error's AWS type, exact message and status.
fn assert_aws(err: &SigV4Error, code: &str, message: &str) {
    assert_eq!(err.code(), code, "code of {err:?}");
    assert_eq!(err.message(), message, "message of {err:?}");
    assert_eq!(err.status(), 400, "status of {err:?}");
}

// ---------------------------------------------------------------------------
// Round trip.

#[test]
fn signed_request_verifies() {
    let fixture = Fixture::signed();
    let prepared = fixture.prepare().expect("prepares");
    assert_eq!(prepared.access_key_id(), AKID);
    assert_eq!(prepared.region(), "us-east-1");
    assert_eq!(prepared.session_token(), None);
    prepared.verify(SECRET).expect("verifies");
}

#[test]
fn flipping_any_body_byte_fails() {
    let fixture = Fixture::signed();
    for i in 0..fixture.body.len() {
        let mut tampered = Fixture {
            headers: fixture.headers.clone(),
            body: fixture.body.clone(),
        };
        tampered.body[i] ^= 0x01;
        assert!(
            matches!(tampered.verify(), Err(SigV4Error::SignatureDoesNotMatch(_))),
            "body byte {i} flipped still verified"
        );
    }
    let mut longer = Fixture {
        headers: fixture.headers.clone(),
        body: fixture.body.clone(),
    };
    longer.body.push(b' ');
    assert!(longer.verify().is_err(), "appended byte still verified");
}

#[test]
fn flipping_any_signed_header_byte_fails() {
    let fixture = Fixture::signed();
    for name in ["host", "content-type", "x-amz-target", "x-amz-date"] {
        let index = fixture
            .headers
            .iter()
            .position(|(n, _)| n == name)
            .expect("present");
        for i in 0..fixture.headers[index].1.len() {
            let mut tampered = Fixture {
                headers: fixture.headers.clone(),
                body: fixture.body.clone(),
            };
            tampered.headers[index].1[i] ^= 0x01;
            // A flipped date may fail earlier (format, skew, scope); any failure will do.
            assert!(
                tampered.verify().is_err(),
                "{name} byte {i} flipped still verified"
            );
        }
    }
}

#[test]
fn unsigned_headers_may_change() {
    let fixture = Fixture::signed()
        .set("User-Agent", Some("something else"))
        .set("X-Forwarded-For", Some("1"));
    fixture.verify().expect("unsigned headers are not covered");
}

#[test]
fn repeating_a_signed_header_fails() {
    let mut fixture = Fixture::signed();
    fixture.headers.push((
        "X-Amz-Target".into(),
        b"secretsmanager.DeleteSecret".to_vec(),
    ));
    assert!(matches!(
        fixture.verify(),
        Err(SigV4Error::SignatureDoesNotMatch(_))
    ));
}

#[test]
fn method_path_and_query_are_covered() {
    let fixture = Fixture::signed();
    let expect = Expectations::new(SERVICE);
    for (path, query) in [("/x", ""), ("/", "a=b"), ("//", "x")] {
        let prepared = fixture
            .prepare_full(path, query, at(0), &expect)
            .expect("prepares");
        assert!(
            prepared.verify(SECRET).is_err(),
            "{path}?{query} still verified"
        );
    }
    // `//` normalizes to `/`, so it verifies (as on AWS).
    fixture
        .prepare_full("//", "", at(0), &expect)
        .expect("prepares")
        .verify(SECRET)
        .expect("normalized path");
    let headers: Vec<(&str, &[u8])> = fixture
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let get = RequestParts {
        method: "GET",
        path: "/",
        query: "",
        headers: &headers,
        body: &fixture.body,
    };
    assert!(prepare(&get, SERVICE, at(0))
        .expect("prepares")
        .verify(SECRET)
        .is_err());
}

#[test]
fn wrong_secret_fails_without_revealing_the_expected_signature() {
    let fixture = Fixture::signed();
    let prepared = fixture.prepare().expect("prepares");
    let err = prepared
        .verify(b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ")
        .expect_err("wrong secret");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    );
    // The signature computed under the wrong key must appear nowhere.
    let wrong = sign(
        &[
            ("host", "secretsmanager.us-east-1.amazonaws.com"),
            ("content-type", "application/x-amz-json-1.1"),
            ("x-amz-target", "secretsmanager.GetSecretValue"),
            ("x-amz-date", "20150830T123600Z"),
        ],
        BODY,
        "20150830T123600Z",
        "us-east-1",
        b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ",
    );
    let wrong_signature = wrong.rsplit('=').next().expect("signature");
    for text in [
        err.message(),
        err.message_with_details(),
        format!("{err:?}"),
        format!("{prepared:?}"),
    ] {
        assert!(
            !text.contains(wrong_signature),
            "computed signature leaked: {text}"
        );
        assert!(!text.contains("wJalrXUtnFEMI"), "secret leaked: {text}");
    }
}

#[test]
fn mismatch_details_follow_aws_format() {
    let fixture = Fixture::signed();
    let prepared = fixture.prepare().expect("prepares");
    let err = prepared.verify(b"other").expect_err("wrong secret");
    let canonical = String::from_utf8(prepared.canonical_request().to_vec()).expect("ascii");
    assert_eq!(
        err.message_with_details(),
        format!(
            "{}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n\
             The String-to-Sign should have been\n'{}'\n",
            err.message(),
            prepared.string_to_sign()
        )
    );
    let debug = format!("{err:?}");
    assert!(
        !debug.contains("x-amz-target"),
        "Debug shows the canonical request: {debug}"
    );
    // Every other error has no appendix.
    assert_eq!(
        SigV4Error::HostNotSigned.message_with_details(),
        SigV4Error::HostNotSigned.message()
    );
}

#[test]
fn session_token_is_returned_and_redacted_in_debug() {
    let fixture = Fixture::signed_with(
        &[("x-amz-security-token", "FwoGZXIvYXdzEXAMPLETOKEN")],
        "us-east-1",
    );
    let prepared = fixture.prepare().expect("prepares");
    assert_eq!(prepared.session_token(), Some("FwoGZXIvYXdzEXAMPLETOKEN"));
    prepared.verify(SECRET).expect("verifies");
    assert!(!format!("{prepared:?}").contains("FwoGZXIvYXdz"));
}

#[test]
fn date_header_may_replace_x_amz_date() {
    let headers = [
        ("host", "secretsmanager.us-east-1.amazonaws.com"),
        ("date", "20150830T123600Z"),
    ];
    let authorization = sign(&headers, BODY, "20150830T123600Z", "us-east-1", SECRET);
    let fixture = Fixture {
        headers: vec![
            ("Host".into(), headers[0].1.as_bytes().to_vec()),
            ("Date".into(), headers[1].1.as_bytes().to_vec()),
            ("Authorization".into(), authorization.into_bytes()),
        ],
        body: BODY.to_vec(),
    };
    fixture.verify().expect("Date header accepted");
}

// ---------------------------------------------------------------------------
// Every error, in prepare's order.

#[test]
fn missing_authorization() {
    let fixture = Fixture::signed().set("Authorization", None);
    let err = fixture.prepare().expect_err("no credentials");
    assert_aws(
        &err,
        "MissingAuthenticationTokenException",
        "Missing Authentication Token",
    );
    let err = Fixture::signed()
        .set("Authorization", Some(""))
        .prepare()
        .expect_err("empty");
    assert_eq!(err, SigV4Error::MissingAuthenticationToken);
    // Anything else is an attempt at a signature, answered as incomplete (as live Kinesis,
    // an awsJson1.1 service, does for `Authorization: X`).
    for value in [
        "Bearer eyJhbGciOi",
        "AWS4",
        "AWS AKIDEXAMPLE:c2lnbmF0dXJl",
        "garbage",
    ] {
        let err = Fixture::signed()
            .set("Authorization", Some(value))
            .prepare()
            .expect_err("not SigV4");
        assert_eq!(err.code(), "IncompleteSignatureException", "{value:?}");
    }
}

#[test]
fn presigned_query_authentication_is_refused() {
    let fixture = Fixture::signed().set("Authorization", None);
    let err = fixture
        .prepare_full(
            "/",
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=x",
            at(0),
            &Expectations::new(SERVICE),
        )
        .expect_err("query auth");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        "Query-string authentication (X-Amz-Algorithm) is not supported; \
         sign the request with the Authorization header.",
    );
}

#[test]
fn token_without_equal_sign() {
    let value =
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE /20150830/us-east-1/secretsmanager/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=00";
    let err = Fixture::signed()
        .set("Authorization", Some(value))
        .prepare()
        .expect_err("malformed");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        &format!(
            "'/20150830/us-east-1/secretsmanager/aws4_request' not a valid key=value pair (missing equal-sign) \
             in Authorization header: '{value}'."
        ),
    );
}

#[test]
fn bare_aws4_dash_without_date_lists_everything() {
    // DynamoDB's live answer to `Authorization: AWS4-` (dynalite's test suite).
    let err = Fixture::signed()
        .set("Authorization", Some("AWS4-"))
        .set("X-Amz-Date", None)
        .prepare()
        .expect_err("incomplete");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        "Authorization header requires 'Credential' parameter. \
         Authorization header requires 'Signature' parameter. \
         Authorization header requires 'SignedHeaders' parameter. \
         Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization=AWS4-",
    );
}

#[test]
fn missing_signed_headers_only() {
    let value = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request, Signature=00";
    let err = Fixture::signed()
        .set("Authorization", Some(value))
        .prepare()
        .expect_err("incomplete");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        &format!("Authorization header requires 'SignedHeaders' parameter. Authorization={value}"),
    );
}

#[test]
fn missing_date() {
    let fixture = Fixture::signed().set("X-Amz-Date", None);
    let err = fixture.prepare().expect_err("no date");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        &format!(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={}",
            fixture.authorization()
        ),
    );
}

#[test]
fn malformed_date() {
    let err = Fixture::signed()
        .set("X-Amz-Date", Some("201"))
        .prepare()
        .expect_err("bad date");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        "Date must be in ISO-8601 'basic format'. Got '201'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
    // X-Amz-Date must be the basic format even though Date may be an HTTP date.
    let err = Fixture::signed()
        .set("X-Amz-Date", Some("Sun, 30 Aug 2015 12:36:00 GMT"))
        .prepare();
    assert!(matches!(err, Err(SigV4Error::InvalidDateFormat { .. })));
}

#[test]
fn signature_expired() {
    let fixture = Fixture::signed();
    let err = fixture.prepare_at(at(20 * 60)).expect_err("stale");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Signature expired: 20150830T123600Z is now earlier than 20150830T124100Z (20150830T125600Z - 15 min.)",
    );
    // Exactly 15 minutes is still accepted; a second more is not, even with a
    // fraction of a second on the server clock.
    fixture.prepare_at(at(15 * 60)).expect("at the edge");
    fixture
        .prepare_at(at(15 * 60) + Duration::from_millis(999))
        .expect("sub-second past the edge");
    assert!(fixture.prepare_at(at(15 * 60 + 1)).is_err());
}

#[test]
fn signature_not_yet_current() {
    let fixture = Fixture::signed();
    let err = fixture
        .prepare_at(at(-20 * 60) + Duration::from_millis(500))
        .expect_err("future");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Signature not yet current: 20150830T123600Z is still later than 20150830T123100Z (20150830T121600Z + 15 min.)",
    );
    fixture.prepare_at(at(-15 * 60)).expect("at the edge");
    assert!(fixture.prepare_at(at(-15 * 60 - 1)).is_err());
}

#[test]
fn skew_window_is_configurable() {
    let fixture = Fixture::signed();
    let expect = Expectations {
        max_skew_minutes: 5,
        ..Expectations::new(SERVICE)
    };
    let err = fixture
        .prepare_full("/", "", at(6 * 60), &expect)
        .expect_err("stale for 5 minutes");
    assert_eq!(
        err.message(),
        "Signature expired: 20150830T123600Z is now earlier than 20150830T123700Z (20150830T124200Z - 5 min.)"
    );
}

#[test]
fn host_must_be_signed() {
    let headers = [
        ("x-amz-date", "20150830T123600Z"),
        ("x-amz-target", "secretsmanager.GetSecretValue"),
    ];
    let authorization = sign(&headers, BODY, "20150830T123600Z", "us-east-1", SECRET);
    let err = Fixture::signed()
        .set("Authorization", Some(&authorization))
        .prepare()
        .expect_err("host unsigned");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn x_amz_date_must_be_signed_when_sent() {
    let headers = [("host", "secretsmanager.us-east-1.amazonaws.com")];
    let authorization = sign(&headers, BODY, "20150830T123600Z", "us-east-1", SECRET);
    let err = Fixture::signed()
        .set("Authorization", Some(&authorization))
        .prepare()
        .expect_err("date unsigned");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    );
}

#[test]
fn unsupported_algorithm() {
    let value =
        Fixture::signed()
            .authorization()
            .replacen("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256", 1);
    let err = Fixture::signed()
        .set("Authorization", Some(&value))
        .prepare()
        .expect_err("sigv4a");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256' (only AWS4-HMAC-SHA256 for now). ",
    );
}

#[test]
fn malformed_credential() {
    let value = Fixture::signed()
        .authorization()
        .replacen("/us-east-1/", "/", 1);
    let err = Fixture::signed()
        .set("Authorization", Some(&value))
        .prepare()
        .expect_err("four elements");
    assert_aws(
        &err,
        "IncompleteSignatureException",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, \
         got 'AKIDEXAMPLE/20150830/secretsmanager/aws4_request'",
    );
}

/// Re-signs the fixture with a different credential scope.
fn with_scope(day: &str, region: &str, service: &str, terminator: &str) -> Fixture {
    let fixture = Fixture::signed();
    let value = fixture.authorization().replacen(
        "AKIDEXAMPLE/20150830/us-east-1/secretsmanager/aws4_request",
        &format!("AKIDEXAMPLE/{day}/{region}/{service}/{terminator}"),
        1,
    );
    fixture.set("Authorization", Some(&value))
}

#[test]
fn scope_with_wrong_service() {
    let err = with_scope("20150830", "us-east-1", "kms", "aws4_request")
        .prepare()
        .expect_err("service");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Credential should be scoped to correct service: 'secretsmanager'. ",
    );
}

#[test]
fn scope_with_invalid_region() {
    let err = with_scope("20150830", "US_EAST", "secretsmanager", "aws4_request")
        .prepare()
        .expect_err("region");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'US_EAST'. ",
    );
    // With an expected region, any other region is refused.
    let expect = Expectations {
        region: Some("eu-west-1"),
        ..Expectations::new(SERVICE)
    };
    let err = Fixture::signed()
        .prepare_full("/", "", at(0), &expect)
        .expect_err("other region");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-east-1'. ",
    );
    let fixture = Fixture::signed_with(&[], "eu-west-1");
    fixture
        .prepare_full("/", "", at(0), &expect)
        .expect("right region")
        .verify(SECRET)
        .expect("verifies");
}

#[test]
fn scope_with_wrong_terminator() {
    let err = with_scope("20150830", "us-east-1", "secretsmanager", "aws5_request")
        .prepare()
        .expect_err("terminator");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
    );
}

#[test]
fn scope_with_wrong_date() {
    let err = with_scope("20150831", "us-east-1", "secretsmanager", "aws4_request")
        .prepare()
        .expect_err("date");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         '20150831' != '20150830', from '20150830T123600Z'.",
    );
}

#[test]
fn scope_errors_are_reported_together() {
    let err = with_scope("b", "C", "d", "e")
        .prepare()
        .expect_err("everything wrong");
    assert_aws(
        &err,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'C'. \
         Credential should be scoped to correct service: 'secretsmanager'. \
         Credential should be scoped with a valid terminator: 'aws4_request', not 'e'. \
         Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
         'b' != '20150830', from '20150830T123600Z'.",
    );
}

#[test]
fn unknown_access_key() {
    assert_aws(
        &SigV4Error::unknown_access_key(),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
}

#[test]
fn invalid_session_token() {
    assert_aws(
        &SigV4Error::invalid_session_token(),
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    let mut fixture = Fixture::signed();
    fixture
        .headers
        .push(("X-Amz-Security-Token".into(), vec![0xff, 0xfe]));
    assert_eq!(
        fixture.prepare().expect_err("not UTF-8"),
        SigV4Error::InvalidSessionToken
    );
}

#[test]
fn expired_session_token() {
    assert_aws(
        &SigV4Error::ExpiredSessionToken,
        "ExpiredTokenException",
        "The security token included in the request is expired",
    );
}

#[test]
fn checks_run_in_aws_order() {
    // Missing parameters are reported before a bad date, a bad date before the
    // skew, the skew before the host check, the host check before the algorithm,
    // the algorithm before the credential's form.
    let fixture = Fixture::signed().set("X-Amz-Date", Some("nonsense"));
    let value = "AWS4-HMAC-SHA1 Credential=a/b, Signature=00";
    let err = fixture
        .set("Authorization", Some(value))
        .prepare()
        .expect_err("many faults");
    assert!(
        matches!(err, SigV4Error::MissingAuthorizationParameters(_)),
        "{err:?}"
    );

    let value = "AWS4-HMAC-SHA1 Credential=a/b, SignedHeaders=x-amz-date, Signature=00";
    let err = Fixture::signed()
        .set("X-Amz-Date", Some("nonsense"))
        .set("Authorization", Some(value))
        .prepare();
    assert!(
        matches!(err, Err(SigV4Error::InvalidDateFormat { .. })),
        "{err:?}"
    );
    let err = Fixture::signed()
        .set("Authorization", Some(value))
        .prepare_at(at(3600));
    assert!(
        matches!(err, Err(SigV4Error::SignatureExpired { .. })),
        "{err:?}"
    );
    let err = Fixture::signed()
        .set("Authorization", Some(value))
        .prepare();
    assert!(matches!(err, Err(SigV4Error::HostNotSigned)), "{err:?}");
    let value = "AWS4-HMAC-SHA1 Credential=a/b, SignedHeaders=host;x-amz-date, Signature=00";
    let err = Fixture::signed()
        .set("Authorization", Some(value))
        .prepare();
    assert!(
        matches!(err, Err(SigV4Error::UnsupportedAlgorithm { .. })),
        "{err:?}"
    );
}
