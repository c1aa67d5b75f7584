//! Key rotation: EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus,
//! RotateKeyOnDemand.

use cofre_api::kms::{
    DisableKeyRotationRequest, DisableKeyRotationResponse, EnableKeyRotationRequest,
    EnableKeyRotationResponse, GetKeyRotationStatusRequest, GetKeyRotationStatusResponse,
    RotateKeyOnDemandRequest, RotateKeyOnDemandResponse,
};
use cofre_api::{ApiError, Context};

use super::{kms_err, request_keys, required, ts};
use crate::kms::KeyState;
use crate::Service;

pub(super) async fn enable_key_rotation(
    svc: &Service,
    ctx: &Context,
    input: EnableKeyRotationRequest,
) -> Result<EnableKeyRotationResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let mut keys = request_keys(ctx, Some(&key_ref));
    if let Some(days) = input.rotation_period_in_days {
        keys.insert("kms:RotationPeriodInDays", days.to_string());
    }
    let key = svc
        .resolve_key(ctx, &key_ref, "kms:EnableKeyRotation", keys)
        .await?;
    svc.kms
        .enable_key_rotation(
            &key.account_id,
            &key.region,
            &key.arn,
            input.rotation_period_in_days,
        )
        .await
        .map_err(kms_err)?;
    Ok(EnableKeyRotationResponse {})
}

pub(super) async fn disable_key_rotation(
    svc: &Service,
    ctx: &Context,
    input: DisableKeyRotationRequest,
) -> Result<DisableKeyRotationResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:DisableKeyRotation",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    svc.kms
        .disable_key_rotation(&key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(DisableKeyRotationResponse {})
}

pub(super) async fn get_key_rotation_status(
    svc: &Service,
    ctx: &Context,
    input: GetKeyRotationStatusRequest,
) -> Result<GetKeyRotationStatusResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:GetKeyRotationStatus",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    // AWS: "While a KMS key is pending deletion, its key rotation status is false".
    let enabled = key.rotation_enabled && !matches!(key.state, KeyState::PendingDeletion);
    Ok(GetKeyRotationStatusResponse {
        key_rotation_enabled: Some(enabled),
        key_id: Some(key.key_id.clone()),
        rotation_period_in_days: key.rotation_period_days.filter(|_| enabled),
        next_rotation_date: key.next_rotation_ms.filter(|_| enabled).map(ts),
        on_demand_rotation_start_date: None,
    })
}

pub(super) async fn rotate_key_on_demand(
    svc: &Service,
    ctx: &Context,
    input: RotateKeyOnDemandRequest,
) -> Result<RotateKeyOnDemandResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:RotateKeyOnDemand",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    let key = svc
        .kms
        .rotate_key_on_demand(svc.keys.root(), &key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(RotateKeyOnDemandResponse {
        key_id: Some(key.key_id),
    })
}
