//! The secret as the domain sees it: the store's row plus the metadata document kept in
//! `SecretRow::meta` (JSON, with a `format` number so later versions can migrate it).

use cofre_api::ApiError;
use cofre_store::SecretRow;
use serde::{Deserialize, Serialize};

use crate::error::internal;

/// Current format of [`SecretMeta`].
pub const META_FORMAT: u32 = 1;
/// The staging label of the version clients read by default.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// The label the previous `AWSCURRENT` version receives when `AWSCURRENT` moves.
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";
/// The label of the version a rotation is creating.
pub const AWSPENDING: &str = "AWSPENDING";

/// A tag on a secret.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct TagEntry {
    /// Tag key.
    pub key: String,
    /// Tag value.
    pub value: String,
}

/// Metadata of one secret version; the value itself is a separate sealed blob.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct VersionMeta {
    /// The version id (the ClientRequestToken that created it).
    pub id: String,
    /// Staging labels attached to it; empty means deprecated.
    pub stages: Vec<String>,
    /// Creation time, ms since the epoch.
    pub created_ms: i64,
    /// Day (midnight UTC, ms) the version was last read.
    pub last_accessed_day_ms: Option<i64>,
    /// ARN of the KMS key that wraps this version's data key (the newest, when several do).
    pub kms_key_arn: String,
    /// ARNs of earlier keys that still wrap the data key after UpdateSecret changed the key,
    /// newest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_kms_key_arns: Vec<String>,
    /// Whether the value is a `SecretBinary` rather than a `SecretString`.
    pub binary: bool,
    /// A version with no value yet: what a rotation stages as AWSPENDING before its
    /// createSecret step stores the new value under the same id (AWS's "empty secret
    /// version"). Reads answer ResourceNotFoundException.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub empty: bool,
}

/// Secret-level metadata.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct SecretMeta {
    /// Format number, [`META_FORMAT`].
    pub format: u32,
    /// The description, if any.
    pub description: Option<String>,
    /// `KmsKeyId` as the caller gave it; `None` means the AWS managed `aws/secretsmanager` key.
    pub kms_key_id: Option<String>,
    /// Tags, in the order they were first added.
    pub tags: Vec<TagEntry>,
    /// Creation time, ms.
    pub created_ms: i64,
    /// Last change to metadata or values, ms.
    pub last_changed_ms: i64,
    /// Day of the last read of any version, ms.
    pub last_accessed_day_ms: Option<i64>,
    /// When DeleteSecret was called, ms; the purge time is `SecretRow::purge_at_ms`.
    pub deleted_ms: Option<i64>,
    /// Versions, oldest first.
    pub versions: Vec<VersionMeta>,
    /// The resource-based policy document, if one is attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_policy: Option<String>,
    /// Rotation configuration and state, once RotateSecret has been called.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotation: Option<crate::rotation::RotationState>,
}

/// A row with its decoded metadata.
#[derive(Clone, Debug)]
pub struct Secret {
    /// The store row (identity, revision, purge time).
    pub row: SecretRow,
    /// The decoded metadata.
    pub meta: SecretMeta,
}

impl Secret {
    /// Decodes a store row.
    pub fn from_row(row: SecretRow) -> Result<Self, ApiError> {
        let meta: SecretMeta = serde_json::from_slice(&row.meta).map_err(internal)?;
        if meta.format != META_FORMAT {
            return Err(internal(format!(
                "unknown secret meta format {}",
                meta.format
            )));
        }
        Ok(Self { row, meta })
    }

    /// The row to write back: metadata re-encoded, revision bumped.
    pub fn to_row(&self) -> Result<SecretRow, ApiError> {
        let mut row = self.row.clone();
        row.meta = serde_json::to_vec(&self.meta).map_err(internal)?;
        row.revision = self.row.revision + 1;
        Ok(row)
    }

    /// Whether DeleteSecret has scheduled this secret for purging.
    pub fn is_deleted(&self) -> bool {
        self.row.purge_at_ms.is_some()
    }

    /// The version carrying `stage`, if any.
    pub fn version_with_stage(&self, stage: &str) -> Option<&VersionMeta> {
        self.meta
            .versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == stage))
    }

    /// The version with id `id`, if any.
    pub fn version(&self, id: &str) -> Option<&VersionMeta> {
        self.meta.versions.iter().find(|v| v.id == id)
    }
}
