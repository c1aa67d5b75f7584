//! [`KmsError`]: AWS KMS's error codes and message texts.
//!
//! Where the texts come from:
//!
//! - `Key '<key ARN>' does not exist`, `Alias <alias ARN> is not found.`, `Invalid keyId <id>`,
//!   `Invalid arn <region>`, `<key ARN> is disabled.`, `<key ARN> is pending deletion.`: what
//!   AWS KMS answers, as quoted in public bug reports (boto/botocore#2107, cloudposse/docs#152,
//!   sigstore/cosign#1474, crossplane-contrib/provider-aws#1001, fugue/credstash#86,
//!   segmentio/chamber#355) and reproduced by LocalStack's parity-tested KMS provider.
//! - `An alias with the name <alias ARN> already exists`, `Alias must start with the prefix
//!   "alias/". ...`, `PendingWindowInDays should be between 7 and 30, but it is <n>`: LocalStack's
//!   KMS provider, whose snapshot tests record AWS's answers.
//! - `The ciphertext refers to a customer master key that does not exist, ...` (AccessDenied
//!   for a ciphertext naming an unknown key): AWS's text, quoted in many bug reports (e.g.
//!   tryolabs/aws-workshop#6) and by moto.
//! - `InvalidCiphertextException` carries no message on AWS; neither does it here.
//!
//! Every code is HTTP 400 except `KMSInternalException` (500). Internal failures (store,
//! serialization, a root key that does not open stored material) are logged and answered
//! with an opaque message, so nothing stored can leak through an error.

use std::fmt;

use cofre_api::{ApiError, ErrorCode};

/// `NotFoundException`.
pub const NOT_FOUND: &str = "NotFoundException";
/// `DisabledException`.
pub const DISABLED: &str = "DisabledException";
/// `KMSInvalidStateException`.
pub const INVALID_STATE: &str = "KMSInvalidStateException";
/// `InvalidCiphertextException`.
pub const INVALID_CIPHERTEXT: &str = "InvalidCiphertextException";
/// `IncorrectKeyException`.
pub const INCORRECT_KEY: &str = "IncorrectKeyException";
/// `AlreadyExistsException`.
pub const ALREADY_EXISTS: &str = "AlreadyExistsException";
/// `InvalidAliasNameException`.
pub const INVALID_ALIAS_NAME: &str = "InvalidAliasNameException";
/// `ValidationException`.
pub const VALIDATION: &str = "ValidationException";
/// `MalformedPolicyDocumentException`.
pub const MALFORMED_POLICY: &str = "MalformedPolicyDocumentException";
/// `NotAuthorizedException`.
pub const NOT_AUTHORIZED: &str = "NotAuthorizedException";
/// `UnsupportedOperationException`.
pub const UNSUPPORTED: &str = "UnsupportedOperationException";
/// `TagException`.
pub const TAG: &str = "TagException";
/// `LimitExceededException`.
pub const LIMIT_EXCEEDED: &str = "LimitExceededException";
/// `AccessDeniedException` (a ciphertext that names a key the caller cannot reach).
pub const ACCESS_DENIED: &str = "AccessDeniedException";
/// `KMSInternalException` (HTTP 500).
pub const INTERNAL: &str = "KMSInternalException";

/// A KMS failure: AWS's error code and message. Never carries key material or plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KmsError {
    /// The AWS error code (`__type`), e.g. `NotFoundException`.
    pub code: &'static str,
    /// AWS's message; empty when AWS sends none.
    pub message: String,
}

impl KmsError {
    /// An error with `code` and `message`.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The HTTP status AWS answers with: 500 for `KMSInternalException`, 400 otherwise.
    pub fn status(&self) -> u16 {
        if self.code == INTERNAL {
            500
        } else {
            400
        }
    }

    /// The wire error, for an API layer that passes KMS errors through unchanged.
    pub fn to_api_error(&self) -> ApiError {
        ApiError::new(
            ErrorCode::Other {
                code: self.code,
                status: self.status(),
            },
            self.message.clone(),
        )
    }

    /// `NotFoundException` for a key ARN.
    pub(crate) fn key_not_found(key_arn: &str) -> Self {
        Self::new(NOT_FOUND, format!("Key '{key_arn}' does not exist"))
    }

    /// `NotFoundException` for an alias ARN.
    pub(crate) fn alias_not_found(alias_arn: &str) -> Self {
        Self::new(NOT_FOUND, format!("Alias {alias_arn} is not found."))
    }

    /// `NotFoundException` for a string that is no key id at all.
    pub(crate) fn invalid_key_id(key_ref: &str) -> Self {
        Self::new(NOT_FOUND, format!("Invalid keyId {key_ref}"))
    }

    /// `DisabledException`.
    pub(crate) fn disabled(key_arn: &str) -> Self {
        Self::new(DISABLED, format!("{key_arn} is disabled."))
    }

    /// `KMSInvalidStateException` for a key that is pending deletion.
    pub(crate) fn pending_deletion(key_arn: &str) -> Self {
        Self::new(INVALID_STATE, format!("{key_arn} is pending deletion."))
    }

    /// `ValidationException`.
    pub(crate) fn validation(message: impl Into<String>) -> Self {
        Self::new(VALIDATION, message)
    }

    /// `InvalidCiphertextException`, which AWS sends without a message.
    pub(crate) fn invalid_ciphertext() -> Self {
        Self::new(INVALID_CIPHERTEXT, "")
    }

    /// `AccessDeniedException` for a ciphertext whose key does not exist (here or at all).
    pub(crate) fn unknown_ciphertext_key() -> Self {
        Self::new(
            ACCESS_DENIED,
            "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.",
        )
    }

    /// `UnsupportedOperationException` for an operation AWS reserves for customer keys.
    pub(crate) fn aws_managed(key_arn: &str) -> Self {
        Self::new(
            UNSUPPORTED,
            format!("{key_arn} is an AWS managed key; only AWS can change it."),
        )
    }

    /// Logs `detail` and returns an opaque `KMSInternalException`.
    pub(crate) fn internal(detail: impl fmt::Display) -> Self {
        tracing::error!(error = %detail, "KMS internal error");
        Self::new(
            INTERNAL,
            "The request was rejected because an internal exception occurred. The request can be retried.",
        )
    }

    /// Whether the key could not be used because of its state (disabled, pending deletion).
    pub fn is_key_state(&self) -> bool {
        self.code == DISABLED || self.code == INVALID_STATE
    }
}

impl fmt::Display for KmsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl std::error::Error for KmsError {}
