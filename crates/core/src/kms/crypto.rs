//! Key material and the cryptographic operations: Encrypt, Decrypt, GenerateDataKey.
//!
//! # Material
//!
//! Each material version is 32 random bytes, stored as
//! `seal(root key, material, aad("kms-material", key ARN, version))`; material imported from
//! the pre-KMS default-key record keeps that record's associated data
//! (`aad("kms-key", key ARN)`). Unsealed material is cached in a bounded map of
//! `Arc<Key256>`; an evicted entry is zeroed when its last user drops it.
//!
//! # CiphertextBlob
//!
//! ```text
//! 0x01 || u8 len(key ARN) || key ARN || u32-be material version || seal(material, plaintext, AAD)
//! seal(...) = 0x01 || nonce(12) || AES-256-GCM ciphertext || tag(16)     (cofre_crypto::seal)
//! AAD = aad("cofre.kms.ciphertext.v1", key ARN, version, k1, v1, k2, v2, ...)
//! ```
//!
//! The blob names its key and material version, so Decrypt needs no `KeyId` (as on AWS for
//! symmetric keys), and a key keeps decrypting what older material versions encrypted after
//! rotation. The encryption context enters the AAD in canonical order (sorted by key, each
//! part length-prefixed by [`cofre_crypto::aad`]), so Decrypt succeeds only with exactly the
//! context Encrypt was given (`InvalidCiphertextException` otherwise). The key ARN and version
//! are authenticated too: editing the header makes the blob fail to open.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use cofre_crypto::{aad, open, random_bytes, seal, Key256, RootKey, SecretBytes};

use super::error::{self, KmsError};
use super::model::{KeyMetadata, KeyRecord, KeyState, MaterialRecord};
use super::Kms;

/// The format byte that starts every CiphertextBlob Cofre produces.
pub const CIPHERTEXT_VERSION: u8 = 0x01;
/// Domain separation for the ciphertext AAD.
const CIPHERTEXT_LABEL: &str = "cofre.kms.ciphertext.v1";
/// Associated-data label of sealed material.
const MATERIAL_LABEL: &str = "kms-material";
/// Associated-data label of material imported from the pre-KMS default-key record.
const LEGACY_MATERIAL_LABEL: &str = "kms-key";
/// Encrypt takes at most this many plaintext bytes (AWS's limit for symmetric keys).
pub const MAX_PLAINTEXT: usize = 4096;
/// GenerateDataKey makes at most this many bytes.
pub const MAX_DATA_KEY: usize = 1024;
/// Unsealed material versions kept in memory.
const CACHE_CAPACITY: usize = 1024;

/// Seals `material` as version `version` of key `arn`.
pub(super) fn new_material(
    root: &RootKey,
    arn: &str,
    version: u32,
    material: &Key256,
    now_ms: i64,
) -> MaterialRecord {
    let sealed = seal(
        root.key(),
        material.expose(),
        &aad(&[MATERIAL_LABEL, arn, &version.to_string()]),
    );
    MaterialRecord {
        version,
        created_ms: now_ms,
        wrapped: BASE64.encode(sealed),
        legacy: false,
    }
}

/// A bounded cache of unsealed material, keyed by (key ARN, material version).
#[derive(Default)]
pub(crate) struct MaterialCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    /// Entry → (material, last use).
    map: HashMap<(String, u32), (Arc<Key256>, u64)>,
    tick: u64,
}

impl std::fmt::Debug for MaterialCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let len = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len();
        write!(f, "MaterialCache(<{len} entries, redacted>)")
    }
}

impl MaterialCache {
    fn get(&self, arn: &str, version: u32) -> Option<Arc<Key256>> {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.map.get_mut(&(arn.to_owned(), version))?;
        entry.1 = tick;
        Some(entry.0.clone())
    }

    fn put(&self, arn: &str, version: u32, material: Arc<Key256>) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.tick += 1;
        let tick = inner.tick;
        if inner.map.len() >= CACHE_CAPACITY {
            // Least recently used goes; its Key256 is zeroed when the last Arc drops.
            if let Some(oldest) = inner
                .map
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone())
            {
                inner.map.remove(&oldest);
            }
        }
        inner
            .map
            .insert((arn.to_owned(), version), (material, tick));
    }

    /// Forgets every version of key `arn` (a purged key).
    pub(super) fn evict_key(&self, arn: &str) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.map.retain(|(a, _), _| a != arn);
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .len()
    }
}

/// A parsed CiphertextBlob.
pub(crate) struct Blob<'a> {
    /// The ARN of the key that encrypted it.
    pub key_arn: &'a str,
    /// The material version.
    pub version: u32,
    sealed: &'a [u8],
}

/// Parses a CiphertextBlob; anything malformed is `InvalidCiphertextException`.
pub(crate) fn parse_blob(blob: &[u8]) -> Result<Blob<'_>, KmsError> {
    let bad = KmsError::invalid_ciphertext;
    let (&format, rest) = blob.split_first().ok_or_else(bad)?;
    if format != CIPHERTEXT_VERSION {
        return Err(bad());
    }
    let (&arn_len, rest) = rest.split_first().ok_or_else(bad)?;
    let arn_len = usize::from(arn_len);
    if rest.len() < arn_len + 4 {
        return Err(bad());
    }
    let (arn, rest) = rest.split_at(arn_len);
    let key_arn = std::str::from_utf8(arn).map_err(|_| bad())?;
    let (version, sealed) = rest.split_at(4);
    let version = u32::from_be_bytes([version[0], version[1], version[2], version[3]]);
    if sealed.is_empty() {
        return Err(bad());
    }
    Ok(Blob {
        key_arn,
        version,
        sealed,
    })
}

fn encode_blob(key_arn: &str, version: u32, sealed: &[u8]) -> Result<Vec<u8>, KmsError> {
    let arn_len = u8::try_from(key_arn.len())
        .map_err(|_| KmsError::internal("key ARN too long for a ciphertext header"))?;
    let mut out = Vec::with_capacity(6 + key_arn.len() + sealed.len());
    out.push(CIPHERTEXT_VERSION);
    out.push(arn_len);
    out.extend_from_slice(key_arn.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
    out.extend_from_slice(sealed);
    Ok(out)
}

/// The AAD binding a ciphertext to its key, material version and encryption context.
fn ciphertext_aad(key_arn: &str, version: u32, context: &BTreeMap<String, String>) -> Vec<u8> {
    let version = version.to_string();
    let mut parts: Vec<&str> = Vec::with_capacity(3 + 2 * context.len());
    parts.extend([CIPHERTEXT_LABEL, key_arn, version.as_str()]);
    for (k, v) in context {
        parts.push(k);
        parts.push(v);
    }
    aad(&parts)
}

/// Refuses cryptographic use of a key that is not enabled.
pub(super) fn check_enabled(r: &KeyRecord) -> Result<(), KmsError> {
    match r.state {
        KeyState::Enabled => Ok(()),
        KeyState::Disabled => Err(KmsError::disabled(&r.arn)),
        KeyState::PendingDeletion => Err(KmsError::pending_deletion(&r.arn)),
    }
}

impl Kms {
    /// The unsealed material version `version` of `record`.
    fn material(
        &self,
        root: &RootKey,
        record: &KeyRecord,
        version: u32,
    ) -> Result<Arc<Key256>, KmsError> {
        if let Some(m) = self.cache.get(&record.arn, version) {
            return Ok(m);
        }
        let stored = record
            .materials
            .iter()
            .find(|m| m.version == version)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        let sealed = BASE64
            .decode(stored.wrapped.as_bytes())
            .map_err(KmsError::internal)?;
        let ad = if stored.legacy {
            aad(&[LEGACY_MATERIAL_LABEL, &record.arn])
        } else {
            aad(&[MATERIAL_LABEL, &record.arn, &version.to_string()])
        };
        let plain = open(root.key(), &sealed, &ad).map_err(|_| {
            KmsError::internal(format!(
                "the root key does not open material version {version} of {}",
                record.arn
            ))
        })?;
        let material = Arc::new(Key256::from_bytes(plain.expose()).map_err(KmsError::internal)?);
        self.cache.put(&record.arn, version, material.clone());
        Ok(material)
    }

    /// The first material of the `aws/secretsmanager` key of (`account`, `region`), for
    /// Secrets Manager values sealed before KMS keys existed (they carry no CiphertextBlob;
    /// their data key is wrapped directly by this material). The key must be enabled.
    pub(crate) async fn managed_legacy_material(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
    ) -> Result<(Arc<Key256>, KeyMetadata), KmsError> {
        let record = self.ensure_managed(account, region).await?;
        check_enabled(&record)?;
        let version = record
            .materials
            .iter()
            .find(|m| m.legacy)
            .map(|m| m.version)
            .ok_or_else(KmsError::invalid_ciphertext)?;
        Ok((self.material(root, &record, version)?, record.metadata()))
    }

    /// The key `key_ref` names, ready to encrypt: enabled, with material, rotated if its
    /// automatic rotation is due.
    async fn key_for_encryption(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        key_ref: &str,
    ) -> Result<KeyRecord, KmsError> {
        let record = self.resolve(account, region, key_ref).await?.record;
        check_enabled(&record)?;
        let record = self.ensure_material(root, record).await?;
        self.rotate_if_due(root, record).await
    }

    /// Encrypt: at most 4096 bytes under the newest material version of an enabled key, bound
    /// to `context`. Returns the CiphertextBlob and the key's metadata.
    #[allow(clippy::too_many_arguments)]
    pub async fn encrypt(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        key_ref: &str,
        plaintext: &[u8],
        context: &BTreeMap<String, String>,
    ) -> Result<(Vec<u8>, KeyMetadata), KmsError> {
        if plaintext.is_empty() {
            return Err(KmsError::validation(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
            ));
        }
        if plaintext.len() > MAX_PLAINTEXT {
            return Err(KmsError::validation(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
            ));
        }
        let record = self
            .key_for_encryption(root, account, region, key_ref)
            .await?;
        let newest = record
            .newest_material()
            .ok_or_else(|| KmsError::internal("an enabled key without material"))?
            .version;
        let material = self.material(root, &record, newest)?;
        let sealed = seal(
            &material,
            plaintext,
            &ciphertext_aad(&record.arn, newest, context),
        );
        Ok((
            encode_blob(&record.arn, newest, &sealed)?,
            record.metadata(),
        ))
    }

    /// The key a CiphertextBlob names, so a caller can authorize `kms:Decrypt` on it before
    /// decrypting. `AccessDeniedException` when it names no key of this region.
    pub async fn ciphertext_key(
        &self,
        region: &str,
        ciphertext: &[u8],
    ) -> Result<KeyMetadata, KmsError> {
        let blob = parse_blob(ciphertext)?;
        Ok(self.ciphertext_record(region, &blob).await?.metadata())
    }

    async fn ciphertext_record(
        &self,
        region: &str,
        blob: &Blob<'_>,
    ) -> Result<KeyRecord, KmsError> {
        if blob.key_arn.split(':').nth(3) != Some(region) {
            return Err(KmsError::unknown_ciphertext_key());
        }
        match self.load(blob.key_arn).await? {
            Some(l) => Ok(l.record),
            None => Err(KmsError::unknown_ciphertext_key()),
        }
    }

    /// Decrypt: the blob names its key and material version. With `key_ref`, the blob must be
    /// that key's (`IncorrectKeyException` otherwise). The key must be enabled, and `context`
    /// must be exactly the encryption context of Encrypt (`InvalidCiphertextException`).
    #[allow(clippy::too_many_arguments)]
    pub async fn decrypt(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        ciphertext: &[u8],
        key_ref: Option<&str>,
        context: &BTreeMap<String, String>,
    ) -> Result<(SecretBytes, KeyMetadata), KmsError> {
        let blob = parse_blob(ciphertext)?;
        if let Some(r) = key_ref {
            let wanted = self.resolve_arn(account, region, r).await?;
            if wanted != blob.key_arn {
                return Err(KmsError::new(
                    error::INCORRECT_KEY,
                    "The key ID in the request does not identify a CMK that can perform this operation.",
                ));
            }
        }
        let record = self.ciphertext_record(region, &blob).await?;
        check_enabled(&record)?;
        let material = self.material(root, &record, blob.version)?;
        let plain = open(
            &material,
            blob.sealed,
            &ciphertext_aad(&record.arn, blob.version, context),
        )
        .map_err(|_| KmsError::invalid_ciphertext())?;
        Ok((plain, record.metadata()))
    }

    /// GenerateDataKey: `number_of_bytes` (1–1024) random bytes, in clear and encrypted under
    /// the key with `context`.
    #[allow(clippy::too_many_arguments)]
    pub async fn generate_data_key(
        &self,
        root: &RootKey,
        account: &str,
        region: &str,
        key_ref: &str,
        number_of_bytes: usize,
        context: &BTreeMap<String, String>,
    ) -> Result<(SecretBytes, Vec<u8>, KeyMetadata), KmsError> {
        if number_of_bytes == 0 || number_of_bytes > MAX_DATA_KEY {
            return Err(KmsError::validation(format!(
                "1 validation error detected: Value '{number_of_bytes}' at 'numberOfBytes' failed to satisfy constraint: Member must have value {}",
                if number_of_bytes == 0 {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 1024"
                }
            )));
        }
        // Moved, not copied, into the zeroizing buffer.
        let plain = SecretBytes::new(random_bytes(number_of_bytes));
        let (blob, meta) = self
            .encrypt(root, account, region, key_ref, plain.expose(), context)
            .await?;
        Ok((plain, blob, meta))
    }
}
