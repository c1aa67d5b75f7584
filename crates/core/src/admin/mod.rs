//! The Cofre admin API (`X-Amz-Target: CofreAdmin.<Op>`, SigV4 signing name `cofre`): what
//! IAM has no API for — accounts, their root keys, and declarative convergence of identities.
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `create_account.rs` | `CreateAccount {AccountId}` → the account and its root access key |
//! | `list_accounts.rs` | `ListAccounts {}` → every account and when it was created |
//! | `get_account_root_key.rs` | `GetAccountRootKey {AccountId}` → the root key, unsealed |
//! | `rotate_account_root_key.rs` | `RotateAccountRootKey {AccountId}` → a new root key |
//! | `apply.rs` | `Apply {Document, DryRun}` → the changes that converge identities to a document |
//! | `document.rs` | the declarative document ([`Document`]) and its validation |
//! | `state.rs` | what an account holds now, read through the IAM domain |
//! | `plan.rs` | the steps from what is to what the document says, and running them |
//! | `rotation_functions.rs` | `CreateRotationFunction`, `ListRotationFunctions`, `DeleteRotationFunction`: exec and webhook rotation functions |
//!
//! Requests and answers are JSON with PascalCase members, like every awsJson service; errors
//! are [`ApiError`]s with Secrets Manager's codes (`ResourceExistsException`,
//! `ResourceNotFoundException`, `ValidationException`, `AccessDeniedException`, ...).
//!
//! # Security notes
//!
//! - Every operation is authorized before it reads anything: `cofre:<Op>` on
//!   `arn:aws:cofre::{operator}:account/{id}` (or `account/*` for ListAccounts and Apply),
//!   owned by the operator account (the server's `--account-id`). The operator account's root
//!   may do anything; its users and roles only what their policies allow; principals of any
//!   other account are denied, since nothing grants them access across accounts.
//! - Root secret access keys leave the store only in the answers of CreateAccount,
//!   GetAccountRootKey and RotateAccountRootKey, unsealed into zeroizing
//!   [`cofre_crypto::SecretBytes`] until they are encoded; they never reach a log or an error.

mod apply;
mod create_account;
pub mod document;
mod get_account_root_key;
mod list_accounts;
mod plan;
mod rotate_account_root_key;
mod rotation_functions;
mod state;

#[cfg(test)]
mod tests;

use cofre_api::{ApiError, Context, ErrorCode};
use cofre_policy::ContextKeys;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::authz::ResourceFacts;
use crate::credentials::{CredentialError, NewAccessKey};
use crate::iam::{error as iam_error, IamError};
use crate::Service;

pub use document::Document;

/// The `X-Amz-Target` operation names of the admin API.
pub const OPERATIONS: [&str; 8] = [
    "CreateAccount",
    "ListAccounts",
    "GetAccountRootKey",
    "RotateAccountRootKey",
    "Apply",
    "CreateRotationFunction",
    "ListRotationFunctions",
    "DeleteRotationFunction",
];

/// Dispatches one admin operation: `op` is the part of `X-Amz-Target` after `CofreAdmin.`.
pub async fn dispatch(
    svc: &Service,
    ctx: &Context,
    op: &str,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    match op {
        "CreateAccount" => create_account::run(svc, ctx, decode(body)?).await,
        "ListAccounts" => list_accounts::run(svc, ctx, decode(body)?).await,
        "GetAccountRootKey" => get_account_root_key::run(svc, ctx, decode(body)?).await,
        "RotateAccountRootKey" => rotate_account_root_key::run(svc, ctx, decode(body)?).await,
        "Apply" => apply::run(svc, ctx, decode(body)?).await,
        "CreateRotationFunction" => rotation_functions::create(svc, ctx, decode(body)?).await,
        "ListRotationFunctions" => rotation_functions::list(svc, ctx, decode(body)?).await,
        "DeleteRotationFunction" => rotation_functions::delete(svc, ctx, decode(body)?).await,
        _ => Err(ApiError::from_parts(
            "UnknownOperationException",
            400,
            format!("Unknown admin operation {op}."),
        )),
    }
}

/// Decodes a request body; an empty body is an empty object, as SDKs send for no input.
/// Bad JSON, a wrong type or an unknown member is a `SerializationException` (serde's message
/// names the member; it never quotes a value).
fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}".as_slice()
    } else {
        body
    };
    serde_json::from_slice(body).map_err(|e| {
        let message = if e.is_syntax() || e.is_eof() {
            format!(
                "The request body is not JSON (line {} column {}).",
                e.line(),
                e.column()
            )
        } else {
            e.to_string()
        };
        ApiError::serialization(Some(message.into()))
    })
}

/// Encodes an answer.
fn encode<T: Serialize>(out: &T) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(out).map_err(crate::error::internal)
}

/// Authorizes `cofre:<op>` on account `id` (`*` for every account): see the module docs.
async fn authorize(svc: &Service, ctx: &Context, op: &str, id: &str) -> Result<(), ApiError> {
    let operator = svc.operator_account().ok_or_else(|| {
        ApiError::new(
            ErrorCode::AccessDeniedException,
            "This server has no operator account; the admin API is disabled.",
        )
    })?;
    let facts = ResourceFacts {
        arn: format!("arn:aws:cofre::{operator}:account/{id}"),
        account: Some(operator.to_owned()),
        ..Default::default()
    };
    svc.decide(ctx, &format!("cofre:{op}"), &facts, ContextKeys::default())
        .await
        .map_err(ApiError::from)
}

/// Checks an `AccountId` member: exactly 12 digits.
fn check_account_id(id: &str) -> Result<(), ApiError> {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::validation(format!(
            "1 validation error detected: Value '{id}' at 'accountId' failed to satisfy \
             constraint: Member must be 12 digits"
        )))
    }
}

/// An IAM error as the admin API answers it, with `context` (what was being done) in front.
fn iam_error(context: &str, e: IamError) -> ApiError {
    let code = match e.code {
        iam_error::NO_SUCH_ENTITY => ErrorCode::ResourceNotFoundException,
        iam_error::ENTITY_ALREADY_EXISTS => ErrorCode::ResourceExistsException,
        iam_error::LIMIT_EXCEEDED => ErrorCode::LimitExceededException,
        iam_error::MALFORMED_POLICY_DOCUMENT => ErrorCode::MalformedPolicyDocumentException,
        iam_error::INVALID_INPUT => ErrorCode::InvalidParameterException,
        iam_error::VALIDATION_ERROR => ErrorCode::ValidationException,
        iam_error::DELETE_CONFLICT | iam_error::CONCURRENT_MODIFICATION => {
            ErrorCode::InvalidRequestException
        }
        // Already logged by `IamError::internal`; its text is the opaque one.
        _ => return ApiError::internal(),
    };
    let message = if context.is_empty() {
        e.message
    } else {
        format!("{context}: {}", e.message)
    };
    ApiError::new(code, message)
}

/// A credential-registry failure: logged, answered opaquely.
fn credential_error(e: CredentialError) -> ApiError {
    crate::error::internal(e)
}

/// The answer of CreateAccount, GetAccountRootKey and RotateAccountRootKey.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountKeyOutput<'a> {
    account_id: &'a str,
    access_key_id: &'a str,
    secret_access_key: &'a str,
}

/// Encodes an account's root key pair; the secret is copied only into the answer's bytes.
fn encode_key(account_id: &str, key: &NewAccessKey) -> Result<Vec<u8>, ApiError> {
    let secret = key
        .secret
        .expose_str()
        .map_err(|_| crate::error::internal("root secret access key is not text"))?;
    encode(&AccountKeyOutput {
        account_id,
        access_key_id: &key.access_key_id,
        secret_access_key: secret,
    })
}

/// The input of the operations that name one account.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
struct AccountIdInput {
    account_id: String,
}
