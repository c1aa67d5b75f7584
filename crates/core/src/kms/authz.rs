//! Authorization on KMS keys: [`Service::authorize_kms`], the one place the key-policy rule
//! lives, used by the KMS API and by Secrets Manager when it uses a customer key on the
//! caller's behalf.
//!
//! KMS differs from other resources ("Key policies in AWS KMS", "Determining access to a KMS
//! key" in the KMS developer guide): the key policy is the primary control, and no principal,
//! not even the account root, may use a key unless the key policy allows it.
//!
//! 1. An explicit `Deny` in the key policy denies.
//! 2. The key policy must allow the request, either naming the caller (user, role, session,
//!    `*` with conditions) or naming the caller's account (`arn:aws:iam::<acct>:root`, which
//!    delegates to IAM policies). Otherwise: denied, whatever IAM policies say.
//! 3. Then the usual IAM decision ([`Service::decide`], with the key policy as the resource
//!    policy): a grant naming the caller suffices in its own account (unless an identity or
//!    session policy denies); a grant to the account needs an identity policy that allows;
//!    across accounts both sides must allow.
//!
//! `kms:CallerAccount` is added to every request here, as KMS does; callers add the
//! operation's own keys (`kms:ViaService`, `kms:EncryptionContext:<k>`, ...).

use cofre_api::{CallerKind, Context};
use cofre_policy::{
    evaluate, trust_grant, ContextKeys, DenyReason, PolicyKind, Principal, RequestContext,
};

use super::KeyMetadata;
use crate::authz::{AuthzError, ResourceFacts};
use crate::secrets::Service;

impl Service {
    /// Decides whether the caller may perform `action` (`kms:Decrypt`, ...) on `key`, with the
    /// request's condition keys in `keys`, following KMS's key-policy rule (module docs).
    /// Records the decision on the context when allowed.
    pub(crate) async fn authorize_kms(
        &self,
        ctx: &Context,
        action: &str,
        key: &KeyMetadata,
        mut keys: ContextKeys,
    ) -> Result<(), AuthzError> {
        keys.insert("kms:CallerAccount", ctx.caller.account_id.clone());
        let policy = self
            .policies()
            .get_or_parse(&key.policy, PolicyKind::Resource)
            .map_err(|e| {
                AuthzError::Internal(format!("stored key policy does not parse: {}", e.message))
            })?;
        let req = self.key_policy_request(ctx, action, key, &keys);
        let denied = |reason: DenyReason| {
            AuthzError::Denied(format!(
                "User: {} is not authorized to perform: {action} on resource: {} {}",
                ctx.caller.arn,
                key.arn,
                reason.message_tail(action)
            ))
        };
        if evaluate(&req, &[], Some(&policy), None).reason == Some(DenyReason::ExplicitDenyResource)
        {
            return Err(denied(DenyReason::ExplicitDenyResource));
        }
        if trust_grant(&policy, &req).is_none() {
            return Err(denied(DenyReason::NoResourceAllow));
        }
        let facts = ResourceFacts {
            arn: key.arn.clone(),
            account: Some(key.account_id.clone()),
            tags: key
                .tags
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect(),
            policy: Some((key.policy.as_str(), PolicyKind::Resource)),
        };
        self.decide(ctx, action, &facts, keys).await
    }

    /// The request as the key policy sees it: the caller, the key, and the condition keys
    /// [`Service::decide`] would add (global keys, resource tags), so a key-policy condition
    /// reads the same values in both evaluations.
    fn key_policy_request(
        &self,
        ctx: &Context,
        action: &str,
        key: &KeyMetadata,
        keys: &ContextKeys,
    ) -> RequestContext {
        let caller = &ctx.caller;
        let mut keys = keys.clone();
        self.global_keys(ctx, &mut keys);
        for (k, v) in &key.tags {
            keys.insert(&format!("aws:ResourceTag/{k}"), v.clone());
            keys.insert(&format!("kms:ResourceTag/{k}"), v.clone());
        }
        RequestContext {
            principal: Principal {
                arn: caller.arn.clone(),
                account: caller.account_id.clone(),
                role_arn: match &caller.kind {
                    CallerKind::AssumedRole { role_arn, .. } => Some(role_arn.clone()),
                    _ => None,
                },
                is_root: matches!(caller.kind, CallerKind::Root),
            },
            action: action.to_owned(),
            resource: key.arn.clone(),
            resource_account: Some(key.account_id.clone()),
            keys,
        }
    }
}
