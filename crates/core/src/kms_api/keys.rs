//! Keys: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion,
//! CancelKeyDeletion.

use cofre_api::kms::{
    self as wire, CancelKeyDeletionRequest, CancelKeyDeletionResponse, CreateKeyRequest,
    CreateKeyResponse, DescribeKeyRequest, DescribeKeyResponse, DisableKeyRequest,
    DisableKeyResponse, EnableKeyRequest, EnableKeyResponse, KeyListEntry, ListKeysRequest,
    ListKeysResponse, ScheduleKeyDeletionRequest, ScheduleKeyDeletionResponse,
};
use cofre_api::{ApiError, Context};

use super::{
    add_tag_keys, domain_tags, kms_err, request_keys, required, state_name, ts, wire_metadata,
    AWS_KMS, ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT,
};
use crate::kms::Page;
use crate::Service;

/// `UnsupportedOperationException` for a feature of CreateKey that Cofre's keys don't have.
fn unsupported(what: String) -> ApiError {
    wire::error(
        "UnsupportedOperationException",
        format!("Cofre does not support {what} yet; its KMS keys are SYMMETRIC_DEFAULT ENCRYPT_DECRYPT keys with AWS_KMS key material."),
    )
}

/// Checks what CreateKey asks for against what Cofre makes: symmetric encryption keys
/// (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`) with key material from KMS (`AWS_KMS`) in a
/// single region. Returns the key spec.
fn check_key_kind(input: &CreateKeyRequest) -> Result<&'static str, ApiError> {
    let spec = match (&input.key_spec, &input.customer_master_key_spec) {
        (Some(a), Some(b)) if a != b => {
            // AWS's front end rejects both (CustomerMasterKeySpec is the deprecated name).
            return Err(ApiError::validation(
                "You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec parameter is deprecated. Use KeySpec parameter instead.",
            ));
        }
        (Some(s), _) | (None, Some(s)) => s.as_str(),
        (None, None) => SYMMETRIC_DEFAULT,
    };
    if spec != SYMMETRIC_DEFAULT {
        return Err(unsupported(format!("KeySpec {spec}")));
    }
    if let Some(usage) = input.key_usage.as_deref() {
        if usage != ENCRYPT_DECRYPT {
            // As AWS answers a symmetric key with another usage.
            return Err(ApiError::validation(format!(
                "KeyUsage {usage} is not compatible with KeySpec {SYMMETRIC_DEFAULT}"
            )));
        }
    }
    if let Some(origin) = input.origin.as_deref() {
        if origin != AWS_KMS {
            return Err(unsupported(format!("Origin {origin}")));
        }
    }
    if input.custom_key_store_id.is_some() || input.xks_key_id.is_some() {
        return Err(unsupported("custom key stores".into()));
    }
    if input.multi_region == Some(true) {
        return Err(unsupported("multi-Region keys".into()));
    }
    Ok(SYMMETRIC_DEFAULT)
}

pub(super) async fn create_key(
    svc: &Service,
    ctx: &Context,
    input: CreateKeyRequest,
) -> Result<CreateKeyResponse, ApiError> {
    let spec = check_key_kind(&input)?;
    let tags = domain_tags(input.tags);
    let mut keys = request_keys(ctx, None);
    keys.insert("kms:KeySpec", spec);
    keys.insert("kms:KeyUsage", ENCRYPT_DECRYPT);
    keys.insert("kms:KeyOrigin", AWS_KMS);
    keys.insert("kms:MultiRegion", "false");
    keys.insert(
        "kms:BypassPolicyLockoutSafetyCheck",
        if input.bypass_policy_lockout_safety_check == Some(true) {
            "true"
        } else {
            "false"
        },
    );
    add_tag_keys(&mut keys, &tags);
    svc.authorize_any_key(ctx, "kms:CreateKey", keys).await?;
    let key = svc
        .kms
        .create_key(
            svc.keys.root(),
            &ctx.account_id,
            &ctx.region,
            input.description,
            input.policy,
            tags,
        )
        .await
        .map_err(kms_err)?;
    Ok(CreateKeyResponse {
        key_metadata: Some(wire_metadata(&key)),
    })
}

pub(super) async fn describe_key(
    svc: &Service,
    ctx: &Context,
    input: DescribeKeyRequest,
) -> Result<DescribeKeyResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:DescribeKey",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    Ok(DescribeKeyResponse {
        key_metadata: Some(wire_metadata(&key)),
    })
}

pub(super) async fn list_keys(
    svc: &Service,
    ctx: &Context,
    input: ListKeysRequest,
) -> Result<ListKeysResponse, ApiError> {
    svc.authorize_any_key(ctx, "kms:ListKeys", request_keys(ctx, None))
        .await?;
    let page = Page {
        marker: input.marker,
        limit: input.limit,
    };
    let listed = svc
        .kms
        .list_keys(&ctx.account_id, &ctx.region, &page)
        .await
        .map_err(kms_err)?;
    Ok(ListKeysResponse {
        keys: Some(
            listed
                .items
                .into_iter()
                .map(|k| KeyListEntry {
                    key_id: Some(k.key_id),
                    key_arn: Some(k.arn),
                })
                .collect(),
        ),
        next_marker: listed.next_marker.filter(|_| listed.truncated),
        truncated: Some(listed.truncated),
    })
}

pub(super) async fn enable_key(
    svc: &Service,
    ctx: &Context,
    input: EnableKeyRequest,
) -> Result<EnableKeyResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:EnableKey",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    svc.kms
        .enable_key(&key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(EnableKeyResponse {})
}

pub(super) async fn disable_key(
    svc: &Service,
    ctx: &Context,
    input: DisableKeyRequest,
) -> Result<DisableKeyResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:DisableKey",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    svc.kms
        .disable_key(&key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(DisableKeyResponse {})
}

pub(super) async fn schedule_key_deletion(
    svc: &Service,
    ctx: &Context,
    input: ScheduleKeyDeletionRequest,
) -> Result<ScheduleKeyDeletionResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let mut keys = request_keys(ctx, Some(&key_ref));
    if let Some(days) = input.pending_window_in_days {
        keys.insert(
            "kms:ScheduleKeyDeletionPendingWindowInDays",
            days.to_string(),
        );
    }
    let key = svc
        .resolve_key(ctx, &key_ref, "kms:ScheduleKeyDeletion", keys)
        .await?;
    let key = svc
        .kms
        .schedule_key_deletion(
            &key.account_id,
            &key.region,
            &key.arn,
            input.pending_window_in_days,
        )
        .await
        .map_err(kms_err)?;
    Ok(ScheduleKeyDeletionResponse {
        key_id: Some(key.arn.clone()),
        deletion_date: key.deletion_ms.map(ts),
        key_state: Some(state_name(&key.state).into()),
        pending_window_in_days: key.pending_window_days,
    })
}

pub(super) async fn cancel_key_deletion(
    svc: &Service,
    ctx: &Context,
    input: CancelKeyDeletionRequest,
) -> Result<CancelKeyDeletionResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:CancelKeyDeletion",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    let key = svc
        .kms
        .cancel_key_deletion(&key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(CancelKeyDeletionResponse {
        key_id: Some(key.arn),
    })
}
