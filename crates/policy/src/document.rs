//! Parsing and validating a policy document into a compiled [`Policy`].
//!
//! The whole document is checked before anything is compiled, in IAM's order, and the first
//! failing stage decides the message (IAM reports one error per document):
//!
//! 1. grammar: JSON, known elements of the right types, `Version`, `Effect` in any case,
//!    known condition operators → `Syntax errors in policy.`
//! 2. the policy kind: a `Principal` in an identity or session policy, a missing one in a
//!    resource or trust policy, a `Resource` in a trust policy;
//! 3. IAM's "legacy" parser: `Effect` in exact case, typed condition values (dates, and here
//!    also numbers and addresses), ARN shapes → `The policy failed legacy parsing`;
//! 4. unique `Sid`s; 5. actions present; 6. resources present; 7. resource ARN formats;
//! 8. action vendors; 9. trust-policy actions; 10. principal values.

use serde_json::{Map, Value};

use crate::condition::{compile_value, Condition, Operator};
use crate::error::{messages, PolicyError};
use crate::principal::{AwsPrincipal, PrincipalSet};
use crate::wildcard::{Template, Vars, Wild};

/// What a policy document is attached to; decides which elements it must or must not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyKind {
    /// Attached to a user, group or role: no `Principal`; `Resource` required.
    Identity,
    /// Attached to a resource (a secret's resource policy): `Principal` and `Resource` required.
    Resource,
    /// A role's trust policy (who may assume it): `Principal` required, no `Resource`, only
    /// `sts:` assume-role actions.
    Trust,
    /// A session policy passed to `AssumeRole` / `GetFederationToken`: like an identity policy;
    /// it can only narrow the session's permissions.
    Session,
}

/// The policy language version (`Version` element).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolicyVersion {
    /// `2008-10-17`, or no `Version` element: `${...}` is literal text, not a variable.
    Version2008,
    /// `2012-10-17`: policy variables are substituted in `Resource` and condition values.
    Version2012,
}

impl PolicyVersion {
    /// The `Version` string.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyVersion::Version2008 => "2008-10-17",
            PolicyVersion::Version2012 => "2012-10-17",
        }
    }
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Effect {
    Allow,
    Deny,
}

/// An `Action`/`NotAction` or `Resource`/`NotResource` element.
#[derive(Debug, Clone)]
pub(crate) struct PatternSet {
    /// `Not...`: the statement applies to whatever matches none of the patterns.
    pub(crate) negated: bool,
    pub(crate) patterns: Vec<Template>,
}

/// A `Principal` / `NotPrincipal` element.
#[derive(Debug, Clone)]
pub(crate) struct PrincipalElement {
    pub(crate) negated: bool,
    pub(crate) set: PrincipalSet,
}

/// One compiled statement.
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    pub(crate) sid: Option<Box<str>>,
    pub(crate) effect: Effect,
    pub(crate) principal: Option<PrincipalElement>,
    pub(crate) actions: PatternSet,
    /// `None` in trust policies, which have no resource element.
    pub(crate) resources: Option<PatternSet>,
    pub(crate) conditions: Vec<Condition>,
}

/// A parsed, validated and compiled policy document, ready to evaluate many times.
///
/// Wildcard patterns, condition values (numbers, dates, CIDR ranges, ARN components) and
/// principals are all compiled once here; evaluation does no parsing of the document.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) kind: PolicyKind,
    pub(crate) version: PolicyVersion,
    pub(crate) id: Option<String>,
    pub(crate) statements: Vec<Statement>,
}

impl Policy {
    /// Parses and validates `json` as a policy of `kind`, with AWS's
    /// `MalformedPolicyDocument` message on failure.
    pub fn parse(json: &str, kind: PolicyKind) -> Result<Policy, PolicyError> {
        let root: Value =
            serde_json::from_str(json).map_err(|_| PolicyError::new(messages::SYNTAX))?;
        let doc = check_grammar(&root)?;
        check_kind(&doc, kind)?;
        let resource_error = check_legacy(&doc)?;
        check_sids(&doc)?;
        check_presence(&doc, kind)?;
        if let Some(message) = resource_error {
            return Err(PolicyError::new(message));
        }
        check_vendors(&doc)?;
        if kind == PolicyKind::Trust {
            check_trust_actions(&doc)?;
        }
        compile(&doc, kind)
    }

    /// The kind the policy was parsed as.
    pub fn kind(&self) -> PolicyKind {
        self.kind
    }

    /// The policy language version.
    pub fn version(&self) -> PolicyVersion {
        self.version
    }

    /// The `Id` element, if any.
    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// Number of statements.
    pub fn statement_count(&self) -> usize {
        self.statements.len()
    }

    /// The statements' `Sid`s, in document order (`None` for a statement without one).
    pub fn sids(&self) -> impl Iterator<Item = Option<&str>> {
        self.statements.iter().map(|s| s.sid.as_deref())
    }
}

/// A document that passed the grammar stage, still borrowing the JSON.
struct Doc<'a> {
    version: PolicyVersion,
    id: Option<&'a str>,
    statements: Vec<RawStatement<'a>>,
}

struct RawStatement<'a> {
    sid: Option<&'a str>,
    effect: &'a str,
    /// (negated, value)
    principal: Option<(bool, &'a Value)>,
    action: Option<(bool, Vec<&'a str>)>,
    resource: Option<(bool, Vec<&'a str>)>,
    conditions: Vec<(&'a str, Operator, &'a Map<String, Value>)>,
}

fn syntax() -> PolicyError {
    PolicyError::new(messages::SYNTAX)
}

/// `"x"` or `["x", "y"]`.
fn strings(v: &Value) -> Result<Vec<&str>, PolicyError> {
    match v {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().ok_or_else(syntax))
            .collect(),
        _ => Err(syntax()),
    }
}

/// Exactly one of `a` / `b` (or neither); both is a grammar error.
fn one_of<'a>(
    obj: &'a Map<String, Value>,
    a: &str,
    b: &str,
) -> Result<Option<(bool, &'a Value)>, PolicyError> {
    match (obj.get(a), obj.get(b)) {
        (Some(_), Some(_)) => Err(syntax()),
        (Some(v), None) => Ok(Some((false, v))),
        (None, Some(v)) => Ok(Some((true, v))),
        (None, None) => Ok(None),
    }
}

fn check_grammar(root: &Value) -> Result<Doc<'_>, PolicyError> {
    let obj = root.as_object().ok_or_else(syntax)?;
    if obj
        .keys()
        .any(|k| !matches!(k.as_str(), "Version" | "Id" | "Statement"))
    {
        return Err(syntax());
    }
    let version = match obj.get("Version") {
        None => PolicyVersion::Version2008,
        Some(Value::String(v)) if v == "2012-10-17" => PolicyVersion::Version2012,
        Some(Value::String(v)) if v == "2008-10-17" => PolicyVersion::Version2008,
        Some(_) => return Err(syntax()),
    };
    let id = match obj.get("Id") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(syntax()),
    };
    let statements: Vec<&Value> = match obj.get("Statement") {
        Some(Value::Array(items)) if !items.is_empty() => items.iter().collect(),
        Some(single @ Value::Object(_)) => vec![single],
        _ => return Err(syntax()),
    };
    let statements = statements
        .into_iter()
        .map(check_statement_grammar)
        .collect::<Result<_, _>>()?;
    Ok(Doc {
        version,
        id,
        statements,
    })
}

fn check_statement_grammar(v: &Value) -> Result<RawStatement<'_>, PolicyError> {
    let obj = v.as_object().ok_or_else(syntax)?;
    if obj.keys().any(|k| {
        !matches!(
            k.as_str(),
            "Sid"
                | "Effect"
                | "Principal"
                | "NotPrincipal"
                | "Action"
                | "NotAction"
                | "Resource"
                | "NotResource"
                | "Condition"
        )
    }) {
        return Err(syntax());
    }
    let sid = match obj.get("Sid") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(syntax()),
    };
    // Any case passes the grammar; the legacy parser then insists on `Allow` / `Deny`.
    let effect = match obj.get("Effect") {
        Some(Value::String(e))
            if e.eq_ignore_ascii_case("allow") || e.eq_ignore_ascii_case("deny") =>
        {
            e.as_str()
        }
        _ => return Err(syntax()),
    };
    let action = match one_of(obj, "Action", "NotAction")? {
        Some((neg, v)) => Some((neg, strings(v)?)),
        None => None,
    };
    let resource = match one_of(obj, "Resource", "NotResource")? {
        Some((neg, v)) => Some((neg, strings(v)?)),
        None => None,
    };
    let principal = one_of(obj, "Principal", "NotPrincipal")?;
    if let Some((_, p)) = principal {
        check_principal_grammar(p)?;
    }
    let conditions = match obj.get("Condition") {
        None => Vec::new(),
        Some(Value::Object(blocks)) => check_condition_grammar(blocks)?,
        Some(_) => return Err(syntax()),
    };
    Ok(RawStatement {
        sid,
        effect,
        principal,
        action,
        resource,
        conditions,
    })
}

fn check_principal_grammar(p: &Value) -> Result<(), PolicyError> {
    match p {
        Value::String(s) if s == "*" => Ok(()),
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                if !matches!(
                    k.as_str(),
                    "AWS" | "Service" | "Federated" | "CanonicalUser"
                ) {
                    return Err(syntax());
                }
                if strings(v)?.is_empty() {
                    return Err(syntax());
                }
            }
            Ok(())
        }
        _ => Err(syntax()),
    }
}

type RawConditions<'a> = Vec<(&'a str, Operator, &'a Map<String, Value>)>;

fn check_condition_grammar(blocks: &Map<String, Value>) -> Result<RawConditions<'_>, PolicyError> {
    let mut out = Vec::new();
    for (name, body) in blocks {
        let body = body.as_object().ok_or_else(syntax)?;
        for value in body.values() {
            let scalar =
                |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
            let ok = match value {
                Value::Array(items) => items.iter().all(scalar),
                other => scalar(other),
            };
            if !ok {
                return Err(syntax());
            }
        }
        match Operator::parse(name) {
            Some(op) => out.push((name.as_str(), op, body)),
            // IAM accepts an unknown operator only with an empty body, and then ignores it.
            None if body.is_empty() => {}
            None => return Err(syntax()),
        }
    }
    Ok(out)
}

/// A condition value as text: JSON numbers and booleans stand for their literal text.
fn condition_values(v: &Value) -> Vec<String> {
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    };
    match v {
        Value::Array(items) => items.iter().map(one).collect(),
        other => vec![one(other)],
    }
}

fn check_kind(doc: &Doc<'_>, kind: PolicyKind) -> Result<(), PolicyError> {
    for st in &doc.statements {
        match kind {
            PolicyKind::Identity | PolicyKind::Session => {
                if st.principal.is_some() {
                    return Err(PolicyError::new(messages::PRINCIPAL_NOT_ALLOWED));
                }
            }
            PolicyKind::Resource | PolicyKind::Trust => {
                if st.principal.is_none() {
                    return Err(PolicyError::new(messages::MISSING_PRINCIPAL));
                }
            }
        }
        if kind == PolicyKind::Trust {
            match st.resource {
                Some((false, _)) => return Err(PolicyError::new(messages::TRUST_RESOURCE)),
                Some((true, _)) => return Err(PolicyError::new(messages::TRUST_NOT_RESOURCE)),
                None => {}
            }
        }
    }
    Ok(())
}

/// Replaces each `${...}` with `x`, so a variable's own colons do not disturb ARN checks.
fn blank_variables(s: &str, version: PolicyVersion) -> std::borrow::Cow<'_, str> {
    if version == PolicyVersion::Version2008 || !s.contains("${") {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        match rest[start..].find('}') {
            Some(end) => {
                out.push('x');
                rest = &rest[start + end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.into()
}

const PARTITIONS: &[&str] = &[
    "aws",
    "aws-cn",
    "aws-us-gov",
    "aws-iso",
    "aws-iso-b",
    "aws-iso-e",
    "aws-iso-f",
    "aws-eusc",
];

const IAM_RESOURCE_PATHS: &[&str] = &[
    "user/",
    "federated-user/",
    "role/",
    "group/",
    "instance-profile/",
    "mfa/",
    "server-certificate/",
    "policy/",
    "sms-mfa/",
    "saml-provider/",
    "oidc-provider/",
    "report/",
    "access-report/",
];

/// IAM's resource format check; `Some(message)` for a bad resource.
fn resource_format_error(resource: &str) -> Option<String> {
    if resource == "*" {
        return None;
    }
    // IAM does not check the first component ("arn"): it splits on the first colon...
    let (_, rest) = match resource.split_once(':') {
        Some(x) => x,
        None => return Some(messages::resource_not_arn(resource)),
    };
    // ...and takes the second as the partition.
    let (partition, rest) = match rest.split_once(':') {
        Some((p, r)) => (p, Some(r)),
        None => (rest, None),
    };
    if !PARTITIONS.contains(&partition) {
        let tail: Vec<&str> = rest.unwrap_or("").split(':').collect();
        return Some(messages::invalid_partition(partition, &tail));
    }
    let Some(rest) = rest else {
        return Some(messages::RESOURCE_VENDOR.to_owned());
    };
    let (service, after_service) = rest.split_once(':').unwrap_or((rest, ""));
    let has_region = !after_service.starts_with(':');
    match service {
        "iam" if has_region => {
            return Some(format!(
                "IAM resource {resource} cannot contain region information."
            ))
        }
        "s3" if has_region => {
            return Some(format!(
                "Resource {resource} can not contain region information."
            ))
        }
        _ => {}
    }
    if service == "iam" {
        // region : account : path
        let path = after_service
            .split_once(':')
            .and_then(|(_, r)| r.split_once(':'))
            .map_or("", |(_, p)| p);
        if !IAM_RESOURCE_PATHS.iter().any(|v| path.starts_with(v)) {
            return Some(format!(
                "IAM resource path must either be \"*\" or start with {}.",
                IAM_RESOURCE_PATHS.join(", ")
            ));
        }
    }
    None
}

/// IAM's legacy ARN parser: `false` if it would refuse the resource.
fn resource_legacy_ok(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    if resource.contains("::") && resource.matches(':').count() < 5 {
        return false;
    }
    resource
        .split(':')
        .nth(2)
        .is_some_and(|service| !service.is_empty())
}

/// The legacy stage. Returns the resource format error to report later (IAM reports it only
/// after the SID, action and resource-presence checks), or fails outright.
fn check_legacy(doc: &Doc<'_>) -> Result<Option<String>, PolicyError> {
    let legacy = || PolicyError::new(messages::LEGACY_PARSING);
    let vars = vars_of(doc.version);
    for st in &doc.statements {
        if st.effect != "Allow" && st.effect != "Deny" {
            return Err(legacy());
        }
        for (_, op, body) in &st.conditions {
            for value in body.values() {
                for text in condition_values(value) {
                    if compile_value(op.family, &text, vars).is_err() {
                        return Err(legacy());
                    }
                }
            }
        }
    }
    // IAM checks every statement's Resource, then every statement's NotResource; within one
    // element it goes through the values in reverse sorted order, and a later format error
    // replaces an earlier one. A statement's ARNs get the legacy check only while no format
    // error has been seen.
    let mut resource_error: Option<String> = None;
    for negated in [false, true] {
        for st in &doc.statements {
            let Some((neg, list)) = &st.resource else {
                continue;
            };
            if *neg != negated {
                continue;
            }
            let mut sorted: Vec<std::borrow::Cow<'_, str>> = list
                .iter()
                .map(|r| blank_variables(r, doc.version))
                .collect();
            sorted.sort_unstable_by(|a, b| b.cmp(a));
            for r in &sorted {
                if let Some(e) = resource_format_error(r) {
                    resource_error = Some(e);
                }
            }
            if resource_error.is_none() && !sorted.iter().all(|r| resource_legacy_ok(r)) {
                return Err(legacy());
            }
        }
    }
    Ok(resource_error)
}

fn check_sids(doc: &Doc<'_>) -> Result<(), PolicyError> {
    let mut seen = std::collections::HashSet::new();
    for sid in doc.statements.iter().filter_map(|s| s.sid) {
        if !sid.is_empty() && !seen.insert(sid) {
            return Err(PolicyError::new(messages::DUPLICATE_SID));
        }
    }
    Ok(())
}

fn check_presence(doc: &Doc<'_>, kind: PolicyKind) -> Result<(), PolicyError> {
    if doc
        .statements
        .iter()
        .any(|s| s.action.as_ref().is_none_or(|(_, a)| a.is_empty()))
    {
        return Err(PolicyError::new(messages::NO_ACTIONS));
    }
    if kind != PolicyKind::Trust
        && doc
            .statements
            .iter()
            .any(|s| s.resource.as_ref().is_none_or(|(_, r)| r.is_empty()))
    {
        return Err(PolicyError::new(messages::NO_RESOURCES));
    }
    Ok(())
}

fn check_vendors(doc: &Doc<'_>) -> Result<(), PolicyError> {
    for negated in [false, true] {
        for st in &doc.statements {
            let Some((neg, actions)) = &st.action else {
                continue;
            };
            if *neg != negated {
                continue;
            }
            for action in actions {
                let parts: Vec<&str> = action.split(':').collect();
                if parts.len() == 1 && parts[0] != "*" {
                    return Err(PolicyError::new(messages::ACTION_NO_VENDOR));
                }
                if parts.len() > 2 {
                    return Err(PolicyError::new(messages::ACTION_COLONS));
                }
                let vendor = parts[0];
                let valid = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'.';
                if vendor != "*" && (vendor.is_empty() || !vendor.bytes().all(valid)) {
                    return Err(PolicyError::new(messages::invalid_vendor(vendor)));
                }
            }
        }
    }
    Ok(())
}

const TRUST_ACTIONS: &[&str] = &[
    "sts:assumerole",
    "sts:assumerolewithsaml",
    "sts:assumerolewithwebidentity",
    "sts:tagsession",
    "sts:setsourceidentity",
    "sts:setcontext",
];

fn check_trust_actions(doc: &Doc<'_>) -> Result<(), PolicyError> {
    for st in &doc.statements {
        if let Some((_, actions)) = &st.action {
            if actions
                .iter()
                .any(|a| !TRUST_ACTIONS.contains(&a.to_ascii_lowercase().as_str()))
            {
                return Err(PolicyError::new(messages::TRUST_ACTIONS));
            }
        }
    }
    Ok(())
}

fn vars_of(version: PolicyVersion) -> Vars {
    match version {
        PolicyVersion::Version2012 => Vars::Yes,
        PolicyVersion::Version2008 => Vars::No,
    }
}

fn compile_principal(v: &Value) -> Result<PrincipalSet, PolicyError> {
    let mut set = PrincipalSet::default();
    let Value::Object(map) = v else {
        // The grammar admits only "*" as a bare string.
        set.everyone = true;
        return Ok(set);
    };
    for (kind, values) in map {
        for value in strings(values)? {
            match kind.as_str() {
                "AWS" => match AwsPrincipal::parse(value) {
                    Some(p) => set.aws.push(p),
                    None => {
                        return Err(PolicyError::new(messages::invalid_principal("AWS", value)))
                    }
                },
                "Service" | "Federated" | "CanonicalUser" if value.is_empty() => {
                    return Err(PolicyError::new(messages::invalid_principal(kind, value)))
                }
                "Service" => set.service.push(value.into()),
                "Federated" => set.federated.push(value.into()),
                _ => set.canonical_user.push(value.into()),
            }
        }
    }
    Ok(set)
}

fn compile(doc: &Doc<'_>, kind: PolicyKind) -> Result<Policy, PolicyError> {
    let vars = vars_of(doc.version);
    let mut statements = Vec::with_capacity(doc.statements.len());
    for st in &doc.statements {
        let principal = match st.principal {
            Some((negated, v)) => Some(PrincipalElement {
                negated,
                set: compile_principal(v)?,
            }),
            None => None,
        };
        let (neg, list) = st.action.as_ref().ok_or_else(syntax)?;
        // Actions never take variables, and match case-insensitively.
        let actions = PatternSet {
            negated: *neg,
            patterns: list
                .iter()
                .map(|a| Template::compile(a, Wild::Yes, Vars::No))
                .collect(),
        };
        let resources = st.resource.as_ref().map(|(neg, list)| PatternSet {
            negated: *neg,
            patterns: list
                .iter()
                .map(|r| Template::compile(r, Wild::Yes, vars))
                .collect(),
        });
        let mut conditions = Vec::new();
        for (_, op, body) in &st.conditions {
            for (key, value) in body.iter() {
                let values = condition_values(value)
                    .iter()
                    .map(|text| compile_value(op.family, text, vars))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|_| PolicyError::new(messages::LEGACY_PARSING))?;
                conditions.push(Condition {
                    op: *op,
                    key: key.to_lowercase().into(),
                    values,
                });
            }
        }
        statements.push(Statement {
            sid: st.sid.map(Into::into),
            effect: if st.effect == "Allow" {
                Effect::Allow
            } else {
                Effect::Deny
            },
            principal,
            actions,
            resources,
            conditions,
        });
    }
    Ok(Policy {
        kind,
        version: doc.version,
        id: doc.id.map(str::to_owned),
        statements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_messages_match_iam() {
        assert_eq!(
            resource_format_error("a:bsdfdsafsad").as_deref(),
            Some(
                "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."
            )
        );
        assert_eq!(
            resource_format_error("aws:s3:::example_bucket").as_deref(),
            Some("Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".")
        );
        assert_eq!(
            resource_format_error("a:b:c:d:e:f:g:h").as_deref(),
            Some("Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".")
        );
        assert_eq!(
            resource_format_error("arn:aws").as_deref(),
            Some(messages::RESOURCE_VENDOR)
        );
        assert_eq!(resource_format_error("arn:aws:fdsasf"), None);
        assert_eq!(
            resource_format_error("arn:aws:secretsmanager:us-east-1:111122223333:secret:x"),
            None
        );
    }

    #[test]
    fn blanking_variables() {
        assert_eq!(
            blank_variables(
                "arn:aws:iam::*:user/${aws:username}",
                PolicyVersion::Version2012
            ),
            "arn:aws:iam::*:user/x"
        );
        assert_eq!(
            blank_variables("a/${aws:username}", PolicyVersion::Version2008),
            "a/${aws:username}"
        );
    }
}
