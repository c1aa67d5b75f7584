//! PutSecretValue.

use cofre_api::{ApiError, Context, PutSecretValueRequest, PutSecretValueResponse};

use super::model::AWSCURRENT;
use super::resolve::keys;
use super::rules::token_or_new;
use super::value::SecretValue;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::error::{invalid_parameter, invalid_request, MARKED_FOR_DELETION};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: PutSecretValueRequest,
) -> Result<PutSecretValueResponse, ApiError> {
    // RotationToken (what a rotation function received in its event) is accepted and not
    // checked: the step's credentials already bound the call to the secret being rotated.
    let value =
        SecretValue::from_request(input.secret_string, input.secret_binary)?.ok_or_else(|| {
            invalid_parameter("You must provide either SecretString or SecretBinary.")
        })?;
    let stages = input
        .version_stages
        .unwrap_or_else(|| vec![AWSCURRENT.to_owned()]);
    let token = token_or_new(input.client_request_token);
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:PutSecretValue",
                keys(&[("secretsmanager:VersionStage", stages.first().cloned())]),
            )
            .await?;
        if secret.is_deleted() {
            return Err(invalid_request(MARKED_FOR_DELETION));
        }
        let staged = svc
            .stage_version(ctx, &mut secret, &token, &value, &stages)
            .await?;
        let done = if staged.created {
            matches!(
                svc.commit(&secret, staged.put, staged.dropped).await?,
                Committed::Done
            )
        } else {
            true
        };
        if done {
            let version_stages = secret.version(&staged.version_id).map(|v| v.stages.clone());
            return Ok(PutSecretValueResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                version_id: Some(staged.version_id),
                version_stages,
            });
        }
    }
    Err(super::too_much_contention())
}
