//! UpdateSecret: description, KMS key and, optionally, a new AWSCURRENT value.
//!
//! A new `KmsKeyId` (an empty one means the AWS managed key) is validated, recorded, and the
//! data keys of the `AWSCURRENT`, `AWSPENDING` and `AWSPREVIOUS` versions are re-encrypted
//! under it (`encryption.rs`), all in the same compare-and-swap write as the rest.

use cofre_api::{ApiError, Context, UpdateSecretRequest, UpdateSecretResponse};

use super::model::AWSCURRENT;
use super::resolve::keys;
use super::rules::token_or_new;
use super::value::SecretValue;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::error::{invalid_request, MARKED_FOR_DELETION};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: UpdateSecretRequest,
) -> Result<UpdateSecretResponse, ApiError> {
    let value = SecretValue::from_request(input.secret_string, input.secret_binary)?;
    // Some(None): back to the AWS managed key; Some(Some(_)): a customer key.
    let new_key = match input.kms_key_id.as_deref() {
        Some(k) => Some(svc.check_kms_key_id(ctx, Some(k)).await?),
        None => None,
    };
    let token = token_or_new(input.client_request_token);
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:UpdateSecret",
                keys(&[
                    ("secretsmanager:Description", input.description.clone()),
                    ("secretsmanager:KmsKeyId", input.kms_key_id.clone()),
                ]),
            )
            .await?;
        if secret.is_deleted() {
            return Err(invalid_request(MARKED_FOR_DELETION));
        }
        let mut changed = false;
        let (mut put, mut dropped) = (vec![], vec![]);
        if let Some(d) = &input.description {
            secret.meta.description = Some(d.clone());
            changed = true;
        }
        if let Some(choice) = &new_key {
            let key = match choice {
                Some(c) => c.key.clone(),
                None => {
                    svc.managed_key(&secret.row.account_id, &secret.row.region)
                        .await?
                }
            };
            svc.validate_key_access(ctx, &key, &secret.row.arn).await?;
            secret.meta.kms_key_id = choice.as_ref().map(|c| c.given.clone());
            put = svc.reencrypt_labeled(ctx, &mut secret, &key).await?;
            changed = true;
        }
        let mut version_id = None;
        if let Some(v) = &value {
            let staged = svc
                .stage_version(ctx, &mut secret, &token, v, &[AWSCURRENT.to_owned()])
                .await?;
            changed |= staged.created;
            version_id = Some(staged.version_id);
            put.extend(staged.put);
            dropped = staged.dropped;
        }
        // A version pruned by the new one needs no re-encrypted blob.
        put.retain(|(id, _)| !dropped.contains(id));
        if changed {
            secret.meta.last_changed_ms = svc.now_ms();
            if matches!(svc.commit(&secret, put, dropped).await?, Committed::Retry) {
                continue;
            }
        }
        return Ok(UpdateSecretResponse {
            arn: Some(secret.row.arn),
            name: Some(secret.row.name),
            version_id,
        });
    }
    Err(super::too_much_contention())
}
