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
            kms_key_ids: Some(vec![match &secret.meta.kms_key_id {
                Some(k) => k.clone(),
                None => DEFAULT_KEY_MARKER.to_owned(),
            }]),
        })
        .collect();
    Ok(ListSecretVersionIdsResponse {
        versions: Some(entries),
        next_token,
        arn: Some(secret.row.arn),
        name: Some(secret.row.name),
    })
}
