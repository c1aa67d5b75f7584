//! AWS Signature Version 4 verification for Cofre: pure functions, no I/O.
//!
//! A request is checked in two steps, so that the secret key is looked up only
//! for requests that are otherwise well-formed and fresh:
//!
//! ```no_run
//! # use cofre_sigv4::{prepare, RequestParts, SigV4Error};
//! # fn lookup(_: &str) -> Option<Vec<u8>> { None }
//! # fn check(req: &RequestParts<'_>) -> Result<(), SigV4Error> {
//! let prepared = prepare(req, "secretsmanager", std::time::SystemTime::now())?;
//! let secret = lookup(prepared.access_key_id()).ok_or_else(SigV4Error::unknown_access_key)?;
//! prepared.verify(&secret)?;
//! # Ok(()) }
//! ```
//!
//! # Layout
//!
//! * `verify.rs`: [`RequestParts`], [`prepare`] /
//!   [`prepare_with`], which run AWS's checks in AWS's order and build the string
//!   to sign, and [`Prepared::verify`], which does the HMAC and the comparison.
//! * `authorization.rs`: [`parse_authorization`] and the [`Authorization`] header.
//! * `canonical.rs`: the canonical request: [`canonical_uri`] (normalized, then
//!   URI-encoded again, as for every service but S3), [`canonical_query_string`],
//!   header trimming.
//! * `date.rs`: `X-Amz-Date` / `Date` parsing and the clock-skew window.
//! * `key.rs`: [`SigningKey`] derivation (`kDate` → `kRegion` → `kService` →
//!   `kSigning`) and HMAC helpers.
//! * `error.rs`: [`SigV4Error`] with AWS's error types, exact messages and HTTP
//!   statuses for JSON-protocol services; its module doc lists the sources.
//!
//! Known-answer tests from AWS's SigV4 test suite live in
//! `tests/aws_sig_v4_test_suite.rs` (vectors under `tests/vectors/`), error
//! texts and a sign-then-verify round trip in `tests/errors.rs`.
//!
//! # Security notes
//!
//! * **Constant-time comparison.** The computed signature is compared with the
//!   request's using [`subtle::ConstantTimeEq`].
//! * **Key material is zeroized.** `"AWS4" + secret`, `kDate`, `kRegion`,
//!   `kService`, `kSigning` and the computed signature live in
//!   [`zeroize::Zeroizing`] buffers. [`SigningKey`]'s `Debug` is redacted.
//! * **Nothing secret in errors or `Debug`.** No error carries the secret key, a
//!   derived key or the computed signature. The signature-mismatch error keeps
//!   the canonical request and string to sign (AWS sends them to the client)
//!   behind [`SigV4Error::message_with_details`]; `Debug` of that error and of
//!   [`Prepared`] shows lengths only, as the canonical request may hold a signed
//!   session token, and `Prepared` redacts the token.
//! * **The body is always hashed.** The payload hash comes from the body, never
//!   from `X-Amz-Content-Sha256`, so a body cannot be swapped under a valid
//!   signature (nor sent as `UNSIGNED-PAYLOAD`).
//! * **Scope and freshness are checked before the key is needed**: service,
//!   region, terminator, date-vs-scope and a ±15 minute window (configurable).
//!   `host` and, when sent, `x-amz-date` must be signed.
//! * **No panics on input.** Parsers reject malformed input with an error; the
//!   one `expect` (HMAC key length) cannot fail.
//! * **Replay** within the skew window is not prevented, as on AWS; callers that
//!   need more must track signatures themselves.

#![warn(missing_docs)]

mod authorization;
mod canonical;
mod date;
mod error;
mod key;
mod verify;

pub use authorization::{parse_authorization, Authorization, ALGORITHM, TERMINATOR};
pub use canonical::{canonical_query_string, canonical_uri};
pub use error::{
    DateMismatch, MismatchDetail, MissingParameters, ScopeErrors, SigV4Error, EXPIRED_TOKEN,
    INCOMPLETE_SIGNATURE, INVALID_SIGNATURE, MISSING_AUTHENTICATION_TOKEN, UNRECOGNIZED_CLIENT,
};
pub use key::SigningKey;
pub use verify::{
    prepare, prepare_with, Expectations, Prepared, RequestParts, DEFAULT_MAX_SKEW_MINUTES,
};
