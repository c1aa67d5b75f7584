//! Reading and writing records in the store's key/value area, and the read–modify–
//! compare-and-swap loop every IAM write goes through.
//!
//! # Layout
//!
//! | namespace | key | value |
//! |---|---|---|
//! | `accounts` | account id | [`AccountRecord`](super::model::AccountRecord) |
//! | `iam-users/{account}` | lowercased user name | [`UserRecord`](super::model::UserRecord) |
//! | `iam-roles/{account}` | lowercased role name | [`RoleRecord`](super::model::RoleRecord) |
//! | `iam-groups/{account}` | lowercased group name | [`GroupRecord`](super::model::GroupRecord) |
//! | `iam-policies/{account}` | lowercased policy name | [`PolicyRecord`](super::model::PolicyRecord) |
//! | `access-keys` | access key id | `StoredAccessKey` (see `crate::credentials`) |
//! | `sts-session-expiry` | `{expires_ms:020}/{access key id}` | empty (purge index) |
//!
//! One namespace per account keeps every List a scan of that account alone. Keys are
//! lowercased names because IAM names are unique without regard to case ("alice" and
//! "Alice" collide); records keep the name as created.
//!
//! # Concurrency
//!
//! The store offers atomic compare-and-swap on one key. Every update reads the record's bytes,
//! computes the new record, and swaps only if the bytes are unchanged, retrying from a fresh
//! read otherwise, so two concurrent updates of one user (say, two TagUser calls) both land.
//! Changes spanning two records (attach, group membership, access keys) are ordered so that a
//! crash or a lost race leaves at worst a dangling reference that is ignored and later pruned,
//! never a grant (see each operation).

use cofre_store::{Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::error::IamError;
use super::Iam;

/// How many times a write is retried after losing a compare-and-swap race.
pub(crate) const MAX_ATTEMPTS: usize = 100;

pub(crate) const NS_ACCOUNTS: &str = "accounts";
pub(crate) const USERS: &str = "iam-users";
pub(crate) const ROLES: &str = "iam-roles";
pub(crate) const GROUPS: &str = "iam-groups";
pub(crate) const POLICIES: &str = "iam-policies";
pub(crate) const NS_SESSION_EXPIRY: &str = "sts-session-expiry";

/// The namespace of one kind of entity in one account.
pub(crate) fn ns(kind: &str, account: &str) -> String {
    format!("{kind}/{account}")
}

/// The storage key of an IAM name: names are compared without regard to case. Valid names
/// are ASCII (`[\w+=,.@-]+`), so ASCII lowercasing is exact.
pub(crate) fn name_key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// A document the IAM layer stores, with its `format` number.
pub(crate) trait Record: Serialize + DeserializeOwned {
    /// The record's `format` field.
    fn format(&self) -> u32;
}

macro_rules! record {
    ($($t:ty),*) => {$(
        impl Record for $t {
            fn format(&self) -> u32 {
                self.format
            }
        }
    )*};
}
record!(
    super::model::UserRecord,
    super::model::RoleRecord,
    super::model::GroupRecord,
    super::model::PolicyRecord,
    super::model::AccountRecord
);

/// Why a record could not be read or written.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("corrupt IAM record: {0}")]
    Corrupt(String),
}

impl From<RecordError> for IamError {
    fn from(e: RecordError) -> Self {
        IamError::internal(e)
    }
}

impl From<StoreError> for IamError {
    fn from(e: StoreError) -> Self {
        IamError::internal(e)
    }
}

/// A record together with the exact bytes it was read from (the compare-and-swap token).
#[derive(Debug, Clone)]
pub(crate) struct Stored<R> {
    pub(crate) bytes: Vec<u8>,
    pub(crate) rec: R,
}

pub(crate) fn decode<R: Record>(bytes: &[u8]) -> Result<R, RecordError> {
    let rec: R = serde_json::from_slice(bytes)
        // serde_json's message can quote input; keep only its position.
        .map_err(|e| {
            RecordError::Corrupt(format!(
                "undecodable at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
    if rec.format() != super::model::FORMAT {
        return Err(RecordError::Corrupt(format!(
            "unknown format {}",
            rec.format()
        )));
    }
    Ok(rec)
}

pub(crate) fn encode<R: Record>(rec: &R) -> Result<Vec<u8>, RecordError> {
    serde_json::to_vec(rec).map_err(|e| RecordError::Corrupt(e.to_string()))
}

/// Reads and decodes one record.
pub(crate) async fn read<R: Record>(
    store: &dyn Store,
    namespace: &str,
    key: &str,
) -> Result<Option<Stored<R>>, RecordError> {
    match store.kv_get(namespace, key).await? {
        None => Ok(None),
        Some(bytes) => {
            let rec = decode(&bytes)?;
            Ok(Some(Stored { bytes, rec }))
        }
    }
}

/// Every record of a namespace, in key order.
pub(crate) async fn list<R: Record>(
    store: &dyn Store,
    namespace: &str,
) -> Result<Vec<(String, R)>, RecordError> {
    store
        .kv_list(namespace)
        .await?
        .into_iter()
        .map(|(k, v)| decode(&v).map(|r| (k, r)))
        .collect()
}

/// What an update does with the record it was shown.
pub(crate) enum Edit<R, T> {
    /// Store this record and return `T`.
    Put(R, T),
    /// Change nothing and return `T`.
    Keep(T),
}

impl Iam {
    pub(crate) async fn read<R: Record>(
        &self,
        namespace: &str,
        key: &str,
    ) -> Result<Option<Stored<R>>, IamError> {
        Ok(read(self.store.as_ref(), namespace, key).await?)
    }

    pub(crate) async fn list<R: Record>(
        &self,
        namespace: &str,
    ) -> Result<Vec<(String, R)>, IamError> {
        Ok(list(self.store.as_ref(), namespace).await?)
    }

    /// Compare-and-swap on raw bytes; `Ok(false)` when the stored value changed.
    pub(crate) async fn cas(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, IamError> {
        Ok(self.store.kv_cas(namespace, key, expected, new).await?)
    }

    /// Creates a record only if its key is free; `Ok(false)` if something is stored there.
    pub(crate) async fn insert<R: Record>(
        &self,
        namespace: &str,
        key: &str,
        rec: &R,
    ) -> Result<bool, IamError> {
        let bytes = encode(rec)?;
        self.cas(namespace, key, None, Some(bytes)).await
    }

    /// Writes `new` in place of the record read as `old` (compare-and-swap on its bytes).
    pub(crate) async fn replace<R: Record>(
        &self,
        namespace: &str,
        key: &str,
        old: &Stored<R>,
        new: Option<&R>,
    ) -> Result<bool, IamError> {
        let new = match new {
            Some(r) => Some(encode(r)?),
            None => None,
        };
        self.cas(namespace, key, Some(old.bytes.clone()), new).await
    }

    /// The read–modify–compare-and-swap loop: `f` sees the current record (`None` if absent)
    /// and says what to do; a lost race re-reads and calls `f` again.
    pub(crate) async fn modify<R, T, F>(
        &self,
        namespace: &str,
        key: &str,
        mut f: F,
    ) -> Result<T, IamError>
    where
        R: Record,
        F: FnMut(Option<R>) -> Result<Edit<R, T>, IamError>,
    {
        for _ in 0..MAX_ATTEMPTS {
            let current = self.store.kv_get(namespace, key).await?;
            let rec = match &current {
                Some(bytes) => Some(decode::<R>(bytes)?),
                None => None,
            };
            match f(rec)? {
                Edit::Keep(t) => return Ok(t),
                Edit::Put(r, t) => {
                    let new = encode(&r)?;
                    if self.cas(namespace, key, current, Some(new)).await? {
                        return Ok(t);
                    }
                }
            }
            tokio::task::yield_now().await;
        }
        Err(IamError::concurrent_modification())
    }
}
