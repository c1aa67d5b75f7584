//! CancelRotateSecret: turns automatic rotation off and drops a rotation in progress. The
//! function and rules stay (DescribeSecret still shows them, with RotationEnabled false);
//! a version a cancelled run created keeps AWSPENDING, and its id is the answer's VersionId,
//! for the caller to clean up as AWS advises.

use cofre_api::{ApiError, CancelRotateSecretRequest, CancelRotateSecretResponse, Context};

use super::resolve::keys;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::error::{invalid_request, MARKED_FOR_DELETION};
use crate::rotation::engine::pending_elsewhere;

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: CancelRotateSecretRequest,
) -> Result<CancelRotateSecretResponse, ApiError> {
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:CancelRotateSecret",
                keys(&[]),
            )
            .await?;
        if secret.is_deleted() {
            return Err(invalid_request(MARKED_FOR_DELETION));
        }
        let pending = pending_elsewhere(&secret);
        let Some(state) = secret.meta.rotation.as_mut() else {
            // Never configured: nothing to turn off.
            return Ok(CancelRotateSecretResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                version_id: None,
            });
        };
        let version_id = state.run.take().map(|r| r.token).or(pending);
        state.enabled = false;
        secret.meta.last_changed_ms = svc.now_ms();
        if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done) {
            return Ok(CancelRotateSecretResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                version_id,
            });
        }
    }
    Err(super::too_much_contention())
}
