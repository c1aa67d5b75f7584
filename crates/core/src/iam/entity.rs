//! What users, roles and groups share: a record with inline policies and attached managed
//! policies, looked up by case-insensitive name in its account's namespace. The inline-policy
//! operations (Put/Get/Delete/List{User,Role,Group}Policy) and tagging are written once here,
//! over the [`Entity`] trait.

use super::error::{msg, IamError};
use super::model::{
    AttachedRef, EntityKind, GroupRecord, InlinePolicy, Page, Paged, RoleRecord, Tag, UserRecord,
};
use super::records::{self, name_key, ns, Edit, Record, Stored};
use super::rules;
use super::Iam;

/// A user, role or group record.
pub(crate) trait Entity: Record + Clone + Send + Sync {
    /// Which kind of entity this is.
    const KIND: EntityKind;
    /// The namespace prefix (`iam-users`, ...).
    const NS: &'static str;

    fn name(&self) -> &str;
    fn id(&self) -> &str;
    fn inline(&self) -> &[InlinePolicy];
    fn inline_mut(&mut self) -> &mut Vec<InlinePolicy>;
    fn attached(&self) -> &[AttachedRef];
    fn attached_mut(&mut self) -> &mut Vec<AttachedRef>;
}

/// An entity that carries tags (users and roles).
pub(crate) trait Tagged: Entity {
    fn tags_mut(&mut self) -> &mut Vec<Tag>;
    fn tags(&self) -> &[Tag];
}

macro_rules! entity {
    ($t:ty, $kind:expr, $ns:expr, $name:ident, $id:ident) => {
        impl Entity for $t {
            const KIND: EntityKind = $kind;
            const NS: &'static str = $ns;
            fn name(&self) -> &str {
                &self.$name
            }
            fn id(&self) -> &str {
                &self.$id
            }
            fn inline(&self) -> &[InlinePolicy] {
                &self.inline_policies
            }
            fn inline_mut(&mut self) -> &mut Vec<InlinePolicy> {
                &mut self.inline_policies
            }
            fn attached(&self) -> &[AttachedRef] {
                &self.attached_policies
            }
            fn attached_mut(&mut self) -> &mut Vec<AttachedRef> {
                &mut self.attached_policies
            }
        }
    };
}
entity!(
    UserRecord,
    EntityKind::User,
    records::USERS,
    user_name,
    user_id
);
entity!(
    RoleRecord,
    EntityKind::Role,
    records::ROLES,
    role_name,
    role_id
);
entity!(
    GroupRecord,
    EntityKind::Group,
    records::GROUPS,
    group_name,
    group_id
);

impl Tagged for UserRecord {
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl Tagged for RoleRecord {
    fn tags_mut(&mut self) -> &mut Vec<Tag> {
        &mut self.tags
    }
    fn tags(&self) -> &[Tag] {
        &self.tags
    }
}

impl EntityKind {
    /// `NoSuchEntity` for a missing entity of this kind.
    pub(crate) fn not_found(self, name: &str) -> IamError {
        IamError::no_such_entity(msg::entity_not_found(self.noun(), name))
    }

    /// The aggregate size quota of this kind's inline policies (white space excluded):
    /// user 2,048, role 10,240, group 5,120 characters (IAM and AWS STS quotas).
    pub(crate) fn inline_quota(self) -> usize {
        match self {
            EntityKind::User => 2048,
            EntityKind::Role => 10240,
            EntityKind::Group => 5120,
        }
    }

    /// The quota named when an 11th managed policy is attached.
    pub(crate) fn attach_quota_name(self) -> &'static str {
        match self {
            EntityKind::User => "PoliciesPerUser",
            EntityKind::Role => "PoliciesPerRole",
            EntityKind::Group => "PoliciesPerGroup",
        }
    }
}

/// Managed policies attached to one user, role or group (default quota).
pub(crate) const ATTACHED_POLICIES_QUOTA: usize = 10;

impl Iam {
    /// Reads an entity by name.
    pub(crate) async fn entity<E: Entity>(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Option<Stored<E>>, IamError> {
        self.read(&ns(E::NS, account), &name_key(name)).await
    }

    /// Reads an entity by name, or `NoSuchEntity`.
    pub(crate) async fn existing<E: Entity>(
        &self,
        account: &str,
        name: &str,
    ) -> Result<Stored<E>, IamError> {
        self.entity(account, name)
            .await?
            .ok_or_else(|| E::KIND.not_found(name))
    }

    /// Reads an entity by name and checks it is still the one with `id`.
    pub(crate) async fn entity_with_id<E: Entity>(
        &self,
        account: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<E>, IamError> {
        Ok(self
            .entity::<E>(account, name)
            .await?
            .map(|s| s.rec)
            .filter(|r| r.id() == id))
    }

    /// Updates an existing entity through the compare-and-swap loop.
    pub(crate) async fn modify_entity<E, T, F>(
        &self,
        account: &str,
        name: &str,
        mut f: F,
    ) -> Result<T, IamError>
    where
        E: Entity,
        F: FnMut(&mut E) -> Result<T, IamError>,
    {
        self.modify(&ns(E::NS, account), &name_key(name), |rec: Option<E>| {
            let mut rec = rec.ok_or_else(|| E::KIND.not_found(name))?;
            let t = f(&mut rec)?;
            Ok(Edit::Put(rec, t))
        })
        .await
    }

    /// PutUserPolicy / PutRolePolicy / PutGroupPolicy.
    pub(crate) async fn put_inline<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        policy_name: &str,
        document: &str,
    ) -> Result<(), IamError> {
        rules::check_name(policy_name, "policyName", 128)?;
        rules::check_policy_document(document)?;
        let kind = E::KIND;
        self.modify_entity(account, entity_name, |e: &mut E| {
            let policies = e.inline_mut();
            match policies.iter_mut().find(|p| p.name == policy_name) {
                Some(p) => p.document = document.to_owned(),
                None => policies.push(InlinePolicy {
                    name: policy_name.to_owned(),
                    document: document.to_owned(),
                }),
            }
            let total: usize = e
                .inline()
                .iter()
                .map(|p| rules::policy_size(&p.document))
                .sum();
            if total > kind.inline_quota() {
                return Err(IamError::limit_exceeded(msg::inline_policy_too_large(
                    kind.inline_quota(),
                    kind.noun(),
                    e.name(),
                )));
            }
            Ok(())
        })
        .await
    }

    /// GetUserPolicy / GetRolePolicy / GetGroupPolicy: the document as stored (plain; the wire
    /// layer URL-encodes it as AWS does).
    pub(crate) async fn get_inline<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        policy_name: &str,
    ) -> Result<String, IamError> {
        let e = self.existing::<E>(account, entity_name).await?;
        e.rec
            .inline()
            .iter()
            .find(|p| p.name == policy_name)
            .map(|p| p.document.clone())
            .ok_or_else(|| {
                IamError::no_such_entity(msg::inline_not_found(E::KIND.noun(), policy_name))
            })
    }

    /// DeleteUserPolicy / DeleteRolePolicy / DeleteGroupPolicy.
    pub(crate) async fn delete_inline<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        policy_name: &str,
    ) -> Result<(), IamError> {
        self.modify_entity(account, entity_name, |e: &mut E| {
            let before = e.inline().len();
            e.inline_mut().retain(|p| p.name != policy_name);
            if e.inline().len() == before {
                return Err(IamError::no_such_entity(msg::inline_not_found(
                    E::KIND.noun(),
                    policy_name,
                )));
            }
            Ok(())
        })
        .await
    }

    /// ListUserPolicies / ListRolePolicies / ListGroupPolicies: inline policy names, sorted.
    pub(crate) async fn list_inline<E: Entity>(
        &self,
        account: &str,
        entity_name: &str,
        page: &Page,
    ) -> Result<Paged<String>, IamError> {
        let e = self.existing::<E>(account, entity_name).await?;
        let mut names: Vec<(String, String)> = e
            .rec
            .inline()
            .iter()
            .map(|p| (p.name.clone(), p.name.clone()))
            .collect();
        names.sort();
        rules::paginate(names, page)
    }

    /// TagUser / TagRole: merges tags, at most 50 in all.
    pub(crate) async fn tag_entity<E: Tagged>(
        &self,
        account: &str,
        name: &str,
        tags: &[Tag],
    ) -> Result<(), IamError> {
        rules::check_tags(tags)?;
        self.modify_entity(account, name, |e: &mut E| {
            rules::merge_tags(e.tags_mut(), tags)?;
            Ok(())
        })
        .await
    }

    /// UntagUser / UntagRole.
    pub(crate) async fn untag_entity<E: Tagged>(
        &self,
        account: &str,
        name: &str,
        keys: &[String],
    ) -> Result<(), IamError> {
        rules::check_tag_keys(keys)?;
        self.modify_entity(account, name, |e: &mut E| {
            rules::remove_tags(e.tags_mut(), keys);
            Ok(())
        })
        .await
    }

    /// ListUserTags / ListRoleTags, sorted by key.
    pub(crate) async fn list_entity_tags<E: Tagged>(
        &self,
        account: &str,
        name: &str,
        page: &Page,
    ) -> Result<Paged<Tag>, IamError> {
        let e = self.existing::<E>(account, name).await?;
        let mut tags: Vec<(String, Tag)> = e
            .rec
            .tags()
            .iter()
            .map(|t| (rules::fold_tag_key(&t.key), t.clone()))
            .collect();
        tags.sort_by(|a, b| a.0.cmp(&b.0));
        rules::paginate(tags, page)
    }

    /// How many entities of kind `E` the account has (for the per-account quotas).
    pub(crate) async fn count<E: Entity>(&self, account: &str) -> Result<usize, IamError> {
        Ok(self.store.kv_list(&ns(E::NS, account)).await?.len())
    }
}
