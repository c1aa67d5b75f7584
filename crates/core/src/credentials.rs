//! Access keys: who may sign requests, and the secret each signature is checked against.
//!
//! SigV4 needs the secret access key itself, so it is stored sealed under the root key
//! (AAD binds it to its access key id) and unsealed only into a zeroizing [`SecretBytes`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use cofre_crypto::{aad, open, random_alnum, seal, RootKey, SecretBytes};
use cofre_store::{Store, StoreError};
use serde::{Deserialize, Serialize};

const NS_ACCESS_KEYS: &str = "access-keys";
const NS_ACCOUNT_ROOT: &str = "account-root-key";

/// The identity behind an access key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// 12-digit account id.
    pub account_id: String,
    /// ARN of the principal, e.g. `arn:aws:iam::000000000000:root`.
    pub arn: String,
}

/// An access key with its unsealed secret.
#[derive(Debug)]
pub struct AccessKey {
    /// The access key id (`AKIA...`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret: SecretBytes,
    /// Whose key it is.
    pub principal: Principal,
}

#[derive(Serialize, Deserialize)]
struct StoredAccessKey {
    format: u32,
    account_id: String,
    principal_arn: String,
    status: String,
    created_ms: i64,
    /// base64 of `seal(root, secret, aad("access-key", access_key_id))`.
    sealed_secret: String,
}

/// Errors from the credential registry.
#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A stored record could not be read back.
    #[error("corrupt access key record: {0}")]
    Corrupt(String),
}

/// Looks up access keys, caching unsealed ones.
#[derive(Debug)]
pub struct Credentials {
    store: Arc<dyn Store>,
    cache: Mutex<HashMap<String, Arc<AccessKey>>>,
}

/// A freshly minted key pair, shown to the operator once.
#[derive(Debug)]
pub struct NewAccessKey {
    /// The access key id.
    pub access_key_id: String,
    /// The secret access key.
    pub secret: SecretBytes,
}

impl Credentials {
    /// A registry over `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Finds an active access key and unseals its secret.
    pub async fn lookup(
        &self,
        root: &RootKey,
        access_key_id: &str,
    ) -> Result<Option<Arc<AccessKey>>, CredentialError> {
        if let Ok(cache) = self.cache.lock() {
            if let Some(k) = cache.get(access_key_id) {
                return Ok(Some(k.clone()));
            }
        }
        let Some(bytes) = self.store.kv_get(NS_ACCESS_KEYS, access_key_id).await? else {
            return Ok(None);
        };
        let rec: StoredAccessKey =
            serde_json::from_slice(&bytes).map_err(|e| CredentialError::Corrupt(e.to_string()))?;
        if rec.status != "Active" {
            return Ok(None);
        }
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(rec.sealed_secret.as_bytes())
            .map_err(|e| CredentialError::Corrupt(e.to_string()))?;
        let secret = open(root.key(), &sealed, &aad(&["access-key", access_key_id]))
            .map_err(|_| CredentialError::Corrupt("root key does not unseal it".into()))?;
        let key = Arc::new(AccessKey {
            access_key_id: access_key_id.to_owned(),
            secret,
            principal: Principal {
                account_id: rec.account_id,
                arn: rec.principal_arn,
            },
        });
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(access_key_id.to_owned(), key.clone());
        }
        Ok(Some(key))
    }

    /// Ensures `account` has a root access key. Returns `Some` with the key when this call
    /// created it (from `provided`, or generated when `provided` is `None`), `None` when the
    /// account already had one.
    pub async fn ensure_account_root_key(
        &self,
        root: &RootKey,
        account: &str,
        provided: Option<(String, SecretBytes)>,
        now_ms: i64,
    ) -> Result<Option<NewAccessKey>, CredentialError> {
        if self.store.kv_get(NS_ACCOUNT_ROOT, account).await?.is_some() {
            return Ok(None);
        }
        let (access_key_id, secret) = match provided {
            Some((id, secret)) => (id, secret),
            None => (
                format!("AKIA{}", random_alnum(16).to_ascii_uppercase()),
                SecretBytes::from(random_alnum(40)),
            ),
        };
        let sealed = seal(
            root.key(),
            secret.expose(),
            &aad(&["access-key", &access_key_id]),
        );
        let rec = StoredAccessKey {
            format: 1,
            account_id: account.to_owned(),
            principal_arn: format!("arn:aws:iam::{account}:root"),
            status: "Active".into(),
            created_ms: now_ms,
            sealed_secret: base64::engine::general_purpose::STANDARD.encode(sealed),
        };
        let bytes =
            serde_json::to_vec(&rec).map_err(|e| CredentialError::Corrupt(e.to_string()))?;
        self.store
            .kv_put(NS_ACCESS_KEYS, &access_key_id, bytes)
            .await?;
        let winner = self
            .store
            .kv_put_if_absent(NS_ACCOUNT_ROOT, account, access_key_id.clone().into_bytes())
            .await?;
        if winner != access_key_id.as_bytes() {
            // Another process bootstrapped the account first; keep its key.
            return Ok(None);
        }
        Ok(Some(NewAccessKey {
            access_key_id,
            secret,
        }))
    }
}
