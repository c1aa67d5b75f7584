//! Key lifecycle and attributes: CreateKey, DescribeKey, ListKeys, EnableKey, DisableKey,
//! ScheduleKeyDeletion, CancelKeyDeletion, Get/PutKeyPolicy, Tag/Untag/ListResourceTags.
//!
//! State rules follow AWS's "Key states of KMS keys" table: a key pending deletion refuses
//! everything but DescribeKey, CancelKeyDeletion, the policy and tag listings; CancelKeyDeletion
//! leaves the key `Disabled`, as AWS does. AWS managed keys are changed only by AWS: their key
//! policy refuses the management actions to everyone, and the domain refuses them as well.

use cofre_crypto::{Key256, RootKey};
use cofre_policy::{Policy, PolicyKind};

use super::error::{self, KmsError};
use super::model::{key_arn, KeyManager, KeyMetadata, KeyRecord, KeyState, Page, Paged};
use super::{crypto, decode_key, default_key_policy, encode_key, paginate, Kms, DAY_MS};
use super::{NS_KEYS, RECORD_FORMAT};

/// At most this many tags on a key.
pub const MAX_TAGS: usize = 50;
/// The waiting period ScheduleKeyDeletion uses when none is given, in days.
pub const DEFAULT_PENDING_WINDOW_DAYS: i64 = 30;

impl Kms {
    /// CreateKey: a symmetric encryption key (`SYMMETRIC_DEFAULT`, `ENCRYPT_DECRYPT`) with fresh
    /// material, enabled, rotation off. Without `policy`, AWS's default key policy (the
    /// account root may do anything, which lets IAM policies grant access).
    pub async fn create_key(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        description: Option<String>,
        policy: Option<String>,
        tags: Vec<(String, String)>,
    ) -> Result<KeyMetadata, KmsError> {
        let policy = match policy {
            Some(p) => {
                check_policy(&p)?;
                p
            }
            None => default_key_policy(account),
        };
        let mut merged = Vec::new();
        merge_tags(&mut merged, tags)?;
        let key_id = uuid::Uuid::new_v4().to_string();
        let arn = key_arn(region, account, &key_id);
        let now = self.now_ms();
        let record = KeyRecord {
            format: RECORD_FORMAT,
            key_id,
            arn: arn.clone(),
            account_id: account.to_owned(),
            region: region.to_owned(),
            creation_ms: now,
            description: description.unwrap_or_default(),
            state: KeyState::Enabled,
            deletion_ms: None,
            pending_window_days: None,
            key_manager: KeyManager::Customer,
            rotation_enabled: false,
            rotation_period_days: None,
            next_rotation_ms: None,
            policy,
            tags: merged,
            materials: vec![crypto::new_material(
                root,
                &arn,
                1,
                &Key256::generate(),
                now,
            )],
        };
        let created = self
            .store
            .kv_cas(NS_KEYS, &arn, None, Some(encode_key(&record)?))
            .await
            .map_err(KmsError::internal)?;
        if !created {
            return Err(KmsError::internal(
                "a fresh key id collided with a stored key",
            ));
        }
        tracing::info!(%arn, "created KMS key");
        Ok(record.metadata())
    }

    /// DescribeKey, in any state. Another account's key may be named by key or alias ARN.
    pub async fn describe_key(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        Ok(self
            .resolve(account, region, key_ref)
            .await?
            .record
            .metadata())
    }

    /// ListKeys: the keys of (`account`, `region`), AWS managed ones included, ordered by key
    /// id; 100 per page unless `page.limit` says otherwise.
    pub async fn list_keys(
        &self,
        account: &str,
        region: &str,
        page: &Page,
    ) -> Result<Paged<KeyMetadata>, KmsError> {
        let prefix = key_arn(region, account, "");
        let keys: Vec<KeyMetadata> = self
            .scan_keys(&prefix)
            .await?
            .iter()
            .map(KeyRecord::metadata)
            .collect();
        Ok(paginate(keys, |k| k.key_id.as_str(), page, 100))
    }

    /// EnableKey. A key pending deletion must first be cancelled (`KMSInvalidStateException`).
    pub async fn enable_key(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        self.set_enabled(account, region, key_ref, KeyState::Enabled)
            .await
    }

    /// DisableKey: the key refuses cryptographic operations until EnableKey; its material is
    /// untouched.
    pub async fn disable_key(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        self.set_enabled(account, region, key_ref, KeyState::Disabled)
            .await
    }

    async fn set_enabled(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        state: KeyState,
    ) -> Result<KeyMetadata, KmsError> {
        let record = self
            .update(account, region, key_ref, |r| {
                customer_only(r)?;
                if r.state == KeyState::PendingDeletion {
                    return Err(KmsError::pending_deletion(&r.arn));
                }
                r.state = state;
                Ok(())
            })
            .await?;
        Ok(record.metadata())
    }

    /// ScheduleKeyDeletion: `PendingDeletion` for `pending_window_days` (7–30, default 30),
    /// after which the sweeper purges the key, its aliases and its material.
    pub async fn schedule_key_deletion(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        pending_window_days: Option<i64>,
    ) -> Result<KeyMetadata, KmsError> {
        let days = pending_window_days.unwrap_or(DEFAULT_PENDING_WINDOW_DAYS);
        if !(7..=30).contains(&days) {
            return Err(KmsError::validation(format!(
                "PendingWindowInDays should be between 7 and 30, but it is {days}"
            )));
        }
        let now = self.now_ms();
        let record = self
            .update(account, region, key_ref, |r| {
                customer_only(r)?;
                if r.state == KeyState::PendingDeletion {
                    return Err(KmsError::pending_deletion(&r.arn));
                }
                r.state = KeyState::PendingDeletion;
                r.deletion_ms = Some(now.saturating_add(days.saturating_mul(DAY_MS)));
                r.pending_window_days = Some(days);
                Ok(())
            })
            .await?;
        tracing::info!(arn = %record.arn, days, "KMS key scheduled for deletion");
        Ok(record.metadata())
    }

    /// CancelKeyDeletion: back to `Disabled`, as AWS does; EnableKey makes it usable again.
    pub async fn cancel_key_deletion(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        let record = self
            .update(account, region, key_ref, |r| {
                if r.state != KeyState::PendingDeletion {
                    return Err(KmsError::new(
                        error::INVALID_STATE,
                        format!("{} is not pending deletion.", r.arn),
                    ));
                }
                r.state = KeyState::Disabled;
                r.deletion_ms = None;
                r.pending_window_days = None;
                Ok(())
            })
            .await?;
        Ok(record.metadata())
    }

    /// GetKeyPolicy (the `default` policy), in any state.
    pub async fn get_key_policy(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<String, KmsError> {
        Ok(self.resolve_own(account, region, key_ref).await?.policy)
    }

    /// PutKeyPolicy: the document must be a valid resource policy
    /// (`MalformedPolicyDocumentException` otherwise, with IAM's message).
    pub async fn put_key_policy(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        policy: &str,
    ) -> Result<(), KmsError> {
        check_policy(policy)?;
        self.update(account, region, key_ref, |r| {
            customer_only(r)?;
            r.policy = policy.to_owned();
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// TagResource: adds tags or replaces the values of existing keys. Tag keys are 1–128
    /// characters, values 0–256, at most 50 tags, and `aws:` is reserved (`TagException`).
    pub async fn tag_resource(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        tags: Vec<(String, String)>,
    ) -> Result<(), KmsError> {
        check_tags(&tags)?;
        self.update(account, region, key_ref, |r| {
            customer_only(r)?;
            not_pending(r)?;
            merge_tags(&mut r.tags, tags.clone())
        })
        .await?;
        Ok(())
    }

    /// UntagResource: removes the named tag keys; absent keys are ignored, as on AWS.
    pub async fn untag_resource(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        tag_keys: &[String],
    ) -> Result<(), KmsError> {
        self.update(account, region, key_ref, |r| {
            customer_only(r)?;
            not_pending(r)?;
            r.tags.retain(|(k, _)| !tag_keys.contains(k));
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// ListResourceTags, ordered by tag key; 50 per page unless `page.limit` says otherwise.
    pub async fn list_resource_tags(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        page: &Page,
    ) -> Result<Paged<(String, String)>, KmsError> {
        let mut tags = self.resolve_own(account, region, key_ref).await?.tags;
        tags.sort();
        Ok(paginate(tags, |(k, _)| k.as_str(), page, 50))
    }

    /// The key `key_ref` names, which must belong to `account` (management operations are not
    /// cross-account on AWS).
    pub(super) async fn resolve_own(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyRecord, KmsError> {
        let loaded = self.resolve(account, region, key_ref).await?;
        if loaded.record.account_id != account {
            return Err(KmsError::key_not_found(&loaded.record.arn));
        }
        Ok(loaded.record)
    }

    /// Decodes every stored key record with its bytes (for the sweeper's compare-and-swap).
    pub(super) async fn all_keys(&self) -> Result<Vec<(KeyRecord, Vec<u8>)>, KmsError> {
        let rows = self
            .store
            .kv_list(NS_KEYS)
            .await
            .map_err(KmsError::internal)?;
        rows.into_iter()
            .map(|(_, bytes)| decode_key(&bytes).map(|r| (r, bytes)))
            .collect()
    }
}

/// Refuses management operations on AWS managed keys.
pub(super) fn customer_only(r: &KeyRecord) -> Result<(), KmsError> {
    match r.key_manager {
        KeyManager::Customer => Ok(()),
        KeyManager::Aws => Err(KmsError::aws_managed(&r.arn)),
    }
}

/// Refuses operations a key pending deletion does not allow.
fn not_pending(r: &KeyRecord) -> Result<(), KmsError> {
    if r.state == KeyState::PendingDeletion {
        return Err(KmsError::pending_deletion(&r.arn));
    }
    Ok(())
}

/// A key policy must be a valid resource-based policy.
fn check_policy(policy: &str) -> Result<(), KmsError> {
    Policy::parse(policy, PolicyKind::Resource)
        .map(|_| ())
        .map_err(|e| KmsError::new(error::MALFORMED_POLICY, e.message))
}

/// Tag rules KMS enforces beyond the wire model's lengths.
fn check_tags(tags: &[(String, String)]) -> Result<(), KmsError> {
    for (k, v) in tags {
        let key_len = k.chars().count();
        if key_len == 0 || key_len > 128 || v.chars().count() > 256 {
            return Err(KmsError::new(
                error::TAG,
                "Tag keys must be 1 to 128 characters long and tag values 0 to 256 characters long.",
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(KmsError::new(
                error::TAG,
                format!("Tag key {k} uses the reserved prefix aws:."),
            ));
        }
    }
    Ok(())
}

/// Merges `new` into `existing` (same key: value replaced), enforcing [`MAX_TAGS`].
fn merge_tags(
    existing: &mut Vec<(String, String)>,
    new: Vec<(String, String)>,
) -> Result<(), KmsError> {
    check_tags(&new)?;
    for (k, v) in new {
        match existing.iter_mut().find(|(ek, _)| *ek == k) {
            Some(e) => e.1 = v,
            None => existing.push((k, v)),
        }
    }
    if existing.len() > MAX_TAGS {
        return Err(KmsError::new(
            error::TAG,
            format!("A KMS key can have at most {MAX_TAGS} tags."),
        ));
    }
    Ok(())
}
