//! The IAM entities: what callers see (`User`, `Role`, ...) and what the store keeps (the
//! `*Record` documents, each with a `format` number for migrations).
//!
//! A record holds everything that must change atomically with its entity: an entity's inline
//! policies, its attached managed policies, a user's group memberships and access key ids.
//! References to other records carry the target's unique id as well as its name, so a reference
//! left behind by a crash or a lost race never grants anything to a later entity that happens to
//! reuse the name.

use serde::{Deserialize, Serialize};

/// The `format` every record is written with today.
pub(crate) const FORMAT: u32 = 1;

/// A tag on a user or a role (IAM tag keys are case-insensitive; their case is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    /// The key (1–128 characters).
    pub key: String,
    /// The value (0–256 characters).
    pub value: String,
}

impl Tag {
    /// A tag from a key and a value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Paging input shared by every List operation (`Marker`, `MaxItems`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// The `Marker` returned by the previous page, if any.
    pub marker: Option<String>,
    /// At most this many items (1–1000; AWS's default is 100).
    pub max_items: Option<i32>,
}

/// One page of a List operation's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether more items follow (`IsTruncated`).
    pub is_truncated: bool,
    /// The `Marker` to pass for the next page, when truncated.
    pub marker: Option<String>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The owning account.
    pub account_id: String,
    /// `UserName`, with the case it was created with.
    pub user_name: String,
    /// `UserId`: `AIDA` + 17 characters.
    pub user_id: String,
    /// `Path` (default `/`).
    pub path: String,
    /// `arn:aws:iam::{account}:user{path}{name}`.
    pub arn: String,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// The owning account.
    pub account_id: String,
    /// `RoleName`.
    pub role_name: String,
    /// `RoleId`: `AROA` + 17 characters.
    pub role_id: String,
    /// `Path`.
    pub path: String,
    /// `arn:aws:iam::{account}:role{path}{name}`.
    pub arn: String,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
    /// `AssumeRolePolicyDocument`, as given (the wire layer URL-encodes it).
    pub assume_role_policy_document: String,
    /// `Description`.
    pub description: Option<String>,
    /// `MaxSessionDuration` in seconds (3600–43200).
    pub max_session_duration: i64,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The owning account.
    pub account_id: String,
    /// `GroupName`.
    pub group_name: String,
    /// `GroupId`: `AGPA` + 17 characters.
    pub group_id: String,
    /// `Path`.
    pub path: String,
    /// `arn:aws:iam::{account}:group{path}{name}`.
    pub arn: String,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManagedPolicy {
    /// The owning account.
    pub account_id: String,
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyId`: `ANPA` + 17 characters.
    pub policy_id: String,
    /// `arn:aws:iam::{account}:policy{path}{name}`.
    pub arn: String,
    /// `Path`.
    pub path: String,
    /// `Description`.
    pub description: Option<String>,
    /// `DefaultVersionId` (always `v1`: policy versions are not supported yet).
    pub default_version_id: String,
    /// `AttachmentCount`.
    pub attachment_count: usize,
    /// `PermissionsBoundaryUsageCount` (always 0: boundaries are not supported).
    pub permissions_boundary_usage_count: usize,
    /// `IsAttachable` (always true).
    pub is_attachable: bool,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
    /// `UpdateDate`, ms since the epoch.
    pub update_date_ms: i64,
    /// `Tags`.
    pub tags: Vec<Tag>,
}

/// One version of a managed policy (`GetPolicyVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// The document, as given (the wire layer URL-encodes it).
    pub document: String,
    /// `VersionId`, e.g. `v1`.
    pub version_id: String,
    /// `IsDefaultVersion`.
    pub is_default_version: bool,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
}

/// A managed policy attached to a user, role or group (`AttachedPolicies` members).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachedPolicy {
    /// `PolicyName`.
    pub policy_name: String,
    /// `PolicyArn`.
    pub policy_arn: String,
}

/// Which kind of entity a policy is attached to (`ListEntitiesForPolicy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntityKind {
    /// An IAM user.
    User,
    /// An IAM role.
    Role,
    /// An IAM group.
    Group,
}

impl EntityKind {
    /// The noun AWS uses in messages: `user`, `role`, `group`.
    pub fn noun(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Role => "role",
            EntityKind::Group => "group",
        }
    }
}

/// An entity a managed policy is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyEntity {
    /// User, role or group.
    pub kind: EntityKind,
    /// Its name.
    pub name: String,
    /// Its unique id.
    pub id: String,
}

/// `Active` or `Inactive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AccessKeyStatus {
    /// The key authenticates requests.
    Active,
    /// The key exists but every request signed with it is refused.
    Inactive,
}

impl AccessKeyStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessKeyStatus::Active => "Active",
            AccessKeyStatus::Inactive => "Inactive",
        }
    }

    /// Parses the wire spelling (`Active` / `Inactive`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "Active" => Some(AccessKeyStatus::Active),
            "Inactive" => Some(AccessKeyStatus::Inactive),
            _ => None,
        }
    }
}

/// An access key's metadata (`ListAccessKeys`); never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyMetadata {
    /// The owning user.
    pub user_name: String,
    /// `AccessKeyId`.
    pub access_key_id: String,
    /// `Status`.
    pub status: AccessKeyStatus,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
}

/// A freshly created access key (`CreateAccessKey`): the only time the secret is shown.
#[derive(Debug)]
pub struct NewUserAccessKey {
    /// The owning user.
    pub user_name: String,
    /// `AccessKeyId`: `AKIA` + 16 characters.
    pub access_key_id: String,
    /// `Status` (always `Active`).
    pub status: AccessKeyStatus,
    /// `SecretAccessKey` (40 characters); redacted in `Debug`.
    pub secret_access_key: cofre_crypto::SecretBytes,
    /// `CreateDate`, ms since the epoch.
    pub create_date_ms: i64,
}

/// Temporary credentials minted by [`crate::iam::Iam::create_session`] (AssumeRole's result).
#[derive(Debug)]
pub struct SessionCredentials {
    /// `AccessKeyId`: `ASIA` + 16 characters.
    pub access_key_id: String,
    /// `SecretAccessKey`; redacted in `Debug`.
    pub secret_access_key: cofre_crypto::SecretBytes,
    /// `SessionToken`; redacted in `Debug`.
    pub session_token: cofre_crypto::SecretBytes,
    /// `Expiration`, ms since the epoch.
    pub expiration_ms: i64,
    /// `AssumedRoleUser.AssumedRoleId`: `{role id}:{session name}`.
    pub assumed_role_id: String,
    /// `AssumedRoleUser.Arn`: `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
    pub arn: String,
    /// `PackedPolicySize` (percent of the allowance), present when a session policy or
    /// session tags were passed.
    pub packed_policy_size: Option<u32>,
}

/// An account registered with [`crate::iam::Iam::create_account`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The 12-digit account id.
    pub account_id: String,
    /// When it was created, ms since the epoch.
    pub create_date_ms: i64,
}

// ---- stored records ------------------------------------------------------------------------

/// An inline policy embedded in a user, role or group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct InlinePolicy {
    pub(crate) name: String,
    pub(crate) document: String,
}

/// A managed policy attached to an entity: the policy's id pins the exact policy, so a
/// reference to a policy deleted and re-created under the same name is ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AttachedRef {
    pub(crate) arn: String,
    pub(crate) name: String,
    pub(crate) policy_id: String,
}

/// A user's membership of a group, pinned to the group's id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupRef {
    pub(crate) name: String,
    pub(crate) group_id: String,
}

/// An entity a managed policy is attached to, as the policy's record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct EntityRef {
    pub(crate) kind: EntityKind,
    pub(crate) name: String,
    pub(crate) id: String,
}

/// Namespace `iam-users/{account}`, key: the lowercased user name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct UserRecord {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) user_name: String,
    pub(crate) user_id: String,
    pub(crate) path: String,
    pub(crate) arn: String,
    pub(crate) create_date_ms: i64,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    #[serde(default)]
    pub(crate) inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub(crate) attached_policies: Vec<AttachedRef>,
    #[serde(default)]
    pub(crate) groups: Vec<GroupRef>,
    /// The user's access key ids. This list is authoritative: a key record in the
    /// `access-keys` namespace authenticates only while its id is listed here.
    #[serde(default)]
    pub(crate) access_keys: Vec<String>,
}

impl UserRecord {
    pub(crate) fn view(&self) -> User {
        User {
            account_id: self.account_id.clone(),
            user_name: self.user_name.clone(),
            user_id: self.user_id.clone(),
            path: self.path.clone(),
            arn: self.arn.clone(),
            create_date_ms: self.create_date_ms,
            tags: self.tags.clone(),
        }
    }
}

/// Namespace `iam-roles/{account}`, key: the lowercased role name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoleRecord {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) role_name: String,
    pub(crate) role_id: String,
    pub(crate) path: String,
    pub(crate) arn: String,
    pub(crate) create_date_ms: i64,
    pub(crate) assume_role_policy_document: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) max_session_duration: i64,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    #[serde(default)]
    pub(crate) inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub(crate) attached_policies: Vec<AttachedRef>,
}

impl RoleRecord {
    pub(crate) fn view(&self) -> Role {
        Role {
            account_id: self.account_id.clone(),
            role_name: self.role_name.clone(),
            role_id: self.role_id.clone(),
            path: self.path.clone(),
            arn: self.arn.clone(),
            create_date_ms: self.create_date_ms,
            assume_role_policy_document: self.assume_role_policy_document.clone(),
            description: self.description.clone(),
            max_session_duration: self.max_session_duration,
            tags: self.tags.clone(),
        }
    }
}

/// Namespace `iam-groups/{account}`, key: the lowercased group name. Members are not listed
/// here: membership lives on the user ([`UserRecord::groups`]), which is what authorization
/// reads on every request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GroupRecord {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) group_name: String,
    pub(crate) group_id: String,
    pub(crate) path: String,
    pub(crate) arn: String,
    pub(crate) create_date_ms: i64,
    #[serde(default)]
    pub(crate) inline_policies: Vec<InlinePolicy>,
    #[serde(default)]
    pub(crate) attached_policies: Vec<AttachedRef>,
}

impl GroupRecord {
    pub(crate) fn view(&self) -> Group {
        Group {
            account_id: self.account_id.clone(),
            group_name: self.group_name.clone(),
            group_id: self.group_id.clone(),
            path: self.path.clone(),
            arn: self.arn.clone(),
            create_date_ms: self.create_date_ms,
        }
    }
}

/// Namespace `iam-policies/{account}`, key: the lowercased policy name (names are unique per
/// account regardless of path, and not distinguished by case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PolicyRecord {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) policy_name: String,
    pub(crate) policy_id: String,
    pub(crate) arn: String,
    pub(crate) path: String,
    #[serde(default)]
    pub(crate) description: Option<String>,
    pub(crate) default_version_id: String,
    pub(crate) document: String,
    pub(crate) create_date_ms: i64,
    pub(crate) update_date_ms: i64,
    #[serde(default)]
    pub(crate) tags: Vec<Tag>,
    /// Who the policy is attached to. Written before the entity's own reference on attach
    /// and removed after it on detach, so a policy is never deletable while an entity may
    /// still use it.
    #[serde(default)]
    pub(crate) attachments: Vec<EntityRef>,
}

impl PolicyRecord {
    pub(crate) fn view(&self) -> ManagedPolicy {
        ManagedPolicy {
            account_id: self.account_id.clone(),
            policy_name: self.policy_name.clone(),
            policy_id: self.policy_id.clone(),
            arn: self.arn.clone(),
            path: self.path.clone(),
            description: self.description.clone(),
            default_version_id: self.default_version_id.clone(),
            attachment_count: self.attachments.len(),
            permissions_boundary_usage_count: 0,
            is_attachable: true,
            create_date_ms: self.create_date_ms,
            update_date_ms: self.update_date_ms,
            tags: self.tags.clone(),
        }
    }
}

/// Namespace `accounts`, key: the account id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AccountRecord {
    pub(crate) format: u32,
    pub(crate) account_id: String,
    pub(crate) create_date_ms: i64,
}
