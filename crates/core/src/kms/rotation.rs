//! Key rotation: EnableKeyRotation, DisableKeyRotation, RotateKeyOnDemand, and the scheduled
//! rotation the sweeper (or the next use of the key) performs.
//!
//! Rotating adds a material version; older versions stay for decrypting what they encrypted
//! (every CiphertextBlob names its version), and new encryptions use the newest. Nothing is
//! re-encrypted, as on AWS.

use cofre_crypto::{Key256, RootKey};

use super::crypto::{check_enabled, new_material};
use super::error::KmsError;
use super::keys::customer_only;
use super::model::{KeyMetadata, KeyRecord, KeyState};
use super::{Kms, DAY_MS};

/// The rotation period EnableKeyRotation uses when none is given, in days.
pub const DEFAULT_ROTATION_PERIOD_DAYS: i64 = 365;

/// Adds the next material version to `r`.
fn add_material(r: &mut KeyRecord, root: &RootKey, now_ms: i64) {
    let next = r
        .newest_material()
        .map_or(1, |m| m.version.saturating_add(1));
    r.materials.push(new_material(
        root,
        &r.arn,
        next,
        &Key256::generate(),
        now_ms,
    ));
}

/// Whether automatic rotation of `r` is due at `now_ms`.
fn rotation_due(r: &KeyRecord, now_ms: i64) -> bool {
    r.rotation_enabled
        && r.state == KeyState::Enabled
        && !r.materials.is_empty()
        && r.next_rotation_ms.is_some_and(|t| t <= now_ms)
}

/// Adds a material version if `r`'s rotation is due, and schedules the next one.
fn rotate_due(r: &mut KeyRecord, root: &RootKey, now_ms: i64) {
    if rotation_due(r, now_ms) {
        add_material(r, root, now_ms);
        let period = r
            .rotation_period_days
            .unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
        r.next_rotation_ms = Some(now_ms.saturating_add(period.saturating_mul(DAY_MS)));
    }
}

/// Refuses a key that is not enabled, the way the rotation operations do on AWS.
fn enabled_only(r: &KeyRecord) -> Result<(), KmsError> {
    check_enabled(r)
}

impl Kms {
    /// EnableKeyRotation: a new material version every `period_days` (90–2560, default 365),
    /// the first one `period_days` from now. The key must be enabled.
    pub async fn enable_key_rotation(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        period_days: Option<i64>,
    ) -> Result<(), KmsError> {
        let days = period_days.unwrap_or(DEFAULT_ROTATION_PERIOD_DAYS);
        if days < 90 {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90"
            )));
        }
        if days > 2560 {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value '{days}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560"
            )));
        }
        let now = self.now_ms();
        self.update(account, region, key_ref, |r| {
            customer_only(r)?;
            enabled_only(r)?;
            if r.rotation_enabled && r.rotation_period_days == Some(days) {
                return Ok(());
            }
            r.rotation_enabled = true;
            r.rotation_period_days = Some(days);
            r.next_rotation_ms = Some(now.saturating_add(days.saturating_mul(DAY_MS)));
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// DisableKeyRotation. The key must be enabled.
    pub async fn disable_key_rotation(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<(), KmsError> {
        self.update(account, region, key_ref, |r| {
            customer_only(r)?;
            enabled_only(r)?;
            r.rotation_enabled = false;
            r.rotation_period_days = None;
            r.next_rotation_ms = None;
            Ok(())
        })
        .await?;
        Ok(())
    }

    /// RotateKeyOnDemand: a new material version now, whatever the schedule; older versions
    /// keep decrypting what they encrypted. The key must be enabled.
    pub async fn rotate_key_on_demand(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyMetadata, KmsError> {
        let now = self.now_ms();
        let record = self
            .update(account, region, key_ref, |r| {
                customer_only(r)?;
                enabled_only(r)?;
                add_material(r, root, now);
                Ok(())
            })
            .await?;
        tracing::info!(arn = %record.arn, "rotated KMS key on demand");
        Ok(record.metadata())
    }

    /// `record` after its scheduled rotation, if one is due (done lazily on use, so a key
    /// never encrypts under overdue material even between sweeps).
    pub(super) async fn rotate_if_due(
        &self,
        root: &RootKey,
        record: KeyRecord,
    ) -> Result<KeyRecord, KmsError> {
        let now = self.now_ms();
        if !rotation_due(&record, now) {
            return Ok(record);
        }
        let arn = record.arn.clone();
        let rotated = self
            .update_arn(&arn, &mut |r: &mut KeyRecord| {
                rotate_due(r, root, now);
                Ok(())
            })
            .await?;
        tracing::info!(%arn, "rotated KMS key on schedule");
        Ok(rotated)
    }

    /// Adds version 1 to a key created without material (an AWS managed key first referenced
    /// where no root key was at hand).
    pub(super) async fn ensure_material(
        &self,
        root: &RootKey,
        record: KeyRecord,
    ) -> Result<KeyRecord, KmsError> {
        if !record.materials.is_empty() {
            return Ok(record);
        }
        let now = self.now_ms();
        let arn = record.arn.clone();
        self.update_arn(&arn, &mut |r: &mut KeyRecord| {
            if r.materials.is_empty() {
                add_material(r, root, now);
            }
            Ok(())
        })
        .await
    }

    /// Performs every scheduled rotation that is due; returns how many keys rotated.
    pub async fn rotate_due_keys(&self, root: &RootKey) -> Result<usize, KmsError> {
        Ok(self.rotate_due_key_arns(root).await?.len())
    }

    /// [`Kms::rotate_due_keys`], returning the ARNs of the keys rotated (for the audit
    /// trail's `RotateKey` service events).
    pub async fn rotate_due_key_arns(&self, root: &RootKey) -> Result<Vec<String>, KmsError> {
        let now = self.now_ms();
        let mut rotated = Vec::new();
        for (record, _) in self.all_keys().await? {
            if rotation_due(&record, now) {
                let arn = record.arn.clone();
                self.rotate_if_due(root, record).await?;
                rotated.push(arn);
            }
        }
        Ok(rotated)
    }
}
