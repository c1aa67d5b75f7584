//! AWS's policy evaluation logic for one request.
//!
//! From "Policy evaluation logic" and "Cross-account policy evaluation logic" in the IAM user
//! guide, for the policy types Cofre has (identity-based, resource-based, session):
//!
//! 1. An explicit `Deny` in any applicable policy denies.
//! 2. Same account: allowed if the identity-based policies allow (and, for a session with a
//!    session policy, the session policy allows too), **or** the resource-based policy allows
//!    the caller by name. Naming the caller's *account* (`"AWS": "111122223333"` or
//!    `...:root`) delegates to the account's identity policies and grants nothing by itself.
//!    A grant naming the user, the role or `"*"` is still limited by a session policy; one
//!    naming the exact role-session ARN is not (it was added after the session existed).
//! 3. Cross account: the identity side (with its session policy) **and** the resource policy
//!    must both allow; here a grant to the caller's account counts.
//!
//! The root user is the caller's business: pass an allow-all identity policy for it.

use crate::context::{Env, RequestContext};
use crate::document::{Effect, Policy, Statement};
use crate::principal::Grant;

/// The outcome of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decision {
    /// The request is allowed.
    Allow,
    /// A `Deny` statement applies.
    ExplicitDeny,
    /// Nothing allows the request.
    ImplicitDeny,
}

/// Which policy decided a denial, for the `AccessDeniedException` message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DenyReason {
    /// A `Deny` in an identity-based policy.
    ExplicitDenyIdentity,
    /// A `Deny` in the resource-based policy.
    ExplicitDenyResource,
    /// A `Deny` in the session policy.
    ExplicitDenySession,
    /// No identity-based policy allows the action.
    NoIdentityAllow,
    /// Cross-account: the resource-based policy does not allow the caller (or there is none).
    NoResourceAllow,
    /// The identity-based policies allow, but the session policy does not.
    NoSessionAllow,
}

impl DenyReason {
    /// AWS's ending of the `AccessDenied` message, after `User: <arn> is not authorized to
    /// perform: <action> on resource: <resource> `. From the IAM user guide's "Troubleshoot
    /// access denied error messages": `with an explicit deny in a <type> policy` and
    /// `because no <type> policy allows the <action> action`, where `<type>` is
    /// `identity-based`, `resource-based` or `session`.
    pub fn message_tail(&self, action: &str) -> String {
        match self {
            DenyReason::ExplicitDenyIdentity => {
                "with an explicit deny in an identity-based policy".to_owned()
            }
            DenyReason::ExplicitDenyResource => {
                "with an explicit deny in a resource-based policy".to_owned()
            }
            DenyReason::ExplicitDenySession => {
                "with an explicit deny in a session policy".to_owned()
            }
            DenyReason::NoIdentityAllow => {
                format!("because no identity-based policy allows the {action} action")
            }
            DenyReason::NoResourceAllow => {
                format!("because no resource-based policy allows the {action} action")
            }
            DenyReason::NoSessionAllow => {
                format!("because no session policy allows the {action} action")
            }
        }
    }

    /// The decision this reason belongs to.
    pub fn decision(&self) -> Decision {
        match self {
            DenyReason::ExplicitDenyIdentity
            | DenyReason::ExplicitDenyResource
            | DenyReason::ExplicitDenySession => Decision::ExplicitDeny,
            _ => Decision::ImplicitDeny,
        }
    }
}

/// The full `AccessDeniedException` message as AWS words it:
/// `User: arn:aws:iam::111122223333:user/alice is not authorized to perform:
/// secretsmanager:GetSecretValue on resource: arn:... because no identity-based policy allows
/// the secretsmanager:GetSecretValue action`. For a request on `*` (`ListSecrets`) AWS leaves
/// out the `on resource:` part.
pub fn access_denied_message(req: &RequestContext, reason: DenyReason) -> String {
    let tail = reason.message_tail(&req.action);
    if req.resource == "*" {
        format!(
            "User: {} is not authorized to perform: {} {tail}",
            req.principal.arn, req.action
        )
    } else {
        format!(
            "User: {} is not authorized to perform: {} on resource: {} {tail}",
            req.principal.arn, req.action, req.resource
        )
    }
}

/// The result of [`evaluate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Evaluation {
    /// Allow, or which kind of deny.
    pub decision: Decision,
    /// Why it was denied; `None` when allowed.
    pub reason: Option<DenyReason>,
}

impl Evaluation {
    const ALLOW: Evaluation = Evaluation {
        decision: Decision::Allow,
        reason: None,
    };

    fn deny(reason: DenyReason) -> Evaluation {
        Evaluation {
            decision: reason.decision(),
            reason: Some(reason),
        }
    }

    /// Whether the request is allowed.
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// Where a policy is evaluated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// Identity-based or session policy: the principal is implied.
    Identity,
    /// Resource-based or trust policy: each statement must name the caller.
    Resource,
}

/// What one policy says about a request.
#[derive(Debug, Clone, Copy)]
struct Outcome {
    deny: bool,
    allow: Option<Grant>,
}

impl Statement {
    /// Whether the statement applies to the request, and with which grant.
    fn applies(&self, env: &Env<'_>, slot: Slot) -> Option<Grant> {
        let req = env.req;
        let action_hit = self
            .actions
            .patterns
            .iter()
            .any(|p| p.matches(&req.action, true, env));
        if action_hit == self.actions.negated {
            return None;
        }
        if let Some(resources) = &self.resources {
            let hit = resources
                .patterns
                .iter()
                .any(|p| p.matches(&req.resource, false, env));
            if hit == resources.negated {
                return None;
            }
        }
        let grant = match (&self.principal, slot) {
            (Some(el), _) => {
                let named = el.set.grant_for(&req.principal);
                match (el.negated, self.effect) {
                    (false, _) => named?,
                    // NotPrincipal + Allow: everyone not named, kept as narrow as possible.
                    (true, Effect::Allow) => match named {
                        Some(_) => return None,
                        None => Grant::Principal,
                    },
                    // NotPrincipal + Deny: everyone unless every identity behind the request
                    // is named.
                    (true, Effect::Deny) => {
                        if el.set.exempts_from_deny(&req.principal) {
                            return None;
                        }
                        Grant::Principal
                    }
                }
            }
            (None, Slot::Identity) => Grant::Principal,
            // Cannot happen for a validated resource policy; fail safe: such a statement may
            // deny but never allow.
            (None, Slot::Resource) => match self.effect {
                Effect::Deny => Grant::Principal,
                Effect::Allow => return None,
            },
        };
        if !self.conditions.iter().all(|c| c.eval(env)) {
            return None;
        }
        Some(grant)
    }
}

impl Policy {
    fn outcome(&self, env: &Env<'_>, slot: Slot) -> Outcome {
        let mut allow: Option<Grant> = None;
        for st in &self.statements {
            // An Allow cannot improve on the strongest grant already found.
            if st.effect == Effect::Allow && allow == Some(Grant::Session) {
                continue;
            }
            if let Some(grant) = st.applies(env, slot) {
                match st.effect {
                    Effect::Deny => return Outcome { deny: true, allow },
                    Effect::Allow => allow = allow.max(Some(grant)),
                }
            }
        }
        Outcome { deny: false, allow }
    }
}

/// Decides a request against the caller's identity-based policies, the resource's policy and
/// the session policy, following AWS's evaluation logic (module docs).
///
/// When several policies deny explicitly, the reason names the first of identity-based,
/// resource-based, session (AWS also names only one).
pub fn evaluate(
    req: &RequestContext,
    identity: &[&Policy],
    resource: Option<&Policy>,
    session: Option<&Policy>,
) -> Evaluation {
    let env = Env { req };
    let mut identity_allows = false;
    for policy in identity {
        let o = policy.outcome(&env, Slot::Identity);
        if o.deny {
            return Evaluation::deny(DenyReason::ExplicitDenyIdentity);
        }
        identity_allows |= o.allow.is_some();
    }
    let grant = match resource {
        Some(policy) => {
            let o = policy.outcome(&env, Slot::Resource);
            if o.deny {
                return Evaluation::deny(DenyReason::ExplicitDenyResource);
            }
            o.allow
        }
        None => None,
    };
    let session_allows = match session {
        Some(policy) => {
            let o = policy.outcome(&env, Slot::Identity);
            if o.deny {
                return Evaluation::deny(DenyReason::ExplicitDenySession);
            }
            o.allow.is_some()
        }
        None => true,
    };
    let identity_side = identity_allows && session_allows;
    let identity_reason = if identity_allows {
        DenyReason::NoSessionAllow
    } else {
        DenyReason::NoIdentityAllow
    };
    if req.is_same_account() {
        let by_resource = match grant {
            Some(Grant::Session) => true,
            Some(Grant::Principal) => session_allows,
            Some(Grant::Account) | None => false,
        };
        if identity_side || by_resource {
            return Evaluation::ALLOW;
        }
        // A resource grant the session policy cut off is a session-policy denial.
        if grant == Some(Grant::Principal) && !session_allows {
            return Evaluation::deny(DenyReason::NoSessionAllow);
        }
        Evaluation::deny(identity_reason)
    } else {
        if !identity_side {
            return Evaluation::deny(identity_reason);
        }
        if grant.is_none() {
            return Evaluation::deny(DenyReason::NoResourceAllow);
        }
        Evaluation::ALLOW
    }
}

/// How a role's trust policy names a caller who may assume it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrustGrant {
    /// Only through the caller's account: within that account the caller also needs an
    /// identity-based policy allowing `sts:AssumeRole` on the role.
    Account,
    /// The caller by name (user, role, session) or `"*"`.
    Principal,
}

/// Evaluates a role's trust policy for `req` (`req.action` is `sts:AssumeRole` or a sibling;
/// `req.resource` is ignored, trust policies having no resource): `None` when a `Deny` applies
/// or no `Allow` names the caller with all its conditions met.
pub fn trust_grant(trust: &Policy, req: &RequestContext) -> Option<TrustGrant> {
    let o = trust.outcome(&Env { req }, Slot::Resource);
    if o.deny {
        return None;
    }
    o.allow.map(|g| match g {
        Grant::Account => TrustGrant::Account,
        Grant::Principal | Grant::Session => TrustGrant::Principal,
    })
}

/// Whether a role's trust policy lets the caller assume the role (principal and conditions
/// match an `Allow`, no `Deny` applies). See [`trust_grant`] for how specifically.
pub fn trust_allows(trust: &Policy, req: &RequestContext) -> bool {
    trust_grant(trust, req).is_some()
}
