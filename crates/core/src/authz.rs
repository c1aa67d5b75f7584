//! Authorization: every Secrets Manager call is decided here, the way IAM decides it.
//!
//! The caller's identity-based policies (from [`crate::iam`]), the secret's resource policy
//! and an STS session policy are evaluated by `cofre_policy` against the request's action,
//! resource and condition keys. The account root may do anything in its own account (an
//! allow-all identity policy); across accounts, the resource policy must allow as well.
//!
//! Existence is not leaked: a caller who may not act on a secret gets the same
//! AccessDeniedException whether or not the secret exists.

use std::sync::{Arc, OnceLock};

use cofre_api::{ApiError, Caller, CallerKind, Context, ErrorCode};
use cofre_policy::{
    evaluate, ContextKeys, Decision, Policy, PolicyCache, PolicyKind, Principal, RequestContext,
};

use crate::error::internal;
use crate::secrets::model::Secret;
use crate::secrets::Service;

/// What a request acts on.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// An existing secret.
    Secret(&'a Secret),
    /// A resource given by ARN (a secret about to be created, or one that does not exist).
    Arn(&'a str),
    /// No particular resource (`*`): ListSecrets, GetRandomPassword, BatchGetSecretValue.
    Any,
}

fn allow_all() -> &'static Arc<Policy> {
    static P: OnceLock<Arc<Policy>> = OnceLock::new();
    P.get_or_init(|| {
        #[allow(clippy::expect_used)]
        Arc::new(
            Policy::parse(
                r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                PolicyKind::Identity,
            )
            .expect("the allow-all policy parses"),
        )
    })
}

/// Why a request was not authorized.
#[derive(Debug)]
pub enum AuthzError {
    /// Denied; the message is AWS's "User: ... is not authorized to perform: ..." text.
    Denied(String),
    /// Policies could not be loaded or compiled.
    Internal(String),
}

impl From<AuthzError> for ApiError {
    fn from(e: AuthzError) -> Self {
        match e {
            AuthzError::Denied(m) => ApiError::new(ErrorCode::AccessDeniedException, m),
            AuthzError::Internal(m) => internal(m),
        }
    }
}

/// The resource side of a decision.
#[derive(Debug, Default)]
pub struct ResourceFacts<'a> {
    /// The resource ARN, or `*`.
    pub arn: String,
    /// The account owning it, when known.
    pub account: Option<String>,
    /// Its tags (`aws:ResourceTag/*`, and `<service>:ResourceTag/*`).
    pub tags: Vec<(&'a str, &'a str)>,
    /// Its resource-based policy (a secret's policy, a role's trust policy).
    pub policy: Option<(&'a str, PolicyKind)>,
}

impl Service {
    /// The compiled-policy cache.
    pub(crate) fn policies(&self) -> &PolicyCache {
        &self.policy_cache
    }

    /// Decides whether the caller may perform `action` (e.g. `secretsmanager:GetSecretValue`)
    /// on `target`, with the request's own condition keys in `keys`. Records the decision on
    /// the context when allowed.
    pub(crate) async fn authorize(
        &self,
        ctx: &Context,
        action: &str,
        target: Target<'_>,
        keys: ContextKeys,
    ) -> Result<(), ApiError> {
        let facts = match target {
            Target::Secret(s) => ResourceFacts {
                arn: s.row.arn.clone(),
                account: Some(s.row.account_id.clone()),
                tags: s
                    .meta
                    .tags
                    .iter()
                    .map(|t| (t.key.as_str(), t.value.as_str()))
                    .collect(),
                policy: s
                    .meta
                    .resource_policy
                    .as_deref()
                    .map(|p| (p, PolicyKind::Resource)),
            },
            Target::Arn(arn) => ResourceFacts {
                arn: arn.to_owned(),
                account: arn
                    .split(':')
                    .nth(4)
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned),
                ..Default::default()
            },
            Target::Any => ResourceFacts {
                arn: "*".into(),
                ..Default::default()
            },
        };
        Ok(self.decide(ctx, action, &facts, keys).await?)
    }

    /// The decision itself, for any service: identity policies of the caller (allow-all for
    /// an account's root), the resource's policy, and a session policy, evaluated together.
    pub async fn decide(
        &self,
        ctx: &Context,
        action: &str,
        resource: &ResourceFacts<'_>,
        mut keys: ContextKeys,
    ) -> Result<(), AuthzError> {
        let caller = &ctx.caller;
        self.global_keys(ctx, &mut keys);
        let service = action.split(':').next().unwrap_or_default();
        for (k, v) in &resource.tags {
            keys.insert(&format!("aws:ResourceTag/{k}"), (*v).to_owned());
            keys.insert(&format!("{service}:ResourceTag/{k}"), (*v).to_owned());
        }
        let compile = |doc: &str, kind| {
            self.policies().get_or_parse(doc, kind).map_err(|e| {
                AuthzError::Internal(format!("stored policy does not parse: {}", e.message))
            })
        };
        let resource_policy = match resource.policy {
            Some((doc, kind)) => Some(compile(doc, kind)?),
            None => None,
        };
        let identity: Vec<Arc<Policy>> = match &caller.kind {
            CallerKind::Root => vec![allow_all().clone()],
            _ => {
                let docs = self
                    .iam
                    .identity_policies(&principal_of(caller))
                    .await
                    .map_err(|e| AuthzError::Internal(e.message))?;
                docs.iter()
                    .map(|d| compile(d, PolicyKind::Identity))
                    .collect::<Result<_, _>>()?
            }
        };
        let session = match &caller.kind {
            CallerKind::AssumedRole {
                session_policy: Some(doc),
                ..
            } => Some(compile(doc, PolicyKind::Session)?),
            _ => None,
        };
        let req = RequestContext {
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
            resource: resource.arn.clone(),
            resource_account: resource.account.clone(),
            keys,
        };
        let identity_refs: Vec<&Policy> = identity.iter().map(|p| p.as_ref()).collect();
        let eval = evaluate(
            &req,
            &identity_refs,
            resource_policy.as_deref(),
            session.as_deref(),
        );
        match eval.decision {
            Decision::Allow => {
                ctx.authorized.set();
                Ok(())
            }
            Decision::ExplicitDeny | Decision::ImplicitDeny => {
                let tail = eval
                    .reason
                    .map(|r| r.message_tail(action))
                    .unwrap_or_default();
                Err(AuthzError::Denied(format!(
                    "User: {} is not authorized to perform: {action} on resource: {} {tail}",
                    caller.arn, resource.arn
                )))
            }
        }
    }

    /// Condition keys every request carries (also used by KMS's key-policy check).
    pub(crate) fn global_keys(&self, ctx: &Context, keys: &mut ContextKeys) {
        let caller = &ctx.caller;
        let now = self.now_ms();
        keys.insert(
            "aws:PrincipalArn",
            match &caller.kind {
                CallerKind::AssumedRole { role_arn, .. } => role_arn.clone(),
                _ => caller.arn.clone(),
            },
        );
        keys.insert("aws:PrincipalAccount", caller.account_id.clone());
        keys.insert(
            "aws:PrincipalType",
            match &caller.kind {
                CallerKind::Root => "Account",
                CallerKind::User { .. } => "User",
                CallerKind::AssumedRole { .. } => "AssumedRole",
            },
        );
        match &caller.kind {
            CallerKind::Root => keys.insert("aws:userid", caller.account_id.clone()),
            CallerKind::User { name, user_id } => {
                keys.insert("aws:username", name.clone());
                keys.insert("aws:userid", user_id.clone());
            }
            CallerKind::AssumedRole { user_id, .. } => keys.insert("aws:userid", user_id.clone()),
        }
        for (k, v) in &caller.tags {
            keys.insert(&format!("aws:PrincipalTag/{k}"), v.clone());
        }
        if let Some(ip) = ctx.source_ip {
            keys.insert("aws:SourceIp", ip.to_string());
        }
        keys.insert(
            "aws:SecureTransport",
            if ctx.secure_transport {
                "true"
            } else {
                "false"
            },
        );
        keys.insert("aws:RequestedRegion", ctx.region.clone());
        keys.insert("aws:EpochTime", (now / 1000).to_string());
        keys.insert("aws:CurrentTime", iso8601(now));
    }
}

/// `2026-11-29T07:01:29Z`.
fn iso8601(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    time::OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// The core's [`crate::iam::Principal`] for a wire-level caller.
pub fn principal_of(c: &Caller) -> crate::iam::Principal {
    use crate::iam::{Principal as P, PrincipalKind as K};
    let kind = match &c.kind {
        CallerKind::Root => K::Root,
        CallerKind::User { name, user_id } => K::User {
            name: name.clone(),
            user_id: user_id.clone(),
        },
        CallerKind::AssumedRole {
            role_arn,
            user_id,
            session_policy,
        } => {
            let (role_id, session_name) = user_id.split_once(':').unwrap_or((user_id.as_str(), ""));
            K::AssumedRole {
                role_name: role_arn.rsplit('/').next().unwrap_or_default().to_owned(),
                role_arn: role_arn.clone(),
                role_id: role_id.to_owned(),
                session_name: session_name.to_owned(),
                session_policy: session_policy.clone(),
                expires_ms: 0,
            }
        }
    };
    P {
        account_id: c.account_id.clone(),
        arn: c.arn.clone(),
        kind,
        tags: c.tags.clone(),
    }
}
