//! IAM users: CreateUser, GetUser, ListUsers, DeleteUser, TagUser, UntagUser, ListUserTags,
//! and the user side of inline policies (Put/Get/Delete/ListUserPolicies).

use super::error::{msg, IamError};
use super::model::{Page, Paged, Tag, User, UserRecord, FORMAT};
use super::records::{name_key, ns, MAX_ATTEMPTS, USERS};
use super::rules;
use super::Iam;

/// IAM users per account (default quota).
const USERS_PER_ACCOUNT: usize = 5000;

impl Iam {
    /// CreateUser. `path` defaults to `/`. Errors: `EntityAlreadyExists` if a user of that name
    /// exists in any case ("alice" and "Alice" collide); `LimitExceeded` beyond 5,000 users.
    pub async fn create_user(
        &self,
        account: &str,
        user_name: &str,
        path: Option<&str>,
        mut tags: Vec<Tag>,
    ) -> Result<User, IamError> {
        rules::check_name(user_name, "userName", 64)?;
        let path = path.unwrap_or("/");
        rules::check_path(path)?;
        rules::check_tags(&tags)?;
        rules::sort_tags(&mut tags);
        // Counted before the insert: racing creates can overshoot the quota by their number,
        // which is harmless for a soft limit and avoids a global lock.
        if self.count::<UserRecord>(account).await? >= USERS_PER_ACCOUNT {
            return Err(IamError::limit_exceeded(msg::quota(
                "UsersPerAccount",
                USERS_PER_ACCOUNT,
            )));
        }
        let rec = UserRecord {
            format: FORMAT,
            account_id: account.to_owned(),
            user_name: user_name.to_owned(),
            user_id: rules::unique_id("AIDA"),
            path: path.to_owned(),
            arn: format!("arn:aws:iam::{account}:user{path}{user_name}"),
            create_date_ms: self.now_ms(),
            tags,
            inline_policies: Vec::new(),
            attached_policies: Vec::new(),
            groups: Vec::new(),
            access_keys: Vec::new(),
        };
        if !self
            .insert(&ns(USERS, account), &name_key(user_name), &rec)
            .await?
        {
            return Err(IamError::entity_already_exists(format!(
                "User with name {user_name} already exists."
            )));
        }
        Ok(rec.view())
    }

    /// GetUser (by name, without regard to case).
    pub async fn get_user(&self, account: &str, user_name: &str) -> Result<User, IamError> {
        Ok(self
            .existing::<UserRecord>(account, user_name)
            .await?
            .rec
            .view())
    }

    /// ListUsers, ordered by name, filtered by `PathPrefix`.
    pub async fn list_users(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<User>, IamError> {
        if let Some(p) = path_prefix {
            rules::check_path_prefix(p)?;
        }
        let prefix = path_prefix.unwrap_or("/");
        let users = self
            .list::<UserRecord>(&ns(USERS, account))
            .await?
            .into_iter()
            .filter(|(_, u)| u.path.starts_with(prefix))
            .map(|(k, u)| (k, u.view()))
            .collect();
        rules::paginate(users, page)
    }

    /// DeleteUser. Refused with `DeleteConflict` while the user has access keys, inline
    /// policies, attached managed policies or group memberships (checked in that order, the
    /// order of AWS's DeleteUser documentation).
    pub async fn delete_user(&self, account: &str, user_name: &str) -> Result<(), IamError> {
        let namespace = ns(USERS, account);
        let key = name_key(user_name);
        for _ in 0..MAX_ATTEMPTS {
            let cur = self.existing::<UserRecord>(account, user_name).await?;
            let u = &cur.rec;
            // References are checked against their targets: an id left by an interrupted
            // write (a key never stored, a group since deleted) does not block the delete.
            if !self.live_access_keys(u).await?.is_empty() {
                return Err(IamError::delete_conflict(msg::DELETE_ACCESS_KEYS_FIRST));
            }
            if !u.inline_policies.is_empty() {
                return Err(IamError::delete_conflict(msg::DELETE_POLICIES_FIRST));
            }
            if !self
                .live_attached(account, &u.attached_policies)
                .await?
                .is_empty()
            {
                return Err(IamError::delete_conflict(msg::DETACH_POLICIES_FIRST));
            }
            if !self.live_groups(account, &u.groups).await?.is_empty() {
                return Err(IamError::delete_conflict(
                    msg::REMOVE_USERS_FROM_GROUP_FIRST,
                ));
            }
            // Only if nothing changed since the checks above.
            if self.replace(&namespace, &key, &cur, None).await? {
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// TagUser: merges `tags` into the user's (keys compared without regard to case);
    /// `LimitExceeded` if more than 50 would result.
    pub async fn tag_user(
        &self,
        account: &str,
        user_name: &str,
        tags: &[Tag],
    ) -> Result<(), IamError> {
        self.tag_entity::<UserRecord>(account, user_name, tags)
            .await
    }

    /// UntagUser: removes the named keys (absent keys are ignored).
    pub async fn untag_user(
        &self,
        account: &str,
        user_name: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        self.untag_entity::<UserRecord>(account, user_name, keys)
            .await
    }

    /// ListUserTags.
    pub async fn list_user_tags(
        &self,
        account: &str,
        user_name: &str,
        page: &Page,
    ) -> Result<Paged<Tag>, IamError> {
        self.list_entity_tags::<UserRecord>(account, user_name, page)
            .await
    }

    /// PutUserPolicy: creates or replaces an inline policy. `MalformedPolicyDocument` for a
    /// document that is not a JSON policy; `LimitExceeded` when the user's inline policies
    /// would exceed 2,048 characters in all (white space excluded).
    pub async fn put_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        self.put_inline::<UserRecord>(account, user_name, policy_name, document)
            .await
    }

    /// GetUserPolicy: the document as stored (not URL-encoded).
    pub async fn get_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<String, IamError> {
        self.get_inline::<UserRecord>(account, user_name, policy_name)
            .await
    }

    /// DeleteUserPolicy.
    pub async fn delete_user_policy(
        &self,
        account: &str,
        user_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.delete_inline::<UserRecord>(account, user_name, policy_name)
            .await
    }

    /// ListUserPolicies: inline policy names, sorted.
    pub async fn list_user_policies(
        &self,
        account: &str,
        user_name: &str,
        page: &Page,
    ) -> Result<Paged<String>, IamError> {
        self.list_inline::<UserRecord>(account, user_name, page)
            .await
    }
}
