//! ListSecretVersionIds.

use cofre_api::{
    ApiError, Context, ListSecretVersionIdsRequest, ListSecretVersionIdsResponse,
    SecretVersionsListEntry, Timestamp,
};

use super::{paging, Service};
use crate::clock::ms_to_secs;

/// What AWS reports in `KmsKeyIds` for versions under the AWS-managed default key.
const DEFAULT_KEY_MARKER: &str = "DefaultEncryptionKey";

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: ListSecretVersionIdsRequest,
) -> Result<ListSecretVersionIdsResponse, ApiError> {
    let secret = svc
        .resolve(
            ctx,
            input.secret_id.as_deref().unwrap_or_default(),
            "secretsmanager:ListSecretVersionIds",
            Default::default(),
        )
        .await?;
    let managed_arn = svc
        .kms
        .aws_managed_key_arn(&secret.row.account_id, &secret.row.region)
        .await
        .map_err(|e| crate::error::internal(&e))?;
    // The keys wrapping a version's data key, newest first; the AWS managed key shows as
    // AWS shows it.
    let key_ids = |arn: &String| match &managed_arn {
        Some(m) if m == arn => DEFAULT_KEY_MARKER.to_owned(),
        _ => arn.clone(),
    };
    let include_deprecated = input.include_deprecated.unwrap_or(false);
    let max = input.max_results.unwrap_or(100).clamp(1, 100) as usize;
    // Newest first; the cursor is the id of the last version returned.
    let mut versions: Vec<_> = secret
        .meta
        .versions
        .iter()
        .rev()
        .filter(|v| include_deprecated || !v.stages.is_empty())
        .collect();
    if let Some(t) = input.next_token.as_deref() {
        let last: String = paging::decode(t)?;
        let pos = versions.iter().position(|v| v.id == last).ok_or_else(|| {
            ApiError::new(
                cofre_api::ErrorCode::InvalidNextTokenException,
                "The NextToken value is invalid.",
            )
        })?;
        versions.drain(..=pos);
    }
    let more = versions.len() > max;
    versions.truncate(max);
    let next_token = match (more, versions.last()) {
        (true, Some(v)) => Some(paging::encode(&v.id)?),
        _ => None,
    };
    let entries = versions
        .into_iter()
        .map(|v| SecretVersionsListEntry {
            version_id: Some(v.id.clone()),
            version_stages: Some(v.stages.clone()),
            last_accessed_date: v
                .last_accessed_day_ms
                .map(|ms| Timestamp::from_secs(ms_to_secs(ms))),
            created_date: Some(Timestamp::from_secs(ms_to_secs(v.created_ms))),
            kms_key_ids: Some(
                std::iter::once(&v.kms_key_arn)
                    .chain(&v.previous_kms_key_arns)
                    .map(key_ids)
                    .collect(),
            ),
        })
        .collect();
    Ok(ListSecretVersionIdsResponse {
        versions: Some(entries),
        next_token,
        arn: Some(secret.row.arn),
        name: Some(secret.row.name),
    })
}
