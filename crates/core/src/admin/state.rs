//! The identities of one account, as a document declares them or as the store holds them: the
//! two sides [`super::plan`] compares. [`read`] builds the second through the IAM domain's own
//! operations, so it sees exactly what IAM's API would (dangling references left by a crash
//! are already filtered out there).

use std::collections::BTreeMap;

use crate::iam::{EntityKind, Iam, IamError, Page, Paged, PolicyScope, Tag};

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PolicyState {
    pub(super) name: String,
    pub(super) path: String,
    pub(super) arn: String,
    pub(super) document: String,
    pub(super) description: Option<String>,
}

/// What only a role has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct RoleProps {
    pub(super) trust_policy: String,
    pub(super) description: Option<String>,
    pub(super) max_session_duration: i64,
}

/// A user, group or role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct EntityState {
    pub(super) kind: EntityKind,
    pub(super) name: String,
    pub(super) path: String,
    /// Inline policies: name (case-sensitive, as IAM keeps them) → document.
    pub(super) inline: BTreeMap<String, String>,
    /// Attached managed policies: ARN → policy name.
    pub(super) attached: BTreeMap<String, String>,
    /// Tags, sorted by folded key (users and roles only).
    pub(super) tags: Vec<Tag>,
    /// Group memberships: folded group name → group name (users only).
    pub(super) groups: BTreeMap<String, String>,
    /// Role properties (roles only).
    pub(super) role: Option<RoleProps>,
}

impl EntityState {
    /// An entity of `kind` with nothing attached.
    pub(super) fn new(kind: EntityKind, name: &str, path: &str) -> Self {
        Self {
            kind,
            name: name.to_owned(),
            path: path.to_owned(),
            inline: BTreeMap::new(),
            attached: BTreeMap::new(),
            tags: Vec::new(),
            groups: BTreeMap::new(),
            role: None,
        }
    }
}

/// One account's identities. Maps are keyed by folded name (IAM names are unique without
/// regard to case).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct AccountState {
    pub(super) id: String,
    pub(super) exists: bool,
    pub(super) policies: BTreeMap<String, PolicyState>,
    pub(super) groups: BTreeMap<String, EntityState>,
    pub(super) users: BTreeMap<String, EntityState>,
    pub(super) roles: BTreeMap<String, EntityState>,
}

impl AccountState {
    /// The entities of `kind`.
    pub(super) fn entities(&self, kind: EntityKind) -> &BTreeMap<String, EntityState> {
        match kind {
            EntityKind::User => &self.users,
            EntityKind::Group => &self.groups,
            EntityKind::Role => &self.roles,
        }
    }
}

/// The folded form of an IAM name (names are ASCII, compared without regard to case).
pub(super) fn fold(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// Walks every page of a List operation.
pub(super) async fn all<T, F, Fut>(mut list: F) -> Result<Vec<T>, IamError>
where
    F: FnMut(Page) -> Fut,
    Fut: std::future::Future<Output = Result<Paged<T>, IamError>>,
{
    let mut out = Vec::new();
    let mut marker = None;
    loop {
        let page = list(Page {
            marker: marker.take(),
            max_items: Some(1000),
        })
        .await?;
        out.extend(page.items);
        match page.marker {
            Some(m) if page.is_truncated => marker = Some(m),
            _ => return Ok(out),
        }
    }
}

/// Reads everything `account` holds now (an account that does not exist holds nothing).
pub(super) async fn read(iam: &Iam, account: &str) -> Result<AccountState, IamError> {
    let mut state = AccountState {
        id: account.to_owned(),
        exists: iam.account_exists(account).await?,
        ..Default::default()
    };

    let policies = all(|p| async move {
        iam.list_policies(account, PolicyScope::Local, false, None, &p)
            .await
    })
    .await?;
    for p in policies {
        let version = iam
            .get_policy_version(account, &p.arn, &p.default_version_id)
            .await?;
        state.policies.insert(
            fold(&p.policy_name),
            PolicyState {
                name: p.policy_name,
                path: p.path,
                arn: p.arn,
                document: version.document,
                // IAM keeps "" for a cleared description; a document says nothing.
                description: p.description.filter(|d| !d.is_empty()),
            },
        );
    }

    for g in all(|p| async move { iam.list_groups(account, None, &p).await }).await? {
        let group = g.group_name.as_str();
        let mut e = EntityState::new(EntityKind::Group, group, &g.path);
        for name in
            all(|p| async move { iam.list_group_policies(account, group, &p).await }).await?
        {
            let doc = iam.get_group_policy(account, group, &name).await?;
            e.inline.insert(name, doc);
        }
        let attached = all(|p| async move {
            iam.list_attached_group_policies(account, group, None, &p)
                .await
        })
        .await?;
        for a in attached {
            e.attached.insert(a.policy_arn, a.policy_name);
        }
        state.groups.insert(fold(group), e);
    }

    for u in all(|p| async move { iam.list_users(account, None, &p).await }).await? {
        let user = u.user_name.as_str();
        let mut e = EntityState::new(EntityKind::User, user, &u.path);
        e.tags = u.tags.clone();
        for name in all(|p| async move { iam.list_user_policies(account, user, &p).await }).await? {
            let doc = iam.get_user_policy(account, user, &name).await?;
            e.inline.insert(name, doc);
        }
        let attached = all(|p| async move {
            iam.list_attached_user_policies(account, user, None, &p)
                .await
        })
        .await?;
        for a in attached {
            e.attached.insert(a.policy_arn, a.policy_name);
        }
        for g in all(|p| async move { iam.list_groups_for_user(account, user, &p).await }).await? {
            e.groups.insert(fold(&g.group_name), g.group_name);
        }
        state.users.insert(fold(user), e);
    }

    for r in all(|p| async move { iam.list_roles(account, None, &p).await }).await? {
        let role = r.role_name.as_str();
        let mut e = EntityState::new(EntityKind::Role, role, &r.path);
        e.tags = r.tags.clone();
        e.role = Some(RoleProps {
            trust_policy: r.assume_role_policy_document.clone(),
            description: r.description.clone().filter(|d| !d.is_empty()),
            max_session_duration: r.max_session_duration,
        });
        for name in all(|p| async move { iam.list_role_policies(account, role, &p).await }).await? {
            let doc = iam.get_role_policy(account, role, &name).await?;
            e.inline.insert(name, doc);
        }
        let attached = all(|p| async move {
            iam.list_attached_role_policies(account, role, None, &p)
                .await
        })
        .await?;
        for a in attached {
            e.attached.insert(a.policy_arn, a.policy_name);
        }
        state.roles.insert(fold(role), e);
    }
    Ok(state)
}
