//! The two-step check: [`prepare`] (no secret needed) then [`Prepared::verify`].

use std::fmt;
use std::time::SystemTime;

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::authorization::{Authorization, RawAuthorization, ALGORITHM, TERMINATOR};
use crate::canonical::{self, CanonicalInput};
use crate::date;
use crate::error::{DateMismatch, MismatchDetail, ScopeErrors, SigV4Error};
use crate::key::{sha256_hex, SigningKey};

/// The clock skew AWS allows by default, in minutes, either way.
///
/// Most JSON services (DynamoDB, STS, ECR) allow 15 minutes; some, Secrets
/// Manager among them (boto/boto3#4716: "… (… - 5 min.)"), allow 5. Use
/// [`prepare_with`] to choose.
pub const DEFAULT_MAX_SKEW_MINUTES: u32 = 15;

/// An HTTP request as received, borrowed from the server's request type.
#[derive(Debug, Clone, Copy)]
pub struct RequestParts<'a> {
    /// The method, e.g. `POST`.
    pub method: &'a str,
    /// The path as on the wire, still percent-encoded, e.g. `/`.
    pub path: &'a str,
    /// The query string as on the wire, without `?`; empty when absent.
    pub query: &'a str,
    /// Every header, in the order received. Names may be in any case; a name
    /// may repeat (the values are then joined with `,`, in order). `host` must
    /// be here; over HTTP/2, pass the `:authority` as `host`.
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The whole request body.
    pub body: &'a [u8],
}

impl<'a> RequestParts<'a> {
    /// The values of one header, in order.
    fn header_values(&self, lowercase_name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.headers
            .iter()
            .filter(move |(name, _)| name.eq_ignore_ascii_case(lowercase_name))
            .map(|(_, value)| *value)
    }

    /// The first value of a header.
    fn first_header(&self, lowercase_name: &'a str) -> Option<&'a [u8]> {
        self.header_values(lowercase_name).next()
    }
}

/// What a request must be signed for.
#[derive(Debug, Clone, Copy)]
pub struct Expectations<'a> {
    /// The signing name the credential scope must carry, e.g. `secretsmanager`.
    pub service: &'a str,
    /// The region the scope must carry. `None` accepts any well-formed region
    /// (lowercase letters, digits and `-`), leaving the choice to the caller.
    pub region: Option<&'a str>,
    /// The allowed clock skew in minutes, either way.
    pub max_skew_minutes: u32,
}

impl<'a> Expectations<'a> {
    /// Expects `service`, any region, and the default skew of 15 minutes.
    #[must_use]
    pub fn new(service: &'a str) -> Self {
        Self {
            service,
            region: None,
            max_skew_minutes: DEFAULT_MAX_SKEW_MINUTES,
        }
    }
}

/// Checks everything about a request that needs no secret key, and computes
/// the string to sign. See [`prepare_with`]; this one accepts any region and
/// a skew of ±15 minutes.
///
/// # Errors
///
/// As [`prepare_with`].
pub fn prepare(
    req: &RequestParts<'_>,
    expected_service: &str,
    now: SystemTime,
) -> Result<Prepared, SigV4Error> {
    prepare_with(req, &Expectations::new(expected_service), now)
}

/// Checks everything about a request that needs no secret key, and computes
/// the string to sign.
///
/// The checks run in the order AWS's front end runs them, so a request with
/// several faults gets the error AWS would give:
///
/// 1. an `Authorization` header starting with `AWS4-` is present
///    ([`MissingAuthenticationToken`](SigV4Error::MissingAuthenticationToken);
///    presigned query auth gives
///    [`QueryAuthenticationUnsupported`](SigV4Error::QueryAuthenticationUnsupported));
/// 2. its parameters are `key=value` tokens
///    ([`MalformedAuthorizationPair`](SigV4Error::MalformedAuthorizationPair));
/// 3. `Credential`, `Signature`, `SignedHeaders` and a date header (`X-Amz-Date`,
///    else `Date`) are present
///    ([`MissingAuthorizationParameters`](SigV4Error::MissingAuthorizationParameters),
///    [`MissingDate`](SigV4Error::MissingDate));
/// 4. the date parses ([`InvalidDateFormat`](SigV4Error::InvalidDateFormat))
///    and is within the skew of `now`
///    ([`SignatureExpired`](SigV4Error::SignatureExpired),
///    [`SignatureNotYetCurrent`](SigV4Error::SignatureNotYetCurrent));
/// 5. `host`, and `x-amz-date` when sent, are signed
///    ([`HostNotSigned`](SigV4Error::HostNotSigned),
///    [`AmzDateNotSigned`](SigV4Error::AmzDateNotSigned));
/// 6. the algorithm is `AWS4-HMAC-SHA256`
///    ([`UnsupportedAlgorithm`](SigV4Error::UnsupportedAlgorithm));
/// 7. the credential has five elements
///    ([`MalformedCredential`](SigV4Error::MalformedCredential)) and its scope
///    has the expected region and service, `aws4_request`, and the request's
///    day ([`InvalidCredentialScope`](SigV4Error::InvalidCredentialScope));
/// 8. an `X-Amz-Security-Token` is UTF-8
///    ([`InvalidSessionToken`](SigV4Error::InvalidSessionToken)).
///
/// The caller then looks up the access key id (answering
/// [`SigV4Error::UnknownAccessKey`] when it is unknown) and calls
/// [`Prepared::verify`].
///
/// The payload hash is always computed from `body`. An `X-Amz-Content-Sha256`
/// header is not trusted in its place: a signed but false hash (or
/// `UNSIGNED-PAYLOAD`) would let a body be swapped under a valid signature. A
/// client that signs the true hash, as every SDK does, verifies.
///
/// # Errors
///
/// The [`SigV4Error`] of the first failed check.
pub fn prepare_with(
    req: &RequestParts<'_>,
    expect: &Expectations<'_>,
    now: SystemTime,
) -> Result<Prepared, SigV4Error> {
    // 1. Credentials present at all.
    let Some(auth_value) = req.first_header("authorization") else {
        if canonical::query_has_param(req.query, "X-Amz-Algorithm") {
            return Err(SigV4Error::QueryAuthenticationUnsupported);
        }
        return Err(SigV4Error::MissingAuthenticationToken);
    };
    let auth_value = String::from_utf8_lossy(auth_value);
    // 2. Tokens.
    let raw = RawAuthorization::parse(&auth_value)?;

    // 3. Parameters and the date header, reported together as AWS does.
    let amz_date_header = req.first_header("x-amz-date");
    let (date_value, is_amz_date) = match amz_date_header {
        Some(value) => (Some(value), true),
        None => (req.first_header("date"), false),
    };
    raw.require_parameters(date_value.is_some())?;
    let date_value = String::from_utf8_lossy(date_value.unwrap_or_default());

    // 4. Date format and skew.
    let request_time = date::parse_request_date(&date_value, is_amz_date)?;
    date::check_skew(request_time, now, expect.max_skew_minutes)?;

    // 5. Signed headers that must be signed.
    let signed_headers = raw.signed_header_names();
    if !signed_headers
        .iter()
        .any(|name| name == "host" || name == ":authority")
    {
        return Err(SigV4Error::HostNotSigned);
    }
    if amz_date_header.is_some() && !signed_headers.iter().any(|name| name == "x-amz-date") {
        return Err(SigV4Error::AmzDateNotSigned);
    }

    // 6–7. Algorithm, credential form, credential scope.
    raw.require_algorithm()?;
    let auth = raw.into_authorization()?;
    let amz_date = date::format_amz_date(request_time);
    check_scope(&auth, expect, &amz_date)?;

    // 8. Session token.
    let session_token = match req.first_header("x-amz-security-token") {
        None => None,
        Some(token) => {
            Some(String::from_utf8(token.to_vec()).map_err(|_| SigV4Error::InvalidSessionToken)?)
        }
    };

    let payload_hash = sha256_hex(req.body);
    let canonical_request = canonical::build(&CanonicalInput {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        signed_headers: &auth.signed_headers,
        payload_hash: &payload_hash,
    });
    let string_to_sign = format!(
        "{ALGORITHM}\n{amz_date}\n{}\n{}",
        auth.scope(),
        sha256_hex(&canonical_request)
    );

    Ok(Prepared {
        auth,
        amz_date,
        request_time,
        session_token,
        canonical_request,
        string_to_sign,
    })
}

/// Checks the credential scope, collecting every fault into one error as AWS does.
fn check_scope(
    auth: &Authorization,
    expect: &Expectations<'_>,
    amz_date: &str,
) -> Result<(), SigV4Error> {
    let region_ok = match expect.region {
        Some(region) => auth.region == region,
        None => {
            !auth.region.is_empty()
                && auth
                    .region
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }
    };
    let request_day = amz_date.get(..8).unwrap_or_default();
    let errors = ScopeErrors {
        region: (!region_ok).then(|| auth.region.clone()),
        service: (auth.service != expect.service).then(|| expect.service.to_owned()),
        terminator: (auth.terminator != TERMINATOR).then(|| auth.terminator.clone()),
        date: (auth.date != request_day).then(|| DateMismatch {
            scope_date: auth.date.clone(),
            request_day: request_day.to_owned(),
            request_date: amz_date.to_owned(),
        }),
    };
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SigV4Error::InvalidCredentialScope(Box::new(errors)))
    }
}

/// A request that passed every check but the signature itself, with its
/// string to sign ready. Produced by [`prepare`].
#[derive(Clone)]
pub struct Prepared {
    /// The parsed `Authorization` header.
    pub auth: Authorization,
    amz_date: String,
    request_time: OffsetDateTime,
    session_token: Option<String>,
    canonical_request: Vec<u8>,
    string_to_sign: String,
}

impl Prepared {
    /// The access key id to look the secret key up by.
    #[must_use]
    pub fn access_key_id(&self) -> &str {
        &self.auth.access_key_id
    }

    /// The region the request was signed for.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.auth.region
    }

    /// The service the request was signed for.
    #[must_use]
    pub fn service(&self) -> &str {
        &self.auth.service
    }

    /// The `X-Amz-Security-Token` header, if sent. Not checked here: the caller
    /// validates it (answering [`SigV4Error::InvalidSessionToken`] or
    /// [`SigV4Error::ExpiredSessionToken`]).
    #[must_use]
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The request date, `YYYYMMDD'T'HHMMSS'Z'`, as in the string to sign.
    #[must_use]
    pub fn amz_date(&self) -> &str {
        &self.amz_date
    }

    /// The request date.
    #[must_use]
    pub fn request_time(&self) -> SystemTime {
        self.request_time.into()
    }

    /// The canonical request the signature must cover.
    #[must_use]
    pub fn canonical_request(&self) -> &[u8] {
        &self.canonical_request
    }

    /// The string to sign:
    /// `AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hex(sha256(canonical_request))}`.
    #[must_use]
    pub fn string_to_sign(&self) -> &str {
        &self.string_to_sign
    }

    /// Computes the expected signature from the secret access key and compares
    /// it with the request's in constant time.
    ///
    /// # Errors
    ///
    /// [`SigV4Error::SignatureDoesNotMatch`] when they differ.
    pub fn verify(&self, secret_access_key: &[u8]) -> Result<(), SigV4Error> {
        let key = SigningKey::derive(
            secret_access_key,
            &self.auth.date,
            &self.auth.region,
            &self.auth.service,
        );
        self.verify_with_key(&key)
    }

    /// As [`verify`](Self::verify), with a signing key already derived (for a
    /// cache keyed by access key, date, region and service).
    ///
    /// # Errors
    ///
    /// [`SigV4Error::SignatureDoesNotMatch`] when the signatures differ.
    pub fn verify_with_key(&self, key: &SigningKey) -> Result<(), SigV4Error> {
        let expected = key.sign(self.string_to_sign.as_bytes());
        // `ct_eq` on slices of unequal length is false without comparing, and
        // the length (32, or 0 for a malformed signature) is not secret.
        if bool::from(expected.as_slice().ct_eq(&self.auth.signature)) {
            Ok(())
        } else {
            Err(SigV4Error::SignatureDoesNotMatch(MismatchDetail {
                canonical_request: String::from_utf8_lossy(&self.canonical_request).into_owned(),
                string_to_sign: self.string_to_sign.clone(),
            }))
        }
    }
}

impl fmt::Debug for Prepared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The canonical request may hold a signed session token; show its size only.
        f.debug_struct("Prepared")
            .field("auth", &self.auth)
            .field("amz_date", &self.amz_date)
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("canonical_request_len", &self.canonical_request.len())
            .field("string_to_sign", &self.string_to_sign)
            .finish()
    }
}
