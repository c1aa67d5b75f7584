//! IAM groups: CreateGroup, GetGroup, ListGroups, DeleteGroup, AddUserToGroup,
//! RemoveUserFromGroup, ListGroupsForUser, and the group side of inline policies.
//!
//! Membership is stored on the user ([`UserRecord::groups`]), pinned to the group's id:
//! authorization reads a user's groups on every request, and a membership left behind by a
//! lost race with DeleteGroup never carries over to a new group of the same name.

use super::error::{msg, IamError};
use super::model::{Group, GroupRecord, GroupRef, Page, Paged, User, UserRecord, FORMAT};
use super::records::{name_key, ns, GROUPS, MAX_ATTEMPTS, USERS};
use super::rules;
use super::Iam;

/// Groups per account (default quota).
const GROUPS_PER_ACCOUNT: usize = 300;
/// Groups one user can belong to.
const GROUPS_PER_USER: usize = 10;

impl Iam {
    /// CreateGroup. `EntityAlreadyExists` for a taken name (without regard to case).
    pub async fn create_group(
        &self,
        account: &str,
        group_name: &str,
        path: Option<&str>,
    ) -> Result<Group, IamError> {
        rules::check_name(group_name, "groupName", 128)?;
        let path = path.unwrap_or("/");
        rules::check_path(path)?;
        if self.count::<GroupRecord>(account).await? >= GROUPS_PER_ACCOUNT {
            return Err(IamError::limit_exceeded(msg::quota(
                "GroupsPerAccount",
                GROUPS_PER_ACCOUNT,
            )));
        }
        let rec = GroupRecord {
            format: FORMAT,
            account_id: account.to_owned(),
            group_name: group_name.to_owned(),
            group_id: rules::unique_id("AGPA"),
            path: path.to_owned(),
            arn: format!("arn:aws:iam::{account}:group{path}{group_name}"),
            create_date_ms: self.now_ms(),
            inline_policies: Vec::new(),
            attached_policies: Vec::new(),
        };
        if !self
            .insert(&ns(GROUPS, account), &name_key(group_name), &rec)
            .await?
        {
            return Err(IamError::entity_already_exists(format!(
                "Group with name {group_name} already exists."
            )));
        }
        Ok(rec.view())
    }

    /// GetGroup: the group and one page of its members, ordered by user name.
    pub async fn get_group(
        &self,
        account: &str,
        group_name: &str,
        page: &Page,
    ) -> Result<(Group, Paged<User>), IamError> {
        let g = self.existing::<GroupRecord>(account, group_name).await?.rec;
        let members = self
            .members(account, &g.group_id)
            .await?
            .into_iter()
            .map(|(k, u)| (k, u.view()))
            .collect();
        Ok((g.view(), rules::paginate(members, page)?))
    }

    /// ListGroups, ordered by name, filtered by `PathPrefix`.
    pub async fn list_groups(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<Group>, IamError> {
        if let Some(p) = path_prefix {
            rules::check_path_prefix(p)?;
        }
        let prefix = path_prefix.unwrap_or("/");
        let groups = self
            .list::<GroupRecord>(&ns(GROUPS, account))
            .await?
            .into_iter()
            .filter(|(_, g)| g.path.starts_with(prefix))
            .map(|(k, g)| (k, g.view()))
            .collect();
        rules::paginate(groups, page)
    }

    /// DeleteGroup. Refused with `DeleteConflict` while the group has members, inline
    /// policies or attached managed policies.
    pub async fn delete_group(&self, account: &str, group_name: &str) -> Result<(), IamError> {
        let namespace = ns(GROUPS, account);
        let key = name_key(group_name);
        for _ in 0..MAX_ATTEMPTS {
            let cur = self.existing::<GroupRecord>(account, group_name).await?;
            if !self.members(account, &cur.rec.group_id).await?.is_empty() {
                return Err(IamError::delete_conflict(
                    msg::REMOVE_USERS_FROM_GROUP_FIRST,
                ));
            }
            if !cur.rec.inline_policies.is_empty() {
                return Err(IamError::delete_conflict(msg::DELETE_POLICIES_FIRST));
            }
            if !self
                .live_attached(account, &cur.rec.attached_policies)
                .await?
                .is_empty()
            {
                return Err(IamError::delete_conflict(msg::DETACH_POLICIES_FIRST));
            }
            // A membership added after the scan above is caught by AddUserToGroup's own
            // re-check (it sees the group gone and undoes itself).
            if self.replace(&namespace, &key, &cur, None).await? {
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// AddUserToGroup (idempotent). `LimitExceeded` beyond 10 groups for one user.
    pub async fn add_user_to_group(
        &self,
        account: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), IamError> {
        let g = self.existing::<GroupRecord>(account, group_name).await?.rec;
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        if u.groups.len() >= GROUPS_PER_USER {
            self.prune_groups(account, user_name).await?;
        }
        let group_ref = GroupRef {
            name: g.group_name.clone(),
            group_id: g.group_id.clone(),
        };
        self.modify_entity(account, user_name, |u: &mut UserRecord| {
            if u.groups.iter().any(|r| r.group_id == group_ref.group_id) {
                return Ok(());
            }
            // A membership of an earlier group of the same name is dead; drop it.
            let key = name_key(&group_ref.name);
            u.groups.retain(|r| name_key(&r.name) != key);
            if u.groups.len() >= GROUPS_PER_USER {
                return Err(IamError::limit_exceeded(msg::quota(
                    "GroupsPerUser",
                    GROUPS_PER_USER,
                )));
            }
            u.groups.push(group_ref.clone());
            Ok(())
        })
        .await?;
        // DeleteGroup may have checked for members just before this membership landed; if the
        // group is gone now, undo the membership rather than leave it dangling.
        if self
            .entity_with_id::<GroupRecord>(account, group_name, &g.group_id)
            .await?
            .is_none()
        {
            self.drop_membership(account, user_name, &g.group_id)
                .await?;
            return Err(super::model::EntityKind::Group.not_found(group_name));
        }
        Ok(())
    }

    /// RemoveUserFromGroup. `NoSuchEntity` if the group or the user does not exist, or the
    /// user is not a member.
    pub async fn remove_user_from_group(
        &self,
        account: &str,
        group_name: &str,
        user_name: &str,
    ) -> Result<(), IamError> {
        let g = self.existing::<GroupRecord>(account, group_name).await?.rec;
        self.modify_entity(account, user_name, |u: &mut UserRecord| {
            let before = u.groups.len();
            u.groups.retain(|r| r.group_id != g.group_id);
            if u.groups.len() == before {
                // AWS's text for a user that is not in the group.
                return Err(IamError::no_such_entity(msg::entity_not_found(
                    "user", user_name,
                )));
            }
            Ok(())
        })
        .await
    }

    /// ListGroupsForUser, ordered by group name.
    pub async fn list_groups_for_user(
        &self,
        account: &str,
        user_name: &str,
        page: &Page,
    ) -> Result<Paged<Group>, IamError> {
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        let mut groups: Vec<(String, Group)> = self
            .live_groups(account, &u.groups)
            .await?
            .into_iter()
            .map(|g| (name_key(&g.group_name), g.view()))
            .collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        rules::paginate(groups, page)
    }

    /// PutGroupPolicy (aggregate quota 5,120 characters, white space excluded).
    pub async fn put_group_policy(
        &self,
        account: &str,
        group_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        self.put_inline::<GroupRecord>(account, group_name, policy_name, document)
            .await
    }

    /// GetGroupPolicy: the document as stored (not URL-encoded).
    pub async fn get_group_policy(
        &self,
        account: &str,
        group_name: &str,
        policy_name: &str,
    ) -> Result<String, IamError> {
        self.get_inline::<GroupRecord>(account, group_name, policy_name)
            .await
    }

    /// DeleteGroupPolicy.
    pub async fn delete_group_policy(
        &self,
        account: &str,
        group_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.delete_inline::<GroupRecord>(account, group_name, policy_name)
            .await
    }

    /// ListGroupPolicies.
    pub async fn list_group_policies(
        &self,
        account: &str,
        group_name: &str,
        page: &Page,
    ) -> Result<Paged<String>, IamError> {
        self.list_inline::<GroupRecord>(account, group_name, page)
            .await
    }

    /// The users whose memberships name the group with `group_id`, keyed by storage key.
    async fn members(
        &self,
        account: &str,
        group_id: &str,
    ) -> Result<Vec<(String, UserRecord)>, IamError> {
        Ok(self
            .list::<UserRecord>(&ns(USERS, account))
            .await?
            .into_iter()
            .filter(|(_, u)| u.groups.iter().any(|r| r.group_id == group_id))
            .collect())
    }

    /// The groups among `refs` that still exist with the referenced id.
    pub(crate) async fn live_groups(
        &self,
        account: &str,
        refs: &[GroupRef],
    ) -> Result<Vec<GroupRecord>, IamError> {
        let mut out = Vec::with_capacity(refs.len());
        for r in refs {
            if let Some(g) = self
                .entity_with_id::<GroupRecord>(account, &r.name, &r.group_id)
                .await?
            {
                out.push(g);
            }
        }
        Ok(out)
    }

    /// Drops a user's memberships of groups that no longer exist.
    async fn prune_groups(&self, account: &str, user_name: &str) -> Result<(), IamError> {
        let u = self.existing::<UserRecord>(account, user_name).await?.rec;
        let live: Vec<String> = self
            .live_groups(account, &u.groups)
            .await?
            .into_iter()
            .map(|g| g.group_id)
            .collect();
        let dead: Vec<String> = u
            .groups
            .iter()
            .filter(|r| !live.contains(&r.group_id))
            .map(|r| r.group_id.clone())
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        self.modify_entity(account, user_name, |u: &mut UserRecord| {
            u.groups.retain(|r| !dead.contains(&r.group_id));
            Ok(())
        })
        .await
    }

    async fn drop_membership(
        &self,
        account: &str,
        user_name: &str,
        group_id: &str,
    ) -> Result<(), IamError> {
        match self
            .modify_entity(account, user_name, |u: &mut UserRecord| {
                u.groups.retain(|r| r.group_id != group_id);
                Ok(())
            })
            .await
        {
            // The user went away too: nothing to undo.
            Err(e) if e.code == super::error::NO_SUCH_ENTITY => Ok(()),
            other => other,
        }
    }
}
