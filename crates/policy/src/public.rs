//! "Is this policy public?" (`BlockPublicPolicy`) and the checks behind Secrets Manager's
//! `ValidateResourcePolicy`.

use serde::Serialize;

use crate::condition::{ArnPattern, Condition, Family, SetOp, Value};
use crate::context::is_account_id;
use crate::document::{Effect, Policy, PolicyKind, Statement};
use crate::wildcard::{NoVars, Template, Vars, Wild};

/// Condition keys that pin a statement to specific accounts, organizations or principals.
/// A statement open to `"*"` but conditioned on one of these with fixed values is not public
/// (the same keys AWS's public-access analysis honours for S3 and Secrets Manager).
const RESTRICTING_KEYS: &[&str] = &[
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:userid",
    "aws:username",
];

/// Keys whose values are ARNs: restricting only if the account component is a fixed id.
const ARN_KEYS: &[&str] = &["aws:principalarn", "aws:sourcearn"];

/// Whether one policy value pins the key to something specific.
fn specific(key: &str, value: &Value) -> bool {
    let text = match value {
        Value::Text(t) => t,
        Value::Arn(ArnPattern::Parts(parts)) => {
            // The account component decides; a fixed account is specific enough.
            let account = &parts[4];
            return !account.has_vars() && is_account_id(account.source());
        }
        Value::Arn(ArnPattern::Whole(t)) => t,
        _ => return false,
    };
    if text.has_vars() || text.source().is_empty() {
        return false;
    }
    if ARN_KEYS.contains(&key) {
        // A string operator on an ARN key: the account component must be a fixed id, and no
        // wildcard may come before it (a string `*` could otherwise span the colons).
        let parts: Vec<&str> = text.source().splitn(6, ':').collect();
        return parts.len() == 6
            && is_account_id(parts[4])
            && parts[..5].iter().all(|p| !p.contains(['*', '?']));
    }
    !text.has_wildcards()
}

/// Whether a condition restricts a statement to specific principals: a positive string or
/// ARN test of a restricting key, without `IfExists` (a missing key would pass) and without
/// `ForAllValues:` (an empty set would pass), whose every value is specific.
fn restricts(c: &Condition) -> bool {
    let op = c.op;
    RESTRICTING_KEYS.contains(&&*c.key)
        && !op.negated
        && !op.if_exists
        && op.set != SetOp::ForAllValues
        && matches!(
            op.family,
            Family::String | Family::StringIgnoreCase | Family::StringLike | Family::Arn
        )
        && !c.values.is_empty()
        && c.values.iter().all(|v| specific(&c.key, v))
}

impl Statement {
    /// An `Allow` open to every principal (`"*"`, `{"AWS": "*"}`, or `NotPrincipal`) that no
    /// condition pins down.
    fn is_public(&self) -> bool {
        self.effect == Effect::Allow
            && self
                .principal
                .as_ref()
                .is_some_and(|p| p.negated || p.set.is_everyone())
            && !self.conditions.iter().any(restricts)
    }
}

impl Policy {
    /// Whether the policy grants broad ("public") access: an `Allow` whose principal is `"*"`,
    /// `{"AWS": "*"}`, or a `NotPrincipal`, with no condition restricting it to specific
    /// accounts or principals (`aws:PrincipalAccount`, `aws:PrincipalArn`,
    /// `aws:PrincipalOrgID`, `aws:SourceAccount`, `aws:SourceArn`, `aws:userid`,
    /// `aws:username`, ... tested with `StringEquals` / `StringLike` / `ArnEquals` / `ArnLike`
    /// and fixed values). Used for `BlockPublicPolicy`, which answers
    /// `PublicPolicyException` with [`crate::messages::PUBLIC_POLICY`].
    pub fn is_public(&self) -> bool {
        self.statements.iter().any(Statement::is_public)
    }
}

/// One `ValidateResourcePolicy` finding (`ValidationErrorsEntry`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Which check failed (one of [`checks`]).
    #[serde(rename = "CheckName")]
    pub check_name: String,
    /// What is wrong.
    #[serde(rename = "ErrorMessage")]
    pub error_message: String,
}

impl Finding {
    fn new(check: &str, message: impl Into<String>) -> Finding {
        Finding {
            check_name: check.to_owned(),
            error_message: message.into(),
        }
    }
}

/// Names of the checks [`validate`] runs. AWS does not document its check names; these
/// describe Cofre's.
pub mod checks {
    /// The document does not parse; the message is the `MalformedPolicyDocument` text.
    pub const SYNTAX: &str = "SYNTAX_CHECK";
    /// The policy grants broad access (see [`crate::Policy::is_public`]).
    pub const BROAD_ACCESS: &str = "BROAD_ACCESS_CHECK";
    /// The policy denies every principal the right to change the policy itself.
    pub const LOCKOUT: &str = "LOCKOUT_CHECK";
    /// A `Resource` that can never name a secret.
    pub const RESOURCE: &str = "RESOURCE_CHECK";
    /// A principal type that never applies to a secret.
    pub const PRINCIPAL: &str = "PRINCIPAL_CHECK";
}

/// A secret ARN used to probe resource patterns.
const PROBE_SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:probe-AbCdEf";

/// Whether a `Resource` pattern could name some secret: its service component must be able to
/// be `secretsmanager`.
fn may_name_secret(pattern: &Template) -> bool {
    if pattern.is_match_all() || pattern.matches(PROBE_SECRET_ARN, false, &NoVars) {
        return true;
    }
    let source = pattern.source();
    let parts: Vec<&str> = source.splitn(6, ':').collect();
    match parts.as_slice() {
        [prefix, _, service, ..] => {
            let glob = |s: &str| Template::compile(s, Wild::Yes, Vars::No);
            (prefix.contains("${") || glob(prefix).matches("arn", false, &NoVars))
                && (service.contains("${")
                    || glob(service).matches("secretsmanager", false, &NoVars))
        }
        // A lone `*`-bearing fragment such as "arn*" may still match.
        _ => pattern.has_wildcards() || pattern.has_vars(),
    }
}

/// Whether a statement denies every caller `secretsmanager:PutResourcePolicy` on every
/// secret, unconditionally: nobody could ever fix the policy again.
fn locks_out(st: &Statement) -> bool {
    let everyone = st
        .principal
        .as_ref()
        .is_some_and(|p| !p.negated && p.set.is_everyone());
    let action_hit = st
        .actions
        .patterns
        .iter()
        .any(|p| p.matches("secretsmanager:PutResourcePolicy", true, &NoVars));
    let resource_hit = st.resources.as_ref().is_some_and(|r| {
        !r.negated
            && r.patterns
                .iter()
                .any(|p| p.is_match_all() || p.matches(PROBE_SECRET_ARN, false, &NoVars))
    });
    st.effect == Effect::Deny
        && everyone
        && st.conditions.is_empty()
        && action_hit != st.actions.negated
        && resource_hit
}

/// Secrets Manager's `ValidateResourcePolicy`: every problem found, empty when the policy
/// passes. A document that does not parse gives one [`checks::SYNTAX`] finding with AWS's
/// `MalformedPolicyDocument` message; a parsed resource policy is then checked for broad
/// access, self lock-out, resources that can never be a secret and principal types that never
/// apply to one.
pub fn validate(json: &str, kind: PolicyKind) -> Vec<Finding> {
    let policy = match Policy::parse(json, kind) {
        Ok(p) => p,
        Err(e) => return vec![Finding::new(checks::SYNTAX, e.message)],
    };
    let mut findings = Vec::new();
    if kind != PolicyKind::Resource {
        return findings;
    }
    for (i, st) in policy.statements.iter().enumerate() {
        let name = match &st.sid {
            Some(sid) if !sid.is_empty() => format!("Statement \"{sid}\""),
            _ => format!("Statement {}", i + 1),
        };
        if st.is_public() {
            findings.push(Finding::new(
                checks::BROAD_ACCESS,
                format!(
                    "{name} allows access to every principal (\"*\") without a condition that \
                     restricts it to specific accounts or principals. {}",
                    crate::error::messages::PUBLIC_POLICY
                ),
            ));
        }
        if locks_out(st) {
            findings.push(Finding::new(
                checks::LOCKOUT,
                format!(
                    "{name} denies secretsmanager:PutResourcePolicy to every principal, which \
                     would lock every caller out of changing this policy."
                ),
            ));
        }
        if let Some(resources) = &st.resources {
            if !resources.negated {
                for p in resources.patterns.iter().filter(|p| !may_name_secret(p)) {
                    findings.push(Finding::new(
                        checks::RESOURCE,
                        format!(
                            "{name}: resource {} can never match a secret; a secret's resource \
                             policy applies only to secretsmanager resources (use \"*\").",
                            p.source()
                        ),
                    ));
                }
            }
        }
        if let Some(p) = &st.principal {
            for (kind, values) in [
                ("Federated", &p.set.federated),
                ("CanonicalUser", &p.set.canonical_user),
            ] {
                if !values.is_empty() {
                    findings.push(Finding::new(
                        checks::PRINCIPAL,
                        format!(
                            "{name}: principal type {kind} never applies to a secret; name AWS \
                             accounts, users or roles."
                        ),
                    ));
                }
            }
        }
    }
    findings
}
