//! DescribeSecret, and the metadata view it shares with ListSecrets.

use std::collections::BTreeMap;

use cofre_api::{
    ApiError, Context, DescribeSecretRequest, DescribeSecretResponse, RotationRulesType,
    SecretListEntry, Tag, Timestamp,
};

use super::model::Secret;
use super::Service;
use crate::clock::ms_to_secs;
use crate::rotation::engine::schedule_anchor;
use crate::rotation::schedule::Schedule;

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
    let e = list_entry(&s, svc.now_ms());
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
        rotation_enabled: e.rotation_enabled,
        rotation_lambda_arn: e.rotation_lambda_arn,
        rotation_rules: e.rotation_rules,
        last_rotated_date: e.last_rotated_date,
        next_rotation_date: e.next_rotation_date,
        ..Default::default()
    })
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_secs(ms_to_secs(ms))
}

/// The metadata view of a secret, as ListSecrets shows it.
pub(super) fn list_entry(s: &Secret, now_ms: i64) -> SecretListEntry {
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
        ..rotation_fields(s, now_ms)
    }
}

/// RotationEnabled, RotationLambdaARN, RotationRules, LastRotatedDate and NextRotationDate,
/// as AWS shows them: nothing before the first RotateSecret; NextRotationDate only while
/// rotation is on and has a schedule.
fn rotation_fields(s: &Secret, now_ms: i64) -> SecretListEntry {
    let Some(r) = &s.meta.rotation else {
        return SecretListEntry::default();
    };
    let schedule = r.rules.as_ref().and_then(|x| Schedule::parse(x).ok());
    let anchor = schedule_anchor(s);
    SecretListEntry {
        rotation_enabled: Some(r.enabled),
        rotation_lambda_arn: r.lambda_arn.clone(),
        rotation_rules: schedule.as_ref().map(|sc| {
            let d = sc.display_at(Some(anchor), now_ms);
            RotationRulesType {
                automatically_after_days: d.automatically_after_days,
                duration: d.duration,
                schedule_expression: d.schedule_expression,
            }
        }),
        last_rotated_date: r.last_rotated_ms.map(ts),
        next_rotation_date: schedule
            .filter(|_| r.enabled)
            .map(|sc| ts(sc.next_rotation_date_ms(Some(anchor), now_ms))),
        ..Default::default()
    }
}
