//! [`ApiError`]: the one error type that leaves the server, and [`ErrorCode`], the AWS
//! error types it can carry.
//!
//! # Body format
//!
//! awsJson 1.1 errors are `{"__type":"<code>","<message key>":"<text>"}` with the HTTP
//! status derived from the code. Two details follow what Secrets Manager actually sends:
//!
//! - `__type` is the bare name (`"ResourceNotFoundException"`), never namespaced with a
//!   `#`; every SDK strips a namespace anyway, so the bare name is the safe common form.
//!   Real Secrets Manager answers e.g. `{"__type":"UnrecognizedClientException",
//!   "message":"The security token included in the request is invalid."}`.
//! - The message key's casing depends on who raises the error. The errors in the
//!   Secrets Manager model have a member named `Message`, so they serialize as
//!   `"Message"`. The errors AWS's front end raises before the service runs
//!   (validation, signature checks, throttling) use `"message"`, except
//!   `SerializationException` and `AccessDeniedException`, which the front end sends with
//!   `"Message"`. An empty message is left out entirely, as the front end does for
//!   malformed JSON (`{"__type":"SerializationException"}`) and unknown operations.
//!
//! # Status codes
//!
//! Every modelled error is 400 except `InternalServiceError` (the model's only `fault`),
//! which is 500. The front end's errors are 400 as well (Secrets Manager answers an
//! unknown access key, a bad signature or a denied action with 400), except
//! `RequestEntityTooLargeException` (413).

use std::borrow::Cow;
use std::fmt;

use crate::Operation;

/// An AWS error type, with its HTTP status and message-key casing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    // --- Errors in the Secrets Manager model (`"exception": true` shapes). ---
    /// Secrets Manager can't decrypt the protected secret text using the provided KMS key.
    DecryptionFailure,
    /// Secrets Manager can't encrypt the protected secret text using the provided KMS key.
    EncryptionFailure,
    /// An error occurred on the server side (HTTP 500; the model's only `fault`).
    InternalServiceError,
    /// The `NextToken` value is invalid.
    InvalidNextTokenException,
    /// The parameter name or value is invalid.
    InvalidParameterException,
    /// A parameter value is not valid for the current state of the resource.
    InvalidRequestException,
    /// The request failed because it would exceed one of the Secrets Manager quotas.
    LimitExceededException,
    /// The resource policy has syntax errors.
    MalformedPolicyDocumentException,
    /// The request failed because you did not complete all the prerequisite steps.
    PreconditionNotMetException,
    /// The `BlockPublicPolicy` parameter is set to true, and the resource policy grants
    /// broad access.
    PublicPolicyException,
    /// A resource with the ID you requested already exists.
    ResourceExistsException,
    /// Secrets Manager can't find the resource that you asked for.
    ResourceNotFoundException,

    // --- Errors AWS's front end sends for any JSON service. ---
    /// The input failed the model's constraints (`1 validation error detected: …`).
    ValidationException,
    /// The body is not JSON, or a member has the wrong JSON type.
    SerializationException,
    /// `X-Amz-Target` names no operation of this service.
    UnknownOperationException,
    /// The principal is not allowed to perform the action.
    AccessDeniedException,
    /// The request carries no signature at all.
    MissingAuthenticationTokenException,
    /// The signature is malformed or incomplete.
    IncompleteSignatureException,
    /// The signature does not match, or has expired.
    InvalidSignatureException,
    /// The access key id (or session token) is not known.
    UnrecognizedClientException,
    /// The body is larger than the service accepts (HTTP 413).
    RequestEntityTooLargeException,
    /// The caller is sending requests too fast.
    ThrottlingException,

    /// Any other code, passed through as given (e.g. a SigV4 verifier's error).
    Other {
        /// The `__type` sent to the client.
        code: &'static str,
        /// The HTTP status.
        status: u16,
    },
}

/// Every named [`ErrorCode`] (all but [`ErrorCode::Other`]), in declaration order.
pub const NAMED_ERROR_CODES: [ErrorCode; 22] = [
    ErrorCode::DecryptionFailure,
    ErrorCode::EncryptionFailure,
    ErrorCode::InternalServiceError,
    ErrorCode::InvalidNextTokenException,
    ErrorCode::InvalidParameterException,
    ErrorCode::InvalidRequestException,
    ErrorCode::LimitExceededException,
    ErrorCode::MalformedPolicyDocumentException,
    ErrorCode::PreconditionNotMetException,
    ErrorCode::PublicPolicyException,
    ErrorCode::ResourceExistsException,
    ErrorCode::ResourceNotFoundException,
    ErrorCode::ValidationException,
    ErrorCode::SerializationException,
    ErrorCode::UnknownOperationException,
    ErrorCode::AccessDeniedException,
    ErrorCode::MissingAuthenticationTokenException,
    ErrorCode::IncompleteSignatureException,
    ErrorCode::InvalidSignatureException,
    ErrorCode::UnrecognizedClientException,
    ErrorCode::RequestEntityTooLargeException,
    ErrorCode::ThrottlingException,
];

impl ErrorCode {
    /// The `__type` string.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::DecryptionFailure => "DecryptionFailure",
            Self::EncryptionFailure => "EncryptionFailure",
            Self::InternalServiceError => "InternalServiceError",
            Self::InvalidNextTokenException => "InvalidNextTokenException",
            Self::InvalidParameterException => "InvalidParameterException",
            Self::InvalidRequestException => "InvalidRequestException",
            Self::LimitExceededException => "LimitExceededException",
            Self::MalformedPolicyDocumentException => "MalformedPolicyDocumentException",
            Self::PreconditionNotMetException => "PreconditionNotMetException",
            Self::PublicPolicyException => "PublicPolicyException",
            Self::ResourceExistsException => "ResourceExistsException",
            Self::ResourceNotFoundException => "ResourceNotFoundException",
            Self::ValidationException => "ValidationException",
            Self::SerializationException => "SerializationException",
            Self::UnknownOperationException => "UnknownOperationException",
            Self::AccessDeniedException => "AccessDeniedException",
            Self::MissingAuthenticationTokenException => "MissingAuthenticationTokenException",
            Self::IncompleteSignatureException => "IncompleteSignatureException",
            Self::InvalidSignatureException => "InvalidSignatureException",
            Self::UnrecognizedClientException => "UnrecognizedClientException",
            Self::RequestEntityTooLargeException => "RequestEntityTooLargeException",
            Self::ThrottlingException => "ThrottlingException",
            Self::Other { code, .. } => code,
        }
    }

    /// The named code spelled `name`, if any.
    pub fn from_name(name: &str) -> Option<Self> {
        NAMED_ERROR_CODES.into_iter().find(|c| c.as_str() == name)
    }

    /// The HTTP status AWS sends with this code.
    pub fn status(&self) -> u16 {
        match self {
            Self::InternalServiceError => 500,
            Self::RequestEntityTooLargeException => 413,
            Self::Other { status, .. } => *status,
            _ => 400,
        }
    }

    /// Whether the error is in the Secrets Manager model (as opposed to the front end's).
    pub fn is_modelled(&self) -> bool {
        crate::MODELLED_ERRORS
            .iter()
            .any(|(name, _)| *name == self.as_str())
    }

    /// The JSON key the message goes under: `"Message"` or `"message"` (see the module
    /// docs for why both exist).
    pub fn message_key(&self) -> &'static str {
        match self {
            Self::SerializationException | Self::AccessDeniedException => "Message",
            Self::Other { .. } => "message",
            named if named.is_modelled() => "Message",
            _ => "message",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error answered to the client: an AWS error code and a message.
///
/// Messages are sent verbatim, so they must never contain secret values, key material
/// or internal details; inner errors become `InternalServiceError` with a fixed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The error type.
    pub code: ErrorCode,
    /// The human-readable message; empty means "no message member".
    pub message: String,
}

impl ApiError {
    /// An error of type `code` with `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An error whose code arrives as a string (e.g. from the SigV4 verifier). A code
    /// that names a known [`ErrorCode`] with the same status becomes that code (so it
    /// gets the right message key); anything else is passed through as
    /// [`ErrorCode::Other`].
    pub fn from_parts(code: &'static str, status: u16, message: impl Into<String>) -> Self {
        let code = match ErrorCode::from_name(code) {
            Some(known) if known.status() == status => known,
            _ => ErrorCode::Other { code, status },
        };
        Self::new(code, message)
    }

    /// The placeholder every operation answers until Cofre implements it.
    pub fn not_implemented(op: Operation) -> Self {
        Self::new(
            ErrorCode::InvalidRequestException,
            format!("Cofre does not support {} yet.", op.name()),
        )
    }

    /// A `ValidationException` with `message`.
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationException, message)
    }

    /// A `SerializationException`; `None` sends no message, as AWS does for a body that
    /// is not JSON at all.
    pub fn serialization(message: Option<Cow<'static, str>>) -> Self {
        Self::new(
            ErrorCode::SerializationException,
            message.map(Cow::into_owned).unwrap_or_default(),
        )
    }

    /// An `InternalServiceError` with AWS's generic text.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalServiceError,
            "An error occurred on the server side.",
        )
    }

    /// The HTTP status to send.
    pub fn status(&self) -> u16 {
        self.code.status()
    }

    /// The `__type` string (also suitable for an `x-amzn-ErrorType` header).
    pub fn code_str(&self) -> &'static str {
        self.code.as_str()
    }

    /// The JSON error body, e.g.
    /// `{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}`.
    pub fn to_body(&self) -> Vec<u8> {
        let mut body = String::with_capacity(32 + self.message.len());
        body.push_str("{\"__type\":");
        push_json_string(&mut body, self.code_str());
        if !self.message.is_empty() {
            body.push_str(",\"");
            body.push_str(self.code.message_key());
            body.push_str("\":");
            push_json_string(&mut body, &self.message);
        }
        body.push('}');
        body.into_bytes()
    }
}

/// Appends `s` as a JSON string literal.
fn push_json_string(out: &mut String, s: &str) {
    // Serializing a `&str` cannot fail; the fallback keeps the body valid JSON anyway.
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code_str())
        } else {
            write!(f, "{}: {}", self.code_str(), self.message)
        }
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn body(e: &ApiError) -> String {
        String::from_utf8(e.to_body()).unwrap()
    }

    #[test]
    fn modelled_errors_use_capital_message() {
        let e = ApiError::new(
            ErrorCode::ResourceNotFoundException,
            "Secrets Manager can't find the specified secret.",
        );
        assert_eq!(e.status(), 400);
        assert_eq!(
            body(&e),
            r#"{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}"#
        );
        assert_eq!(ApiError::internal().status(), 500);
        assert!(body(&ApiError::internal()).contains(r#""Message":"#));
    }

    #[test]
    fn front_end_errors_use_lowercase_message() {
        let e = ApiError::validation("1 validation error detected: x");
        assert_eq!(
            body(&e),
            r#"{"__type":"ValidationException","message":"1 validation error detected: x"}"#
        );
        let e = ApiError::new(
            ErrorCode::UnrecognizedClientException,
            "The security token included in the request is invalid.",
        );
        assert_eq!(e.status(), 400);
        assert!(body(&e).contains(r#""message":"#));
        assert_eq!(
            ApiError::new(ErrorCode::RequestEntityTooLargeException, "too big").status(),
            413
        );
    }

    #[test]
    fn empty_message_is_omitted() {
        assert_eq!(
            body(&ApiError::serialization(None)),
            r#"{"__type":"SerializationException"}"#
        );
        assert_eq!(
            body(&ApiError::serialization(Some(
                "Start of list found where not expected".into()
            ))),
            r#"{"__type":"SerializationException","Message":"Start of list found where not expected"}"#
        );
        assert_eq!(
            body(&ApiError::new(ErrorCode::UnknownOperationException, "")),
            r#"{"__type":"UnknownOperationException"}"#
        );
    }

    #[test]
    fn messages_are_json_escaped() {
        let e = ApiError::new(ErrorCode::InvalidRequestException, "a \"quoted\"\n\\ line");
        let v: serde_json::Value = serde_json::from_slice(&e.to_body()).unwrap();
        assert_eq!(v["Message"], "a \"quoted\"\n\\ line");
    }

    #[test]
    fn from_parts_maps_known_codes_and_passes_others_through() {
        let e = ApiError::from_parts("InvalidSignatureException", 400, "Signature expired");
        assert_eq!(e.code, ErrorCode::InvalidSignatureException);
        assert_eq!(
            body(&e),
            r#"{"__type":"InvalidSignatureException","message":"Signature expired"}"#
        );
        let e = ApiError::from_parts("InvalidSignatureException", 403, "x");
        assert_eq!(
            e.code,
            ErrorCode::Other {
                code: "InvalidSignatureException",
                status: 403
            }
        );
        assert_eq!(e.status(), 403);
        let e = ApiError::from_parts("ExpiredTokenException", 400, "expired");
        assert_eq!(e.code_str(), "ExpiredTokenException");
        assert_eq!(e.status(), 400);
        assert_eq!(
            body(&e),
            r#"{"__type":"ExpiredTokenException","message":"expired"}"#
        );
    }

    #[test]
    fn every_modelled_error_has_a_code_with_the_model_status() {
        for (name, fault) in crate::MODELLED_ERRORS {
            let code =
                ErrorCode::from_name(name).unwrap_or_else(|| panic!("no ErrorCode for {name}"));
            assert!(code.is_modelled());
            assert_eq!(code.status(), if *fault { 500 } else { 400 }, "{name}");
            assert_eq!(code.message_key(), "Message");
        }
        let modelled = NAMED_ERROR_CODES.iter().filter(|c| c.is_modelled()).count();
        assert_eq!(modelled, crate::MODELLED_ERRORS.len());
    }

    #[test]
    fn names_round_trip() {
        for code in NAMED_ERROR_CODES {
            assert_eq!(ErrorCode::from_name(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::from_name("Nope"), None);
    }

    #[test]
    fn not_implemented_names_the_operation() {
        let e = ApiError::not_implemented(Operation::RotateSecret);
        assert_eq!(e.code, ErrorCode::InvalidRequestException);
        assert_eq!(e.message, "Cofre does not support RotateSecret yet.");
    }
}
