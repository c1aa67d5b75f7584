//! RotateSecret: stores the rotation configuration (function and rules) and starts a rotation
//! (or, with `RotateImmediately=false`, a test of the configuration) that the engine in
//! `rotation/` runs asynchronously.

use cofre_api::{ApiError, Context, ErrorCode, RotateSecretRequest, RotateSecretResponse};

use super::model::AWSCURRENT;
use super::resolve::keys;
use super::rules::token_or_new;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::error::{invalid_parameter, invalid_request, MARKED_FOR_DELETION};
use crate::rotation::engine::{add_pending_placeholder, pending_elsewhere};
use crate::rotation::functions::FunctionArn;
use crate::rotation::schedule::{RulesInput, Schedule};
use crate::rotation::RotationState;

/// AWS's answer while AWSPENDING is on a version other than AWSCURRENT's.
pub const PREVIOUS_ROTATION_INCOMPLETE: &str =
    "A previous rotation isn't complete. That rotation will be reattempted.";
/// AWS's answer for a function it cannot invoke (AccessDeniedException).
pub const CANNOT_INVOKE: &str = "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com.";

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: RotateSecretRequest,
) -> Result<RotateSecretResponse, ApiError> {
    if input.external_secret_rotation_metadata.is_some()
        || input.external_secret_rotation_role_arn.is_some()
    {
        return Err(invalid_request(
            "Cofre does not support managed external secret rotation; use RotationLambdaARN.",
        ));
    }
    let rules = input.rotation_rules.map(|r| RulesInput {
        automatically_after_days: r.automatically_after_days,
        schedule_expression: r.schedule_expression,
        duration: r.duration,
    });
    if let Some(r) = &rules {
        Schedule::parse(r).map_err(|e| ApiError::from_parts(e.code, 400, e.message))?;
    }
    let immediately = input.rotate_immediately.unwrap_or(true);
    let token = token_or_new(input.client_request_token);
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(ctx, &secret_id, "secretsmanager:RotateSecret", keys(&[]))
            .await?;
        if secret.is_deleted() {
            return Err(invalid_request(MARKED_FOR_DELETION));
        }
        let mut state: RotationState = secret.meta.rotation.clone().unwrap_or_default();
        // A retry of the same request: the run it started is the answer.
        if state.run.as_ref().is_some_and(|r| r.token == token) {
            return Ok(answer(&secret, immediately.then_some(token)));
        }
        if state.run.is_some() || pending_elsewhere(&secret).is_some() {
            return Err(invalid_request(PREVIOUS_ROTATION_INCOMPLETE));
        }
        if secret.version_with_stage(AWSCURRENT).is_none() {
            return Err(invalid_request(
                "You can't rotate a secret that has no AWSCURRENT version. Add a value with PutSecretValue first.",
            ));
        }
        if secret.version(&token).is_some() {
            return Err(ApiError::new(
                ErrorCode::ResourceExistsException,
                format!("A resource with the ID you requested already exists: version {token}."),
            ));
        }
        let lambda = input
            .rotation_lambda_arn
            .clone()
            .filter(|a| !a.is_empty())
            .or_else(|| state.lambda_arn.clone())
            .ok_or_else(|| {
                invalid_request("No Lambda rotation function ARN is associated with this secret.")
            })?;
        let function = FunctionArn::parse(&lambda).ok_or_else(|| {
            invalid_parameter(format!("{lambda} is not a valid Lambda function ARN."))
        })?;
        if function.account != secret.row.account_id
            || function.region != secret.row.region
            || svc.rotation_function(&function).await.is_err()
        {
            return Err(ApiError::new(
                ErrorCode::AccessDeniedException,
                CANNOT_INVOKE,
            ));
        }
        let now = svc.now_ms();
        if rules.is_some() || !state.enabled {
            state.configured_ms = now;
        }
        if let Some(r) = &rules {
            state.rules = Some(r.clone());
        }
        state.enabled = true;
        state.lambda_arn = Some(lambda);
        state.last_window_start_ms = None;
        let deadline = now.saturating_add(svc.rotation_settings().immediate_deadline_ms);
        state.run = Some(Service::new_run(token.clone(), !immediately, now, deadline));
        secret.meta.rotation = Some(state);
        secret.meta.last_changed_ms = now;
        // As AWS does, the new version exists (empty, staged AWSPENDING) before createSecret.
        let dropped = if immediately {
            add_pending_placeholder(&mut secret, &token, now)?
        } else {
            vec![]
        };
        if matches!(svc.commit(&secret, vec![], dropped).await?, Committed::Done) {
            svc.index_rotating(&secret).await;
            svc.kick_rotation();
            return Ok(answer(&secret, immediately.then_some(token)));
        }
    }
    Err(super::too_much_contention())
}

fn answer(secret: &super::model::Secret, version_id: Option<String>) -> RotateSecretResponse {
    RotateSecretResponse {
        arn: Some(secret.row.arn.clone()),
        name: Some(secret.row.name.clone()),
        version_id,
    }
}
