//! Purging keys whose deletion date has passed: the record (and with it every material
//! version), the aliases pointing at it, and its cached material. Until then a key pending
//! deletion keeps everything, so CancelKeyDeletion restores it completely.
//!
//! [`crate::Service::sweep_once`] calls [`Kms::purge_due_keys`] and
//! [`Kms::rotate_due_keys`] on the service's clock.

use super::error::KmsError;
use super::model::{alias_arn, KeyState};
use super::{Kms, NS_ALIASES, NS_KEYS};

impl Kms {
    /// Purges every key pending deletion whose deletion date is now or past; returns their
    /// ARNs. A key cancelled or changed meanwhile is left for the next sweep to judge.
    pub async fn purge_due_keys(&self) -> Result<Vec<String>, KmsError> {
        let now = self.now_ms();
        let mut purged = Vec::new();
        for (record, bytes) in self.all_keys().await? {
            let due = record.state == KeyState::PendingDeletion
                && record.deletion_ms.is_some_and(|t| t <= now);
            if !due {
                continue;
            }
            let gone = self
                .store
                .kv_cas(NS_KEYS, &record.arn, Some(bytes), None)
                .await
                .map_err(KmsError::internal)?;
            if !gone {
                continue;
            }
            self.cache.evict_key(&record.arn);
            let prefix = alias_arn(&record.region, &record.account_id, "alias/");
            for alias in self.aliases_of(&record.account_id, &record.region).await? {
                if alias.target_key_id.as_deref() == Some(record.key_id.as_str())
                    && alias.alias_arn.starts_with(&prefix)
                {
                    // A concurrent UpdateAlias may have re-pointed it; only delete what we read.
                    if let Some((current, alias_bytes)) = self.load_alias(&alias.alias_arn).await? {
                        if current.target_key_id != record.key_id {
                            continue;
                        }
                        let _ = self
                            .store
                            .kv_cas(NS_ALIASES, &alias.alias_arn, Some(alias_bytes), None)
                            .await;
                    }
                }
            }
            tracing::info!(arn = %record.arn, "purged KMS key after its waiting period");
            purged.push(record.arn);
        }
        Ok(purged)
    }
}
