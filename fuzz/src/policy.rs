//! Target `policy`: IAM policy documents: [`Policy::parse`] (grammar, IAM's validation stages,
//! compilation) and [`validate`] (`ValidateResourcePolicy`'s findings) for every
//! [`PolicyKind`], [`Policy::is_public`] (`BlockPublicPolicy`), the policy cache, and, for a
//! document that parses, evaluation against a few fixed requests: identity, resource, session
//! and trust slots, same- and cross-account callers (user, root, role session), and condition
//! keys of every type (strings, numbers, dates, IP addresses, booleans, ARNs, multi-valued
//! keys, values of the wrong type).
//!
//! # Input
//!
//! The policy document (read as UTF-8, lossily).

use cofre_policy::{
    access_denied_message, evaluate, trust_grant, validate, ContextKeys, Evaluation, PolicyCache,
    PolicyKind, Principal, RequestContext,
};

const KINDS: [PolicyKind; 4] = [
    PolicyKind::Identity,
    PolicyKind::Resource,
    PolicyKind::Trust,
    PolicyKind::Session,
];

const ACCOUNT: &str = "111122223333";
const OTHER_ACCOUNT: &str = "444455556666";
const SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
const ROLE: &str = "arn:aws:iam::111122223333:role/AppRole";

/// A request with condition keys.
fn request(
    principal: &str,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    keys: &[(&str, &[&str])],
) -> Option<RequestContext> {
    let mut ctx_keys = ContextKeys::new();
    for (key, values) in keys {
        ctx_keys.insert_many(key, values.iter().map(|v| (*v).to_owned()).collect());
    }
    Some(RequestContext {
        principal: Principal::from_arn(principal)?,
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: resource_account.map(str::to_owned),
        keys: ctx_keys,
    })
}

/// The fixed requests every parsed policy is evaluated against.
fn requests() -> Vec<RequestContext> {
    [
        request(
            "arn:aws:iam::111122223333:user/alice",
            "secretsmanager:GetSecretValue",
            SECRET,
            None,
            &[
                ("aws:SourceIp", &["203.0.113.5"]),
                ("aws:CurrentTime", &["2025-01-01T00:00:00Z"]),
                ("aws:EpochTime", &["1735689600"]),
                ("aws:SecureTransport", &["true"]),
                ("aws:TagKeys", &["env", "team"]),
                ("aws:RequestTag/env", &["prod"]),
                ("aws:ResourceTag/env", &["prod"]),
                ("aws:PrincipalTag/team", &["db"]),
                ("secretsmanager:Name", &["prod/db"]),
                ("secretsmanager:VersionStage", &["AWSCURRENT"]),
                (
                    "aws:SourceArn",
                    &["arn:aws:lambda:us-east-1:111122223333:function:f"],
                ),
                ("x:n", &["not a number"]),
            ],
        ),
        request(
            "arn:aws:sts::111122223333:assumed-role/AppRole/session-1",
            "secretsmanager:PutSecretValue",
            SECRET,
            None,
            &[
                ("aws:SourceIp", &["2001:db8::1"]),
                ("aws:MultiFactorAuthPresent", &["false"]),
                ("aws:userid", &["AROAEXAMPLE:session-1"]),
                ("aws:TagKeys", &[]),
            ],
        ),
        request(
            "arn:aws:iam::444455556666:user/bob",
            "secretsmanager:GetSecretValue",
            SECRET,
            Some(ACCOUNT),
            &[("aws:PrincipalAccount", &[OTHER_ACCOUNT])],
        ),
        request(
            "arn:aws:iam::111122223333:root",
            "secretsmanager:ListSecrets",
            "*",
            None,
            &[],
        ),
        request(
            "arn:aws:iam::444455556666:root",
            "sts:AssumeRole",
            ROLE,
            Some(ACCOUNT),
            &[
                ("sts:ExternalId", &["x"]),
                ("aws:SourceIp", &["not an address"]),
            ],
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let document = String::from_utf8_lossy(data);
    let requests = requests();
    let cache = PolicyCache::new(4);
    for kind in KINDS {
        let _ = validate(&document, kind);
        let policy = match cache.get_or_parse(&document, kind) {
            Ok(policy) => policy,
            Err(err) => {
                let _ = err.to_string();
                continue;
            }
        };
        let _ = (
            policy.is_public(),
            policy.statement_count(),
            policy.version(),
        );
        let _ = (policy.id(), policy.sids().count());
        for req in &requests {
            match kind {
                PolicyKind::Identity | PolicyKind::Session => {
                    explain(req, evaluate(req, &[&policy], None, None));
                    explain(req, evaluate(req, &[&policy], None, Some(&policy)));
                }
                PolicyKind::Resource => {
                    explain(req, evaluate(req, &[], Some(&policy), None));
                }
                PolicyKind::Trust => {
                    let _ = trust_grant(&policy, req);
                }
            }
        }
    }
}

fn explain(req: &RequestContext, evaluation: Evaluation) {
    if let Some(reason) = evaluation.reason {
        let _ = access_denied_message(req, reason);
    }
}
