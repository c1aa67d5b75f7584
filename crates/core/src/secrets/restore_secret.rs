//! RestoreSecret: cancel a scheduled deletion.

use cofre_api::{ApiError, Context, RestoreSecretRequest, RestoreSecretResponse};

use super::{Committed, Service, MAX_WRITE_ATTEMPTS};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: RestoreSecretRequest,
) -> Result<RestoreSecretResponse, ApiError> {
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:RestoreSecret",
                Default::default(),
            )
            .await?;
        if secret.is_deleted() {
            secret.row.purge_at_ms = None;
            secret.meta.deleted_ms = None;
            if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Retry) {
                continue;
            }
        }
        return Ok(RestoreSecretResponse {
            arn: Some(secret.row.arn),
            name: Some(secret.row.name),
        });
    }
    Err(super::too_much_contention())
}
