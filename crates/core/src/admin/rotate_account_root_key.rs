//! `RotateAccountRootKey {AccountId}`: replaces an account's root access key. The old key
//! stops authenticating before the answer is sent (see
//! [`crate::credentials::Credentials::rotate_account_root_key`]).

use cofre_api::{ApiError, Context, ErrorCode};

use super::{authorize, check_account_id, credential_error, encode_key, AccountIdInput};
use crate::Service;

/// Answers the new `{AccountId, AccessKeyId, SecretAccessKey}`; `ResourceNotFoundException`
/// if the account has no root key.
pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: AccountIdInput,
) -> Result<Vec<u8>, ApiError> {
    let id = input.account_id;
    // Checked first, so the ARN authorized on is always a concrete account.
    check_account_id(&id)?;
    authorize(svc, ctx, "RotateAccountRootKey", &id).await?;
    let now = svc.now_ms();
    let key = svc
        .credentials()
        .rotate_account_root_key(svc.keys().root(), &id, now)
        .await
        .map_err(credential_error)?
        .ok_or_else(|| {
            ApiError::new(
                ErrorCode::ResourceNotFoundException,
                format!("Account {id} has no root access key."),
            )
        })?;
    tracing::info!(account_id = %id, access_key_id = %key.access_key_id, "admin: root key rotated");
    encode_key(&id, &key)
}
