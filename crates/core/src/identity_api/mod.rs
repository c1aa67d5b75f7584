//! The IAM and STS APIs (awsQuery, generated in `cofre_api::iam`/`cofre_api::sts`) over the
//! identity domain in [`crate::iam`]: one place that converts wire shapes to domain calls,
//! authorizes each call (`iam:<Action>` on the entity's ARN) and maps errors.

mod iam;
#[cfg(test)]
mod iam_tests;
mod sts;

use cofre_api::QueryError;

use crate::authz::AuthzError;
use crate::iam::IamError;

impl From<IamError> for QueryError {
    fn from(e: IamError) -> Self {
        let sender = e.status < 500;
        let mut q = QueryError::new(e.code, e.status, e.message);
        q.sender_fault = sender;
        q
    }
}

impl From<AuthzError> for QueryError {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Denied(m) => QueryError::access_denied(m),
            AuthzError::Internal(m) => {
                tracing::error!(error = %m, "authorization failed internally");
                QueryError::internal_failure()
            }
        }
    }
}

/// `2026-11-29T07:01:29Z`-style timestamps are the wire layer's job; the domain keeps ms.
pub(crate) fn ts(ms: i64) -> cofre_api::Timestamp {
    cofre_api::Timestamp::from_millis(ms)
}
