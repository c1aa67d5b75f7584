//! `CreateRotationFunction`, `ListRotationFunctions`, `DeleteRotationFunction`: the `exec`
//! and `webhook` rotation functions of an account (see `rotation/functions.rs`). Operator
//! only, like every admin operation: an `exec` function runs a command on the server's host.

use cofre_api::{ApiError, Context, ErrorCode};
use serde::{Deserialize, Serialize};

use super::{authorize, check_account_id, encode};
use crate::clock::ms_to_secs;
use crate::rotation::functions::{valid_name, FunctionArn, FunctionError, NewFunction};
use crate::Service;

/// CreateRotationFunction's input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(super) struct CreateInput {
    account_id: Option<String>,
    region: Option<String>,
    name: String,
    kind: String,
    command: Option<String>,
    url: Option<String>,
    timeout_seconds: Option<u64>,
}

/// DeleteRotationFunction's input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(super) struct DeleteInput {
    account_id: Option<String>,
    region: Option<String>,
    name: String,
}

/// ListRotationFunctions's input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(super) struct ListInput {
    account_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Created<'a> {
    function_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_key: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Listed {
    function_arn: String,
    kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    command: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    timeout_seconds: u64,
    created_date: f64,
}

fn target(
    ctx: &Context,
    account: Option<String>,
    region: Option<String>,
    name: &str,
) -> Result<FunctionArn, ApiError> {
    let account = account.unwrap_or_else(|| ctx.account_id.clone());
    check_account_id(&account)?;
    if !valid_name(name) {
        return Err(ApiError::validation(format!(
            "1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]{{1,64}}"
        )));
    }
    Ok(FunctionArn {
        region: region.unwrap_or_else(|| ctx.region.clone()),
        account,
        name: name.to_owned(),
    })
}

fn function_error(e: FunctionError) -> ApiError {
    match e {
        FunctionError::Invalid(m) => ApiError::new(ErrorCode::InvalidParameterException, m),
        FunctionError::Exists(_) => {
            ApiError::new(ErrorCode::ResourceExistsException, e.to_string())
        }
        FunctionError::NotFound(_) => {
            ApiError::new(ErrorCode::ResourceNotFoundException, e.to_string())
        }
        FunctionError::Internal(m) => crate::error::internal(m),
    }
}

pub(super) async fn create(
    svc: &Service,
    ctx: &Context,
    input: CreateInput,
) -> Result<Vec<u8>, ApiError> {
    let arn = target(ctx, input.account_id, input.region, &input.name)?;
    authorize(svc, ctx, "CreateRotationFunction", &arn.account).await?;
    let key = svc
        .create_rotation_function(NewFunction {
            arn: arn.clone(),
            kind: input.kind,
            command: input.command,
            url: input.url,
            timeout_secs: input.timeout_seconds,
        })
        .await
        .map_err(function_error)?;
    let key_text = match &key {
        Some(k) => Some(
            k.expose_str()
                .map_err(|_| crate::error::internal("webhook key is not text"))?,
        ),
        None => None,
    };
    encode(&Created {
        function_arn: arn.arn(),
        webhook_key: key_text,
    })
}

pub(super) async fn delete(
    svc: &Service,
    ctx: &Context,
    input: DeleteInput,
) -> Result<Vec<u8>, ApiError> {
    let arn = target(ctx, input.account_id, input.region, &input.name)?;
    authorize(svc, ctx, "DeleteRotationFunction", &arn.account).await?;
    svc.delete_rotation_function(&arn)
        .await
        .map_err(function_error)?;
    encode(&serde_json::json!({}))
}

pub(super) async fn list(
    svc: &Service,
    ctx: &Context,
    input: ListInput,
) -> Result<Vec<u8>, ApiError> {
    let account = input.account_id.unwrap_or_else(|| ctx.account_id.clone());
    check_account_id(&account)?;
    authorize(svc, ctx, "ListRotationFunctions", &account).await?;
    let functions = svc
        .list_rotation_functions(&account)
        .await
        .map_err(function_error)?
        .into_iter()
        .map(|(arn, f)| Listed {
            function_arn: arn,
            kind: f.kind,
            command: f.command,
            url: f.url,
            timeout_seconds: f.timeout_secs,
            created_date: ms_to_secs(f.created_ms),
        })
        .collect::<Vec<_>>();
    encode(&serde_json::json!({ "Functions": functions }))
}
