//! The verifier's error type, carrying AWS's error codes, messages and statuses.
//!
//! # Where the texts come from
//!
//! AWS's JSON-protocol services (Secrets Manager, KMS, DynamoDB, …) share one
//! authentication front end ("Coral"), so their authentication errors have the
//! same `__type`s and messages. The texts and the order of the checks below were
//! taken from real responses quoted in public sources:
//!
//! * `MissingAuthenticationTokenException` / "Missing Authentication Token", HTTP
//!   400, `application/x-amz-json-1.1`, 89-byte body: Secrets Manager's reply
//!   quoted in aws/aws-sdk-cpp#2407. (DynamoDB says "Request is missing
//!   Authentication Token" instead: mhart/dynalite `test/connection.js`.)
//! * `UnrecognizedClientException` / "The security token included in the request
//!   is invalid.", HTTP 400: Secrets Manager's reply quoted in
//!   aws/aws-sdk-php-laravel#228.
//! * `IncompleteSignatureException` messages ("Authorization header requires
//!   'Credential' parameter. … Authorization=…", "'…' not a valid key=value pair
//!   (missing equal-sign) in Authorization header: '…'.", "Date must be in
//!   ISO-8601 'basic format'. …", "Unsupported AWS 'algorithm': …", "Credential
//!   must have exactly 5 slash-delimited elements, …") and the check order: the
//!   DynamoDB responses recorded in mhart/dynalite (`index.js`,
//!   `test/connection.js`, run against live DynamoDB), the replies quoted in
//!   aws/aws-sdk-go#289, awslabs/fhir-works-on-aws-deployment#379 and
//!   brendanhay/amazonka#316, and dacut/scratchstack-aws-signature.
//! * `InvalidSignatureException`, HTTP 400 on JSON services: "Signature expired:
//!   … is now earlier than … (… - 15 min.)" (aws/aws-sdk-js#254, DynamoDB),
//!   "Signature not yet current: … is still later than … (… + 5 min.)"
//!   (serverless/enterprise#11), the credential-scope sentences (dynalite;
//!   cllunsford/aws-signing-proxy#25 and joona/aws-es-curl#15 show the trailing
//!   space after "'.") and the signature-mismatch text (teralytics/
//!   prometheus-ecs-discovery#7, ECS, status 400; aws/aws-sdk-net#3978, Secrets
//!   Manager, which also shows the canonical-string appendix).
//! * "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.":
//!   the current wording, as quoted by scratchstack-aws-signature and in
//!   reports against X-Ray; dynalite's older recording says "'Host' must be …".
//! * `ExpiredTokenException` / "The security token included in the request is
//!   expired" (no final period): aws/aws-sdk-java-v2#1649, aws/aws-sdk-php#1307
//!   (DynamoDB, 400).
//!
//! AWS's generic "Common Errors" page lists 403 for `MissingAuthenticationToken`
//! and `InvalidClientTokenId`; those are the query-protocol (`IAM`/`STS`) codes.
//! The JSON services answer 400, as the replies above show, so every error here
//! has status 400.
//!
//! # What is never in an error
//!
//! No error holds the secret access key, a derived signing key or the signature
//! this crate computed. The signature-mismatch error keeps the canonical request
//! and string to sign (which AWS echoes to the client) behind
//! [`SigV4Error::message_with_details`]; its `Debug` shows only their lengths,
//! because a signed `X-Amz-Security-Token` appears in the canonical request.

use std::fmt;

/// AWS error type for a request without any credentials.
pub const MISSING_AUTHENTICATION_TOKEN: &str = "MissingAuthenticationTokenException";
/// AWS error type for a malformed `Authorization` header.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignatureException";
/// AWS error type for a signature that is well-formed but wrong, stale or mis-scoped.
pub const INVALID_SIGNATURE: &str = "InvalidSignatureException";
/// AWS error type for an unknown access key id or an invalid session token.
pub const UNRECOGNIZED_CLIENT: &str = "UnrecognizedClientException";
/// AWS error type for an expired session token.
pub const EXPIRED_TOKEN: &str = "ExpiredTokenException";

/// The first sentence of AWS's signature-mismatch message.
const MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature \
     you provided. Check your AWS Secret Access Key and signing method. Consult the service \
     documentation for details.";

/// Why a request failed SigV4 verification.
///
/// [`code`](Self::code), [`message`](Self::message) and [`status`](Self::status)
/// give the `__type`, `message` and HTTP status of AWS's JSON error body. The
/// `Display` text is the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SigV4Error {
    /// No `Authorization` header, or one that does not start with `AWS4-`.
    ///
    /// AWS treats `Authorization: Bearer …` (or `AWS4` without the dash) as no
    /// credentials at all (dynalite's live tests).
    #[error("Missing Authentication Token")]
    MissingAuthenticationToken,

    /// The request carries presigned query-string authentication
    /// (`X-Amz-Algorithm=…`), which Cofre does not accept.
    ///
    /// This text is Cofre's own; AWS would verify such a request.
    #[error(
        "Query-string authentication (X-Amz-Algorithm) is not supported; \
         sign the request with the Authorization header."
    )]
    QueryAuthenticationUnsupported,

    /// A token of the `Authorization` header after the algorithm has no `=`.
    ///
    /// AWS splits the parameters on commas and whitespace, so
    /// `Credential= AKID/…` reports the part after the space.
    #[error(
        "'{pair}' not a valid key=value pair (missing equal-sign) in Authorization header: \
         '{authorization}'."
    )]
    MalformedAuthorizationPair {
        /// The offending token.
        pair: String,
        /// The whole header value, as AWS echoes it.
        authorization: String,
    },

    /// One or more of `Credential`, `Signature` and `SignedHeaders` is missing
    /// (or empty); the date header may be missing too.
    #[error("{0}")]
    MissingAuthorizationParameters(MissingParameters),

    /// The `Authorization` header is complete but the request has neither an
    /// `X-Amz-Date` nor a `Date` header.
    #[error(
        "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. \
         Authorization={authorization}"
    )]
    MissingDate {
        /// The whole header value, as AWS echoes it.
        authorization: String,
    },

    /// The request date is not `YYYYMMDD'T'HHMMSS'Z'` (nor, for `Date`, an
    /// RFC 1123 date).
    #[error("Date must be in ISO-8601 'basic format'. Got '{value}'. See http://en.wikipedia.org/wiki/ISO_8601")]
    InvalidDateFormat {
        /// The date header's value as received.
        value: String,
    },

    /// The request date is more than the allowed skew before the server's clock.
    #[error(
        "Signature expired: {request_date} is now earlier than {earliest} \
         ({now} - {skew_minutes} min.)"
    )]
    SignatureExpired {
        /// The request's date, `YYYYMMDD'T'HHMMSS'Z'`.
        request_date: String,
        /// The earliest accepted date (`now` minus the skew).
        earliest: String,
        /// The server's clock, to the second.
        now: String,
        /// The allowed skew in minutes.
        skew_minutes: u32,
    },

    /// The request date is more than the allowed skew after the server's clock.
    #[error(
        "Signature not yet current: {request_date} is still later than {latest} \
         ({now} + {skew_minutes} min.)"
    )]
    SignatureNotYetCurrent {
        /// The request's date, `YYYYMMDD'T'HHMMSS'Z'`.
        request_date: String,
        /// The latest accepted date (`now` plus the skew).
        latest: String,
        /// The server's clock, to the second.
        now: String,
        /// The allowed skew in minutes.
        skew_minutes: u32,
    },

    /// `host` is not among the signed headers.
    #[error("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")]
    HostNotSigned,

    /// The request has an `X-Amz-Date` header that is not signed.
    ///
    /// Cofre's own rule (AWS covers the date through the string to sign only);
    /// the text follows AWS's wording for `Host`. Every AWS SDK signs it.
    #[error("'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.")]
    AmzDateNotSigned,

    /// The algorithm is `AWS4-…` but not `AWS4-HMAC-SHA256`.
    #[error("Unsupported AWS 'algorithm': '{algorithm}' (only AWS4-HMAC-SHA256 for now). ")]
    UnsupportedAlgorithm {
        /// The algorithm named in the header.
        algorithm: String,
    },

    /// `Credential` is not `keyid/date/region/service/terminator`.
    #[error(
        "Credential must have exactly 5 slash-delimited elements, \
         e.g. keyid/date/region/service/term, got '{credential}'"
    )]
    MalformedCredential {
        /// The `Credential` value as received.
        credential: String,
    },

    /// The credential scope names the wrong region, service, terminator or date.
    /// (Boxed to keep `Result<_, SigV4Error>` small.)
    #[error("{0}")]
    InvalidCredentialScope(Box<ScopeErrors>),

    /// The access key id is not known. Reported by the caller, which looks keys up.
    #[error("The security token included in the request is invalid.")]
    UnknownAccessKey,

    /// The `X-Amz-Security-Token` is not valid (not UTF-8 here; unknown or
    /// forged when the caller checks it).
    #[error("The security token included in the request is invalid.")]
    InvalidSessionToken,

    /// The session token has expired. Reported by the caller.
    #[error("The security token included in the request is expired")]
    ExpiredSessionToken,

    /// The signature does not match the one computed with the secret key.
    #[error(
        "The request signature we calculated does not match the signature you provided. \
         Check your AWS Secret Access Key and signing method. \
         Consult the service documentation for details."
    )]
    SignatureDoesNotMatch(MismatchDetail),
}

impl SigV4Error {
    /// Builds the error a caller returns when the access key id is unknown.
    #[must_use]
    pub fn unknown_access_key() -> Self {
        Self::UnknownAccessKey
    }

    /// Builds the error a caller returns when the session token is invalid.
    #[must_use]
    pub fn invalid_session_token() -> Self {
        Self::InvalidSessionToken
    }

    /// The AWS error type, as sent in `__type` (awsJson1.1) or `x-amzn-ErrorType`.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingAuthenticationToken => MISSING_AUTHENTICATION_TOKEN,
            Self::QueryAuthenticationUnsupported
            | Self::MalformedAuthorizationPair { .. }
            | Self::MissingAuthorizationParameters(_)
            | Self::MissingDate { .. }
            | Self::InvalidDateFormat { .. }
            | Self::UnsupportedAlgorithm { .. }
            | Self::MalformedCredential { .. } => INCOMPLETE_SIGNATURE,
            Self::SignatureExpired { .. }
            | Self::SignatureNotYetCurrent { .. }
            | Self::HostNotSigned
            | Self::AmzDateNotSigned
            | Self::InvalidCredentialScope(_)
            | Self::SignatureDoesNotMatch(_) => INVALID_SIGNATURE,
            Self::UnknownAccessKey | Self::InvalidSessionToken => UNRECOGNIZED_CLIENT,
            Self::ExpiredSessionToken => EXPIRED_TOKEN,
        }
    }

    /// The message, exactly as AWS words it (for the signature mismatch, AWS's
    /// first paragraph only; see [`message_with_details`](Self::message_with_details)).
    #[must_use]
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// The message with AWS's appendix for a signature mismatch: the canonical
    /// request and string to sign the server computed, which AWS sends to help
    /// the client find its mistake. Identical to [`message`](Self::message) for
    /// every other error.
    ///
    /// The appendix contains the signed headers' values (a signed session token
    /// among them), so send it only to the client and keep it out of logs.
    #[must_use]
    pub fn message_with_details(&self) -> String {
        match self {
            Self::SignatureDoesNotMatch(detail) => format!(
                "{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'{}'\n\n\
                 The String-to-Sign should have been\n'{}'\n",
                detail.canonical_request, detail.string_to_sign
            ),
            other => other.message(),
        }
    }

    /// The HTTP status AWS's JSON-protocol services use for this error: 400.
    #[must_use]
    pub fn status(&self) -> u16 {
        400
    }
}

/// Which `Authorization` parameters (and whether the date header) are missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingParameters {
    /// `Credential` is missing or empty.
    pub credential: bool,
    /// `Signature` is missing or empty.
    pub signature: bool,
    /// `SignedHeaders` is missing.
    pub signed_headers: bool,
    /// Neither `X-Amz-Date` nor `Date` is present.
    pub date: bool,
    /// The whole header value, as AWS echoes it.
    pub authorization: String,
}

impl fmt::Display for MissingParameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AWS lists the missing pieces in this order, each sentence followed by a
        // space, then echoes the header (dynalite's live test for `AWS4-`).
        if self.credential {
            f.write_str("Authorization header requires 'Credential' parameter. ")?;
        }
        if self.signature {
            f.write_str("Authorization header requires 'Signature' parameter. ")?;
        }
        if self.signed_headers {
            f.write_str("Authorization header requires 'SignedHeaders' parameter. ")?;
        }
        if self.date {
            f.write_str(
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
            )?;
        }
        write!(f, "Authorization={}", self.authorization)
    }
}

/// The credential-scope checks that failed; AWS reports them all in one message.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeErrors {
    /// The region in the scope, when it is not acceptable.
    pub region: Option<String>,
    /// The service the scope should have named, when it named another.
    pub service: Option<String>,
    /// The terminator in the scope, when it is not `aws4_request`.
    pub terminator: Option<String>,
    /// The scope's date and the request's date, when they differ.
    pub date: Option<DateMismatch>,
}

impl ScopeErrors {
    /// Whether no check failed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.region.is_none()
            && self.service.is_none()
            && self.terminator.is_none()
            && self.date.is_none()
    }
}

impl fmt::Display for ScopeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // AWS ends the region, service and terminator sentences with ". " and the
        // date sentence with "." (dynalite; aws-es-curl#15; aws-signing-proxy#25).
        if let Some(region) = &self.region {
            write!(
                f,
                "Credential should be scoped to a valid region, not '{region}'. "
            )?;
        }
        if let Some(service) = &self.service {
            write!(
                f,
                "Credential should be scoped to correct service: '{service}'. "
            )?;
        }
        if let Some(terminator) = &self.terminator {
            write!(
                f,
                "Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. "
            )?;
        }
        if let Some(date) = &self.date {
            write!(
                f,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: \
                 '{}' != '{}', from '{}'.",
                date.scope_date, date.request_day, date.request_date
            )?;
        }
        Ok(())
    }
}

/// A credential scope date that differs from the request's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateMismatch {
    /// The date in the credential scope.
    pub scope_date: String,
    /// The request date's `YYYYMMDD`.
    pub request_day: String,
    /// The request date, `YYYYMMDD'T'HHMMSS'Z'`.
    pub request_date: String,
}

/// What the server computed for a request whose signature did not match.
///
/// `Debug` shows only lengths: the canonical request holds signed header values.
#[derive(Clone, PartialEq, Eq)]
pub struct MismatchDetail {
    /// The canonical request (lossily decoded as UTF-8).
    pub canonical_request: String,
    /// The string to sign.
    pub string_to_sign: String,
}

impl fmt::Debug for MismatchDetail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MismatchDetail")
            .field("canonical_request_len", &self.canonical_request.len())
            .field("string_to_sign_len", &self.string_to_sign.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text AWS returns with `UnrecognizedClientException`.
    const INVALID_TOKEN_MESSAGE: &str = "The security token included in the request is invalid.";

    #[test]
    fn mismatch_message_constant_matches_display() {
        let err = SigV4Error::SignatureDoesNotMatch(MismatchDetail {
            canonical_request: String::new(),
            string_to_sign: String::new(),
        });
        assert_eq!(err.message(), MISMATCH_MESSAGE);
    }

    #[test]
    fn unknown_key_and_bad_token_share_aws_text() {
        assert_eq!(
            SigV4Error::unknown_access_key().message(),
            INVALID_TOKEN_MESSAGE
        );
        assert_eq!(
            SigV4Error::invalid_session_token().message(),
            INVALID_TOKEN_MESSAGE
        );
    }
}
