//! The KMS API (awsJson 1.1, `X-Amz-Target: TrentService.<Op>`, generated in `cofre_api::kms`)
//! over the KMS domain in [`crate::kms`]: one place that converts wire shapes to domain calls,
//! authorizes each call and maps errors.
//!
//! | file | operations |
//! |---|---|
//! | `keys.rs` | CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion |
//! | `aliases.rs` | CreateAlias, UpdateAlias, DeleteAlias, ListAliases |
//! | `rotation.rs` | EnableKeyRotation, DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand |
//! | `crypto.rs` | Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncrypt |
//! | `tags.rs` | TagResource, UntagResource, ListResourceTags |
//! | `policy.rs` | GetKeyPolicy, PutKeyPolicy, ListKeyPolicies |
//!
//! Every other operation of the model answers the generated default,
//! `UnsupportedOperationException: Cofre does not support <Operation> yet.`
//!
//! # Authorization
//!
//! Every operation on a key first resolves the `KeyId` (key id, key ARN, alias name or alias
//! ARN) to the key, then authorizes `kms:<Action>` on it with `Service::authorize_kms`
//! (the key policy, and IAM policies where the key policy delegates to the account), and only
//! then calls the domain — with the key's ARN, not the caller's reference, so an alias
//! re-pointed in between cannot swap the key that was authorized. CreateKey, ListKeys and
//! ListAliases act on no key and are decided on `*`.
//!
//! Existence is not leaked, as in `secrets/resolve.rs`: a key that does not exist is
//! authorized as the ARN the request names, with no key policy, so only a caller whose own
//! policies allow the action learns `NotFoundException`; and a denial on another account's
//! key is computed exactly as that denial, so it reads the same whether the key exists or not.
//!
//! Decrypt (and ReEncrypt's source) without a `KeyId` learns the key from the ciphertext
//! ([`crate::kms::Kms::ciphertext_key`]) and authorizes it before anything is decrypted;
//! another account's key the caller may not use answers as a ciphertext whose key does not
//! exist does (AWS's `The ciphertext refers to a customer master key that does not exist, ...`).

mod aliases;
mod crypto;
mod keys;
mod policy;
mod rotation;
mod tags;
#[cfg(test)]
mod tests;

use cofre_api::kms::{self as wire, *};
use cofre_api::{ApiError, Context, Timestamp};
use cofre_policy::ContextKeys;

use crate::authz::{AuthzError, ResourceFacts};
use crate::kms::{self as domain, KeyManager, KeyState};
use crate::Service;

/// The only key spec, usage, origin and algorithm Cofre's keys have.
pub(crate) const SYMMETRIC_DEFAULT: &str = "SYMMETRIC_DEFAULT";
const ENCRYPT_DECRYPT: &str = "ENCRYPT_DECRYPT";
const AWS_KMS: &str = "AWS_KMS";

/// A domain error on the wire, with its own code and the model's status. An internal failure
/// is logged and answered with a fixed text, so nothing internal leaks through a message.
pub(crate) fn kms_err(e: domain::KmsError) -> ApiError {
    if e.code == "KMSInternalException" {
        tracing::error!(error = %e.message, "KMS failed internally");
        return internal();
    }
    wire::error(e.code, e.message)
}

/// `KMSInternalException` with a fixed text.
pub(crate) fn internal() -> ApiError {
    wire::error(
        "KMSInternalException",
        "The request was rejected because an internal exception occurred. The request can be retried.",
    )
}

/// An authorization failure on the wire: `AccessDeniedException` with AWS's text, or an
/// internal error (logged).
pub(crate) fn authz_err(e: AuthzError) -> ApiError {
    match e {
        AuthzError::Denied(m) => ApiError::new(cofre_api::ErrorCode::AccessDeniedException, m),
        AuthzError::Internal(m) => {
            tracing::error!(error = %m, "KMS authorization failed internally");
            internal()
        }
    }
}

/// A member the model requires; the wire layer rejects requests without it before they get
/// here, so this only answers the same `ValidationException` to any other caller.
pub(crate) fn required<T>(value: Option<T>, member: &str) -> Result<T, ApiError> {
    value.ok_or_else(|| {
        ApiError::validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy \
             constraint: Member must not be null"
        ))
    })
}

/// Epoch milliseconds as a wire timestamp (epoch seconds with a fraction).
pub(crate) fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millis(ms)
}

/// `Enabled`, `Disabled` or `PendingDeletion`.
pub(crate) fn state_name(s: &KeyState) -> &'static str {
    match s {
        KeyState::Enabled => "Enabled",
        KeyState::Disabled => "Disabled",
        KeyState::PendingDeletion => "PendingDeletion",
    }
}

/// A key's metadata as DescribeKey, CreateKey and friends send it.
pub(crate) fn wire_metadata(k: &domain::KeyMetadata) -> wire::KeyMetadata {
    let pending = matches!(k.state, KeyState::PendingDeletion);
    wire::KeyMetadata {
        aws_account_id: Some(k.account_id.clone()),
        key_id: Some(k.key_id.clone()),
        arn: Some(k.arn.clone()),
        creation_date: Some(ts(k.creation_ms)),
        enabled: Some(matches!(k.state, KeyState::Enabled)),
        // AWS always sends a description, empty when there is none.
        description: Some(k.description.clone()),
        key_usage: Some(ENCRYPT_DECRYPT.into()),
        key_state: Some(state_name(&k.state).into()),
        deletion_date: k.deletion_ms.filter(|_| pending).map(ts),
        pending_deletion_window_in_days: k.pending_window_days.filter(|_| pending),
        origin: Some(AWS_KMS.into()),
        key_manager: Some(
            match k.key_manager {
                KeyManager::Aws => "AWS",
                KeyManager::Customer => "CUSTOMER",
            }
            .into(),
        ),
        customer_master_key_spec: Some(SYMMETRIC_DEFAULT.into()),
        key_spec: Some(SYMMETRIC_DEFAULT.into()),
        encryption_algorithms: Some(vec![SYMMETRIC_DEFAULT.into()]),
        multi_region: Some(false),
        ..Default::default()
    }
}

/// Wire tags to domain pairs (the wire layer has checked both members are present).
pub(crate) fn domain_tags(tags: Option<Vec<Tag>>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .into_iter()
        .map(|t| {
            (
                t.tag_key.unwrap_or_default(),
                t.tag_value.unwrap_or_default(),
            )
        })
        .collect()
}

/// Condition keys every KMS request carries: `kms:CallerAccount`, and `kms:RequestAlias` when
/// the request names its key by an alias.
pub(crate) fn request_keys(ctx: &Context, key_ref: Option<&str>) -> ContextKeys {
    let mut keys = ContextKeys::default();
    keys.insert("kms:CallerAccount", ctx.caller.account_id.clone());
    if let Some(alias) = key_ref.and_then(alias_of) {
        keys.insert("kms:RequestAlias", alias.to_owned());
    }
    keys
}

/// `aws:RequestTag/<key>` for each tag and `aws:TagKeys`, for a request that carries tags.
pub(crate) fn add_tag_keys(keys: &mut ContextKeys, tags: &[(String, String)]) {
    if tags.is_empty() {
        return;
    }
    for (k, v) in tags {
        keys.insert(&format!("aws:RequestTag/{k}"), v.clone());
    }
    keys.insert_many("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
}

/// `kms:EncryptionContext:<key>` for each pair and `kms:EncryptionContextKeys`.
pub(crate) fn add_context_keys(
    keys: &mut ContextKeys,
    context: &std::collections::BTreeMap<String, String>,
) {
    for (k, v) in context {
        keys.insert(&format!("kms:EncryptionContext:{k}"), v.clone());
    }
    if !context.is_empty() {
        keys.insert_many(
            "kms:EncryptionContextKeys",
            context.keys().cloned().collect(),
        );
    }
}

/// The alias name (`alias/...`) a key reference names, if it is an alias name or alias ARN.
fn alias_of(key_ref: &str) -> Option<&str> {
    if key_ref.starts_with("alias/") {
        return Some(key_ref);
    }
    let resource = arn_parts(key_ref)?.2;
    resource.starts_with("alias/").then_some(resource)
}

/// `(region, account, resource)` of a KMS ARN (`arn:<partition>:kms:<region>:<account>:<resource>`).
fn arn_parts(arn: &str) -> Option<(&str, &str, &str)> {
    let rest = arn.strip_prefix("arn:")?;
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    let [_partition, service, region, account, resource] = parts[..] else {
        return None;
    };
    (service == "kms").then_some((region, account, resource))
}

/// The account a key reference is looked up in: an ARN's account, else the caller's.
fn owner_of<'a>(ctx: &'a Context, key_ref: &'a str) -> &'a str {
    match arn_parts(key_ref) {
        Some((_, account, _)) if !account.is_empty() => account,
        _ => &ctx.account_id,
    }
}

/// The ARN a key reference names: an ARN as given, else the key or alias ARN in the caller's
/// account and region.
fn requested_arn(ctx: &Context, key_ref: &str) -> String {
    if key_ref.starts_with("arn:") {
        key_ref.to_owned()
    } else if key_ref.starts_with("alias/") {
        format!("arn:aws:kms:{}:{}:{key_ref}", ctx.region, ctx.account_id)
    } else {
        format!(
            "arn:aws:kms:{}:{}:key/{key_ref}",
            ctx.region, ctx.account_id
        )
    }
}

/// The alias ARN of `alias_name` in the caller's account and region.
pub(crate) fn alias_arn(ctx: &Context, alias_name: &str) -> String {
    format!("arn:aws:kms:{}:{}:{alias_name}", ctx.region, ctx.account_id)
}

/// `DryRunOperationException`: the answer to an authorized request with `DryRun` set.
pub(crate) fn dry_run() -> ApiError {
    wire::error(
        "DryRunOperationException",
        "The request would have succeeded, but the DryRun option is set.",
    )
}

impl Service {
    /// Finds the key `key_ref` names and authorizes `action` on it with the request's
    /// condition keys in `keys` (the module docs say how a missing key is answered).
    pub(crate) async fn resolve_key(
        &self,
        ctx: &Context,
        key_ref: &str,
        action: &str,
        keys: ContextKeys,
    ) -> Result<domain::KeyMetadata, ApiError> {
        let account = owner_of(ctx, key_ref);
        match self.kms.describe_key(account, &ctx.region, key_ref).await {
            Ok(key) => match self.authorize_kms(ctx, action, &key, keys.clone()).await {
                Ok(()) => Ok(key),
                // Another account's key: a denial must not differ from the answer for a key
                // that doesn't exist, so give exactly that answer.
                Err(AuthzError::Denied(_)) if key.account_id != ctx.account_id => {
                    Err(self.missing_key(ctx, key_ref, action, keys, None).await)
                }
                Err(e) => Err(authz_err(e)),
            },
            Err(e) if e.code == "NotFoundException" => {
                Err(self.missing_key(ctx, key_ref, action, keys, Some(e)).await)
            }
            Err(e) => Err(kms_err(e)),
        }
    }

    /// The answer for a key the caller may not know about: the decision on the requested ARN
    /// with no key policy (only the caller's own policies can allow it, and never across
    /// accounts); `NotFoundException` only when that allows.
    async fn missing_key(
        &self,
        ctx: &Context,
        key_ref: &str,
        action: &str,
        keys: ContextKeys,
        not_found: Option<domain::KmsError>,
    ) -> ApiError {
        let facts = ResourceFacts {
            arn: requested_arn(ctx, key_ref),
            account: Some(owner_of(ctx, key_ref).to_owned()),
            ..Default::default()
        };
        match self.decide(ctx, action, &facts, keys).await {
            Ok(()) => match not_found {
                Some(e) => kms_err(e),
                None => {
                    tracing::error!("another account's key allowed without its key policy");
                    internal()
                }
            },
            Err(e) => authz_err(e),
        }
    }

    /// Decides an action on no particular key (`*`): CreateKey, ListKeys, ListAliases.
    pub(crate) async fn authorize_any_key(
        &self,
        ctx: &Context,
        action: &str,
        keys: ContextKeys,
    ) -> Result<(), ApiError> {
        let facts = ResourceFacts {
            arn: "*".into(),
            ..Default::default()
        };
        self.decide(ctx, action, &facts, keys)
            .await
            .map_err(authz_err)
    }
}

#[async_trait::async_trait]
impl cofre_api::Kms for Service {
    async fn create_key(
        &self,
        ctx: &Context,
        input: CreateKeyRequest,
    ) -> Result<CreateKeyResponse, ApiError> {
        keys::create_key(self, ctx, input).await
    }
    async fn describe_key(
        &self,
        ctx: &Context,
        input: DescribeKeyRequest,
    ) -> Result<DescribeKeyResponse, ApiError> {
        keys::describe_key(self, ctx, input).await
    }
    async fn list_keys(
        &self,
        ctx: &Context,
        input: ListKeysRequest,
    ) -> Result<ListKeysResponse, ApiError> {
        keys::list_keys(self, ctx, input).await
    }
    async fn enable_key(
        &self,
        ctx: &Context,
        input: EnableKeyRequest,
    ) -> Result<EnableKeyResponse, ApiError> {
        keys::enable_key(self, ctx, input).await
    }
    async fn disable_key(
        &self,
        ctx: &Context,
        input: DisableKeyRequest,
    ) -> Result<DisableKeyResponse, ApiError> {
        keys::disable_key(self, ctx, input).await
    }
    async fn schedule_key_deletion(
        &self,
        ctx: &Context,
        input: ScheduleKeyDeletionRequest,
    ) -> Result<ScheduleKeyDeletionResponse, ApiError> {
        keys::schedule_key_deletion(self, ctx, input).await
    }
    async fn cancel_key_deletion(
        &self,
        ctx: &Context,
        input: CancelKeyDeletionRequest,
    ) -> Result<CancelKeyDeletionResponse, ApiError> {
        keys::cancel_key_deletion(self, ctx, input).await
    }
    async fn create_alias(
        &self,
        ctx: &Context,
        input: CreateAliasRequest,
    ) -> Result<CreateAliasResponse, ApiError> {
        aliases::create_alias(self, ctx, input).await
    }
    async fn update_alias(
        &self,
        ctx: &Context,
        input: UpdateAliasRequest,
    ) -> Result<UpdateAliasResponse, ApiError> {
        aliases::update_alias(self, ctx, input).await
    }
    async fn delete_alias(
        &self,
        ctx: &Context,
        input: DeleteAliasRequest,
    ) -> Result<DeleteAliasResponse, ApiError> {
        aliases::delete_alias(self, ctx, input).await
    }
    async fn list_aliases(
        &self,
        ctx: &Context,
        input: ListAliasesRequest,
    ) -> Result<ListAliasesResponse, ApiError> {
        aliases::list_aliases(self, ctx, input).await
    }
    async fn enable_key_rotation(
        &self,
        ctx: &Context,
        input: EnableKeyRotationRequest,
    ) -> Result<EnableKeyRotationResponse, ApiError> {
        rotation::enable_key_rotation(self, ctx, input).await
    }
    async fn disable_key_rotation(
        &self,
        ctx: &Context,
        input: DisableKeyRotationRequest,
    ) -> Result<DisableKeyRotationResponse, ApiError> {
        rotation::disable_key_rotation(self, ctx, input).await
    }
    async fn get_key_rotation_status(
        &self,
        ctx: &Context,
        input: GetKeyRotationStatusRequest,
    ) -> Result<GetKeyRotationStatusResponse, ApiError> {
        rotation::get_key_rotation_status(self, ctx, input).await
    }
    async fn rotate_key_on_demand(
        &self,
        ctx: &Context,
        input: RotateKeyOnDemandRequest,
    ) -> Result<RotateKeyOnDemandResponse, ApiError> {
        rotation::rotate_key_on_demand(self, ctx, input).await
    }
    async fn encrypt(
        &self,
        ctx: &Context,
        input: EncryptRequest,
    ) -> Result<EncryptResponse, ApiError> {
        crypto::encrypt(self, ctx, input).await
    }
    async fn decrypt(
        &self,
        ctx: &Context,
        input: DecryptRequest,
    ) -> Result<DecryptResponse, ApiError> {
        crypto::decrypt(self, ctx, input).await
    }
    async fn generate_data_key(
        &self,
        ctx: &Context,
        input: GenerateDataKeyRequest,
    ) -> Result<GenerateDataKeyResponse, ApiError> {
        crypto::generate_data_key(self, ctx, input).await
    }
    async fn generate_data_key_without_plaintext(
        &self,
        ctx: &Context,
        input: GenerateDataKeyWithoutPlaintextRequest,
    ) -> Result<GenerateDataKeyWithoutPlaintextResponse, ApiError> {
        crypto::generate_data_key_without_plaintext(self, ctx, input).await
    }
    async fn re_encrypt(
        &self,
        ctx: &Context,
        input: ReEncryptRequest,
    ) -> Result<ReEncryptResponse, ApiError> {
        crypto::re_encrypt(self, ctx, input).await
    }
    async fn tag_resource(
        &self,
        ctx: &Context,
        input: TagResourceRequest,
    ) -> Result<TagResourceResponse, ApiError> {
        tags::tag_resource(self, ctx, input).await
    }
    async fn untag_resource(
        &self,
        ctx: &Context,
        input: UntagResourceRequest,
    ) -> Result<UntagResourceResponse, ApiError> {
        tags::untag_resource(self, ctx, input).await
    }
    async fn list_resource_tags(
        &self,
        ctx: &Context,
        input: ListResourceTagsRequest,
    ) -> Result<ListResourceTagsResponse, ApiError> {
        tags::list_resource_tags(self, ctx, input).await
    }
    async fn get_key_policy(
        &self,
        ctx: &Context,
        input: GetKeyPolicyRequest,
    ) -> Result<GetKeyPolicyResponse, ApiError> {
        policy::get_key_policy(self, ctx, input).await
    }
    async fn put_key_policy(
        &self,
        ctx: &Context,
        input: PutKeyPolicyRequest,
    ) -> Result<PutKeyPolicyResponse, ApiError> {
        policy::put_key_policy(self, ctx, input).await
    }
    async fn list_key_policies(
        &self,
        ctx: &Context,
        input: ListKeyPoliciesRequest,
    ) -> Result<ListKeyPoliciesResponse, ApiError> {
        policy::list_key_policies(self, ctx, input).await
    }
}
