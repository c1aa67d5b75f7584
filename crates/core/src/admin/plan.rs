//! From what an account holds to what a document says: [`plan`] lists the steps, each one
//! IAM operation (or a short, fixed sequence of them) with the sentence `Apply` reports;
//! [`Step::run`] carries one out.
//!
//! # Order
//!
//! Per account, in this order, so that every step finds what it needs and no quota is
//! crossed on the way:
//!
//! 1. the account itself (with its root access key);
//! 2. managed policies: created, or replaced when their path, document or description
//!    changed (detached from everything, deleted, re-created; the entities' steps below
//!    attach them again);
//! 3. groups, then users, then roles: created or updated; within one entity, removals
//!    (detach, inline policy deletions, leaving groups, untagging) come before additions, so
//!    swapping one of ten attached policies never makes eleven;
//! 4. deletions of the users, roles, groups and managed policies the document does not list,
//!    each emptied first (access keys, inline policies, attachments, memberships).
//!
//! Moving a user, group or role to another path keeps it (its unique id, its access keys
//! and sessions, its memberships), as IAM's `UpdateUser --new-path` does: only its path and
//! ARN change.

use std::collections::BTreeSet;

use super::state::{all, AccountState, EntityState, PolicyState};
use crate::iam::model::{GroupRecord, RoleRecord, UserRecord};
use crate::iam::{CreatePolicy, CreateRole, EntityKind, IamError, Tag};
use crate::Service;

/// One change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// Register the account and give it a root access key.
    CreateAccount,
    /// Create a managed policy.
    CreatePolicy(PolicyState),
    /// Detach, delete and re-create a managed policy whose `what` changed.
    ReplacePolicy {
        old_arn: String,
        policy: PolicyState,
        what: String,
    },
    /// Detach and delete a managed policy.
    DeletePolicy(PolicyState),
    /// Create a user, group or role (with its tags and role properties).
    Create(EntityState),
    /// Change an entity's path (and so its ARN) in place.
    Move {
        kind: EntityKind,
        name: String,
        path: String,
    },
    /// Replace a role's trust policy.
    UpdateTrust { role: String, document: String },
    /// Change a role's description and/or maximum session duration.
    UpdateRole {
        role: String,
        description: Option<String>,
        max_session_duration: Option<i64>,
    },
    /// Set tags on a user or role.
    Tag {
        kind: EntityKind,
        name: String,
        tags: Vec<Tag>,
    },
    /// Remove tags from a user or role.
    Untag {
        kind: EntityKind,
        name: String,
        keys: Vec<String>,
    },
    /// Create or replace an inline policy.
    PutInline {
        kind: EntityKind,
        name: String,
        policy: String,
        document: String,
    },
    /// Delete an inline policy.
    DeleteInline {
        kind: EntityKind,
        name: String,
        policy: String,
    },
    /// Attach a managed policy.
    Attach {
        kind: EntityKind,
        name: String,
        arn: String,
        policy: String,
    },
    /// Detach a managed policy.
    Detach {
        kind: EntityKind,
        name: String,
        arn: String,
        policy: String,
    },
    /// Add a user to a group.
    AddToGroup { user: String, group: String },
    /// Remove a user from a group.
    RemoveFromGroup { user: String, group: String },
    /// Empty and delete a user, group or role.
    Delete { kind: EntityKind, name: String },
}

/// A step in an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Planned {
    pub(super) account: String,
    pub(super) step: Step,
}

impl Planned {
    /// The sentence `Apply` reports for this step.
    pub(super) fn describe(&self) -> String {
        let a = &self.account;
        match &self.step {
            Step::CreateAccount => format!("created account {a}"),
            Step::CreatePolicy(p) => format!("created policy {} in {a}", p.name),
            Step::ReplacePolicy { policy, what, .. } => {
                format!("replaced policy {} in {a} ({what} changed)", policy.name)
            }
            Step::DeletePolicy(p) => format!("deleted policy {} in {a}", p.name),
            Step::Create(e) => format!("created {} {} in {a}", e.kind.noun(), e.name),
            Step::Move { kind, name, path } => {
                format!("moved {} {name} in {a} to path {path}", kind.noun())
            }
            Step::UpdateTrust { role, .. } => {
                format!("updated the trust policy of role {role} in {a}")
            }
            Step::UpdateRole {
                role,
                description,
                max_session_duration,
            } => {
                let mut what = Vec::new();
                if description.is_some() {
                    what.push("description".to_owned());
                }
                if let Some(m) = max_session_duration {
                    what.push(format!("max_session_duration={m}"));
                }
                format!("updated role {role} in {a}: {}", what.join(", "))
            }
            Step::Tag { kind, name, tags } => {
                let tags: Vec<String> = tags
                    .iter()
                    .map(|t| format!("{}={}", t.key, t.value))
                    .collect();
                format!("tagged {} {name} in {a}: {}", kind.noun(), tags.join(", "))
            }
            Step::Untag { kind, name, keys } => {
                format!(
                    "untagged {} {name} in {a}: {}",
                    kind.noun(),
                    keys.join(", ")
                )
            }
            Step::PutInline {
                kind, name, policy, ..
            } => format!(
                "put inline policy {policy} on {} {name} in {a}",
                kind.noun()
            ),
            Step::DeleteInline { kind, name, policy } => {
                format!(
                    "deleted inline policy {policy} of {} {name} in {a}",
                    kind.noun()
                )
            }
            Step::Attach {
                kind, name, policy, ..
            } => format!("attached policy {policy} to {} {name} in {a}", kind.noun()),
            Step::Detach {
                kind, name, policy, ..
            } => format!(
                "detached policy {policy} from {} {name} in {a}",
                kind.noun()
            ),
            Step::AddToGroup { user, group } => {
                format!("added user {user} to group {group} in {a}")
            }
            Step::RemoveFromGroup { user, group } => {
                format!("removed user {user} from group {group} in {a}")
            }
            Step::Delete { kind, name } => format!("deleted {} {name} in {a}", kind.noun()),
        }
    }
}

/// The steps that take `current` to `desired` (both of the same account).
pub(super) fn plan(desired: &AccountState, current: &AccountState) -> Vec<Planned> {
    let mut steps = Vec::new();
    if !current.exists {
        steps.push(Step::CreateAccount);
    }

    // Managed policies. The old ARNs of replaced policies are detached by the replacement,
    // so the entities below must not detach them again (nor count them as attached).
    let mut replaced = BTreeSet::new();
    for (key, p) in &desired.policies {
        match current.policies.get(key) {
            None => steps.push(Step::CreatePolicy(p.clone())),
            Some(cur) => {
                let mut what = Vec::new();
                if cur.path != p.path {
                    what.push("path");
                }
                if cur.document != p.document {
                    what.push("document");
                }
                if cur.description != p.description {
                    what.push("description");
                }
                if cur.name != p.name {
                    what.push("name");
                }
                if !what.is_empty() {
                    replaced.insert(cur.arn.clone());
                    steps.push(Step::ReplacePolicy {
                        old_arn: cur.arn.clone(),
                        policy: p.clone(),
                        what: what.join(", "),
                    });
                }
            }
        }
    }

    for kind in [EntityKind::Group, EntityKind::User, EntityKind::Role] {
        for (key, want) in desired.entities(kind) {
            let have = match current.entities(kind).get(key) {
                Some(have) => {
                    update(&mut steps, want, have);
                    have.clone()
                }
                None => {
                    steps.push(Step::Create(want.clone()));
                    EntityState::new(kind, &want.name, &want.path)
                }
            };
            contents(&mut steps, want, &have, &replaced);
        }
    }

    for kind in [EntityKind::User, EntityKind::Role, EntityKind::Group] {
        for (key, have) in current.entities(kind) {
            if !desired.entities(kind).contains_key(key) {
                steps.push(Step::Delete {
                    kind,
                    name: have.name.clone(),
                });
            }
        }
    }
    for (key, have) in &current.policies {
        if !desired.policies.contains_key(key) {
            steps.push(Step::DeletePolicy(have.clone()));
        }
    }

    steps
        .into_iter()
        .map(|step| Planned {
            account: desired.id.clone(),
            step,
        })
        .collect()
}

/// An existing entity's own properties: path, role properties, tags.
fn update(steps: &mut Vec<Step>, want: &EntityState, have: &EntityState) {
    let kind = want.kind;
    let name = have.name.clone();
    if want.path != have.path {
        steps.push(Step::Move {
            kind,
            name: name.clone(),
            path: want.path.clone(),
        });
    }
    if let (Some(w), Some(h)) = (&want.role, &have.role) {
        if w.trust_policy != h.trust_policy {
            steps.push(Step::UpdateTrust {
                role: name.clone(),
                document: w.trust_policy.clone(),
            });
        }
        let description =
            (w.description != h.description).then(|| w.description.clone().unwrap_or_default());
        let max =
            (w.max_session_duration != h.max_session_duration).then_some(w.max_session_duration);
        if description.is_some() || max.is_some() {
            steps.push(Step::UpdateRole {
                role: name.clone(),
                description,
                max_session_duration: max,
            });
        }
    }
    // Tag keys are compared without regard to case; a key whose spelling changed is set
    // again (IAM then keeps the new spelling).
    let folded = |t: &Tag| t.key.to_lowercase();
    let wanted: BTreeSet<String> = want.tags.iter().map(folded).collect();
    let stale: Vec<String> = have
        .tags
        .iter()
        .filter(|t| !wanted.contains(&folded(t)))
        .map(|t| t.key.clone())
        .collect();
    if !stale.is_empty() {
        steps.push(Step::Untag {
            kind,
            name: name.clone(),
            keys: stale,
        });
    }
    let set: Vec<Tag> = want
        .tags
        .iter()
        .filter(|t| !have.tags.contains(t))
        .cloned()
        .collect();
    if !set.is_empty() {
        steps.push(Step::Tag {
            kind,
            name,
            tags: set,
        });
    }
}

/// An entity's inline policies, attachments and memberships: removals, then additions.
fn contents(
    steps: &mut Vec<Step>,
    want: &EntityState,
    have: &EntityState,
    replaced: &BTreeSet<String>,
) {
    let kind = want.kind;
    let name = &have.name;
    for (arn, policy) in &have.attached {
        if !replaced.contains(arn) && !want.attached.contains_key(arn) {
            steps.push(Step::Detach {
                kind,
                name: name.clone(),
                arn: arn.clone(),
                policy: policy.clone(),
            });
        }
    }
    for policy in have.inline.keys() {
        if !want.inline.contains_key(policy) {
            steps.push(Step::DeleteInline {
                kind,
                name: name.clone(),
                policy: policy.clone(),
            });
        }
    }
    for (key, group) in &have.groups {
        if !want.groups.contains_key(key) {
            steps.push(Step::RemoveFromGroup {
                user: name.clone(),
                group: group.clone(),
            });
        }
    }
    for (policy, document) in &want.inline {
        if have.inline.get(policy) != Some(document) {
            steps.push(Step::PutInline {
                kind,
                name: name.clone(),
                policy: policy.clone(),
                document: document.clone(),
            });
        }
    }
    for (arn, policy) in &want.attached {
        if replaced.contains(arn) || !have.attached.contains_key(arn) {
            steps.push(Step::Attach {
                kind,
                name: name.clone(),
                arn: arn.clone(),
                policy: policy.clone(),
            });
        }
    }
    for (key, group) in &want.groups {
        if !have.groups.contains_key(key) {
            steps.push(Step::AddToGroup {
                user: name.clone(),
                group: group.clone(),
            });
        }
    }
}

impl Planned {
    /// Carries the step out.
    pub(super) async fn run(&self, svc: &Service) -> Result<(), IamError> {
        let iam = svc.iam();
        let a = self.account.as_str();
        match &self.step {
            Step::CreateAccount => {
                match iam.create_account(a).await {
                    Err(e) if e.code != crate::iam::error::ENTITY_ALREADY_EXISTS => return Err(e),
                    _ => {}
                }
                svc.credentials()
                    .ensure_account_root_key(svc.keys().root(), a, None, svc.now_ms())
                    .await?;
            }
            Step::CreatePolicy(p) => create_policy(svc, a, p).await?,
            Step::ReplacePolicy {
                old_arn, policy, ..
            } => {
                delete_policy(svc, a, old_arn).await?;
                create_policy(svc, a, policy).await?;
            }
            Step::DeletePolicy(p) => delete_policy(svc, a, &p.arn).await?,
            Step::Create(e) => match e.kind {
                EntityKind::User => {
                    iam.create_user(a, &e.name, Some(&e.path), e.tags.clone())
                        .await?;
                }
                EntityKind::Group => {
                    iam.create_group(a, &e.name, Some(&e.path)).await?;
                }
                EntityKind::Role => {
                    let props = e
                        .role
                        .clone()
                        .ok_or_else(|| IamError::internal("role planned without its properties"))?;
                    iam.create_role(
                        a,
                        CreateRole {
                            role_name: e.name.clone(),
                            path: Some(e.path.clone()),
                            assume_role_policy_document: props.trust_policy,
                            description: props.description,
                            max_session_duration: Some(props.max_session_duration),
                            tags: e.tags.clone(),
                        },
                    )
                    .await?;
                }
            },
            Step::Move { kind, name, path } => move_entity(svc, a, *kind, name, path).await?,
            Step::UpdateTrust { role, document } => {
                iam.update_assume_role_policy(a, role, document).await?;
            }
            Step::UpdateRole {
                role,
                description,
                max_session_duration,
            } => {
                iam.update_role(a, role, description.as_deref(), *max_session_duration)
                    .await?;
            }
            Step::Tag { kind, name, tags } => match kind {
                EntityKind::Role => iam.tag_role(a, name, tags).await?,
                _ => iam.tag_user(a, name, tags).await?,
            },
            Step::Untag { kind, name, keys } => match kind {
                EntityKind::Role => iam.untag_role(a, name, keys).await?,
                _ => iam.untag_user(a, name, keys).await?,
            },
            Step::PutInline {
                kind,
                name,
                policy,
                document,
            } => match kind {
                EntityKind::User => iam.put_user_policy(a, name, policy, document).await?,
                EntityKind::Group => iam.put_group_policy(a, name, policy, document).await?,
                EntityKind::Role => iam.put_role_policy(a, name, policy, document).await?,
            },
            Step::DeleteInline { kind, name, policy } => {
                delete_inline(svc, a, *kind, name, policy).await?
            }
            Step::Attach {
                kind, name, arn, ..
            } => match kind {
                EntityKind::User => iam.attach_user_policy(a, name, arn).await?,
                EntityKind::Group => iam.attach_group_policy(a, name, arn).await?,
                EntityKind::Role => iam.attach_role_policy(a, name, arn).await?,
            },
            Step::Detach {
                kind, name, arn, ..
            } => detach(svc, a, *kind, name, arn).await?,
            Step::AddToGroup { user, group } => iam.add_user_to_group(a, group, user).await?,
            Step::RemoveFromGroup { user, group } => {
                iam.remove_user_from_group(a, group, user).await?
            }
            Step::Delete { kind, name } => delete_entity(svc, a, *kind, name).await?,
        }
        Ok(())
    }
}

async fn create_policy(svc: &Service, account: &str, p: &PolicyState) -> Result<(), IamError> {
    svc.iam()
        .create_policy(
            account,
            CreatePolicy {
                policy_name: p.name.clone(),
                path: Some(p.path.clone()),
                policy_document: p.document.clone(),
                description: p.description.clone(),
                tags: Vec::new(),
            },
        )
        .await?;
    Ok(())
}

/// Detaches a managed policy from every entity, then deletes it.
async fn delete_policy(svc: &Service, account: &str, arn: &str) -> Result<(), IamError> {
    for e in svc.iam().list_entities_for_policy(account, arn).await? {
        detach(svc, account, e.kind, &e.name, arn).await?;
    }
    svc.iam().delete_policy(account, arn).await
}

async fn detach(
    svc: &Service,
    account: &str,
    kind: EntityKind,
    name: &str,
    arn: &str,
) -> Result<(), IamError> {
    let iam = svc.iam();
    match kind {
        EntityKind::User => iam.detach_user_policy(account, name, arn).await,
        EntityKind::Group => iam.detach_group_policy(account, name, arn).await,
        EntityKind::Role => iam.detach_role_policy(account, name, arn).await,
    }
}

async fn delete_inline(
    svc: &Service,
    account: &str,
    kind: EntityKind,
    name: &str,
    policy: &str,
) -> Result<(), IamError> {
    let iam = svc.iam();
    match kind {
        EntityKind::User => iam.delete_user_policy(account, name, policy).await,
        EntityKind::Group => iam.delete_group_policy(account, name, policy).await,
        EntityKind::Role => iam.delete_role_policy(account, name, policy).await,
    }
}

/// Changes an entity's path and ARN in place (IAM's `UpdateUser`/`UpdateGroup` with a new
/// path): its unique id, and so every reference to it, stays.
async fn move_entity(
    svc: &Service,
    account: &str,
    kind: EntityKind,
    name: &str,
    path: &str,
) -> Result<(), IamError> {
    let iam = svc.iam();
    crate::iam::rules::check_path(path)?;
    let arn = |noun: &str, stored: &str| format!("arn:aws:iam::{account}:{noun}{path}{stored}");
    match kind {
        EntityKind::User => {
            iam.modify_entity(account, name, |u: &mut UserRecord| {
                u.path = path.to_owned();
                u.arn = arn("user", &u.user_name);
                Ok(())
            })
            .await
        }
        EntityKind::Group => {
            iam.modify_entity(account, name, |g: &mut GroupRecord| {
                g.path = path.to_owned();
                g.arn = arn("group", &g.group_name);
                Ok(())
            })
            .await
        }
        EntityKind::Role => {
            iam.modify_entity(account, name, |r: &mut RoleRecord| {
                r.path = path.to_owned();
                r.arn = arn("role", &r.role_name);
                Ok(())
            })
            .await
        }
    }
}

/// Empties a user, group or role (access keys, inline policies, attachments, memberships),
/// then deletes it.
async fn delete_entity(
    svc: &Service,
    account: &str,
    kind: EntityKind,
    name: &str,
) -> Result<(), IamError> {
    let iam = svc.iam();
    match kind {
        EntityKind::User => {
            for k in all(|p| async move { iam.list_access_keys(account, name, &p).await }).await? {
                iam.delete_access_key(account, name, &k.access_key_id)
                    .await?;
            }
            for g in
                all(|p| async move { iam.list_groups_for_user(account, name, &p).await }).await?
            {
                iam.remove_user_from_group(account, &g.group_name, name)
                    .await?;
            }
        }
        EntityKind::Group => {
            let members = all(|p| async move {
                let (_, members) = iam.get_group(account, name, &p).await?;
                Ok(members)
            })
            .await?;
            for u in members {
                iam.remove_user_from_group(account, name, &u.user_name)
                    .await?;
            }
        }
        EntityKind::Role => {}
    }
    let inline = match kind {
        EntityKind::User => {
            all(|p| async move { iam.list_user_policies(account, name, &p).await }).await?
        }
        EntityKind::Group => {
            all(|p| async move { iam.list_group_policies(account, name, &p).await }).await?
        }
        EntityKind::Role => {
            all(|p| async move { iam.list_role_policies(account, name, &p).await }).await?
        }
    };
    for policy in inline {
        delete_inline(svc, account, kind, name, &policy).await?;
    }
    let attached = match kind {
        EntityKind::User => {
            all(|p| async move {
                iam.list_attached_user_policies(account, name, None, &p)
                    .await
            })
            .await?
        }
        EntityKind::Group => {
            all(|p| async move {
                iam.list_attached_group_policies(account, name, None, &p)
                    .await
            })
            .await?
        }
        EntityKind::Role => {
            all(|p| async move {
                iam.list_attached_role_policies(account, name, None, &p)
                    .await
            })
            .await?
        }
    };
    for policy in attached {
        detach(svc, account, kind, name, &policy.policy_arn).await?;
    }
    match kind {
        EntityKind::User => iam.delete_user(account, name).await,
        EntityKind::Group => iam.delete_group(account, name).await,
        EntityKind::Role => iam.delete_role(account, name).await,
    }
}
