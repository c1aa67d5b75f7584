//! PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy and ValidateResourcePolicy.

use cofre_api::{
    ApiError, Context, DeleteResourcePolicyRequest, DeleteResourcePolicyResponse, ErrorCode,
    GetResourcePolicyRequest, GetResourcePolicyResponse, PutResourcePolicyRequest,
    PutResourcePolicyResponse, ValidateResourcePolicyRequest, ValidateResourcePolicyResponse,
    ValidationErrorsEntry,
};
use cofre_policy::{Policy, PolicyKind};

use super::resolve::keys;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::authz::Target;

/// Parses a resource policy, as AWS's MalformedPolicyDocumentException.
fn parse(doc: &str) -> Result<Policy, ApiError> {
    Policy::parse(doc, PolicyKind::Resource)
        .map_err(|e| ApiError::new(ErrorCode::MalformedPolicyDocumentException, e.message))
}

pub(super) async fn put(
    svc: &Service,
    ctx: &Context,
    input: PutResourcePolicyRequest,
) -> Result<PutResourcePolicyResponse, ApiError> {
    let doc = input.resource_policy.unwrap_or_default();
    let block_public = input.block_public_policy.unwrap_or(false);
    let policy = parse(&doc)?;
    if block_public && policy.is_public() {
        return Err(ApiError::new(
            ErrorCode::PublicPolicyException,
            "You can't attach a resource-based policy that allows broad access to the secret.",
        ));
    }
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:PutResourcePolicy",
                keys(&[(
                    "secretsmanager:BlockPublicPolicy",
                    Some(block_public.to_string()),
                )]),
            )
            .await?;
        secret.meta.resource_policy = Some(doc.clone());
        secret.meta.last_changed_ms = svc.now_ms();
        if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done) {
            return Ok(PutResourcePolicyResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                ..Default::default()
            });
        }
    }
    Err(super::too_much_contention())
}

pub(super) async fn get(
    svc: &Service,
    ctx: &Context,
    input: GetResourcePolicyRequest,
) -> Result<GetResourcePolicyResponse, ApiError> {
    let secret = svc
        .resolve(
            ctx,
            input.secret_id.as_deref().unwrap_or_default(),
            "secretsmanager:GetResourcePolicy",
            Default::default(),
        )
        .await?;
    Ok(GetResourcePolicyResponse {
        arn: Some(secret.row.arn),
        name: Some(secret.row.name),
        resource_policy: secret.meta.resource_policy,
        ..Default::default()
    })
}

pub(super) async fn delete(
    svc: &Service,
    ctx: &Context,
    input: DeleteResourcePolicyRequest,
) -> Result<DeleteResourcePolicyResponse, ApiError> {
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:DeleteResourcePolicy",
                Default::default(),
            )
            .await?;
        if secret.meta.resource_policy.take().is_none() {
            return Ok(DeleteResourcePolicyResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                ..Default::default()
            });
        }
        secret.meta.last_changed_ms = svc.now_ms();
        if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done) {
            return Ok(DeleteResourcePolicyResponse {
                arn: Some(secret.row.arn),
                name: Some(secret.row.name),
                ..Default::default()
            });
        }
    }
    Err(super::too_much_contention())
}

pub(super) async fn validate(
    svc: &Service,
    ctx: &Context,
    input: ValidateResourcePolicyRequest,
) -> Result<ValidateResourcePolicyResponse, ApiError> {
    const ACTION: &str = "secretsmanager:ValidateResourcePolicy";
    match input.secret_id.as_deref() {
        Some(id) => {
            svc.resolve(ctx, id, ACTION, Default::default()).await?;
        }
        None => {
            svc.authorize(ctx, ACTION, Target::Any, Default::default())
                .await?
        }
    }
    let findings = cofre_policy::validate(
        input.resource_policy.as_deref().unwrap_or_default(),
        PolicyKind::Resource,
    );
    Ok(ValidateResourcePolicyResponse {
        policy_validation_passed: Some(findings.is_empty()),
        validation_errors: Some(
            findings
                .into_iter()
                .map(|f| ValidationErrorsEntry {
                    check_name: Some(f.check_name),
                    error_message: Some(f.error_message),
                })
                .collect(),
        ),
    })
}
