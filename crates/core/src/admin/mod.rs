//! The Cofre admin API (`X-Amz-Target: CofreAdmin.<Op>`, signing name `cofre`): what IAM
//! has no API for — accounts, their root keys, and declarative convergence.

use cofre_api::{ApiError, Context};

use crate::Service;

/// Dispatches one admin operation.
pub async fn dispatch(
    svc: &Service,
    ctx: &Context,
    op: &str,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let _ = (svc, ctx, body);
    Err(ApiError::from_parts(
        "UnknownOperationException",
        400,
        format!("Unknown admin operation {op}."),
    ))
}
