//! The KMS domain: symmetric keys with AWS KMS's lifecycle (enabled, disabled, pending
//! deletion, purged), aliases, key policies, tags, rotation, and the cryptographic operations
//! (Encrypt, Decrypt, GenerateDataKey) over them. Secrets Manager wraps each secret version's
//! data key with one of these keys (`crate::secrets::encryption`).
//!
//! There is no wire protocol here: the KMS API layer (`crate::kms_api`) decodes a request,
//! authorizes it with [`crate::Service::authorize_kms`] (`authz.rs`), calls one method of
//! [`Kms`], and encodes its result or its [`KmsError`].
//!
//! # Layout
//!
//! | file | what |
//! |---|---|
//! | `model.rs` | [`KeyMetadata`], [`AliasEntry`], pages; the stored key and alias records |
//! | `error.rs` | [`KmsError`] and where AWS's texts come from |
//! | `keys.rs` | CreateKey, DescribeKey, ListKeys, Enable/DisableKey, Schedule/CancelKeyDeletion, key policies, tags |
//! | `rotation.rs` | automatic and on-demand rotation: new material versions |
//! | `aliases.rs` | Create/Update/Delete/ListAliases |
//! | `managed.rs` | the AWS managed `aws/secretsmanager` key, created on first use |
//! | `crypto.rs` | material (un)sealing and its cache; the CiphertextBlob format; Encrypt, Decrypt, GenerateDataKey |
//! | `sweep.rs` | purging keys whose deletion date passed; scheduled rotation |
//! | `authz.rs` | [`crate::Service::authorize_kms`]: key policies as KMS evaluates them |
//!
//! # Storage
//!
//! A key is one JSON record in the `kms-keys` key/value namespace, keyed by its ARN; an alias
//! one record in `kms-aliases`, keyed by its alias ARN. Every change is a read–modify–
//! compare-and-swap on the record, retried on conflict, so concurrent writers (in this process
//! or another one on the same database) never lose an update.
//!
//! # Security notes
//!
//! - Key material exists in clear only in [`cofre_crypto::Key256`] (zeroed on drop, redacted
//!   `Debug`). The store holds it sealed under the root key with associated data binding it to
//!   (key ARN, material version), so a sealed blob moved to another key or version fails to
//!   open.
//! - Unsealed material is cached in a bounded map of `Arc<Key256>`; an evicted or purged entry
//!   is zeroed when its last user drops it. Key *state* is never cached: every use re-reads the
//!   record, so DisableKey and ScheduleKeyDeletion take effect on the next request everywhere.
//! - Material is destroyed only when the sweeper purges a key after its deletion date;
//!   disabling or scheduling deletion never touches it, so both are fully reversible.
//! - Errors never carry material, plaintext or ciphertext; internal failures are logged and
//!   answered with an opaque `KMSInternalException`.

mod aliases;
pub(crate) mod authz;
mod crypto;
pub mod error;
mod keys;
mod managed;
pub mod model;
mod rotation;
mod sweep;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use cofre_store::Store;

use crate::clock::Clock;
pub use crypto::CIPHERTEXT_VERSION;
pub use error::KmsError;
pub use managed::SECRETSMANAGER_ALIAS;
use model::{alias_arn, key_arn, AliasRecord, KeyRecord, NS_ALIASES, NS_KEYS, RECORD_FORMAT};
pub use model::{
    default_key_policy, secretsmanager_key_policy, AliasEntry, KeyManager, KeyMetadata, KeyState,
    Page, Paged,
};

/// How many times a read–modify–write is retried after losing a compare-and-swap race.
const MAX_WRITE_ATTEMPTS: usize = 16;
/// One day in milliseconds.
const DAY_MS: i64 = crate::clock::DAY_MS;

/// The KMS service: keys, aliases and cryptography over a [`Store`], on a [`Clock`].
pub struct Kms {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    cache: crypto::MaterialCache,
}

impl std::fmt::Debug for Kms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kms")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .field("cache", &self.cache)
            .finish()
    }
}

/// A key record as read, with the exact bytes it was read from (the compare-and-swap token).
struct Loaded {
    record: KeyRecord,
    bytes: Vec<u8>,
}

impl Kms {
    /// A KMS over `store`, timed by `clock`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self {
            store,
            clock,
            cache: crypto::MaterialCache::default(),
        }
    }

    fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Reads the key record stored under `arn`.
    async fn load(&self, arn: &str) -> Result<Option<Loaded>, KmsError> {
        let Some(bytes) = self
            .store
            .kv_get(NS_KEYS, arn)
            .await
            .map_err(KmsError::internal)?
        else {
            return Ok(None);
        };
        let record = decode_key(&bytes)?;
        Ok(Some(Loaded { record, bytes }))
    }

    /// The key `key_ref` names in (`account`, `region`): a key id, a key ARN, an alias name
    /// (`alias/x`) or an alias ARN. ARNs may name another account's key in the same region.
    /// `alias/aws/secretsmanager` is created on first reference, as AWS does.
    async fn resolve(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<Loaded, KmsError> {
        let arn = self.resolve_arn(account, region, key_ref).await?;
        self.load(&arn)
            .await?
            .ok_or_else(|| KmsError::key_not_found(&arn))
    }

    /// The key ARN `key_ref` names (see [`Kms::resolve`]), without reading the key.
    async fn resolve_arn(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<String, KmsError> {
        if let Some(rest) = key_ref.strip_prefix("arn:") {
            // arn:<partition>:kms:<region>:<account>:key/<id> | alias/<name>
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            let [_partition, service, arn_region, arn_account, resource] = parts[..] else {
                return Err(KmsError::invalid_key_id(key_ref));
            };
            if service != "kms" {
                return Err(KmsError::invalid_key_id(key_ref));
            }
            if arn_region != region {
                return Err(KmsError::new(
                    error::NOT_FOUND,
                    format!("Invalid arn {arn_region}"),
                ));
            }
            if let Some(key_id) = resource.strip_prefix("key/") {
                if !is_key_id(key_id) {
                    return Err(KmsError::invalid_key_id(key_id));
                }
                return Ok(key_arn(region, arn_account, key_id));
            }
            if resource.starts_with("alias/") {
                return self.alias_target(arn_account, region, resource).await;
            }
            return Err(KmsError::invalid_key_id(key_ref));
        }
        if key_ref.starts_with("alias/") {
            return self.alias_target(account, region, key_ref).await;
        }
        if !is_key_id(key_ref) {
            return Err(KmsError::invalid_key_id(key_ref));
        }
        Ok(key_arn(region, account, key_ref))
    }

    /// The key ARN alias `alias_name` points at.
    async fn alias_target(
        &self,
        account: &str,
        region: &str,
        alias_name: &str,
    ) -> Result<String, KmsError> {
        let arn = alias_arn(region, account, alias_name);
        let record = match self.load_alias(&arn).await? {
            Some((r, _)) => r,
            None if alias_name == SECRETSMANAGER_ALIAS => {
                return Ok(self.ensure_managed(account, region).await?.arn);
            }
            None => return Err(KmsError::alias_not_found(&arn)),
        };
        Ok(key_arn(region, account, &record.target_key_id))
    }

    /// Reads the alias record stored under `alias_arn`, with its bytes.
    async fn load_alias(
        &self,
        alias_arn: &str,
    ) -> Result<Option<(AliasRecord, Vec<u8>)>, KmsError> {
        let Some(bytes) = self
            .store
            .kv_get(NS_ALIASES, alias_arn)
            .await
            .map_err(KmsError::internal)?
        else {
            return Ok(None);
        };
        let record: AliasRecord = serde_json::from_slice(&bytes).map_err(KmsError::internal)?;
        if record.format != RECORD_FORMAT {
            return Err(KmsError::internal(format!(
                "unknown KMS alias record format {}",
                record.format
            )));
        }
        Ok(Some((record, bytes)))
    }

    /// Read–modify–compare-and-swap on the key `key_ref` names; `change` may refuse (its error
    /// is returned) and is re-run on a fresh read after a lost race.
    async fn update(
        &self,
        account: &str,
        region: &str,
        key_ref: &str,
        mut change: impl FnMut(&mut KeyRecord) -> Result<(), KmsError>,
    ) -> Result<KeyRecord, KmsError> {
        let arn = self.resolve_arn(account, region, key_ref).await?;
        // Management operations are not cross-account on AWS: another account's key is as
        // good as absent.
        if arn.split(':').nth(4) != Some(account) {
            return Err(KmsError::key_not_found(&arn));
        }
        self.update_arn(&arn, &mut change).await
    }

    /// [`Kms::update`] on a key ARN.
    async fn update_arn(
        &self,
        arn: &str,
        change: &mut impl FnMut(&mut KeyRecord) -> Result<(), KmsError>,
    ) -> Result<KeyRecord, KmsError> {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            let Loaded { mut record, bytes } = self
                .load(arn)
                .await?
                .ok_or_else(|| KmsError::key_not_found(arn))?;
            let before = record.clone();
            change(&mut record)?;
            if record == before {
                return Ok(record);
            }
            let new = encode_key(&record)?;
            if self
                .store
                .kv_cas(NS_KEYS, arn, Some(bytes), Some(new))
                .await
                .map_err(KmsError::internal)?
            {
                return Ok(record);
            }
        }
        Err(KmsError::internal("KMS key update lost too many races"))
    }

    /// All key records whose ARN starts with `prefix`, ordered by ARN.
    async fn scan_keys(&self, prefix: &str) -> Result<Vec<KeyRecord>, KmsError> {
        let rows = self
            .store
            .kv_list(NS_KEYS)
            .await
            .map_err(KmsError::internal)?;
        rows.iter()
            .filter(|(k, _)| k.starts_with(prefix))
            .map(|(_, v)| decode_key(v))
            .collect()
    }
}

/// The key ARN a CiphertextBlob names, if it is one of Cofre's blobs.
pub(crate) fn ciphertext_key_arn(blob: &[u8]) -> Option<&str> {
    crypto::parse_blob(blob).ok().map(|b| b.key_arn)
}

/// Decodes a stored key record.
fn decode_key(bytes: &[u8]) -> Result<KeyRecord, KmsError> {
    let record: KeyRecord = serde_json::from_slice(bytes).map_err(KmsError::internal)?;
    if record.format != RECORD_FORMAT {
        return Err(KmsError::internal(format!(
            "unknown KMS key record format {}",
            record.format
        )));
    }
    Ok(record)
}

/// Encodes a key record for the store.
fn encode_key(record: &KeyRecord) -> Result<Vec<u8>, KmsError> {
    serde_json::to_vec(record).map_err(KmsError::internal)
}

/// Whether `s` is a key id: a UUID (8-4-4-4-12 hex digits).
fn is_key_id(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Pages `items` (already ordered by `sort_key`): the items after `page.marker`, at most
/// `page.limit` (clamped to 1–1000, `default_limit` when absent). The marker is the sort key
/// of the last item returned.
fn paginate<T>(
    items: Vec<T>,
    sort_key: impl Fn(&T) -> &str,
    page: &Page,
    default_limit: i64,
) -> Paged<T> {
    let limit = page.limit.unwrap_or(default_limit).clamp(1, 1000) as usize;
    let mut rest: Vec<T> = match &page.marker {
        Some(m) => items
            .into_iter()
            .filter(|i| sort_key(i) > m.as_str())
            .collect(),
        None => items,
    };
    let truncated = rest.len() > limit;
    rest.truncate(limit);
    let next_marker = if truncated {
        rest.last().map(|i| sort_key(i).to_owned())
    } else {
        None
    };
    Paged {
        items: rest,
        truncated,
        next_marker,
    }
}
