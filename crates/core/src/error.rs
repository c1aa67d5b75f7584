//! Error helpers: every domain failure leaves as an [`ApiError`] with AWS's error type.
//!
//! Inner failures (store, crypto, serialization) become `InternalServiceError`; their detail is
//! logged, never sent, so nothing stored can leak through a message.

use cofre_api::{ApiError, ErrorCode};

/// AWS's text when a secret id resolves to nothing.
pub const SECRET_NOT_FOUND: &str = "Secrets Manager can't find the specified secret.";
/// AWS's text for reads and writes on a secret that is scheduled for deletion.
pub const MARKED_FOR_DELETION: &str =
    "You can't perform this operation on the secret because it was marked for deletion.";

/// Logs `detail` and returns an opaque `InternalServiceError`.
pub fn internal(detail: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %detail, "internal error");
    ApiError::new(
        ErrorCode::InternalServiceError,
        "An error occurred on the server side.",
    )
}

/// `ResourceNotFoundException` for a secret id.
pub fn not_found() -> ApiError {
    ApiError::new(ErrorCode::ResourceNotFoundException, SECRET_NOT_FOUND)
}

/// `InvalidParameterException` with `msg`.
pub fn invalid_parameter(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameterException, msg)
}

/// `InvalidRequestException` with `msg`.
pub fn invalid_request(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRequestException, msg)
}
