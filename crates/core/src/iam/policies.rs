//! Customer managed policies: CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies,
//! DeletePolicy, ListEntitiesForPolicy, and Attach/Detach/ListAttached{User,Role,Group}Policies.
//!
//! # Attachments span two records
//!
//! The policy's record lists the entities it is attached to (its `AttachmentCount`, and what
//! blocks DeletePolicy); the entity's record lists its attached policies (what authorization
//! reads). With compare-and-swap on one record at a time, the order makes races safe:
//!
//! - attach writes the policy side first, then the entity side, then re-reads the policy: if
//!   the policy was deleted meanwhile, the entity side is undone;
//! - detach removes the entity side first, then the policy side;
//! - DeletePolicy treats a policy-side entry whose entity does not list the policy as stale
//!   (an attach in flight, or one interrupted by a crash) and deletes the policy only if its
//!   record is unchanged since that check.
//!
//! Every entity-side reference carries the policy's id, so a reference to a deleted policy
//! (left by a crash) grants nothing, even to a new policy of the same name.

use super::entity::{Entity, ATTACHED_POLICIES_QUOTA};
use super::error::{msg, IamError};
use super::model::{
    AttachedPolicy, AttachedRef, EntityKind, EntityRef, GroupRecord, ManagedPolicy, Page, Paged,
    PolicyEntity, PolicyRecord, PolicyVersion, RoleRecord, Tag, UserRecord, FORMAT,
};
use super::records::{name_key, ns, Edit, Stored, MAX_ATTEMPTS, POLICIES};
use super::rules;
use super::Iam;

/// Customer managed policies per account (default quota).
const POLICIES_PER_ACCOUNT: usize = 1500;
/// A managed policy document's size quota (characters, white space excluded).
const POLICY_SIZE_QUOTA: usize = 6144;

/// CreatePolicy's input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreatePolicy {
    /// `PolicyName` (required).
    pub policy_name: String,
    /// `Path` (default `/`).
    pub path: Option<String>,
    /// `PolicyDocument` (required), stored as given.
    pub policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// ListPolicies' `Scope`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PolicyScope {
    /// AWS managed and customer managed policies (the default).
    #[default]
    All,
    /// AWS managed policies only (Cofre has none).
    Aws,
    /// Customer managed policies only.
    Local,
}

/// Splits `arn:aws:iam::{account}:policy{path}{name}` into (account, name).
fn parse_policy_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let resource = resource.strip_prefix("policy/")?;
    let name = resource.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((account, name))
}

impl Iam {
    /// CreatePolicy. `MalformedPolicyDocument` for a document that is not a JSON policy,
    /// `LimitExceeded` (`PolicySize: 6144`) for a larger one, `EntityAlreadyExists` for a taken
    /// name (policy names are unique per account without regard to path or case).
    pub async fn create_policy(
        &self,
        account: &str,
        input: CreatePolicy,
    ) -> Result<ManagedPolicy, IamError> {
        let CreatePolicy {
            policy_name,
            path,
            policy_document,
            description,
            mut tags,
        } = input;
        rules::check_name(&policy_name, "policyName", 128)?;
        let path = path.unwrap_or_else(|| "/".to_owned());
        rules::check_policy_path(&path)?;
        if let Some(d) = &description {
            rules::check_description(d)?;
        }
        rules::check_tags(&tags)?;
        rules::sort_tags(&mut tags);
        rules::check_policy_document(&policy_document)?;
        if rules::policy_size(&policy_document) > POLICY_SIZE_QUOTA {
            return Err(IamError::limit_exceeded(msg::quota(
                "PolicySize",
                POLICY_SIZE_QUOTA,
            )));
        }
        let namespace = ns(POLICIES, account);
        if self.store.kv_list(&namespace).await?.len() >= POLICIES_PER_ACCOUNT {
            return Err(IamError::limit_exceeded(msg::quota(
                "PoliciesPerAccount",
                POLICIES_PER_ACCOUNT,
            )));
        }
        let now = self.now_ms();
        let rec = PolicyRecord {
            format: FORMAT,
            account_id: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:policy{path}{policy_name}"),
            policy_id: rules::unique_id("ANPA"),
            path,
            description,
            default_version_id: "v1".to_owned(),
            document: policy_document,
            create_date_ms: now,
            update_date_ms: now,
            tags,
            attachments: Vec::new(),
            policy_name,
        };
        if !self
            .insert(&namespace, &name_key(&rec.policy_name), &rec)
            .await?
        {
            return Err(IamError::entity_already_exists(format!(
                "A policy called {} already exists. Duplicate names are not allowed.",
                rec.policy_name
            )));
        }
        Ok(rec.view())
    }

    /// The policy `arn` names in `account`, if any (the ARN must match exactly).
    pub(crate) async fn policy_by_arn(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<Option<Stored<PolicyRecord>>, IamError> {
        let Some((arn_account, name)) = parse_policy_arn(arn) else {
            return Ok(None);
        };
        if arn_account != account {
            return Ok(None);
        }
        Ok(self
            .read::<PolicyRecord>(&ns(POLICIES, account), &name_key(name))
            .await?
            .filter(|s| s.rec.arn == arn))
    }

    /// GetPolicy. `NoSuchEntity` ("Policy {arn} was not found.") for an ARN naming no
    /// customer managed policy of `account` (AWS managed policies are not provided).
    pub async fn get_policy(&self, account: &str, arn: &str) -> Result<ManagedPolicy, IamError> {
        self.policy_by_arn(account, arn)
            .await?
            .map(|s| s.rec.view())
            .ok_or_else(|| IamError::no_such_entity(msg::policy_not_found(arn)))
    }

    /// GetPolicyVersion. Only the default version (`v1`) exists.
    pub async fn get_policy_version(
        &self,
        account: &str,
        arn: &str,
        version_id: &str,
    ) -> Result<PolicyVersion, IamError> {
        let p = self
            .policy_by_arn(account, arn)
            .await?
            .ok_or_else(|| IamError::no_such_entity(msg::policy_not_found(arn)))?
            .rec;
        if p.default_version_id != version_id {
            return Err(IamError::no_such_entity(msg::policy_version_not_found(
                arn, version_id,
            )));
        }
        Ok(PolicyVersion {
            document: p.document,
            version_id: p.default_version_id,
            is_default_version: true,
            create_date_ms: p.create_date_ms,
        })
    }

    /// ListPolicies, ordered by name. `Scope` `AWS` lists nothing (no AWS managed policies);
    /// `only_attached` keeps policies with a non-zero attachment count.
    pub async fn list_policies(
        &self,
        account: &str,
        scope: PolicyScope,
        only_attached: bool,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<ManagedPolicy>, IamError> {
        if let Some(p) = path_prefix {
            rules::check_path_prefix(p)?;
        }
        let prefix = path_prefix.unwrap_or("/");
        let policies = match scope {
            PolicyScope::Aws => Vec::new(),
            PolicyScope::All | PolicyScope::Local => self
                .list::<PolicyRecord>(&ns(POLICIES, account))
                .await?
                .into_iter()
                .filter(|(_, p)| p.path.starts_with(prefix))
                .filter(|(_, p)| !only_attached || !p.attachments.is_empty())
                .map(|(k, p)| (k, p.view()))
                .collect(),
        };
        rules::paginate(policies, page)
    }

    /// DeletePolicy. `DeleteConflict` ("Cannot delete a policy attached to entities.") while
    /// any user, role or group has it attached.
    pub async fn delete_policy(&self, account: &str, arn: &str) -> Result<(), IamError> {
        for _ in 0..MAX_ATTEMPTS {
            let cur = self
                .policy_by_arn(account, arn)
                .await?
                .ok_or_else(|| IamError::no_such_entity(msg::policy_not_found(arn)))?;
            if !self.live_attachments(account, &cur.rec).await?.is_empty() {
                return Err(IamError::delete_conflict(msg::POLICY_ATTACHED));
            }
            // Deleted only if no attach touched the record since the check above.
            if self
                .replace(
                    &ns(POLICIES, account),
                    &name_key(&cur.rec.policy_name),
                    &cur,
                    None,
                )
                .await?
            {
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// ListEntitiesForPolicy: the users, roles and groups the policy is attached to.
    pub async fn list_entities_for_policy(
        &self,
        account: &str,
        arn: &str,
    ) -> Result<Vec<PolicyEntity>, IamError> {
        let p = self
            .policy_by_arn(account, arn)
            .await?
            .ok_or_else(|| IamError::no_such_entity(msg::policy_not_found(arn)))?
            .rec;
        Ok(self
            .live_attachments(account, &p)
            .await?
            .into_iter()
            .map(|a| PolicyEntity {
                kind: a.kind,
                name: a.name,
                id: a.id,
            })
            .collect())
    }

    /// AttachUserPolicy (idempotent). `NoSuchEntity` for a missing user or policy;
    /// `LimitExceeded` (`PoliciesPerUser: 10`) for an 11th policy.
    pub async fn attach_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.attach::<UserRecord>(account, user_name, policy_arn)
            .await
    }

    /// DetachUserPolicy. `NoSuchEntity` ("Policy {arn} was not found.") if not attached.
    pub async fn detach_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.detach::<UserRecord>(account, user_name, policy_arn)
            .await
    }

    /// ListAttachedUserPolicies, ordered by policy name.
    pub async fn list_attached_user_policies(
        &self,
        account: &str,
        user_name: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<AttachedPolicy>, IamError> {
        self.list_attached::<UserRecord>(account, user_name, path_prefix, page)
            .await
    }

    /// AttachRolePolicy (idempotent; at most 10 per role).
    pub async fn attach_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.attach::<RoleRecord>(account, role_name, policy_arn)
            .await
    }

    /// DetachRolePolicy.
    pub async fn detach_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.detach::<RoleRecord>(account, role_name, policy_arn)
            .await
    }

    /// ListAttachedRolePolicies.
    pub async fn list_attached_role_policies(
        &self,
        account: &str,
        role_name: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<AttachedPolicy>, IamError> {
        self.list_attached::<RoleRecord>(account, role_name, path_prefix, page)
            .await
    }

    /// AttachGroupPolicy (idempotent; at most 10 per group).
    pub async fn attach_group_policy(
        &self,
        account: &str,
        group_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.attach::<GroupRecord>(account, group_name, policy_arn)
            .await
    }

    /// DetachGroupPolicy.
    pub async fn detach_group_policy(
        &self,
        account: &str,
        group_name: &str,
        policy_arn: &str,
    ) -> Result<(), IamError> {
        self.detach::<GroupRecord>(account, group_name, policy_arn)
            .await
    }

    /// ListAttachedGroupPolicies.
    pub async fn list_attached_group_policies(
        &self,
        account: &str,
        group_name: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<AttachedPolicy>, IamError> {
        self.list_attached::<GroupRecord>(account, group_name, path_prefix, page)
            .await
    }

    async fn attach<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let entity = self.existing::<E>(account, entity_name).await?.rec;
        let not_attachable = || IamError::no_such_entity(msg::policy_not_attachable(arn));
        let policy = self
            .policy_by_arn(account, arn)
            .await?
            .ok_or_else(not_attachable)?
            .rec;
        let policy_id = policy.policy_id.clone();
        if entity.attached().iter().any(|r| r.policy_id == policy_id) {
            return Ok(());
        }
        if entity.attached().len() >= ATTACHED_POLICIES_QUOTA {
            self.prune_attached::<E>(account, entity_name).await?;
        }
        let entity_ref = EntityRef {
            kind: E::KIND,
            name: entity.name().to_owned(),
            id: entity.id().to_owned(),
        };
        let policies_ns = ns(POLICIES, account);
        let policy_key = name_key(&policy.policy_name);

        // 1. The policy side first: from here on, DeletePolicy sees the attachment (or
        //    treats it as stale until the entity side lands; then step 3 undoes it).
        self.modify(&policies_ns, &policy_key, |p: Option<PolicyRecord>| {
            let mut p = p
                .filter(|p| p.policy_id == policy_id)
                .ok_or_else(not_attachable)?;
            if !p
                .attachments
                .iter()
                .any(|a| a.kind == entity_ref.kind && a.id == entity_ref.id)
            {
                p.attachments.push(entity_ref.clone());
            }
            Ok(Edit::Put(p, ()))
        })
        .await?;

        // 2. The entity side, where the quota is enforced.
        let new_ref = AttachedRef {
            arn: policy.arn.clone(),
            name: policy.policy_name.clone(),
            policy_id: policy_id.clone(),
        };
        let kind = E::KIND;
        let added = self
            .modify_entity(account, entity_name, |e: &mut E| {
                if e.id() != entity_ref.id {
                    return Err(kind.not_found(entity_name));
                }
                if e.attached()
                    .iter()
                    .any(|r| r.policy_id == new_ref.policy_id)
                {
                    return Ok(());
                }
                // A reference to an earlier policy of the same ARN is dead; drop it.
                e.attached_mut().retain(|r| r.arn != new_ref.arn);
                if e.attached().len() >= ATTACHED_POLICIES_QUOTA {
                    return Err(IamError::limit_exceeded(msg::quota(
                        kind.attach_quota_name(),
                        ATTACHED_POLICIES_QUOTA,
                    )));
                }
                e.attached_mut().push(new_ref.clone());
                Ok(())
            })
            .await;
        if let Err(e) = added {
            self.unlist_attachment(account, &policy_key, &policy_id, &entity_ref)
                .await?;
            return Err(e);
        }

        // 3. If DeletePolicy removed the policy between steps 1 and 2, undo step 2.
        let still_listed = self
            .read::<PolicyRecord>(&policies_ns, &policy_key)
            .await?
            .is_some_and(|p| {
                p.rec.policy_id == policy_id
                    && p.rec.attachments.iter().any(|a| a.id == entity_ref.id)
            });
        if !still_listed {
            self.drop_attached_ref::<E>(account, entity_name, &policy_id)
                .await?;
            return Err(not_attachable());
        }
        Ok(())
    }

    async fn detach<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        arn: &str,
    ) -> Result<(), IamError> {
        let removed = self
            .modify_entity(account, entity_name, |e: &mut E| {
                let refs: Vec<AttachedRef> = e
                    .attached()
                    .iter()
                    .filter(|r| r.arn == arn)
                    .cloned()
                    .collect();
                if refs.is_empty() {
                    return Err(IamError::no_such_entity(msg::policy_not_found(arn)));
                }
                e.attached_mut().retain(|r| r.arn != arn);
                Ok((refs, e.id().to_owned()))
            })
            .await?;
        let (refs, entity_id) = removed;
        let entity_ref = EntityRef {
            kind: E::KIND,
            name: entity_name.to_owned(),
            id: entity_id,
        };
        for r in refs {
            self.unlist_attachment(account, &name_key(&r.name), &r.policy_id, &entity_ref)
                .await?;
        }
        Ok(())
    }

    async fn list_attached<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<AttachedPolicy>, IamError> {
        if let Some(p) = path_prefix {
            rules::check_path_prefix(p)?;
        }
        let prefix = path_prefix.unwrap_or("/");
        let e = self.existing::<E>(account, entity_name).await?.rec;
        let mut items: Vec<(String, AttachedPolicy)> = self
            .live_attached(account, e.attached())
            .await?
            .into_iter()
            .filter(|p| p.path.starts_with(prefix))
            .map(|p| {
                (
                    name_key(&p.policy_name),
                    AttachedPolicy {
                        policy_name: p.policy_name,
                        policy_arn: p.arn,
                    },
                )
            })
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        rules::paginate(items, page)
    }

    /// The policies among `refs` that still exist with the referenced id, in `refs` order.
    pub(crate) async fn live_attached(
        &self,
        account: &str,
        refs: &[AttachedRef],
    ) -> Result<Vec<PolicyRecord>, IamError> {
        let namespace = ns(POLICIES, account);
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            if let Some(p) = self
                .read::<PolicyRecord>(&namespace, &name_key(&r.name))
                .await?
                .filter(|p| p.rec.policy_id == r.policy_id)
            {
                out.push(p.rec);
            }
        }
        Ok(out)
    }

    /// The policy-side attachments whose entity still exists and lists the policy.
    async fn live_attachments(
        &self,
        account: &str,
        p: &PolicyRecord,
    ) -> Result<Vec<EntityRef>, IamError> {
        let mut live = Vec::new();
        for a in &p.attachments {
            let refs = match a.kind {
                EntityKind::User => self
                    .entity_with_id::<UserRecord>(account, &a.name, &a.id)
                    .await?
                    .map(|e| e.attached_policies),
                EntityKind::Role => self
                    .entity_with_id::<RoleRecord>(account, &a.name, &a.id)
                    .await?
                    .map(|e| e.attached_policies),
                EntityKind::Group => self
                    .entity_with_id::<GroupRecord>(account, &a.name, &a.id)
                    .await?
                    .map(|e| e.attached_policies),
            };
            if refs.is_some_and(|refs| refs.iter().any(|r| r.policy_id == p.policy_id)) {
                live.push(a.clone());
            }
        }
        Ok(live)
    }

    /// Removes an entity from a policy's attachment list (if the policy still exists).
    async fn unlist_attachment(
        &self,
        account: &str,
        policy_key: &str,
        policy_id: &str,
        entity: &EntityRef,
    ) -> Result<(), IamError> {
        self.modify(
            &ns(POLICIES, account),
            policy_key,
            |p: Option<PolicyRecord>| {
                Ok(match p {
                    Some(mut p) if p.policy_id == policy_id => {
                        p.attachments
                            .retain(|a| !(a.kind == entity.kind && a.id == entity.id));
                        Edit::Put(p, ())
                    }
                    _ => Edit::Keep(()),
                })
            },
        )
        .await
    }

    async fn drop_attached_ref<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        policy_id: &str,
    ) -> Result<(), IamError> {
        match self
            .modify_entity(account, entity_name, |e: &mut E| {
                e.attached_mut().retain(|r| r.policy_id != policy_id);
                Ok(())
            })
            .await
        {
            Err(e) if e.code == super::error::NO_SUCH_ENTITY => Ok(()),
            other => other,
        }
    }

    /// Drops an entity's references to policies that no longer exist.
    async fn prune_attached<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
    ) -> Result<(), IamError> {
        let e = self.existing::<E>(account, entity_name).await?.rec;
        let live: Vec<String> = self
            .live_attached(account, e.attached())
            .await?
            .into_iter()
            .map(|p| p.policy_id)
            .collect();
        if live.len() == e.attached().len() {
            return Ok(());
        }
        let dead: Vec<String> = e
            .attached()
            .iter()
            .filter(|r| !live.contains(&r.policy_id))
            .map(|r| r.policy_id.clone())
            .collect();
        self.modify_entity(account, entity_name, |e: &mut E| {
            e.attached_mut().retain(|r| !dead.contains(&r.policy_id));
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::parse_policy_arn;

    #[test]
    fn policy_arns() {
        assert_eq!(
            parse_policy_arn("arn:aws:iam::123456789012:policy/team/P"),
            Some(("123456789012", "P"))
        );
        assert_eq!(
            parse_policy_arn("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Some(("aws", "ReadOnlyAccess"))
        );
        assert_eq!(parse_policy_arn("arn:aws:iam::123456789012:role/P"), None);
        assert_eq!(parse_policy_arn("arn:aws:iam::123456789012:policy/"), None);
    }
}
