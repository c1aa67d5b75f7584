//! The AWS managed `aws/secretsmanager` key of each account and region.
//!
//! Secrets Manager creates it the first time a secret value is encrypted without a `KmsKeyId`
//! (and AWS KMS creates it when the alias is first referenced); it is enabled, rotates
//! yearly, and carries the key policy AWS documents for it (`auto-secretsmanager-2`): the
//! account's principals may use it only through Secrets Manager. Its key policy, state and
//! aliases cannot be changed by customers.
//!
//! An account that used Cofre before KMS keys existed has a default key in the
//! `kms-default-keys` namespace; that key becomes the managed key (same key id, ARN and
//! material), so every value sealed under it stays readable.

use super::error::KmsError;
use super::model::{
    alias_arn, key_arn, secretsmanager_key_policy, AliasRecord, KeyManager, KeyMetadata, KeyRecord,
    KeyState, MaterialRecord,
};
use super::{decode_key, encode_key, Kms, DAY_MS, NS_ALIASES, NS_KEYS, RECORD_FORMAT};
use crate::keys::{LegacyDefaultKey, LEGACY_DEFAULT_KEYS_NS};
use cofre_crypto::RootKey;

/// The alias of Secrets Manager's AWS managed key.
pub const SECRETSMANAGER_ALIAS: &str = "alias/aws/secretsmanager";
/// The description AWS gives the `aws/secretsmanager` key.
const DESCRIPTION: &str =
    "Default key that protects my Secrets Manager data when no other key is defined";
/// AWS managed keys rotate every year.
const MANAGED_ROTATION_DAYS: i64 = 365;

impl Kms {
    /// The AWS managed key behind `service_alias` (only `alias/aws/secretsmanager` exists) in
    /// (`account`, `region`), created on first use with material.
    pub async fn aws_managed_key(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        service_alias: &str,
    ) -> Result<KeyMetadata, KmsError> {
        if service_alias != SECRETSMANAGER_ALIAS {
            return Err(KmsError::alias_not_found(&alias_arn(
                region,
                account,
                service_alias,
            )));
        }
        let record = self.ensure_managed(account, region).await?;
        let record = self.ensure_material(root, record).await?;
        Ok(record.metadata())
    }

    /// The ARN of the `aws/secretsmanager` key of (`account`, `region`) if it exists yet (or
    /// the pre-KMS default key that will become it); never creates it.
    pub async fn aws_managed_key_arn(
        &self,
        account: &str,
        region: &str,
    ) -> Result<Option<String>, KmsError> {
        let arn = alias_arn(region, account, SECRETSMANAGER_ALIAS);
        if let Some((a, _)) = self.load_alias(&arn).await? {
            return Ok(Some(key_arn(region, account, &a.target_key_id)));
        }
        let legacy = self
            .store
            .kv_get(LEGACY_DEFAULT_KEYS_NS, &format!("{account}/{region}"))
            .await
            .map_err(KmsError::internal)?;
        match legacy {
            Some(bytes) => {
                let old: LegacyDefaultKey =
                    serde_json::from_slice(&bytes).map_err(KmsError::internal)?;
                Ok(Some(old.arn))
            }
            None => Ok(None),
        }
    }

    /// The `aws/secretsmanager` key record, created (without material: no root key here) or
    /// adopted from the pre-KMS default key if it does not exist yet.
    pub(super) async fn ensure_managed(
        &self,
        account: &str,
        region: &str,
    ) -> Result<KeyRecord, KmsError> {
        let alias = alias_arn(region, account, SECRETSMANAGER_ALIAS);
        if let Some((a, _)) = self.load_alias(&alias).await? {
            let arn = key_arn(region, account, &a.target_key_id);
            return Ok(self
                .load(&arn)
                .await?
                .ok_or_else(|| KmsError::key_not_found(&arn))?
                .record);
        }
        let now = self.now_ms();
        let legacy = self
            .store
            .kv_get(LEGACY_DEFAULT_KEYS_NS, &format!("{account}/{region}"))
            .await
            .map_err(KmsError::internal)?;
        let (key_id, creation_ms, materials) = match legacy {
            Some(bytes) => {
                let old: LegacyDefaultKey =
                    serde_json::from_slice(&bytes).map_err(KmsError::internal)?;
                if old.format != 1 || old.arn != key_arn(region, account, &old.key_id) {
                    return Err(KmsError::internal(
                        "legacy default key of an unknown format or with a foreign ARN",
                    ));
                }
                let material = MaterialRecord {
                    version: 1,
                    created_ms: old.created_ms,
                    wrapped: old.wrapped,
                    legacy: true,
                };
                (old.key_id, old.created_ms, vec![material])
            }
            None => (uuid::Uuid::new_v4().to_string(), now, vec![]),
        };
        let arn = key_arn(region, account, &key_id);
        let record = KeyRecord {
            format: RECORD_FORMAT,
            key_id: key_id.clone(),
            arn: arn.clone(),
            account_id: account.to_owned(),
            region: region.to_owned(),
            creation_ms,
            description: DESCRIPTION.to_owned(),
            state: KeyState::Enabled,
            deletion_ms: None,
            pending_window_days: None,
            key_manager: KeyManager::Aws,
            rotation_enabled: true,
            rotation_period_days: Some(MANAGED_ROTATION_DAYS),
            next_rotation_ms: Some(now.saturating_add(MANAGED_ROTATION_DAYS * DAY_MS)),
            policy: secretsmanager_key_policy(account, region),
            tags: vec![],
            materials,
        };
        // The key first, then the alias that makes it the managed key. Racing creators agree
        // on whichever alias lands first; a loser removes the key it made for nothing.
        let mine = encode_key(&record)?;
        let stored_key = self
            .store
            .kv_put_if_absent(NS_KEYS, &arn, mine.clone())
            .await
            .map_err(KmsError::internal)?;
        let alias_record = AliasRecord {
            format: RECORD_FORMAT,
            alias_name: SECRETSMANAGER_ALIAS.to_owned(),
            target_key_id: key_id.clone(),
            creation_ms: now,
            last_updated_ms: now,
        };
        let alias_bytes = serde_json::to_vec(&alias_record).map_err(KmsError::internal)?;
        let stored_alias = self
            .store
            .kv_put_if_absent(NS_ALIASES, &alias, alias_bytes)
            .await
            .map_err(KmsError::internal)?;
        let winner: AliasRecord =
            serde_json::from_slice(&stored_alias).map_err(KmsError::internal)?;
        if winner.target_key_id == key_id {
            tracing::info!(%arn, "created the aws/secretsmanager key");
            return decode_key(&stored_key);
        }
        if stored_key == mine {
            let _ = self.store.kv_cas(NS_KEYS, &arn, Some(mine), None).await;
        }
        let arn = key_arn(region, account, &winner.target_key_id);
        Ok(self
            .load(&arn)
            .await?
            .ok_or_else(|| KmsError::key_not_found(&arn))?
            .record)
    }
}
