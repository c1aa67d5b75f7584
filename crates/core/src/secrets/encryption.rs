//! Secret values under KMS keys, as Secrets Manager uses KMS on the caller's behalf
//! (Secrets Manager user guide, "Secret encryption and decryption"):
//!
//! - Each version's value is sealed under a fresh 256-bit data key from GenerateDataKey on
//!   the secret's key (its `KmsKeyId`, or the AWS managed `aws/secretsmanager` key), with the
//!   encryption context `{"SecretARN": <arn>, "SecretVersionId": <version id>}`; reading calls
//!   Decrypt on the stored copy with the same context.
//! - With a customer key, the caller needs `kms:GenerateDataKey` to write and `kms:Decrypt` to
//!   read, decided by [`Service::authorize_kms`] with `kms:ViaService` =
//!   `secretsmanager.<region>.amazonaws.com` and `kms:EncryptionContext:*`. The AWS managed key
//!   needs no permission from callers of its own account and cannot be used from another
//!   account.
//! - Establishing or changing a secret's key validates access with GenerateDataKey and
//!   Decrypt calls whose `SecretVersionId` is `RequestToValidateKeyAccess`.
//! - Changing the key re-encrypts the data keys of the `AWSCURRENT`, `AWSPENDING` and
//!   `AWSPREVIOUS` versions under the new key while keeping the copies under the previous key,
//!   so either key decrypts them; versions whose old key the caller cannot use, or when the
//!   caller may not `kms:Encrypt` with the new key, are left as they are.
//!
//! Failures become Secrets Manager's errors: a denied KMS call is `AccessDeniedException`
//! "Access to KMS is not allowed" (the text AWS sends, e.g. aws-samples/
//! aws-secrets-manager-rotation-lambdas#53, aws/aws-cdk#7677); a key that is disabled, pending
//! deletion or gone is `EncryptionFailure` on writes and `DecryptionFailure` on reads, with the
//! texts of the Secrets Manager model; an unknown or malformed `KmsKeyId` is
//! `InvalidParameterException` "The operation failed because of an invalid KMS key: <KMS's
//! message>" (boto/boto3#1533, hashicorp/terraform-provider-aws#13303).

use std::collections::BTreeMap;

use cofre_api::{ApiError, Context, ErrorCode};
use cofre_crypto::Key256;
use cofre_policy::ContextKeys;

use super::model::Secret;
use super::value::{self, Sealed, SecretValue};
use super::Service;
use crate::authz::AuthzError;
use crate::error::{internal, invalid_parameter};
use crate::keys::DEFAULT_ALIAS;
use crate::kms::{error as kms_error, KeyManager, KeyMetadata, KeyState, KmsError};

/// AWS's text when a KMS call Secrets Manager makes for the caller is denied.
pub const ACCESS_TO_KMS_DENIED: &str = "Access to KMS is not allowed";
/// AWS's text (the `EncryptionFailure` shape's documentation) for a key that cannot encrypt.
pub const ENCRYPTION_FAILURE: &str = "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. For more information, see Key state: Effect on your KMS key.";
/// The `SecretVersionId` of the calls that validate access to a newly chosen key.
const VALIDATION_VERSION_ID: &str = "RequestToValidateKeyAccess";
/// Staging labels whose versions follow a change of key.
const REENCRYPTED_STAGES: [&str; 3] = ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"];

/// A request's `KmsKeyId`, resolved to a customer key.
#[derive(Debug, Clone)]
pub(crate) struct ChosenKey {
    /// `KmsKeyId` as the caller gave it (DescribeSecret reports it so).
    pub given: String,
    /// The key it names now.
    pub key: KeyMetadata,
}

/// Which Secrets Manager error a key that cannot be used becomes.
#[derive(Clone, Copy)]
enum Use {
    Encrypt,
    Decrypt,
}

/// `AccessDeniedException` "Access to KMS is not allowed".
fn access_denied() -> ApiError {
    ApiError::new(ErrorCode::AccessDeniedException, ACCESS_TO_KMS_DENIED)
}

/// A KMS failure as Secrets Manager reports it.
fn kms_failure(e: KmsError, how: Use) -> ApiError {
    if e.code == kms_error::INTERNAL {
        return internal(e);
    }
    tracing::warn!(error = %e, "KMS refused a Secrets Manager operation");
    match how {
        Use::Encrypt => ApiError::new(ErrorCode::EncryptionFailure, ENCRYPTION_FAILURE),
        Use::Decrypt => ApiError::new(ErrorCode::DecryptionFailure, value::DECRYPTION_FAILURE),
    }
}

/// The encryption context Secrets Manager binds each data key to.
fn encryption_context(secret_arn: &str, version_id: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("SecretARN".to_owned(), secret_arn.to_owned()),
        ("SecretVersionId".to_owned(), version_id.to_owned()),
    ])
}

/// The condition keys of a KMS call Secrets Manager makes for a caller.
fn kms_keys(region: &str, secret_arn: &str, version_id: &str) -> ContextKeys {
    let mut k = ContextKeys::default();
    k.insert(
        "kms:ViaService",
        format!("secretsmanager.{region}.amazonaws.com"),
    );
    k.insert("kms:EncryptionContext:SecretARN", secret_arn.to_owned());
    k.insert(
        "kms:EncryptionContext:SecretVersionId",
        version_id.to_owned(),
    );
    k.insert_many(
        "kms:EncryptionContextKeys",
        vec!["SecretARN".to_owned(), "SecretVersionId".to_owned()],
    );
    k
}

impl Service {
    /// Resolves a request's `KmsKeyId` in the caller's account and region: `None` for none,
    /// an empty string or the AWS managed `aws/secretsmanager` key (AWS does not report that
    /// key on the secret); the customer key otherwise. An unknown or malformed id is AWS's
    /// `InvalidParameterException`.
    pub(crate) async fn check_kms_key_id(
        &self,
        ctx: &Context,
        kms_key_id: Option<&str>,
    ) -> Result<Option<ChosenKey>, ApiError> {
        let Some(id) = kms_key_id.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let key = self
            .kms
            .describe_key(&ctx.account_id, &ctx.region, id)
            .await
            .map_err(|e| {
                if e.code == kms_error::INTERNAL {
                    internal(&e)
                } else {
                    invalid_parameter(format!(
                        "The operation failed because of an invalid KMS key: {}",
                        e.message
                    ))
                }
            })?;
        Ok(match key.key_manager {
            KeyManager::Aws => None,
            KeyManager::Customer => Some(ChosenKey {
                given: id.to_owned(),
                key,
            }),
        })
    }

    /// The AWS managed `aws/secretsmanager` key of `account` in `region`, created on first use.
    pub(crate) async fn managed_key(
        &self,
        account: &str,
        region: &str,
    ) -> Result<KeyMetadata, ApiError> {
        self.kms
            .aws_managed_key(self.keys.root(), account, region, DEFAULT_ALIAS)
            .await
            .map_err(|e| kms_failure(e, Use::Encrypt))
    }

    /// The key new versions of `secret` are encrypted under: its `KmsKeyId` as it resolves
    /// now, or the AWS managed key.
    pub(crate) async fn secret_key(&self, secret: &Secret) -> Result<KeyMetadata, ApiError> {
        let (account, region) = (&secret.row.account_id, &secret.row.region);
        match &secret.meta.kms_key_id {
            None => self.managed_key(account, region).await,
            Some(id) => self
                .kms
                .describe_key(account, region, id)
                .await
                .map_err(|e| kms_failure(e, Use::Encrypt)),
        }
    }

    /// Whether the caller may use `key` for `action` on version `version_id` of `secret_arn`.
    async fn allow_key(
        &self,
        ctx: &Context,
        action: &str,
        key: &KeyMetadata,
        secret_arn: &str,
        version_id: &str,
    ) -> Result<(), ApiError> {
        match key.key_manager {
            // "All users and roles in the AWS account automatically have access to use
            // aws/secretsmanager"; another account cannot use it at all.
            KeyManager::Aws if ctx.caller.account_id == key.account_id => Ok(()),
            KeyManager::Aws => Err(access_denied()),
            KeyManager::Customer => {
                let keys = kms_keys(&key.region, secret_arn, version_id);
                match self.authorize_kms(ctx, action, key, keys).await {
                    Ok(()) => Ok(()),
                    Err(AuthzError::Denied(why)) => {
                        tracing::info!(%why, "KMS denied a Secrets Manager operation");
                        Err(access_denied())
                    }
                    Err(AuthzError::Internal(m)) => Err(internal(m)),
                }
            }
        }
    }

    /// The validation AWS performs when a secret's key is established or changed: the key
    /// must be usable, and the caller allowed `kms:GenerateDataKey` and `kms:Decrypt` on it.
    pub(crate) async fn validate_key_access(
        &self,
        ctx: &Context,
        key: &KeyMetadata,
        secret_arn: &str,
    ) -> Result<(), ApiError> {
        self.allow_key(
            ctx,
            "kms:GenerateDataKey",
            key,
            secret_arn,
            VALIDATION_VERSION_ID,
        )
        .await?;
        self.allow_key(ctx, "kms:Decrypt", key, secret_arn, VALIDATION_VERSION_ID)
            .await?;
        match key.state {
            KeyState::Enabled => Ok(()),
            KeyState::Disabled => Err(kms_failure(KmsError::disabled(&key.arn), Use::Encrypt)),
            KeyState::PendingDeletion => Err(kms_failure(
                KmsError::pending_deletion(&key.arn),
                Use::Encrypt,
            )),
        }
    }

    /// Seals `value` as version `version_id` of `secret` under a fresh data key from `key`.
    pub(crate) async fn seal_version(
        &self,
        ctx: &Context,
        secret: &Secret,
        key: &KeyMetadata,
        version_id: &str,
        value: &SecretValue,
    ) -> Result<Vec<u8>, ApiError> {
        let row = &secret.row;
        self.allow_key(ctx, "kms:GenerateDataKey", key, &row.arn, version_id)
            .await?;
        let (dek, wrap, _) = self
            .kms
            .generate_data_key(
                self.keys.root(),
                &row.account_id,
                &row.region,
                &key.arn,
                cofre_crypto::KEY_LEN,
                &encryption_context(&row.arn, version_id),
            )
            .await
            .map_err(|e| kms_failure(e, Use::Encrypt))?;
        let dek = Key256::from_bytes(dek.expose()).map_err(internal)?;
        let payload = value::seal_payload(
            &dek,
            &row.account_id,
            &row.region,
            &row.arn,
            version_id,
            value,
        );
        value::encode_sealed(&[&wrap], &payload)
    }

    /// Opens a stored version value as the caller: the first wrapped data key (newest key
    /// first) the caller may and can decrypt opens it; otherwise the newest key's failure is
    /// the answer.
    pub(crate) async fn open_version(
        &self,
        ctx: &Context,
        secret: &Secret,
        version_id: &str,
        sealed: &[u8],
    ) -> Result<SecretValue, ApiError> {
        let row = &secret.row;
        match value::parse_sealed(sealed)? {
            Sealed::Legacy(blob) => {
                let kek = self.legacy_kek(ctx, secret, version_id).await?;
                value::open_legacy(
                    &kek,
                    &row.account_id,
                    &row.region,
                    &row.arn,
                    version_id,
                    blob,
                )
            }
            Sealed::Wrapped { wraps, payload } => {
                let dek = self.unwrap_any(ctx, secret, version_id, &wraps).await?;
                value::open_payload(
                    &dek,
                    &row.account_id,
                    &row.region,
                    &row.arn,
                    version_id,
                    payload,
                )
            }
        }
    }

    /// The key-encryption key of values sealed before KMS keys existed: the first material of
    /// the `aws/secretsmanager` key, under that key's access rule.
    async fn legacy_kek(
        &self,
        ctx: &Context,
        secret: &Secret,
        version_id: &str,
    ) -> Result<std::sync::Arc<Key256>, ApiError> {
        let row = &secret.row;
        let (kek, key) = self
            .kms
            .managed_legacy_material(self.keys.root(), &row.account_id, &row.region)
            .await
            .map_err(|e| kms_failure(e, Use::Decrypt))?;
        self.allow_key(ctx, "kms:Decrypt", &key, &row.arn, version_id)
            .await?;
        Ok(kek)
    }

    /// The data key of a version, from the first of its wrapped copies the caller may and
    /// can decrypt.
    async fn unwrap_any(
        &self,
        ctx: &Context,
        secret: &Secret,
        version_id: &str,
        wraps: &[&[u8]],
    ) -> Result<Key256, ApiError> {
        let mut first_failure = None;
        for wrap in wraps {
            match self.unwrap_dek(ctx, secret, version_id, wrap).await {
                Ok(dek) => return Ok(dek),
                Err(e) if e.code == ErrorCode::InternalServiceError => return Err(e),
                Err(e) => {
                    first_failure.get_or_insert(e);
                }
            }
        }
        Err(first_failure.unwrap_or_else(|| internal("sealed value without a wrapped data key")))
    }

    /// Decrypts one wrapped data key as the caller: `kms:Decrypt` on its key first, then the
    /// key's state and the ciphertext.
    async fn unwrap_dek(
        &self,
        ctx: &Context,
        secret: &Secret,
        version_id: &str,
        wrap: &[u8],
    ) -> Result<Key256, ApiError> {
        let row = &secret.row;
        let key = self
            .kms
            .ciphertext_key(&row.region, wrap)
            .await
            .map_err(|e| kms_failure(e, Use::Decrypt))?;
        self.allow_key(ctx, "kms:Decrypt", &key, &row.arn, version_id)
            .await?;
        let (plain, _) = self
            .kms
            .decrypt(
                self.keys.root(),
                &row.account_id,
                &row.region,
                wrap,
                None,
                &encryption_context(&row.arn, version_id),
            )
            .await
            .map_err(|e| kms_failure(e, Use::Decrypt))?;
        Key256::from_bytes(plain.expose())
            .map_err(|_| kms_failure(KmsError::invalid_ciphertext(), Use::Decrypt))
    }

    /// Re-encrypts, in memory, the data keys of `secret`'s `AWSCURRENT`, `AWSPENDING` and
    /// `AWSPREVIOUS` versions under `key` (UpdateSecret with a new `KmsKeyId`), keeping the
    /// copies under the previous keys. Returns the blobs to write; the versions' metadata in
    /// `secret` is updated to match. A version is skipped when the caller may not
    /// `kms:Encrypt` with `key` or cannot decrypt its current data key, as AWS skips it.
    pub(crate) async fn reencrypt_labeled(
        &self,
        ctx: &Context,
        secret: &mut Secret,
        key: &KeyMetadata,
    ) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
        let targets: Vec<String> = secret
            .meta
            .versions
            .iter()
            .filter(|v| v.kms_key_arn != key.arn)
            .filter(|v| {
                !v.empty
                    && v.stages
                        .iter()
                        .any(|s| REENCRYPTED_STAGES.contains(&s.as_str()))
            })
            .map(|v| v.id.clone())
            .collect();
        let mut out = Vec::new();
        for version_id in targets {
            let Some(blob) = self.reencrypt_one(ctx, secret, key, &version_id).await? else {
                continue;
            };
            if let Some(v) = secret.meta.versions.iter_mut().find(|v| v.id == version_id) {
                let old = std::mem::replace(&mut v.kms_key_arn, key.arn.clone());
                v.previous_kms_key_arns.insert(0, old);
                v.previous_kms_key_arns.retain(|a| *a != key.arn);
                v.previous_kms_key_arns.truncate(value::MAX_WRAPS - 1);
            }
            out.push((version_id, blob));
        }
        Ok(out)
    }

    /// One version of [`Service::reencrypt_labeled`]; `None` when it is skipped.
    async fn reencrypt_one(
        &self,
        ctx: &Context,
        secret: &Secret,
        key: &KeyMetadata,
        version_id: &str,
    ) -> Result<Option<Vec<u8>>, ApiError> {
        let row = &secret.row;
        let skip = |e: ApiError| {
            if e.code == ErrorCode::InternalServiceError {
                Err(e)
            } else {
                tracing::info!(arn = %row.arn, %version_id, error = %e.message, "version not re-encrypted under the new key");
                Ok(None)
            }
        };
        if let Err(e) = self
            .allow_key(ctx, "kms:Encrypt", key, &row.arn, version_id)
            .await
        {
            return skip(e);
        }
        let sealed = self
            .store
            .get_version(&row.uid, version_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("version metadata without a stored value"))?;
        match value::parse_sealed(&sealed)? {
            Sealed::Wrapped { wraps, payload } => {
                let dek = match self.unwrap_any(ctx, secret, version_id, &wraps).await {
                    Ok(d) => d,
                    Err(e) => return skip(e),
                };
                let new_wrap = self.wrap_dek(secret, &key.arn, version_id, &dek).await?;
                let mut all: Vec<&[u8]> = vec![&new_wrap];
                all.extend(
                    wraps
                        .into_iter()
                        .filter(|w| crate::kms::ciphertext_key_arn(w) != Some(key.arn.as_str())),
                );
                Ok(Some(value::encode_sealed(&all, payload)?))
            }
            Sealed::Legacy(_) => {
                // A pre-KMS envelope has no KMS ciphertext to re-encrypt: seal the value again
                // under a fresh data key, wrapped by the new key and by the managed key that
                // protected it so far.
                let plain = match self.open_version(ctx, secret, version_id, &sealed).await {
                    Ok(v) => v,
                    Err(e) => return skip(e),
                };
                let managed = self.managed_key(&row.account_id, &row.region).await?;
                let dek = Key256::generate();
                let new_wrap = self.wrap_dek(secret, &key.arn, version_id, &dek).await?;
                let managed_wrap = self
                    .wrap_dek(secret, &managed.arn, version_id, &dek)
                    .await?;
                let payload = value::seal_payload(
                    &dek,
                    &row.account_id,
                    &row.region,
                    &row.arn,
                    version_id,
                    &plain,
                );
                Ok(Some(value::encode_sealed(
                    &[&new_wrap, &managed_wrap],
                    &payload,
                )?))
            }
        }
    }

    /// Encrypts a version's data key under `key_arn` with the version's encryption context.
    async fn wrap_dek(
        &self,
        secret: &Secret,
        key_arn: &str,
        version_id: &str,
        dek: &Key256,
    ) -> Result<Vec<u8>, ApiError> {
        let row = &secret.row;
        self.kms
            .encrypt(
                self.keys.root(),
                &row.account_id,
                &row.region,
                key_arn,
                dek.expose(),
                &encryption_context(&row.arn, version_id),
            )
            .await
            .map(|(blob, _)| blob)
            .map_err(|e| kms_failure(e, Use::Encrypt))
    }
}
