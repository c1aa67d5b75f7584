//! DescribeSecret, and the metadata view it shares with ListSecrets.

use std::collections::BTreeMap;

use cofre_api::{
    ApiError, Context, DescribeSecretRequest, DescribeSecretResponse, SecretListEntry, Tag,
    Timestamp,
};

use super::model::Secret;
use super::Service;
use crate::clock::ms_to_secs;

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: DescribeSecretRequest,
) -> Result<DescribeSecretResponse, ApiError> {
    let s = svc
        .resolve(
            ctx,
            input.secret_id.as_deref().unwrap_or_default(),
            "secretsmanager:DescribeSecret",
            Default::default(),
        )
        .await?;
    let e = list_entry(&s);
    Ok(DescribeSecretResponse {
        arn: e.arn,
        name: e.name,
        description: e.description,
        kms_key_id: e.kms_key_id,
        last_changed_date: e.last_changed_date,
        last_accessed_date: e.last_accessed_date,
        deleted_date: e.deleted_date,
        tags: e.tags,
        version_ids_to_stages: e.secret_versions_to_stages,
        created_date: e.created_date,
        ..Default::default()
    })
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_secs(ms_to_secs(ms))
}

/// The metadata view of a secret, as ListSecrets shows it.
pub(super) fn list_entry(s: &Secret) -> SecretListEntry {
    let stages: BTreeMap<String, Vec<String>> = s
        .meta
        .versions
        .iter()
        .filter(|v| !v.stages.is_empty())
        .map(|v| (v.id.clone(), v.stages.clone()))
        .collect();
    SecretListEntry {
        arn: Some(s.row.arn.clone()),
        name: Some(s.row.name.clone()),
        description: s.meta.description.clone(),
        kms_key_id: s.meta.kms_key_id.clone(),
        last_changed_date: Some(ts(s.meta.last_changed_ms)),
        last_accessed_date: s.meta.last_accessed_day_ms.map(ts),
        deleted_date: s.meta.deleted_ms.map(ts),
        tags: (!s.meta.tags.is_empty()).then(|| {
            s.meta
                .tags
                .iter()
                .map(|t| Tag {
                    key: Some(t.key.clone()),
                    value: Some(t.value.clone()),
                })
                .collect()
        }),
        secret_versions_to_stages: (!stages.is_empty()).then_some(stages),
        created_date: Some(ts(s.meta.created_ms)),
        ..Default::default()
    }
}
