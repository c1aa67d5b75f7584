//! `CreateAccount {AccountId}`: registers an account and mints its root access key.

use cofre_api::{ApiError, Context, ErrorCode};

use super::{authorize, check_account_id, credential_error, encode_key, iam_error, AccountIdInput};
use crate::iam::error::ENTITY_ALREADY_EXISTS;
use crate::Service;

/// Answers `{AccountId, AccessKeyId, SecretAccessKey}`. `ValidationException` for an id that
/// is not 12 digits, `ResourceExistsException` for an account that exists.
pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: AccountIdInput,
) -> Result<Vec<u8>, ApiError> {
    let id = input.account_id;
    // Checked first, so the ARN authorized on is always a concrete account.
    check_account_id(&id)?;
    authorize(svc, ctx, "CreateAccount", &id).await?;
    match svc.iam().create_account(&id).await {
        Ok(_) => {}
        Err(e) if e.code == ENTITY_ALREADY_EXISTS => {
            return Err(ApiError::new(
                ErrorCode::ResourceExistsException,
                format!("Account {id} already exists."),
            ))
        }
        Err(e) => return Err(iam_error("", e)),
    }
    let now = svc.now_ms();
    let created = svc
        .credentials()
        .ensure_account_root_key(svc.keys().root(), &id, None, now)
        .await
        .map_err(credential_error)?;
    // A root key that predates the account record (an interrupted CreateAccount, or the
    // operator account's own, made at first start) is kept and returned as it is.
    let key = match created {
        Some(key) => key,
        None => svc
            .credentials()
            .account_root_key(svc.keys().root(), &id)
            .await
            .map_err(credential_error)?
            .ok_or_else(|| crate::error::internal("account root key vanished after creation"))?,
    };
    tracing::info!(account_id = %id, access_key_id = %key.access_key_id, "admin: account created");
    encode_key(&id, &key)
}
