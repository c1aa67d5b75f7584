//! What KMS callers see ([`KeyMetadata`], [`AliasEntry`], pages) and what the store keeps
//! (key and alias records, JSON in the `kms-keys` / `kms-aliases` key/value namespaces, keyed
//! by ARN).
//!
//! A key record holds its material versions only sealed under the root key; nothing here
//! holds material in clear, so the records may derive what they like.

use serde::{Deserialize, Serialize};

/// Current format of [`KeyRecord`] and [`AliasRecord`].
pub(crate) const RECORD_FORMAT: u32 = 1;
/// Key/value namespace of key records, keyed by key ARN.
pub(crate) const NS_KEYS: &str = "kms-keys";
/// Key/value namespace of alias records, keyed by alias ARN.
pub(crate) const NS_ALIASES: &str = "kms-aliases";

/// A key's state, as `KeyState` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyState {
    /// Usable for cryptographic operations.
    Enabled,
    /// Kept, but refused for cryptographic operations (`DisabledException`).
    Disabled,
    /// Scheduled for deletion (`KMSInvalidStateException`); CancelKeyDeletion restores it as
    /// `Disabled`.
    PendingDeletion,
}

impl KeyState {
    /// The wire value: `Enabled`, `Disabled` or `PendingDeletion`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enabled => "Enabled",
            Self::Disabled => "Disabled",
            Self::PendingDeletion => "PendingDeletion",
        }
    }
}

/// Who manages a key, as `KeyManager` on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyManager {
    /// An AWS managed key (`alias/aws/<service>`), created by the service on first use.
    #[serde(rename = "AWS")]
    Aws,
    /// A customer managed key (CreateKey).
    #[serde(rename = "CUSTOMER")]
    Customer,
}

impl KeyManager {
    /// The wire value: `AWS` or `CUSTOMER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Aws => "AWS",
            Self::Customer => "CUSTOMER",
        }
    }
}

/// Everything DescribeKey and friends report about a key (symmetric, `ENCRYPT_DECRYPT`,
/// `AWS_KMS` origin: the only kind Cofre makes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMetadata {
    /// The key id (a UUID).
    pub key_id: String,
    /// `arn:aws:kms:<region>:<account>:key/<key id>`.
    pub arn: String,
    /// The owning account.
    pub account_id: String,
    /// The region the key lives in.
    pub region: String,
    /// Creation time, ms since the epoch.
    pub creation_ms: i64,
    /// The description (empty when none was given).
    pub description: String,
    /// Enabled, disabled or pending deletion.
    pub state: KeyState,
    /// When a key pending deletion will be purged, ms.
    pub deletion_ms: Option<i64>,
    /// The waiting period ScheduleKeyDeletion was given, in days.
    pub pending_window_days: Option<i64>,
    /// AWS managed or customer managed.
    pub key_manager: KeyManager,
    /// Whether automatic rotation is on.
    pub rotation_enabled: bool,
    /// The automatic rotation period, in days, while rotation is on.
    pub rotation_period_days: Option<i64>,
    /// When automatic rotation next adds a material version, ms.
    pub next_rotation_ms: Option<i64>,
    /// The key policy (the `default` policy; the only one KMS has).
    pub policy: String,
    /// Tags, in the order they were first added.
    pub tags: Vec<(String, String)>,
}

/// One alias, as ListAliases reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasEntry {
    /// `alias/<name>`.
    pub alias_name: String,
    /// `arn:aws:kms:<region>:<account>:alias/<name>`.
    pub alias_arn: String,
    /// The key id the alias points at.
    pub target_key_id: Option<String>,
    /// When the alias was created, ms.
    pub creation_ms: i64,
    /// When the alias was last pointed at a key, ms.
    pub last_updated_ms: i64,
}

/// Which page of a list to return.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Page {
    /// `Marker`: the `NextMarker` of the previous page.
    pub marker: Option<String>,
    /// `Limit`: at most this many items (1–1000; each list has its own default).
    pub limit: Option<i64>,
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Whether more items follow (`Truncated`).
    pub truncated: bool,
    /// The marker of the next page (`NextMarker`), when truncated.
    pub next_marker: Option<String>,
}

/// One material version of a key: 32 bytes sealed under the root key.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct MaterialRecord {
    /// 1 for the material the key was created with, +1 per rotation.
    pub version: u32,
    /// When this version was added, ms.
    pub created_ms: i64,
    /// base64 of `seal(root, material, aad("kms-material", key ARN, version))`.
    pub wrapped: String,
    /// Material imported from the pre-KMS default-key record, sealed with that record's
    /// associated data (`aad("kms-key", key ARN)`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub legacy: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What the store keeps for a key.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct KeyRecord {
    /// [`RECORD_FORMAT`].
    pub format: u32,
    pub key_id: String,
    pub arn: String,
    pub account_id: String,
    pub region: String,
    pub creation_ms: i64,
    pub description: String,
    pub state: KeyState,
    pub deletion_ms: Option<i64>,
    pub pending_window_days: Option<i64>,
    pub key_manager: KeyManager,
    pub rotation_enabled: bool,
    pub rotation_period_days: Option<i64>,
    pub next_rotation_ms: Option<i64>,
    pub policy: String,
    pub tags: Vec<(String, String)>,
    /// Oldest first; empty only for an AWS managed key created by a lookup that had no root
    /// key at hand (its first cryptographic use adds version 1).
    pub materials: Vec<MaterialRecord>,
}

impl KeyRecord {
    /// The metadata callers see.
    pub fn metadata(&self) -> KeyMetadata {
        KeyMetadata {
            key_id: self.key_id.clone(),
            arn: self.arn.clone(),
            account_id: self.account_id.clone(),
            region: self.region.clone(),
            creation_ms: self.creation_ms,
            description: self.description.clone(),
            state: self.state,
            deletion_ms: self.deletion_ms,
            pending_window_days: self.pending_window_days,
            key_manager: self.key_manager,
            rotation_enabled: self.rotation_enabled,
            rotation_period_days: self.rotation_period_days,
            next_rotation_ms: self.next_rotation_ms,
            policy: self.policy.clone(),
            tags: self.tags.clone(),
        }
    }

    /// The newest material version, if the key has material yet.
    pub fn newest_material(&self) -> Option<&MaterialRecord> {
        self.materials.iter().max_by_key(|m| m.version)
    }
}

/// What the store keeps for an alias.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct AliasRecord {
    /// [`RECORD_FORMAT`].
    pub format: u32,
    pub alias_name: String,
    pub target_key_id: String,
    pub creation_ms: i64,
    pub last_updated_ms: i64,
}

/// `arn:aws:kms:<region>:<account>:key/<key id>`.
pub(crate) fn key_arn(region: &str, account: &str, key_id: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:key/{key_id}")
}

/// `arn:aws:kms:<region>:<account>:alias/<name>` for `alias_name` = `alias/<name>`.
pub(crate) fn alias_arn(region: &str, account: &str, alias_name: &str) -> String {
    format!("arn:aws:kms:{region}:{account}:{alias_name}")
}

/// The key policy CreateKey gives a key when none is passed: the account root may do
/// anything, which delegates the key's access control to IAM policies (AWS's "default key
/// policy", `Id` `key-default-1`).
pub fn default_key_policy(account: &str) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"
        }]
    })
    .to_string()
}

/// The key policy of the AWS managed `aws/secretsmanager` key, as the Secrets Manager user
/// guide prints it ("Key policy of the AWS managed key (aws/secretsmanager)", `Id`
/// `auto-secretsmanager-2`): principals of the account may use the key only through Secrets
/// Manager in its region, and the account may read the key's metadata directly.
///
/// One difference: AWS's document gives its first two statements the same `Sid`, which KMS
/// accepts but IAM's validator (and so `cofre_policy`) refuses; the second one is suffixed.
pub fn secretsmanager_key_policy(account: &str, region: &str) -> String {
    const SID: &str = "Allow access through AWS Secrets Manager for all principals in the account that are authorized to use AWS Secrets Manager";
    let sid2 = format!("{SID} (GenerateDataKey*)");
    let via = format!("secretsmanager.{region}.amazonaws.com");
    serde_json::json!({
        "Version": "2012-10-17",
        "Id": "auto-secretsmanager-2",
        "Statement": [
            {
                "Sid": SID,
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:CallerAccount": account, "kms:ViaService": via}}
            },
            {
                "Sid": sid2,
                "Effect": "Allow",
                "Principal": {"AWS": ["*"]},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": account},
                    "StringLike": {"kms:ViaService": via}
                }
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": [format!("arn:aws:iam::{account}:root")]},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*"
            }
        ]
    })
    .to_string()
}
