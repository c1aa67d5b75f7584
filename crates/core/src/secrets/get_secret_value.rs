//! GetSecretValue.

use cofre_api::{ApiError, Context, GetSecretValueRequest, GetSecretValueResponse};

use super::model::{Secret, AWSCURRENT};
use super::resolve::keys;
use super::value::SecretValue;
use super::{Committed, Service};
use crate::clock::{day_start, ms_to_secs};
use crate::error::{internal, invalid_request, MARKED_FOR_DELETION};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: GetSecretValueRequest,
) -> Result<GetSecretValueResponse, ApiError> {
    let secret = svc
        .resolve(
            ctx,
            input.secret_id.as_deref().unwrap_or_default(),
            "secretsmanager:GetSecretValue",
            keys(&[
                ("secretsmanager:VersionId", input.version_id.clone()),
                ("secretsmanager:VersionStage", input.version_stage.clone()),
            ]),
        )
        .await?;
    read(
        svc,
        ctx,
        secret,
        input.version_id.as_deref(),
        input.version_stage.as_deref(),
    )
    .await
}

/// Reads one version (by id and/or stage, AWSCURRENT by default); shared with
/// BatchGetSecretValue.
pub(super) async fn read(
    svc: &Service,
    ctx: &Context,
    secret: Secret,
    version_id: Option<&str>,
    version_stage: Option<&str>,
) -> Result<GetSecretValueResponse, ApiError> {
    if secret.is_deleted() {
        return Err(invalid_request(MARKED_FOR_DELETION));
    }
    let version = match (version_id, version_stage) {
        (Some(id), stage) => secret
            .version(id)
            .filter(|v| stage.is_none_or(|st| v.stages.iter().any(|s| s == st)))
            .ok_or_else(|| {
                value_not_found(match stage {
                    Some(st) => format!("VersionId: {id} and staging label: {st}"),
                    None => format!("VersionId: {id}"),
                })
            })?,
        (None, stage) => {
            let stage = stage.unwrap_or(AWSCURRENT);
            secret
                .version_with_stage(stage)
                .ok_or_else(|| value_not_found(format!("staging label: {stage}")))?
        }
    }
    .clone();
    if version.empty {
        return Err(value_not_found(match (version_id, version_stage) {
            (Some(id), _) => format!("VersionId: {id}"),
            (None, stage) => format!("staging label: {}", stage.unwrap_or(AWSCURRENT)),
        }));
    }
    let value = svc.read_value(ctx, &secret, &version.id).await?;
    let (arn, name) = (secret.row.arn.clone(), secret.row.name.clone());
    touch(svc, secret, &version.id).await?;
    let (secret_string, secret_binary) = match value {
        SecretValue::String(s) => (Some(s), None),
        SecretValue::Binary(b) => (None, Some(b)),
    };
    Ok(GetSecretValueResponse {
        arn: Some(arn),
        name: Some(name),
        version_id: Some(version.id),
        secret_string,
        secret_binary,
        version_stages: Some(version.stages),
        created_date: Some(cofre_api::Timestamp::from_secs(ms_to_secs(
            version.created_ms,
        ))),
    })
}

fn value_not_found(what: String) -> ApiError {
    cofre_api::ApiError::new(
        cofre_api::ErrorCode::ResourceNotFoundException,
        format!("Secrets Manager can't find the specified secret value for {what}"),
    )
}

/// Records the day of access, at most one write per secret and version per day (AWS reports
/// LastAccessedDate at day resolution). A lost race is retried from a fresh read: the other
/// writer may have been a put or a label move that recorded nothing about this read.
async fn touch(svc: &Service, mut secret: Secret, version_id: &str) -> Result<(), ApiError> {
    let today = day_start(svc.now_ms());
    for _ in 0..super::MAX_WRITE_ATTEMPTS {
        if secret.meta.last_accessed_day_ms == Some(today)
            && secret
                .version(version_id)
                .is_none_or(|v| v.last_accessed_day_ms == Some(today))
        {
            return Ok(());
        }
        secret.meta.last_accessed_day_ms = Some(today);
        if let Some(v) = secret.meta.versions.iter_mut().find(|v| v.id == version_id) {
            v.last_accessed_day_ms = Some(today);
        }
        match svc.commit(&secret, vec![], vec![]).await {
            Ok(Committed::Done) => return Ok(()),
            Ok(Committed::Retry) => match svc.load_by_arn(&secret.row.arn).await {
                Ok(Some(fresh)) => secret = fresh,
                // Gone, or unreadable: nothing left to record on.
                Ok(None) => return Ok(()),
                Err(e) => return Err(internal(format!("recording access date: {e}"))),
            },
            Err(e) => return Err(internal(format!("recording access date: {}", e.message))),
        }
    }
    tracing::warn!(arn = %secret.row.arn, "access date not recorded: too much contention");
    Ok(())
}
