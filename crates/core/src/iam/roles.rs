//! IAM roles: CreateRole, GetRole, ListRoles, DeleteRole, UpdateRole, UpdateAssumeRolePolicy,
//! TagRole, UntagRole, ListRoleTags, the role side of inline policies, and lookup by ARN for
//! AssumeRole.

use super::error::{msg, IamError};
use super::model::{Page, Paged, Role, RoleRecord, Tag, FORMAT};
use super::records::{name_key, ns, MAX_ATTEMPTS, ROLES};
use super::rules;
use super::Iam;

/// Roles per account (default quota).
const ROLES_PER_ACCOUNT: usize = 1000;
/// The trust policy's size quota (characters, white space excluded).
const TRUST_POLICY_QUOTA: usize = 2048;
/// `MaxSessionDuration` bounds and default, in seconds.
const MIN_SESSION: i64 = 3600;
const MAX_SESSION: i64 = 43200;

/// CreateRole's input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CreateRole {
    /// `RoleName` (required).
    pub role_name: String,
    /// `Path` (default `/`).
    pub path: Option<String>,
    /// `AssumeRolePolicyDocument` (required): the trust policy, stored as given.
    pub assume_role_policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `MaxSessionDuration` in seconds, 3600–43200 (default 3600).
    pub max_session_duration: Option<i64>,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

fn check_trust_policy(doc: &str) -> Result<(), IamError> {
    rules::check_policy_document(doc)?;
    if rules::policy_size(doc) > TRUST_POLICY_QUOTA {
        return Err(IamError::limit_exceeded(msg::quota(
            "ACLSizePerRole",
            TRUST_POLICY_QUOTA,
        )));
    }
    Ok(())
}

fn check_max_session_duration(v: i64) -> Result<(), IamError> {
    if v < MIN_SESSION {
        return Err(IamError::validation(msg::value_too_small(
            v,
            "maxSessionDuration",
            MIN_SESSION,
        )));
    }
    if v > MAX_SESSION {
        return Err(IamError::validation(msg::value_too_large(
            v,
            "maxSessionDuration",
            MAX_SESSION,
        )));
    }
    Ok(())
}

/// Splits `arn:aws:iam::{account}:role{path}{name}` into (account, name).
fn parse_role_arn(arn: &str) -> Option<(&str, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let resource = resource.strip_prefix("role/")?;
    let name = resource.rsplit('/').next()?;
    if name.is_empty() {
        return None;
    }
    Some((account, name))
}

impl Iam {
    /// CreateRole. `MalformedPolicyDocument` for a trust policy that is not a JSON policy,
    /// `LimitExceeded` (`ACLSizePerRole: 2048`) for a larger one, `ValidationError` for a
    /// `MaxSessionDuration` outside 3600–43200, `EntityAlreadyExists` for a taken name.
    pub async fn create_role(&self, account: &str, input: CreateRole) -> Result<Role, IamError> {
        let CreateRole {
            role_name,
            path,
            assume_role_policy_document,
            description,
            max_session_duration,
            mut tags,
        } = input;
        rules::check_name(&role_name, "roleName", 64)?;
        let path = path.unwrap_or_else(|| "/".to_owned());
        rules::check_path(&path)?;
        if let Some(d) = &description {
            rules::check_description(d)?;
        }
        let max_session_duration = max_session_duration.unwrap_or(MIN_SESSION);
        check_max_session_duration(max_session_duration)?;
        rules::check_tags(&tags)?;
        rules::sort_tags(&mut tags);
        check_trust_policy(&assume_role_policy_document)?;
        if self.count::<RoleRecord>(account).await? >= ROLES_PER_ACCOUNT {
            return Err(IamError::limit_exceeded(msg::quota(
                "RolesPerAccount",
                ROLES_PER_ACCOUNT,
            )));
        }
        let rec = RoleRecord {
            format: FORMAT,
            account_id: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:role{path}{role_name}"),
            role_id: rules::unique_id("AROA"),
            create_date_ms: self.now_ms(),
            assume_role_policy_document,
            description,
            max_session_duration,
            tags,
            inline_policies: Vec::new(),
            attached_policies: Vec::new(),
            role_name,
            path,
        };
        if !self
            .insert(&ns(ROLES, account), &name_key(&rec.role_name), &rec)
            .await?
        {
            return Err(IamError::entity_already_exists(format!(
                "Role with name {} already exists.",
                rec.role_name
            )));
        }
        Ok(rec.view())
    }

    /// GetRole (by name, without regard to case).
    pub async fn get_role(&self, account: &str, role_name: &str) -> Result<Role, IamError> {
        Ok(self
            .existing::<RoleRecord>(account, role_name)
            .await?
            .rec
            .view())
    }

    /// The role an ARN (`arn:aws:iam::{account}:role{path}{name}`) names, for AssumeRole.
    /// `NoSuchEntity` if the ARN is malformed or names no role (the path must match too).
    pub async fn get_role_by_arn(&self, arn: &str) -> Result<Role, IamError> {
        let (account, name) = parse_role_arn(arn)
            .ok_or_else(|| IamError::no_such_entity(msg::entity_not_found("role", arn)))?;
        let role = self.existing::<RoleRecord>(account, name).await?.rec;
        if role.arn != arn {
            return Err(IamError::no_such_entity(msg::entity_not_found(
                "role", name,
            )));
        }
        Ok(role.view())
    }

    /// ListRoles, ordered by name, filtered by `PathPrefix`.
    pub async fn list_roles(
        &self,
        account: &str,
        path_prefix: Option<&str>,
        page: &Page,
    ) -> Result<Paged<Role>, IamError> {
        if let Some(p) = path_prefix {
            rules::check_path_prefix(p)?;
        }
        let prefix = path_prefix.unwrap_or("/");
        let roles = self
            .list::<RoleRecord>(&ns(ROLES, account))
            .await?
            .into_iter()
            .filter(|(_, r)| r.path.starts_with(prefix))
            .map(|(k, r)| (k, r.view()))
            .collect();
        rules::paginate(roles, page)
    }

    /// DeleteRole. Refused with `DeleteConflict` while the role has inline policies or
    /// attached managed policies. Sessions of the deleted role stop authenticating.
    pub async fn delete_role(&self, account: &str, role_name: &str) -> Result<(), IamError> {
        let namespace = ns(ROLES, account);
        let key = name_key(role_name);
        for _ in 0..MAX_ATTEMPTS {
            let cur = self.existing::<RoleRecord>(account, role_name).await?;
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
            if self.replace(&namespace, &key, &cur, None).await? {
                return Ok(());
            }
        }
        Err(IamError::concurrent_modification())
    }

    /// UpdateAssumeRolePolicy: replaces the trust policy.
    pub async fn update_assume_role_policy(
        &self,
        account: &str,
        role_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        check_trust_policy(document)?;
        self.modify_entity(account, role_name, |r: &mut RoleRecord| {
            r.assume_role_policy_document = document.to_owned();
            Ok(())
        })
        .await
    }

    /// UpdateRole: sets the description and/or the maximum session duration (`None` leaves a
    /// field unchanged).
    pub async fn update_role(
        &self,
        account: &str,
        role_name: &str,
        description: Option<&str>,
        max_session_duration: Option<i64>,
    ) -> Result<(), IamError> {
        if let Some(d) = description {
            rules::check_description(d)?;
        }
        if let Some(m) = max_session_duration {
            check_max_session_duration(m)?;
        }
        self.modify_entity(account, role_name, |r: &mut RoleRecord| {
            if let Some(d) = description {
                r.description = Some(d.to_owned());
            }
            if let Some(m) = max_session_duration {
                r.max_session_duration = m;
            }
            Ok(())
        })
        .await
    }

    /// TagRole: merges tags (at most 50 in all).
    pub async fn tag_role(
        &self,
        account: &str,
        role_name: &str,
        tags: &[Tag],
    ) -> Result<(), IamError> {
        self.tag_entity::<RoleRecord>(account, role_name, tags)
            .await
    }

    /// UntagRole.
    pub async fn untag_role(
        &self,
        account: &str,
        role_name: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        self.untag_entity::<RoleRecord>(account, role_name, keys)
            .await
    }

    /// ListRoleTags.
    pub async fn list_role_tags(
        &self,
        account: &str,
        role_name: &str,
        page: &Page,
    ) -> Result<Paged<Tag>, IamError> {
        self.list_entity_tags::<RoleRecord>(account, role_name, page)
            .await
    }

    /// PutRolePolicy (aggregate quota 10,240 characters, white space excluded).
    pub async fn put_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        self.put_inline::<RoleRecord>(account, role_name, policy_name, document)
            .await
    }

    /// GetRolePolicy: the document as stored (not URL-encoded).
    pub async fn get_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
    ) -> Result<String, IamError> {
        self.get_inline::<RoleRecord>(account, role_name, policy_name)
            .await
    }

    /// DeleteRolePolicy.
    pub async fn delete_role_policy(
        &self,
        account: &str,
        role_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.delete_inline::<RoleRecord>(account, role_name, policy_name)
            .await
    }

    /// ListRolePolicies.
    pub async fn list_role_policies(
        &self,
        account: &str,
        role_name: &str,
        page: &Page,
    ) -> Result<Paged<String>, IamError> {
        self.list_inline::<RoleRecord>(account, role_name, page)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::parse_role_arn;

    #[test]
    fn role_arns() {
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/a/b/Name"),
            Some(("123456789012", "Name"))
        );
        assert_eq!(
            parse_role_arn("arn:aws:iam::123456789012:role/Name"),
            Some(("123456789012", "Name"))
        );
        for bad in [
            "arn:aws:iam::123456789012:user/Name",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/x",
            "nonsense",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
    }
}
