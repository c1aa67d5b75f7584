//! The declarative document `Apply` converges to: on disk a TOML file (the CLI parses it with
//! these very types and sends it as JSON, member names unchanged), on the wire the `Document`
//! member of `Apply`.
//!
//! ```toml
//! [[account]]
//! id = "111122223333"
//!
//!   [[account.policy]]            # customer managed policies
//!   name = "ReadProd"
//!   path = "/"                    # default "/"
//!   description = "..."           # optional
//!   document = '''{"Version": "2012-10-17", "Statement": [...]}'''
//!
//!   [[account.group]]
//!   name = "readers"
//!   path = "/"
//!   managed_policies = ["ReadProd"]          # names in this account, or full ARNs
//!   policies = { inline-name = '''{...}''' } # inline policies
//!
//!   [[account.user]]
//!   name = "alice"
//!   path = "/"
//!   groups = ["readers"]
//!   managed_policies = ["ReadProd"]
//!   tags = { team = "core" }
//!   policies = { ... }
//!
//!   [[account.role]]
//!   name = "ci"
//!   path = "/"
//!   trust_policy = '''{...}'''
//!   description = "..."           # optional
//!   max_session_duration = 3600   # default 3600
//!   managed_policies = [...]
//!   policies = { ... }
//!   tags = { ... }
//! ```
//!
//! Every member but the names, `id`, `document` and `trust_policy` is optional. Unknown keys
//! are refused with their name. The document is the whole truth for the accounts it names:
//! users, roles, groups and managed policies it does not list are deleted, so a
//! `managed_policies` entry or a user's `groups` entry must name something the same account
//! declares. [`validate`] checks all of it — names, paths, policy grammar, quotas, references —
//! before anything changes.

use std::collections::{BTreeMap, BTreeSet};

use cofre_api::ApiError;
use cofre_policy::{Policy, PolicyKind};
use serde::{Deserialize, Serialize};

use super::state::{fold, AccountState, EntityState, PolicyState, RoleProps};
use crate::iam::{rules, EntityKind, IamError, Tag};

/// IAM's quotas that the IAM domain checks one call at a time and a document must meet as a
/// whole (AWS's defaults, the same numbers the domain enforces).
const MANAGED_POLICY_SIZE: usize = 6144;
const TRUST_POLICY_SIZE: usize = 2048;
const ATTACHED_POLICIES_PER_ENTITY: usize = 10;
const GROUPS_PER_USER: usize = 10;
const MIN_SESSION: i64 = 3600;
const MAX_SESSION: i64 = 43200;

/// A declarative description of the identities of some accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// The accounts this document governs (`[[account]]`).
    #[serde(default)]
    pub account: Vec<AccountSpec>,
}

/// One account (`[[account]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSpec {
    /// The 12-digit account id; the account is created if it does not exist.
    pub id: String,
    /// Customer managed policies (`[[account.policy]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<PolicySpec>,
    /// Groups (`[[account.group]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group: Vec<GroupSpec>,
    /// Users (`[[account.user]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user: Vec<UserSpec>,
    /// Roles (`[[account.role]]`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub role: Vec<RoleSpec>,
}

fn root_path() -> String {
    "/".to_owned()
}

fn is_root_path(p: &str) -> bool {
    p == "/"
}

fn default_session() -> i64 {
    MIN_SESSION
}

/// A customer managed policy (`[[account.policy]]`). A change of path, document or
/// description replaces the policy (IAM cannot edit one in place without versions).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// The policy name.
    pub name: String,
    /// The path (default `/`).
    #[serde(default = "root_path", skip_serializing_if = "is_root_path")]
    pub path: String,
    /// The policy document (JSON text).
    pub document: String,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A group (`[[account.group]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupSpec {
    /// The group name.
    pub name: String,
    /// The path (default `/`).
    #[serde(default = "root_path", skip_serializing_if = "is_root_path")]
    pub path: String,
    /// Attached managed policies: names of policies of this account, or their ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_policies: Vec<String>,
    /// Inline policies: name → document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, String>,
}

/// A user (`[[account.user]]`). Its access keys are not described here and are kept.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    /// The user name.
    pub name: String,
    /// The path (default `/`).
    #[serde(default = "root_path", skip_serializing_if = "is_root_path")]
    pub path: String,
    /// The groups the user belongs to (declared in the same account).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Attached managed policies: names of policies of this account, or their ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_policies: Vec<String>,
    /// Tags: key → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// Inline policies: name → document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, String>,
}

/// A role (`[[account.role]]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    /// The role name.
    pub name: String,
    /// The path (default `/`).
    #[serde(default = "root_path", skip_serializing_if = "is_root_path")]
    pub path: String,
    /// The trust policy (who may assume the role), JSON text.
    pub trust_policy: String,
    /// A description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The longest session AssumeRole grants, in seconds (3600–43200, default 3600).
    #[serde(default = "default_session")]
    pub max_session_duration: i64,
    /// Attached managed policies: names of policies of this account, or their ARNs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub managed_policies: Vec<String>,
    /// Inline policies: name → document.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, String>,
    /// Tags: key → value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
}

/// A `ValidationException` about `what` (e.g. `user alice in 111122223333`).
fn invalid(what: &str, message: impl std::fmt::Display) -> ApiError {
    ApiError::validation(format!("Invalid document: {what}: {message}"))
}

/// An IAM rule's complaint about `what`.
fn iam_invalid(what: &str) -> impl Fn(IamError) -> ApiError + '_ {
    move |e| invalid(what, e.message)
}

/// Checks a policy document against the policy grammar the authorizer uses, so nothing is
/// stored that would fail every request it applies to.
fn check_document(what: &str, doc: &str, kind: PolicyKind) -> Result<(), ApiError> {
    rules::check_policy_document(doc).map_err(iam_invalid(what))?;
    Policy::parse(doc, kind)
        .map(|_| ())
        .map_err(|e| invalid(what, format!("MalformedPolicyDocument: {}", e.message)))
}

/// Declared policies of one account: folded name → state, and ARN → folded name.
struct Declared {
    policies: BTreeMap<String, PolicyState>,
    by_arn: BTreeMap<String, String>,
}

impl Declared {
    /// Resolves `managed_policies` entries to ARN → policy name.
    fn resolve(&self, what: &str, refs: &[String]) -> Result<BTreeMap<String, String>, ApiError> {
        let mut out = BTreeMap::new();
        for r in refs {
            let key = if r.starts_with("arn:") {
                self.by_arn.get(r).cloned()
            } else {
                Some(fold(r)).filter(|k| self.policies.contains_key(k))
            };
            let p = key.and_then(|k| self.policies.get(&k)).ok_or_else(|| {
                invalid(
                    what,
                    format!(
                        "managed policy {r} is not declared in this account \
                         (policies the document does not list are deleted)"
                    ),
                )
            })?;
            if out.insert(p.arn.clone(), p.name.clone()).is_some() {
                return Err(invalid(what, format!("managed policy {r} is listed twice")));
            }
        }
        if out.len() > ATTACHED_POLICIES_PER_ENTITY {
            return Err(invalid(
                what,
                format!("more than {ATTACHED_POLICIES_PER_ENTITY} managed policies"),
            ));
        }
        Ok(out)
    }
}

/// Checks an entity's name, path and inline policies; returns its state without attachments.
fn entity(
    kind: EntityKind,
    what: &str,
    name: &str,
    path: &str,
    inline: &BTreeMap<String, String>,
) -> Result<EntityState, ApiError> {
    let (field, max) = match kind {
        EntityKind::User => ("userName", 64),
        EntityKind::Role => ("roleName", 64),
        EntityKind::Group => ("groupName", 128),
    };
    rules::check_name(name, field, max).map_err(iam_invalid(what))?;
    rules::check_path(path).map_err(iam_invalid(what))?;
    let mut total = 0;
    for (policy, doc) in inline {
        let about = format!("inline policy {policy} of {what}");
        rules::check_name(policy, "policyName", 128).map_err(iam_invalid(&about))?;
        check_document(&about, doc, PolicyKind::Identity)?;
        total += rules::policy_size(doc);
    }
    if total > kind.inline_quota() {
        return Err(invalid(
            what,
            format!(
                "inline policies exceed {} characters in all (white space excluded)",
                kind.inline_quota()
            ),
        ));
    }
    let mut e = EntityState::new(kind, name, path);
    e.inline = inline.clone();
    Ok(e)
}

/// Checks tags and returns them sorted as IAM stores them.
fn tags(what: &str, map: &BTreeMap<String, String>) -> Result<Vec<Tag>, ApiError> {
    let mut tags: Vec<Tag> = map.iter().map(|(k, v)| Tag::new(k, v)).collect();
    rules::check_tags(&tags).map_err(iam_invalid(what))?;
    rules::sort_tags(&mut tags);
    Ok(tags)
}

/// Inserts `e` under its folded name, refusing a second entity of the same name.
fn insert_unique<T>(
    map: &mut BTreeMap<String, T>,
    noun: &str,
    name: &str,
    account: &str,
    value: T,
) -> Result<(), ApiError> {
    if map.insert(fold(name), value).is_some() {
        return Err(invalid(
            &format!("account {account}"),
            format!("{noun} {name} is declared twice (names are compared without regard to case)"),
        ));
    }
    Ok(())
}

/// Checks a whole document and returns the state each account must reach, in document order.
/// Nothing here touches the store.
pub(super) fn validate(doc: &Document) -> Result<Vec<AccountState>, ApiError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(doc.account.len());
    for a in &doc.account {
        let id = a.id.as_str();
        super::check_account_id(id)
            .map_err(|_| invalid(&format!("account {id}"), "an account id is 12 digits"))?;
        if !seen.insert(id) {
            return Err(invalid(&format!("account {id}"), "declared twice"));
        }
        let mut state = AccountState {
            id: id.to_owned(),
            exists: true,
            ..Default::default()
        };

        let mut declared = Declared {
            policies: BTreeMap::new(),
            by_arn: BTreeMap::new(),
        };
        for p in &a.policy {
            let what = format!("policy {} in {id}", p.name);
            rules::check_name(&p.name, "policyName", 128).map_err(iam_invalid(&what))?;
            rules::check_policy_path(&p.path).map_err(iam_invalid(&what))?;
            if let Some(d) = &p.description {
                rules::check_description(d).map_err(iam_invalid(&what))?;
            }
            check_document(&what, &p.document, PolicyKind::Identity)?;
            if rules::policy_size(&p.document) > MANAGED_POLICY_SIZE {
                return Err(invalid(
                    &what,
                    format!("the document exceeds {MANAGED_POLICY_SIZE} characters"),
                ));
            }
            let arn = format!("arn:aws:iam::{id}:policy{}{}", p.path, p.name);
            declared.by_arn.insert(arn.clone(), fold(&p.name));
            insert_unique(
                &mut declared.policies,
                "policy",
                &p.name,
                id,
                PolicyState {
                    name: p.name.clone(),
                    path: p.path.clone(),
                    arn,
                    document: p.document.clone(),
                    description: p.description.clone().filter(|d| !d.is_empty()),
                },
            )?;
        }

        for g in &a.group {
            let what = format!("group {} in {id}", g.name);
            let mut e = entity(EntityKind::Group, &what, &g.name, &g.path, &g.policies)?;
            e.attached = declared.resolve(&what, &g.managed_policies)?;
            insert_unique(&mut state.groups, "group", &g.name, id, e)?;
        }

        for u in &a.user {
            let what = format!("user {} in {id}", u.name);
            let mut e = entity(EntityKind::User, &what, &u.name, &u.path, &u.policies)?;
            e.attached = declared.resolve(&what, &u.managed_policies)?;
            e.tags = tags(&what, &u.tags)?;
            for g in &u.groups {
                let group = state.groups.get(&fold(g)).ok_or_else(|| {
                    invalid(
                        &what,
                        format!(
                            "group {g} is not declared in this account \
                             (groups the document does not list are deleted)"
                        ),
                    )
                })?;
                if e.groups.insert(fold(g), group.name.clone()).is_some() {
                    return Err(invalid(&what, format!("group {g} is listed twice")));
                }
            }
            if e.groups.len() > GROUPS_PER_USER {
                return Err(invalid(
                    &what,
                    format!("more than {GROUPS_PER_USER} groups"),
                ));
            }
            insert_unique(&mut state.users, "user", &u.name, id, e)?;
        }

        for r in &a.role {
            let what = format!("role {} in {id}", r.name);
            let mut e = entity(EntityKind::Role, &what, &r.name, &r.path, &r.policies)?;
            e.attached = declared.resolve(&what, &r.managed_policies)?;
            e.tags = tags(&what, &r.tags)?;
            let about = format!("trust policy of {what}");
            check_document(&about, &r.trust_policy, PolicyKind::Trust)?;
            if rules::policy_size(&r.trust_policy) > TRUST_POLICY_SIZE {
                return Err(invalid(
                    &about,
                    format!("the document exceeds {TRUST_POLICY_SIZE} characters"),
                ));
            }
            if let Some(d) = &r.description {
                rules::check_description(d).map_err(iam_invalid(&what))?;
            }
            if !(MIN_SESSION..=MAX_SESSION).contains(&r.max_session_duration) {
                return Err(invalid(
                    &what,
                    format!("max_session_duration must be {MIN_SESSION} to {MAX_SESSION} seconds"),
                ));
            }
            e.role = Some(RoleProps {
                trust_policy: r.trust_policy.clone(),
                description: r.description.clone().filter(|d| !d.is_empty()),
                max_session_duration: r.max_session_duration,
            });
            insert_unique(&mut state.roles, "role", &r.name, id, e)?;
        }

        state.policies = declared.policies;
        out.push(state);
    }
    Ok(out)
}
