//! [`RotatorError`]: why a rotation step failed, in words that never include a password.

/// A failed rotation step.
///
/// The variants follow what AWS's templates raise, so the reason recorded for a failed
/// rotation reads as it would on AWS. No message carries a password or a secret value:
/// messages are built from secret ids, version ids, user and host names, and database error
/// texts of statements that hold no password (statements that do are reported by SQLSTATE or
/// error number only).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotatorError {
    /// What the templates raise as `ValueError`: the versions are not staged for rotation,
    /// the secret is not valid JSON, no credentials log in, users or hosts don't match.
    #[error("{0}")]
    Invalid(String),
    /// What the templates raise as `KeyError`: a required key is missing from the secret
    /// JSON, or it names another database engine.
    #[error("{0}")]
    MissingKey(String),
    /// `ResourceNotFoundException`: a secret version or staging label the step needs does
    /// not exist.
    #[error("{0}")]
    NotFound(String),
    /// A Secrets Manager call failed. [`crate::SecretsApi`] implementations return this with
    /// the AWS error code and message.
    #[error("{code}: {message}")]
    Service {
        /// AWS error code, e.g. `InvalidParameterException`.
        code: String,
        /// AWS's message.
        message: String,
    },
    /// A statement failed after logging in to the database.
    #[error("{0}")]
    Database(String),
}

impl RotatorError {
    /// A failed statement that holds no secret: the database's message is kept.
    pub(crate) fn database(context: &str, err: &sqlx::Error) -> Self {
        Self::Database(format!("{context}: {err}"))
    }

    /// A failed statement that holds a password: only the SQLSTATE / error number is kept,
    /// since a server's message may quote part of the statement (`… near '…'`).
    pub(crate) fn database_redacted(context: &str, err: &sqlx::Error) -> Self {
        let code = err
            .as_database_error()
            .and_then(|d| d.code().map(|c| c.into_owned()))
            .unwrap_or_else(|| "connection error".to_owned());
        Self::Database(format!("{context} failed ({code})"))
    }
}
