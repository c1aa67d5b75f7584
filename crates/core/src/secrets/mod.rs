//! Secrets Manager operations, one file each, over the shared rules beside them:
//!
//! | file | what |
//! |---|---|
//! | `model.rs` | the secret's metadata document and its versions |
//! | `resolve.rs` | SecretId → secret (name, full ARN, partial ARN) |
//! | `labels.rs` | staging-label moves and deprecated-version pruning |
//! | `value.rs` | secret values and their stored format |
//! | `encryption.rs` | which KMS key protects a value, and using it on the caller's behalf |
//! | `filters.rs` | ListSecrets / BatchGetSecretValue filters and sorting |
//! | `paging.rs` | NextToken encoding |
//! | `<operation>.rs` | one API operation each |
//!
//! Every write is a read–modify–compare-and-swap on the secret's row
//! ([`Service::commit`]); a concurrent writer makes the loser retry from a fresh read, so label
//! moves and idempotency checks never interleave.

mod batch_get_secret_value;
mod cancel_rotate_secret;
mod create_secret;
mod delete_secret;
mod describe_secret;
pub(crate) mod encryption;
pub mod filters;
mod get_random_password;
mod get_secret_value;
#[cfg(test)]
mod kms_tests;
pub mod labels;
mod list_secret_version_ids;
mod list_secrets;
pub mod model;
mod paging;
mod put_secret_value;
mod resolve;
mod resource_policy;
mod restore_secret;
mod rotate_secret;
mod rules;
mod tag_resource;
mod untag_resource;
mod update_secret;
mod update_secret_version_stage;
pub mod value;
mod versions;

use std::sync::Arc;

use cofre_api::*;
use cofre_store::{SecretWrite, Store, StoreError};

use crate::clock::Clock;
use crate::credentials::Credentials;
use crate::error::internal;
use crate::keys::Keyring;
use model::Secret;

/// How many times a write is retried after losing a compare-and-swap race (each loss is
/// followed by a random pause of up to [`MAX_RETRY_PAUSE_US`], so contenders spread out).
/// Generous on purpose: with 64 writers on one secret over PostgreSQL, a writer may lose
/// well over a hundred rounds before its turn, and losing them all is a 500.
const MAX_WRITE_ATTEMPTS: usize = 1000;
/// The longest pause after a lost compare-and-swap, in microseconds.
const MAX_RETRY_PAUSE_US: u64 = 4_000;

/// The Secrets Manager service: domain logic over a [`Store`], a [`Keyring`] and the KMS
/// keys of [`crate::kms::Kms`].
#[derive(Debug)]
pub struct Service {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) keys: Keyring,
    /// KMS keys, aliases and cryptography.
    pub(crate) kms: crate::kms::Kms,
    pub(crate) clock: Arc<dyn Clock>,
    credentials: Credentials,
    pub(crate) iam: crate::iam::Iam,
    pub(crate) policy_cache: cofre_policy::PolicyCache,
    /// The operator account: its principals may use the admin API (when their policies allow).
    operator_account: std::sync::OnceLock<String>,
    /// The audit trail (recording starts with [`Service::start_audit`]).
    pub(crate) audit: crate::audit::Audit,
    /// The rotation engine's settings and wake-up signal.
    pub(crate) engine: crate::rotation::engine::Engine,
}

/// Whether a write went through or must be retried from a fresh read.
pub(crate) enum Committed {
    /// The write is durable.
    Done,
    /// Another writer changed the row first.
    Retry,
}

impl Service {
    /// A service over `store`, with key material wrapped by `root`.
    pub fn new(store: Arc<dyn Store>, root: cofre_crypto::RootKey, clock: Arc<dyn Clock>) -> Self {
        Self {
            keys: Keyring::new(root),
            kms: crate::kms::Kms::new(store.clone(), clock.clone()),
            credentials: Credentials::new(store.clone()),
            iam: crate::iam::Iam::new(store.clone(), clock.clone()),
            policy_cache: cofre_policy::PolicyCache::default(),
            operator_account: std::sync::OnceLock::new(),
            audit: crate::audit::Audit::new(store.clone()),
            engine: Default::default(),
            store,
            clock,
        }
    }

    /// The access-key registry.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The keyring (the root key).
    pub fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// The KMS domain: keys, aliases, cryptography.
    pub fn kms(&self) -> &crate::kms::Kms {
        &self.kms
    }

    /// The service's clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Names the operator account (the `--account-id` of the server); set once at start-up.
    pub fn set_operator_account(&self, account_id: &str) {
        let _ = self.operator_account.set(account_id.to_owned());
    }

    /// The operator account, if one was set.
    pub fn operator_account(&self) -> Option<&str> {
        self.operator_account.get().map(String::as_str)
    }

    /// The IAM identity registry.
    pub fn iam(&self) -> &crate::iam::Iam {
        &self.iam
    }

    /// Writes `secret` back with compare-and-swap on its revision.
    pub(crate) async fn commit(
        &self,
        secret: &Secret,
        put_versions: Vec<(String, Vec<u8>)>,
        drop_versions: Vec<String>,
    ) -> Result<Committed, ApiError> {
        let write = SecretWrite {
            row: secret.to_row()?,
            expected_revision: Some(secret.row.revision),
            put_versions,
            drop_versions,
        };
        match self.store.write_secret(write).await {
            Ok(()) => Ok(Committed::Done),
            Err(StoreError::Conflict) => {
                // Without a pause, writers that lost together collide again at once.
                let pause = rand::random::<u64>() % MAX_RETRY_PAUSE_US;
                tokio::time::sleep(std::time::Duration::from_micros(pause)).await;
                Ok(Committed::Retry)
            }
            Err(e) => Err(internal(e)),
        }
    }

    /// Reads and decrypts one version of `secret` as the caller (who needs `kms:Decrypt` on a
    /// customer key; see `encryption.rs`).
    pub(crate) async fn read_value(
        &self,
        ctx: &Context,
        secret: &Secret,
        version_id: &str,
    ) -> Result<value::SecretValue, ApiError> {
        let sealed = self
            .store
            .get_version(&secret.row.uid, version_id)
            .await
            .map_err(internal)?
            .ok_or_else(|| internal("version metadata without a stored value"))?;
        self.open_version(ctx, secret, version_id, &sealed).await
    }
}

/// An error for a write that kept losing races.
pub(crate) fn too_much_contention() -> ApiError {
    internal("write retries exhausted under contention")
}

#[async_trait::async_trait]
impl SecretsManager for Service {
    async fn create_secret(
        &self,
        ctx: &Context,
        input: CreateSecretRequest,
    ) -> Result<CreateSecretResponse, ApiError> {
        create_secret::run(self, ctx, input).await
    }
    async fn get_secret_value(
        &self,
        ctx: &Context,
        input: GetSecretValueRequest,
    ) -> Result<GetSecretValueResponse, ApiError> {
        get_secret_value::run(self, ctx, input).await
    }
    async fn put_secret_value(
        &self,
        ctx: &Context,
        input: PutSecretValueRequest,
    ) -> Result<PutSecretValueResponse, ApiError> {
        put_secret_value::run(self, ctx, input).await
    }
    async fn update_secret(
        &self,
        ctx: &Context,
        input: UpdateSecretRequest,
    ) -> Result<UpdateSecretResponse, ApiError> {
        update_secret::run(self, ctx, input).await
    }
    async fn describe_secret(
        &self,
        ctx: &Context,
        input: DescribeSecretRequest,
    ) -> Result<DescribeSecretResponse, ApiError> {
        describe_secret::run(self, ctx, input).await
    }
    async fn delete_secret(
        &self,
        ctx: &Context,
        input: DeleteSecretRequest,
    ) -> Result<DeleteSecretResponse, ApiError> {
        delete_secret::run(self, ctx, input).await
    }
    async fn restore_secret(
        &self,
        ctx: &Context,
        input: RestoreSecretRequest,
    ) -> Result<RestoreSecretResponse, ApiError> {
        restore_secret::run(self, ctx, input).await
    }
    async fn tag_resource(
        &self,
        ctx: &Context,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, ApiError> {
        tag_resource::run(self, ctx, input).await
    }
    async fn untag_resource(
        &self,
        ctx: &Context,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, ApiError> {
        untag_resource::run(self, ctx, input).await
    }
    async fn get_random_password(
        &self,
        ctx: &Context,
        input: GetRandomPasswordRequest,
    ) -> Result<GetRandomPasswordResponse, ApiError> {
        get_random_password::run(self, ctx, input).await
    }
    async fn batch_get_secret_value(
        &self,
        ctx: &Context,
        input: BatchGetSecretValueRequest,
    ) -> Result<BatchGetSecretValueResponse, ApiError> {
        batch_get_secret_value::run(self, ctx, input).await
    }
    async fn list_secrets(
        &self,
        ctx: &Context,
        input: ListSecretsRequest,
    ) -> Result<ListSecretsResponse, ApiError> {
        list_secrets::run(self, ctx, input).await
    }
    async fn list_secret_version_ids(
        &self,
        ctx: &Context,
        input: ListSecretVersionIdsRequest,
    ) -> Result<ListSecretVersionIdsResponse, ApiError> {
        list_secret_version_ids::run(self, ctx, input).await
    }
    async fn update_secret_version_stage(
        &self,
        ctx: &Context,
        input: UpdateSecretVersionStageRequest,
    ) -> Result<UpdateSecretVersionStageResponse, ApiError> {
        update_secret_version_stage::run(self, ctx, input).await
    }
    async fn put_resource_policy(
        &self,
        ctx: &Context,
        input: PutResourcePolicyRequest,
    ) -> Result<PutResourcePolicyResponse, ApiError> {
        resource_policy::put(self, ctx, input).await
    }
    async fn get_resource_policy(
        &self,
        ctx: &Context,
        input: GetResourcePolicyRequest,
    ) -> Result<GetResourcePolicyResponse, ApiError> {
        resource_policy::get(self, ctx, input).await
    }
    async fn delete_resource_policy(
        &self,
        ctx: &Context,
        input: DeleteResourcePolicyRequest,
    ) -> Result<DeleteResourcePolicyResponse, ApiError> {
        resource_policy::delete(self, ctx, input).await
    }
    async fn rotate_secret(
        &self,
        ctx: &Context,
        input: RotateSecretRequest,
    ) -> Result<RotateSecretResponse, ApiError> {
        rotate_secret::run(self, ctx, input).await
    }
    async fn cancel_rotate_secret(
        &self,
        ctx: &Context,
        input: CancelRotateSecretRequest,
    ) -> Result<CancelRotateSecretResponse, ApiError> {
        cancel_rotate_secret::run(self, ctx, input).await
    }
    async fn validate_resource_policy(
        &self,
        ctx: &Context,
        input: ValidateResourcePolicyRequest,
    ) -> Result<ValidateResourcePolicyResponse, ApiError> {
        resource_policy::validate(self, ctx, input).await
    }
}
