//! The CloudTrail API (awsJson 1.1,
//! `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.<Op>`, generated in
//! `cofre_api::cloudtrail`) over the audit trail in [`crate::audit`]: the query side, so
//! `aws cloudtrail lookup-events` and the SDKs read Cofre's audit events as they read
//! CloudTrail's.
//!
//! | file | operations |
//! |---|---|
//! | `lookup_events.rs` | LookupEvents |
//!
//! Only LookupEvents is generated; every other CloudTrail operation is unknown to the wire
//! layer and answers `UnknownOperationException`.
//!
//! # Authorization
//!
//! LookupEvents acts on no particular resource: it is decided as `cloudtrail:LookupEvents` on
//! `*` with [`Service::decide`](crate::Service::decide), like AWS (which has no resource-level
//! permissions for it). A caller sees only the events of its own account.

mod lookup_events;

use cofre_api::cloudtrail as wire;
use cofre_api::ApiError;

use crate::authz::AuthzError;

/// An authorization failure on the wire: `AccessDeniedException` with AWS's text, or an
/// internal error (logged).
pub(crate) fn authz_err(e: AuthzError) -> ApiError {
    match e {
        AuthzError::Denied(m) => ApiError::new(cofre_api::ErrorCode::AccessDeniedException, m),
        AuthzError::Internal(m) => {
            tracing::error!(error = %m, "CloudTrail authorization failed internally");
            ApiError::internal()
        }
    }
}

/// A CloudTrail error with the model's status.
pub(crate) fn error(code: &'static str, message: impl Into<String>) -> ApiError {
    wire::error(code, message)
}
