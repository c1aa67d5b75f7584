//! Storage for Cofre: the [`Store`] trait, its embedded ([`SqliteStore`]) and in-memory
//! ([`MemoryStore`]) backends, and the [`conformance`] suite both must pass.
//!
//! # Layout
//!
//! - this file: the row types ([`Scope`], [`SecretRow`], [`SecretWrite`]), [`StoreError`]
//!   and the [`Store`] trait with its contract.
//! - [`memory`] — [`MemoryStore`], a `Mutex` around ordinary maps (`cofre server --dev`).
//! - [`sqlite`] — [`SqliteStore`], SQLite in WAL mode with `synchronous=FULL`, schema
//!   managed by numbered migrations.
//! - [`postgres`] — [`PgStore`], PostgreSQL through a sqlx pool: compare-and-swap as
//!   conditional `UPDATE`s in `REPEATABLE READ` transactions, serialization failures retried,
//!   migrations under an advisory lock (`cofre server --store postgres://...`).
//! - [`conformance`] — one behavioural test suite, run unchanged against every backend
//!   (see [`conformance_tests!`]).
//!
//! # What the store does and does not know
//!
//! The store is deliberately dumb. The domain layer serializes secret metadata to opaque
//! `meta` bytes and seals every version value before it gets here; the store only keeps
//! rows atomically and durably, enforces name uniqueness per (account, region), and
//! implements compare-and-swap on a per-row `revision` so concurrent requests cannot
//! lose each other's updates.
//!
//! # Security notes
//!
//! - Version blobs and key/value values arrive already sealed (see `cofre-crypto`);
//!   the store never sees plaintext secret values or keys. `meta` (names, descriptions,
//!   tags, staging labels) is stored as given, so the database file is still sensitive:
//!   [`SqliteStore::open`] creates it with mode `0600` on Unix.
//! - Error messages carry SQLite's message or a fixed text, never row contents.
//! - All SQL uses bound parameters; no value is ever spliced into SQL text.
//! - A write is acknowledged only after it is durable (SQLite `synchronous=FULL`).

use async_trait::async_trait;

pub mod audit;
pub mod conformance;
pub mod memory;
pub mod postgres;
pub mod sqlite;

pub use audit::{AuditAttribute, AuditDigestRow, AuditFilter, AuditRow};
pub use memory::MemoryStore;
pub use postgres::PgStore;
pub use sqlite::{SqliteStore, SCHEMA_VERSION};

/// The (account, region) partition every secret lives in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    /// The 12-digit AWS account id.
    pub account_id: String,
    /// The region name, e.g. `us-east-1`.
    pub region: String,
}

impl Scope {
    /// A scope from an account id and a region.
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            account_id: account_id.into(),
            region: region.into(),
        }
    }
}

/// One secret as the store keeps it: identity, concurrency token, purge schedule, and
/// opaque metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretRow {
    /// Stable internal id, chosen by the domain layer; never reused.
    pub uid: String,
    /// Owning account.
    pub account_id: String,
    /// Owning region.
    pub region: String,
    /// The secret's name, unique within (account, region).
    pub name: String,
    /// The secret's full ARN, unique across the store.
    pub arn: String,
    /// Concurrency token: incremented by the domain layer on every write.
    pub revision: u64,
    /// When set, the secret is scheduled for deletion at this time (ms since epoch).
    pub purge_at_ms: Option<i64>,
    /// Opaque metadata serialized by the domain layer (JSON).
    pub meta: Vec<u8>,
}

impl SecretRow {
    /// The scope this row belongs to.
    pub fn scope(&self) -> Scope {
        Scope::new(self.account_id.clone(), self.region.clone())
    }
}

/// One atomic change to a secret: its new row plus version blobs to add and remove.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecretWrite {
    /// The row as it should be stored; `row.revision` is the NEW revision.
    pub row: SecretRow,
    /// `None` to create the row; `Some(r)` to update it only if its stored revision is
    /// `r`. On update, `row.revision` must be greater than `r`.
    pub expected_revision: Option<u64>,
    /// Version blobs to insert, or replace if the version id already exists.
    pub put_versions: Vec<(String, Vec<u8>)>,
    /// Version ids to delete (absent ids are ignored). Must not overlap `put_versions`.
    pub drop_versions: Vec<String>,
}

/// Everything a store holds, read in one consistent snapshot (see [`Store::snapshot`]).
///
/// Values are exactly as stored: version blobs and key/value values stay sealed, and the root
/// key that opens them is never in a store, so neither is it here.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    /// Every secret row, in every scope, ordered by `uid`.
    pub secrets: Vec<SecretRow>,
    /// Every version blob as (secret uid, version id, blob), ordered by (uid, version id).
    pub versions: Vec<(String, String, Vec<u8>)>,
    /// Every key/value entry as (namespace, key, value), ordered by (namespace, key).
    pub kv: Vec<(String, String, Vec<u8>)>,
    /// The whole audit trail, ascending by `seq`.
    pub audit: Vec<AuditRow>,
    /// Every signed audit digest, ascending by `last_seq`.
    pub digests: Vec<AuditDigestRow>,
}

impl Snapshot {
    /// Whether the snapshot holds nothing at all.
    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
            && self.versions.is_empty()
            && self.kv.is_empty()
            && self.audit.is_empty()
            && self.digests.is_empty()
    }

    /// Orders every list as [`Store::snapshot`] promises, whatever order it was built in.
    pub fn sort(&mut self) {
        self.secrets.sort_by(|a, b| a.uid.cmp(&b.uid));
        self.versions
            .sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        self.kv.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        self.audit.sort_by_key(|r| r.seq);
        self.digests.sort_by_key(|d| d.last_seq);
    }
}

/// The message [`Store::restore`] fails with when the target already holds data.
pub const RESTORE_TARGET_NOT_EMPTY: &str =
    "restore target is not empty: restore only into an empty data dir or database";

/// Errors from a [`Store`].
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// A create (or rename) collided with an existing secret's name or ARN in its scope.
    #[error("a secret with this name already exists")]
    NameTaken,
    /// The row changed (or vanished) since the caller read it; re-read and retry.
    #[error("concurrent modification")]
    Conflict,
    /// Anything else: I/O, corruption, a rejected (malformed) write, a poisoned lock.
    #[error("storage backend error: {0}")]
    Backend(String),
}

/// Persistent storage for secrets, their version blobs, and a small key/value area.
///
/// Every method is atomic. Implementations must pass [`conformance::run_all`].
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// The secret named `name` in `scope`, if any (including one scheduled for deletion).
    async fn get_secret(&self, scope: &Scope, name: &str) -> Result<Option<SecretRow>, StoreError>;

    /// The secret whose ARN is exactly `arn`, in any scope.
    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRow>, StoreError>;

    /// All rows in `scope`, ordered by name (bytewise).
    async fn list_secrets(&self, scope: &Scope) -> Result<Vec<SecretRow>, StoreError>;

    /// The sealed blob of one version of a secret.
    async fn get_version(
        &self,
        secret_uid: &str,
        version_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Atomically creates or updates a secret and its versions.
    ///
    /// - Create (`expected_revision: None`): [`StoreError::Conflict`] if `row.uid`
    ///   exists; [`StoreError::NameTaken`] if another row has the same
    ///   (account, region, name) or the same ARN.
    /// - Update (`Some(r)`): [`StoreError::Conflict`] if the row is gone or its stored
    ///   revision is not `r`; [`StoreError::NameTaken`] if the new name or ARN belongs to
    ///   another row.
    /// - Then deletes `drop_versions` and inserts/replaces `put_versions`.
    ///
    /// All in one transaction, durable before `Ok` is returned; on any error nothing
    /// changed. A malformed write (revision not increasing, a version id both put and
    /// dropped, a revision above `i64::MAX`) is rejected with [`StoreError::Backend`].
    async fn write_secret(&self, write: SecretWrite) -> Result<(), StoreError>;

    /// Removes the row and all its versions if its stored revision is
    /// `expected_revision`; [`StoreError::Conflict`] if it differs or the row is gone.
    async fn delete_secret(&self, uid: &str, expected_revision: u64) -> Result<(), StoreError>;

    /// Rows whose `purge_at_ms <= now_ms`, across all scopes, ordered by
    /// (`purge_at_ms`, `uid`).
    async fn due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRow>, StoreError>;

    /// The value stored under (`namespace`, `key`). Values are sealed by the caller.
    async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Inserts `value` only if the key is absent, and returns the value stored
    /// afterwards (the existing one, if there was one). Atomic, so racing callers all
    /// get the same answer.
    async fn kv_put_if_absent(
        &self,
        namespace: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError>;

    /// Inserts or overwrites the value under (`namespace`, `key`).
    async fn kv_put(&self, namespace: &str, key: &str, value: Vec<u8>) -> Result<(), StoreError>;

    /// All (key, value) pairs in `namespace`, ordered by key (bytewise).
    async fn kv_list(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;

    /// Compare-and-swap: replaces the value under (`namespace`, `key`) with `new` only if the
    /// stored value equals `expected` (`None` = absent; `new` of `None` deletes). Returns
    /// whether the swap happened. Atomic, so read–modify–write cycles on one key never lose
    /// a concurrent update.
    async fn kv_cas(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError>;

    /// Removes (`namespace`, `key`); returns whether it existed.
    async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError>;

    /// Appends audit records atomically and durably. The batch must be consecutive and
    /// start right after the last stored record (at 1 on an empty trail), else
    /// [`StoreError::Conflict`] and nothing is written.
    async fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError>;

    /// The last (highest `seq`) audit record, if any.
    async fn audit_last(&self) -> Result<Option<AuditRow>, StoreError>;

    /// Up to `limit` audit records with `seq > after_seq`, in ascending `seq` order.
    async fn audit_scan(&self, after_seq: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError>;

    /// Audit records passing `filter`, newest (highest `seq`) first, at most `filter.limit`.
    async fn audit_lookup(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError>;

    /// Stores a signed digest (replacing one with the same `last_seq`).
    async fn audit_put_digest(&self, digest: AuditDigestRow) -> Result<(), StoreError>;

    /// All signed digests, ascending by `last_seq`.
    async fn audit_digests(&self) -> Result<Vec<AuditDigestRow>, StoreError>;

    /// Everything in the store, read inside ONE read transaction, so the copy is
    /// consistent (an online backup: concurrent writes are either wholly in it or not at
    /// all). Lists are ordered as [`Snapshot`] documents. Holds the whole store in memory.
    ///
    /// The default fails: a backend that cannot enumerate consistently does not pretend to.
    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        Err(StoreError::Backend(
            "this store cannot take snapshots".to_owned(),
        ))
    }

    /// Loads `snapshot` into an EMPTY store, atomically: on any error nothing is written.
    /// Fails with [`StoreError::Backend`] ([`RESTORE_TARGET_NOT_EMPTY`]) if the store
    /// holds any secret, key/value entry, audit record or digest. Rows are written as
    /// given (revisions, uids, audit hashes unchanged), so the audit chain still verifies.
    async fn restore(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let _ = snapshot;
        Err(StoreError::Backend(
            "this store cannot restore snapshots".to_owned(),
        ))
    }
}

/// Checks the parts of a [`SecretWrite`] that do not depend on stored state, so both
/// backends reject the same malformed writes the same way.
pub(crate) fn validate_write(write: &SecretWrite) -> Result<(), StoreError> {
    let invalid = |why: &str| Err(StoreError::Backend(format!("invalid write: {why}")));
    if i64::try_from(write.row.revision).is_err() {
        return invalid("revision exceeds i64::MAX");
    }
    if let Some(expected) = write.expected_revision {
        if write.row.revision <= expected {
            return invalid("new revision must be greater than the expected revision");
        }
    }
    if write
        .put_versions
        .iter()
        .any(|(id, _)| write.drop_versions.contains(id))
    {
        return invalid("a version id is both put and dropped");
    }
    Ok(())
}
