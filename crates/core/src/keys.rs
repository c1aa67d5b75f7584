//! The key hierarchy above secret values.
//!
//! ```text
//! root key (32 bytes, outside the store: --root-key-file, COFRE_ROOT_KEY or DIR/root-key)
//!   └─ seals KMS key material (crate::kms): customer keys (CreateKey) and the AWS managed
//!      aws/secretsmanager key of each account and region, one material version per rotation
//!        └─ encrypts a fresh data key per secret version (a KMS CiphertextBlob, encryption
//!           context {SecretARN, SecretVersionId}; crate::secrets::encryption)
//!             └─ encrypts the secret value, AAD = (account, region, secret ARN, version id)
//! ```
//!
//! The root key also seals access keys' secrets (crate::credentials). Key material is stored
//! only sealed; unsealed material is cached by [`crate::kms::Kms`] in zeroizing
//! [`cofre_crypto::Key256`]s.
//!
//! Before KMS keys existed, each account and region had one default key recorded in the
//! `kms-default-keys` namespace; [`LegacyDefaultKey`] reads that record so the AWS managed key
//! adopts it (same key id, ARN and material) and every value sealed under it stays readable.

use cofre_crypto::RootKey;
use serde::{Deserialize, Serialize};

/// Alias of the AWS-managed key Secrets Manager uses when no `KmsKeyId` is given.
pub const DEFAULT_ALIAS: &str = crate::kms::SECRETSMANAGER_ALIAS;

/// Namespace of the pre-KMS default-key records, keyed by `<account>/<region>`.
pub(crate) const LEGACY_DEFAULT_KEYS_NS: &str = "kms-default-keys";

/// A pre-KMS default-key record: identifiers and the material sealed under the root key with
/// `aad("kms-key", arn)`.
#[derive(Serialize, Deserialize)]
pub(crate) struct LegacyDefaultKey {
    pub format: u32,
    pub key_id: String,
    pub arn: String,
    pub created_ms: i64,
    /// base64 of `seal(root, material, aad("kms-key", arn))`.
    pub wrapped: String,
}

/// Holds the root key, the top of the hierarchy.
#[derive(Debug)]
pub struct Keyring {
    root: RootKey,
}

impl Keyring {
    /// A keyring over `root`.
    pub fn new(root: RootKey) -> Self {
        Self { root }
    }

    /// The root key, for sealing KMS key material and other small records (access keys).
    pub fn root(&self) -> &RootKey {
        &self.root
    }
}
