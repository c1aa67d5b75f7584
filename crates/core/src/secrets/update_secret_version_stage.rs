//! UpdateSecretVersionStage: move or remove one staging label.

use cofre_api::{
    ApiError, Context, ErrorCode, UpdateSecretVersionStageRequest, UpdateSecretVersionStageResponse,
};

use super::labels;
use super::model::AWSCURRENT;
use super::resolve::keys;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::error::{invalid_parameter, invalid_request, MARKED_FOR_DELETION};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: UpdateSecretVersionStageRequest,
) -> Result<UpdateSecretVersionStageResponse, ApiError> {
    let stage = input.version_stage.unwrap_or_default();
    let secret_id = input.secret_id.unwrap_or_default();
    let (move_to, remove_from) = (input.move_to_version_id, input.remove_from_version_id);
    if move_to.is_none() && remove_from.is_none() {
        return Err(invalid_parameter(
            "You must specify MoveToVersionId, RemoveFromVersionId, or both.",
        ));
    }
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:UpdateSecretVersionStage",
                keys(&[("secretsmanager:VersionStage", Some(stage.clone()))]),
            )
            .await?;
        if secret.is_deleted() {
            return Err(invalid_request(MARKED_FOR_DELETION));
        }
        for id in move_to.iter().chain(remove_from.iter()) {
            if secret.version(id).is_none() {
                return Err(ApiError::new(
                    ErrorCode::ResourceNotFoundException,
                    format!(
                        "Secrets Manager can't find the specified secret value for VersionId: {id}"
                    ),
                ));
            }
        }
        let holder = secret.version_with_stage(&stage).map(|v| v.id.clone());
        if let Some(from) = &remove_from {
            if holder.as_deref() != Some(from.as_str()) {
                return Err(invalid_parameter(format!(
                    "The staging label {stage} is not attached to version {from}."
                )));
            }
        }
        match &move_to {
            Some(to) => {
                if let Some(h) = &holder {
                    if h != to && remove_from.as_deref() != Some(h.as_str()) {
                        return Err(invalid_parameter(format!(
                            "The staging label {stage} is currently attached to version {h}. You must specify that version in RemoveFromVersionId to move the label."
                        )));
                    }
                }
                labels::attach(&mut secret.meta, to, std::slice::from_ref(&stage));
            }
            None => {
                if stage == AWSCURRENT {
                    return Err(invalid_parameter(
                        "You can't remove the staging label AWSCURRENT without moving it to another version with MoveToVersionId.",
                    ));
                }
                if let Some(from) = &remove_from {
                    labels::detach(&mut secret.meta, from, &stage);
                }
            }
        }
        secret.meta.last_changed_ms = svc.now_ms();
        if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done) {
            return Ok(UpdateSecretVersionStageResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
            });
        }
    }
    Err(super::too_much_contention())
}
