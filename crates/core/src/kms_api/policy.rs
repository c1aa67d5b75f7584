//! Key policies: GetKeyPolicy, PutKeyPolicy, ListKeyPolicies. A key has exactly one policy,
//! named `default`.

use cofre_api::kms::{
    self as wire, GetKeyPolicyRequest, GetKeyPolicyResponse, ListKeyPoliciesRequest,
    ListKeyPoliciesResponse, PutKeyPolicyRequest, PutKeyPolicyResponse,
};
use cofre_api::{ApiError, Context};

use super::{kms_err, request_keys, required};
use crate::Service;

/// The name of a key's only policy.
const DEFAULT_POLICY: &str = "default";

/// Any policy name but `default` names no policy (AWS answers `AWS_RAM`, its other name, the
/// same way for a key not shared through RAM).
fn check_policy_name(name: Option<&str>) -> Result<(), ApiError> {
    match name {
        None | Some(DEFAULT_POLICY) => Ok(()),
        Some(other) => Err(wire::error(
            "NotFoundException",
            format!("No such policy exists: {other}"),
        )),
    }
}

pub(super) async fn get_key_policy(
    svc: &Service,
    ctx: &Context,
    input: GetKeyPolicyRequest,
) -> Result<GetKeyPolicyResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:GetKeyPolicy",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    check_policy_name(input.policy_name.as_deref())?;
    let policy = svc
        .kms
        .get_key_policy(&key.account_id, &key.region, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(GetKeyPolicyResponse {
        policy: Some(policy),
        policy_name: Some(DEFAULT_POLICY.into()),
    })
}

pub(super) async fn put_key_policy(
    svc: &Service,
    ctx: &Context,
    input: PutKeyPolicyRequest,
) -> Result<PutKeyPolicyResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let policy = required(input.policy, "policy")?;
    let mut keys = request_keys(ctx, Some(&key_ref));
    keys.insert(
        "kms:BypassPolicyLockoutSafetyCheck",
        if input.bypass_policy_lockout_safety_check == Some(true) {
            "true"
        } else {
            "false"
        },
    );
    let key = svc
        .resolve_key(ctx, &key_ref, "kms:PutKeyPolicy", keys)
        .await?;
    check_policy_name(input.policy_name.as_deref())?;
    svc.kms
        .put_key_policy(&key.account_id, &key.region, &key.arn, &policy)
        .await
        .map_err(kms_err)?;
    Ok(PutKeyPolicyResponse {})
}

pub(super) async fn list_key_policies(
    svc: &Service,
    ctx: &Context,
    input: ListKeyPoliciesRequest,
) -> Result<ListKeyPoliciesResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    svc.resolve_key(
        ctx,
        &key_ref,
        "kms:ListKeyPolicies",
        request_keys(ctx, Some(&key_ref)),
    )
    .await?;
    Ok(ListKeyPoliciesResponse {
        policy_names: Some(vec![DEFAULT_POLICY.into()]),
        next_marker: None,
        truncated: Some(false),
    })
}
