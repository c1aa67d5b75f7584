//! The key hierarchy above secret values.
//!
//! ```text
//! root key (32 bytes, outside the store: --root-key-file, COFRE_ROOT_KEY or DIR/root-key)
//!   └─ wraps KMS key material (one AWS-managed `aws/secretsmanager` key per account and region)
//!        └─ wraps a fresh data key per secret version (see cofre_crypto::envelope_seal)
//!             └─ encrypts the secret value, AAD = (account, region, secret ARN, version id)
//! ```
//!
//! Key material is stored only wrapped. Unwrapped keys are cached in memory in zeroizing
//! [`Key256`]s so the hot path does not unwrap on every read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cofre_crypto::{aad, open, seal, Key256, RootKey};
use cofre_store::Store;
use serde::{Deserialize, Serialize};

use crate::error::internal;
use cofre_api::ApiError;

/// Alias of the AWS-managed key Secrets Manager uses when no `KmsKeyId` is given.
pub const DEFAULT_ALIAS: &str = "alias/aws/secretsmanager";
const NS_DEFAULT_KEYS: &str = "kms-default-keys";

/// An unwrapped KMS key, held in memory only.
#[derive(Debug)]
pub struct KmsKey {
    /// The key id (a UUID).
    pub key_id: String,
    /// `arn:aws:kms:<region>:<account>:key/<key id>`.
    pub arn: String,
    material: Key256,
}

impl KmsKey {
    /// The key-encryption key that wraps data keys.
    pub fn material(&self) -> &Key256 {
        &self.material
    }
}

/// What the store keeps for a KMS key: identifiers and the material sealed under the root key.
#[derive(Serialize, Deserialize)]
struct StoredKey {
    format: u32,
    key_id: String,
    arn: String,
    created_ms: i64,
    /// base64 of `seal(root, material, aad("kms-key", arn))`.
    wrapped: String,
}

/// Resolves and caches KMS keys.
#[derive(Debug)]
pub struct Keyring {
    root: RootKey,
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<(String, String), Arc<KmsKey>>>,
}

impl Keyring {
    /// A keyring over `store`, with key material wrapped by `root`.
    pub fn new(root: RootKey, store: Arc<dyn Store>) -> Self {
        Self {
            root,
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The root key, for sealing other small records (access keys).
    pub fn root(&self) -> &RootKey {
        &self.root
    }

    /// The account's default `aws/secretsmanager` key in `region`, created on first use.
    pub async fn default_key(
        &self,
        account: &str,
        region: &str,
        now_ms: i64,
    ) -> Result<Arc<KmsKey>, ApiError> {
        let cache_key = (account.to_owned(), region.to_owned());
        if let Some(k) = self
            .cache
            .lock()
            .map_err(|_| internal("keyring lock"))?
            .get(&cache_key)
        {
            return Ok(k.clone());
        }
        let store_key = format!("{account}/{region}");
        let stored = match self
            .store
            .kv_get(NS_DEFAULT_KEYS, &store_key)
            .await
            .map_err(internal)?
        {
            Some(bytes) => bytes,
            None => {
                // Two requests may race to create the key; put_if_absent returns the winner.
                let key_id = uuid::Uuid::new_v4().to_string();
                let arn = format!("arn:aws:kms:{region}:{account}:key/{key_id}");
                let material = Key256::generate();
                let wrapped = seal(self.root.key(), material.expose(), &aad(&["kms-key", &arn]));
                let record = StoredKey {
                    format: 1,
                    key_id,
                    arn,
                    created_ms: now_ms,
                    wrapped: base64::engine::general_purpose::STANDARD.encode(wrapped),
                };
                let bytes = serde_json::to_vec(&record).map_err(internal)?;
                self.store
                    .kv_put_if_absent(NS_DEFAULT_KEYS, &store_key, bytes)
                    .await
                    .map_err(internal)?
            }
        };
        let record: StoredKey = serde_json::from_slice(&stored).map_err(internal)?;
        let wrapped = base64::engine::general_purpose::STANDARD
            .decode(record.wrapped.as_bytes())
            .map_err(internal)?;
        let material = open(self.root.key(), &wrapped, &aad(&["kms-key", &record.arn]))
            .map_err(|_| internal("the root key does not unwrap the stored KMS key"))?;
        let key = Arc::new(KmsKey {
            key_id: record.key_id,
            arn: record.arn,
            material: Key256::from_bytes(material.expose()).map_err(internal)?,
        });
        self.cache
            .lock()
            .map_err(|_| internal("keyring lock"))?
            .insert(cache_key, key.clone());
        Ok(key)
    }

    /// Whether `kms_key_id` (key id, key ARN, alias name or alias ARN) names the default key.
    pub fn is_default_key_ref(key: &KmsKey, account: &str, region: &str, kms_key_id: &str) -> bool {
        kms_key_id == DEFAULT_ALIAS
            || kms_key_id == format!("arn:aws:kms:{region}:{account}:{DEFAULT_ALIAS}")
            || kms_key_id == key.key_id
            || kms_key_id == key.arn
    }
}
