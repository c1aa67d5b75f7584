//! [`PgStore`]: the [`Store`] on PostgreSQL, shared by several Cofre nodes.
//!
//! # Concurrency
//!
//! Every node has its own pool of connections to one database, so nothing in this process
//! can serialise writes; the database does:
//!
//! - Multi-statement writes (`write_secret`, `audit_append`) run in `REPEATABLE READ`
//!   transactions. Compare-and-swap is a conditional `UPDATE ... WHERE uid = $1 AND
//!   revision = $n` (or `INSERT ... ON CONFLICT (uid) DO NOTHING` for a create): zero rows
//!   affected is [`StoreError::Conflict`]. The row lock it takes orders every other write
//!   to that secret, its versions included, behind this one.
//! - Name and ARN uniqueness are `UNIQUE` constraints: a racing create waits for the other
//!   transaction and then fails with SQLSTATE 23505 on `secrets_name_key` or
//!   `secrets_arn_key`, which becomes [`StoreError::NameTaken`].
//! - The audit trail's contiguity rests on its primary key: an append that read a stale
//!   tail collides with the rows it missed and is refused as a conflict.
//! - Single-statement writes (`kv_*`, `delete_secret`, digests) are conditional statements
//!   (`UPDATE ... WHERE value = $old`, `DELETE ... WHERE revision = $n`,
//!   `INSERT ... ON CONFLICT`), atomic at any isolation level.
//! - A serialization failure (SQLSTATE 40001; PostgreSQL raises it when a `REPEATABLE
//!   READ` transaction updates a row changed since its snapshot, CockroachDB for any
//!   conflict) or a deadlock (40P01) reruns the whole operation, at most
//!   [`PgStoreOptions::max_attempts`] times with jittered exponential backoff. A rerun
//!   reads fresh state, so a lost race then ends in `Conflict` or `NameTaken` like on
//!   SQLite.
//!
//! Writes run on their own tokio task, so a caller that goes away (a client hanging up)
//! never leaves a transaction cut off half-way: it still commits or rolls back.
//!
//! # Portability
//!
//! The SQL keeps to what PostgreSQL-compatible distributed databases (CockroachDB,
//! YugabyteDB) accept: `BYTEA`, `BIGINT`, `JSONB`, `ON CONFLICT`, `= ANY($n)`, no
//! collations, no stored procedures. Names and keys are returned in bytewise order by
//! sorting in Rust, because the database's collation (e.g. `en_US.UTF-8`) may not be
//! bytewise. The schema migrations' `pg_advisory_xact_lock` is the one PostgreSQL-specific
//! piece (see `postgres/migrate.rs`).
//!
//! # Security notes
//!
//! - The connection URL's password is never logged or shown: [`PgStore`]'s `Debug` and
//!   log lines carry `user@host:port/database` only.
//! - Error messages carry PostgreSQL's primary message, never its DETAIL (which can quote
//!   key values), or a fixed text.
//! - All SQL uses bound parameters; no value is ever spliced into SQL text.
//! - A write is acknowledged after `COMMIT` returns, which is durable as long as the
//!   server keeps its default `synchronous_commit = on`.
//! - The workspace builds sqlx without a TLS stack: connections are plaintext (SCRAM still
//!   protects the password). Sealed blobs stay sealed, but `meta` (names, tags) crosses the
//!   wire in the clear; keep the database on a trusted network.

mod migrate;

use std::future::Future;
use std::hash::{BuildHasher as _, RandomState};
use std::str::FromStr as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Connection as _, Postgres, QueryBuilder, Row as _};

use crate::audit::check_contiguous;
use crate::{
    validate_write, AuditAttribute, AuditDigestRow, AuditFilter, AuditRow, Scope, SecretRow,
    SecretWrite, Snapshot, Store, StoreError, RESTORE_TARGET_NOT_EMPTY,
};
use migrate::ROW_FORMAT;
pub use migrate::SCHEMA_VERSION;

/// Tunables of a [`PgStore`]'s connection pool and retries.
#[derive(Clone, Debug)]
pub struct PgStoreOptions {
    /// Most connections this store keeps open at once (default 10). Every node has its
    /// own pool: keep nodes × this below the server's `max_connections`.
    pub max_connections: u32,
    /// How long an operation waits for a free connection (or a new one to open) before it
    /// fails with [`StoreError::Backend`] instead of hanging (default 5 s).
    pub acquire_timeout: Duration,
    /// How many times an operation runs before a serialization failure or deadlock is
    /// given up as [`StoreError::Backend`] (default 10).
    pub max_attempts: u32,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            max_attempts: 10,
        }
    }
}

/// Connections idle longer than this are pinged before use, so a server restart or a
/// dropped idle connection costs a reconnect rather than a failed request. Fresher ones
/// are used straight away, saving a round trip per operation.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

/// Most rows in one multi-row `INSERT` (PostgreSQL allows 65535 bound parameters).
const INSERT_CHUNK: usize = 1000;

/// A [`Store`] in a PostgreSQL database (or a compatible one).
pub struct PgStore {
    pool: PgPool,
    /// `postgres://user@host:port/database`: the URL without its password, for `Debug`
    /// and logs.
    target: String,
    max_attempts: u32,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user[:password]@host[:port]/db`,
    /// with sqlx's query parameters, e.g. `?options[statement_timeout]=30s`) with the
    /// default [`PgStoreOptions`], applies pending schema migrations, and returns a store
    /// ready for use.
    ///
    /// Fails if the database is unreachable within the acquire timeout, its schema holds
    /// another application's tables, or its schema is newer than this build understands.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        Self::connect_with(url, &PgStoreOptions::default()).await
    }

    /// [`PgStore::connect`] with explicit pool and retry settings.
    pub async fn connect_with(url: &str, options: &PgStoreOptions) -> Result<PgStore, StoreError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(StoreError::Backend(
                "not a PostgreSQL URL: expected postgres://user@host:port/database".to_owned(),
            ));
        }
        // sqlx's parse errors describe the problem, not the URL, so the password stays out.
        let mut connect = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("invalid PostgreSQL URL: {e}")))?;
        if connect.get_application_name().is_none() {
            connect = connect.application_name("cofre");
        }
        let target = format!(
            "postgres://{}@{}:{}/{}",
            connect.get_username(),
            connect.get_host(),
            connect.get_port(),
            connect.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for > PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(connect)
            .await
            .map_err(|e| {
                StoreError::Backend(format!("cannot connect to {target}: {}", describe(&e)))
            })?;
        let previous = migrate::migrate(&pool).await?;
        if previous != SCHEMA_VERSION {
            tracing::info!(
                target = %target,
                from = previous,
                to = SCHEMA_VERSION,
                "database schema migrated"
            );
        }
        tracing::info!(
            target = %target,
            max_connections = options.max_connections,
            "PostgreSQL store open"
        );
        Ok(PgStore {
            pool,
            target,
            max_attempts: options.max_attempts.max(1),
        })
    }

    /// `postgres://user@host:port/database`: where this store is, without the password.
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The schema version recorded in the database (equal to [`SCHEMA_VERSION`] after a
    /// successful [`connect`](Self::connect)).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let v: Option<i64> = sqlx::query("SELECT max(version) FROM schema_migrations")
                .fetch_one(pool)
                .await?
                .try_get(0)?;
            u32::try_from(v.unwrap_or(0))
                .map_err(|_| invalid("schema_migrations holds a bad version"))
        })
        .await
    }

    /// Closes every connection, waiting for operations in flight to finish.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Runs a read inline, rerunning it on serialization failures.
    async fn read<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, OpError>>,
    {
        with_retries(self.max_attempts, op).await
    }

    /// Runs a write to completion on its own task (see the module docs), rerunning it on
    /// serialization failures. `op` gets a handle to the pool for each attempt.
    async fn write<T, F, Fut>(&self, mut op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnMut(PgPool) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, OpError>> + Send + 'static,
    {
        let pool = self.pool.clone();
        let attempts = self.max_attempts;
        tokio::spawn(async move { with_retries(attempts, || op(pool.clone())).await })
            .await
            .map_err(|e| StoreError::Backend(format!("storage task failed: {e}")))?
    }
}

// ---- errors and retries ------------------------------------------------------------

/// An operation's failure: a database error still to be classified, or a final answer.
#[derive(Debug)]
enum OpError {
    Sql(sqlx::Error),
    Store(StoreError),
}

impl From<sqlx::Error> for OpError {
    fn from(e: sqlx::Error) -> Self {
        OpError::Sql(e)
    }
}

impl From<StoreError> for OpError {
    fn from(e: StoreError) -> Self {
        OpError::Store(e)
    }
}

fn invalid(what: &str) -> OpError {
    OpError::Store(StoreError::Backend(what.to_owned()))
}

/// What a database error means for the operation that got it.
#[derive(Debug, PartialEq, Eq)]
enum Failure<'a> {
    /// Serialization failure or deadlock: run the operation again.
    Retry,
    /// A unique constraint (named, when the server says) was violated.
    Unique(Option<&'a str>),
    /// Anything else.
    Other,
}

fn classify(e: &sqlx::Error) -> Failure<'_> {
    let Some(db) = e.as_database_error() else {
        return Failure::Other;
    };
    match db.code().as_deref() {
        Some("40001" | "40P01") => Failure::Retry,
        Some("23505") => Failure::Unique(db.constraint()),
        _ => Failure::Other,
    }
}

/// A sqlx error's text for a [`StoreError::Backend`]: the server's primary message (never
/// its DETAIL), or sqlx's description of a client-side failure.
fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::PoolTimedOut => {
            "no database connection became available in time (pool exhausted or database \
             unreachable)"
                .to_owned()
        }
        other => other.to_string(),
    }
}

fn backend(e: sqlx::Error) -> StoreError {
    StoreError::Backend(describe(&e))
}

/// The final answer for a database error that is not (or no longer) retried. A unique
/// violation means the same wherever it happens, so it is mapped by constraint name.
fn final_error(e: sqlx::Error) -> StoreError {
    match classify(&e) {
        Failure::Unique(Some("secrets_name_key" | "secrets_arn_key")) => StoreError::NameTaken,
        Failure::Unique(Some("secrets_pkey" | "audit_events_pkey")) => StoreError::Conflict,
        _ => backend(e),
    }
}

/// Runs `op` until it succeeds, fails for good, or has had `attempts` serialization
/// failures.
async fn with_retries<T, F, Fut>(attempts: u32, mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OpError>>,
{
    let mut attempt = 1;
    loop {
        match op().await {
            Ok(value) => return Ok(value),
            Err(OpError::Store(e)) => return Err(e),
            Err(OpError::Sql(e)) if classify(&e) == Failure::Retry => {
                if attempt >= attempts {
                    return Err(StoreError::Backend(format!(
                        "gave up after {attempt} attempts: {}",
                        describe(&e)
                    )));
                }
                tracing::debug!(attempt, error = %e, "serialization failure; rerunning");
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
            Err(OpError::Sql(e)) => return Err(final_error(e)),
        }
    }
}

/// The pause before rerun `attempt + 1`: exponential from 2 ms, capped at 200 ms, with
/// "equal jitter" (half fixed, half random) so racing nodes spread out.
fn backoff(attempt: u32) -> Duration {
    let ceiling_us: u64 = (2_000u64 << attempt.min(10)).min(200_000);
    let random = RandomState::new().hash_one(attempt);
    Duration::from_micros(ceiling_us / 2 + random % (ceiling_us / 2 + 1))
}

// ---- rows --------------------------------------------------------------------------

const SECRET_COLUMNS: &str = "uid, account_id, region, name, arn, revision, purge_at_ms, meta";

fn to_i64(n: u64) -> Result<i64, OpError> {
    i64::try_from(n).map_err(|_| invalid("value exceeds i64::MAX"))
}

fn to_u64(n: i64) -> Result<u64, OpError> {
    u64::try_from(n).map_err(|_| invalid("negative value stored where none is allowed"))
}

fn read_secret(row: &PgRow) -> Result<SecretRow, OpError> {
    Ok(SecretRow {
        uid: row.try_get(0)?,
        account_id: row.try_get(1)?,
        region: row.try_get(2)?,
        name: row.try_get(3)?,
        arn: row.try_get(4)?,
        revision: to_u64(row.try_get(5)?)?,
        purge_at_ms: row.try_get(6)?,
        meta: row.try_get(7)?,
    })
}

fn read_secrets(rows: &[PgRow]) -> Result<Vec<SecretRow>, OpError> {
    rows.iter().map(read_secret).collect()
}

const AUDIT_COLUMNS: &str = "seq, event_id, event_time_ms, event_name, event_source, read_only, \
     access_key_id, username, recipient_account, resources::TEXT, record, prev_hash, hash";

fn read_audit(row: &PgRow) -> Result<AuditRow, OpError> {
    let resources: String = row.try_get(9)?;
    let resources: Vec<(String, String)> = serde_json::from_str(&resources)
        .map_err(|e| OpError::Store(StoreError::Backend(format!("audit resources: {e}"))))?;
    Ok(AuditRow {
        seq: to_u64(row.try_get(0)?)?,
        event_id: row.try_get(1)?,
        event_time_ms: row.try_get(2)?,
        event_name: row.try_get(3)?,
        event_source: row.try_get(4)?,
        read_only: row.try_get(5)?,
        access_key_id: row.try_get(6)?,
        username: row.try_get(7)?,
        recipient_account: row.try_get(8)?,
        resources,
        record: row.try_get(10)?,
        prev_hash: row.try_get(11)?,
        hash: row.try_get(12)?,
    })
}

fn read_audits(rows: &[PgRow]) -> Result<Vec<AuditRow>, OpError> {
    rows.iter().map(read_audit).collect()
}

// ---- multi-statement writes ----------------------------------------------------------

const BEGIN_REPEATABLE_READ: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ";

async fn write_secret_tx(pool: &PgPool, write: &SecretWrite) -> Result<(), OpError> {
    let row = &write.row;
    let sql = match write.expected_revision {
        // A uid already in use is a conflict (decided first, as on SQLite); a name or ARN
        // in use fails the insert on its UNIQUE constraint.
        None => {
            "INSERT INTO secrets
                 (uid, account_id, region, name, arn, revision, purge_at_ms, format, meta)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (uid) DO NOTHING"
        }
        // The compare-and-swap: only at the expected revision. A rename onto a taken name
        // fails on the UNIQUE constraint.
        Some(_) => {
            "UPDATE secrets SET account_id = $2, region = $3, name = $4, arn = $5,
                 revision = $6, purge_at_ms = $7, format = $8, meta = $9
             WHERE uid = $1 AND revision = $10"
        }
    };
    let mut query = sqlx::query(sql)
        .bind(&row.uid)
        .bind(&row.account_id)
        .bind(&row.region)
        .bind(&row.name)
        .bind(&row.arn)
        .bind(to_i64(row.revision)?)
        .bind(row.purge_at_ms)
        .bind(ROW_FORMAT)
        .bind(&row.meta);
    if let Some(expected) = write.expected_revision {
        query = query.bind(to_i64(expected)?);
    }

    let mut tx = pool.begin_with(BEGIN_REPEATABLE_READ).await?;
    let changed = match query.execute(&mut *tx).await {
        Ok(done) => done.rows_affected(),
        // The compare-and-swap waited for a concurrent writer of the same row, which
        // committed: under REPEATABLE READ that is a serialization failure, and it means
        // exactly that the expected revision is gone. Answer Conflict at once (the domain
        // rereads and retries) instead of rerunning a write that can only lose again.
        Err(e) if write.expected_revision.is_some() && classify(&e) == Failure::Retry => 0,
        Err(e) => return Err(e.into()),
    };
    if changed != 1 {
        // Dropping `tx` rolls back.
        return Err(StoreError::Conflict.into());
    }
    if !write.drop_versions.is_empty() {
        sqlx::query("DELETE FROM secret_versions WHERE secret_uid = $1 AND version_id = ANY($2)")
            .bind(&row.uid)
            .bind(write.drop_versions.as_slice())
            .execute(&mut *tx)
            .await?;
    }
    // One statement per version: a write rarely carries more than one, and a multi-row
    // upsert would fail on a version id listed twice.
    for (version_id, blob) in &write.put_versions {
        sqlx::query(
            "INSERT INTO secret_versions (secret_uid, version_id, format, blob)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (secret_uid, version_id)
             DO UPDATE SET format = EXCLUDED.format, blob = EXCLUDED.blob",
        )
        .bind(&row.uid)
        .bind(version_id)
        .bind(ROW_FORMAT)
        .bind(blob)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

const AUDIT_INSERT_COLUMNS: &str = "seq, event_id, event_time_ms, event_name, event_source, \
     read_only, access_key_id, username, recipient_account, resources, record, prev_hash, hash";

async fn audit_append_tx(pool: &PgPool, rows: &[AuditRow]) -> Result<(), OpError> {
    let mut tx = pool.begin_with(BEGIN_REPEATABLE_READ).await?;
    let last: Option<i64> = sqlx::query("SELECT max(seq) FROM audit_events")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    check_contiguous(last.map(to_u64).transpose()?, rows)?;
    // If another node appended since our snapshot, these rows collide with its rows on the
    // primary key (or the commit fails to serialize): either way, a conflict.
    insert_audit(&mut tx, rows).await?;
    tx.commit().await?;
    Ok(())
}

/// Inserts audit rows as given, in chunks (the caller checked they continue the trail).
/// The resources as the JSONB copy used for look-ups may hold them: PostgreSQL's JSON types
/// refuse the NUL character (`\u0000`), which a caller can put in a resource name, so it
/// becomes U+FFFD there. The record itself (BYTEA) keeps the exact bytes.
fn jsonb_safe(resources: &[(String, String)]) -> Vec<(String, String)> {
    let clean = |s: &String| s.replace('\0', "\u{FFFD}");
    resources
        .iter()
        .map(|(k, v)| (clean(k), clean(v)))
        .collect()
}

async fn insert_audit(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    rows: &[AuditRow],
) -> Result<(), OpError> {
    let prepared = rows
        .iter()
        .map(|row| {
            let resources = serde_json::to_string(&jsonb_safe(&row.resources))
                .map_err(|e| invalid(&format!("audit resources: {e}")))?;
            Ok((to_i64(row.seq)?, resources, row))
        })
        .collect::<Result<Vec<_>, OpError>>()?;
    for chunk in prepared.chunks(INSERT_CHUNK) {
        let mut insert = QueryBuilder::<Postgres>::new(format!(
            "INSERT INTO audit_events ({AUDIT_INSERT_COLUMNS}) "
        ));
        insert.push_values(chunk, |mut b, (seq, resources, row)| {
            b.push_bind(*seq)
                .push_bind(&row.event_id)
                .push_bind(row.event_time_ms)
                .push_bind(&row.event_name)
                .push_bind(&row.event_source)
                .push_bind(row.read_only)
                .push_bind(&row.access_key_id)
                .push_bind(&row.username)
                .push_bind(&row.recipient_account)
                .push_bind(resources)
                .push_unseparated("::JSONB")
                .push_bind(&row.record)
                .push_bind(&row.prev_hash)
                .push_bind(&row.hash);
        });
        insert.build().execute(&mut **tx).await?;
    }
    Ok(())
}

// ---- snapshots -------------------------------------------------------------------------

fn read_digest(r: &PgRow) -> Result<AuditDigestRow, OpError> {
    Ok(AuditDigestRow {
        last_seq: to_u64(r.try_get(0)?)?,
        last_hash: r.try_get(1)?,
        time_ms: r.try_get(2)?,
        signature: r.try_get(3)?,
    })
}

fn read_triples(rows: &[PgRow]) -> Result<Vec<(String, String, Vec<u8>)>, OpError> {
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Reads everything inside one `REPEATABLE READ READ ONLY` transaction: every statement
/// sees the same snapshot, whatever other nodes commit meanwhile.
async fn snapshot_tx(pool: &PgPool) -> Result<Snapshot, OpError> {
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?;
    let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets ORDER BY uid");
    let secrets = read_secrets(&sqlx::query(&sql).fetch_all(&mut *tx).await?)?;
    let versions = read_triples(
        &sqlx::query(
            "SELECT secret_uid, version_id, blob FROM secret_versions
             ORDER BY secret_uid COLLATE \"C\", version_id COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await?,
    )?;
    let kv = read_triples(
        &sqlx::query(
            "SELECT namespace, key, value FROM kv
             ORDER BY namespace COLLATE \"C\", key COLLATE \"C\"",
        )
        .fetch_all(&mut *tx)
        .await?,
    )?;
    let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq");
    let audit = read_audits(&sqlx::query(&sql).fetch_all(&mut *tx).await?)?;
    let digests = sqlx::query(
        "SELECT last_seq, last_hash, time_ms, signature FROM audit_digests ORDER BY last_seq",
    )
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(read_digest)
    .collect::<Result<Vec<_>, _>>()?;
    tx.rollback().await?;
    let mut snapshot = Snapshot {
        secrets,
        versions,
        kv,
        audit,
        digests,
    };
    // Bytewise order whatever the database's collation (uids sort the same either way,
    // but this keeps the promise independent of it).
    snapshot.sort();
    Ok(snapshot)
}

/// Loads a snapshot into an empty database in one transaction.
async fn restore_tx(pool: &PgPool, snapshot: &Snapshot) -> Result<(), OpError> {
    for row in &snapshot.secrets {
        validate_write(&SecretWrite {
            row: row.clone(),
            expected_revision: None,
            put_versions: Vec::new(),
            drop_versions: Vec::new(),
        })?;
    }
    check_contiguous(None, &snapshot.audit)?;
    let mut tx = pool.begin_with(BEGIN_REPEATABLE_READ).await?;
    // Blocks concurrent writers until commit, so "empty" stays true while we load.
    sqlx::query(
        "LOCK TABLE secrets, secret_versions, kv, audit_events, audit_digests IN EXCLUSIVE MODE",
    )
    .execute(&mut *tx)
    .await?;
    let occupied: bool = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM secrets) OR EXISTS (SELECT 1 FROM kv)
             OR EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM audit_digests)",
    )
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    if occupied {
        return Err(invalid(RESTORE_TARGET_NOT_EMPTY));
    }
    for chunk in snapshot.secrets.chunks(INSERT_CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO secrets
                 (uid, account_id, region, name, arn, revision, purge_at_ms, format, meta) ",
        );
        let revisions = chunk
            .iter()
            .map(|r| to_i64(r.revision))
            .collect::<Result<Vec<_>, _>>()?;
        q.push_values(chunk.iter().zip(revisions), |mut b, (row, revision)| {
            b.push_bind(&row.uid)
                .push_bind(&row.account_id)
                .push_bind(&row.region)
                .push_bind(&row.name)
                .push_bind(&row.arn)
                .push_bind(revision)
                .push_bind(row.purge_at_ms)
                .push_bind(ROW_FORMAT)
                .push_bind(&row.meta);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in snapshot.versions.chunks(INSERT_CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO secret_versions (secret_uid, version_id, format, blob) ",
        );
        q.push_values(chunk, |mut b, (uid, id, blob)| {
            b.push_bind(uid)
                .push_bind(id)
                .push_bind(ROW_FORMAT)
                .push_bind(blob);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in snapshot.kv.chunks(INSERT_CHUNK) {
        let mut q = QueryBuilder::<Postgres>::new("INSERT INTO kv (namespace, key, value) ");
        q.push_values(chunk, |mut b, (ns, key, value)| {
            b.push_bind(ns).push_bind(key).push_bind(value);
        });
        q.build().execute(&mut *tx).await?;
    }
    for chunk in snapshot.digests.chunks(INSERT_CHUNK) {
        let seqs = chunk
            .iter()
            .map(|d| to_i64(d.last_seq))
            .collect::<Result<Vec<_>, _>>()?;
        let mut q = QueryBuilder::<Postgres>::new(
            "INSERT INTO audit_digests (last_seq, last_hash, time_ms, signature) ",
        );
        q.push_values(chunk.iter().zip(seqs), |mut b, (d, seq)| {
            b.push_bind(seq)
                .push_bind(&d.last_hash)
                .push_bind(d.time_ms)
                .push_bind(&d.signature);
        });
        q.build().execute(&mut *tx).await?;
    }
    insert_audit(&mut tx, &snapshot.audit).await?;
    tx.commit().await?;
    Ok(())
}

/// The look-up as SQL with every value bound.
fn lookup_query(filter: &AuditFilter) -> Result<QueryBuilder<'_, Postgres>, OpError> {
    let mut q = QueryBuilder::new(format!(
        "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE recipient_account = "
    ));
    q.push_bind(&filter.recipient_account);
    if let Some(s) = filter.start_ms {
        q.push(" AND event_time_ms >= ").push_bind(s);
    }
    if let Some(e) = filter.end_ms {
        q.push(" AND event_time_ms <= ").push_bind(e);
    }
    if let Some(b) = filter.before_seq {
        q.push(" AND seq < ").push_bind(to_i64(b)?);
    }
    if let Some((attr, value)) = &filter.attribute {
        match attr {
            AuditAttribute::EventName => q.push(" AND event_name = ").push_bind(value),
            AuditAttribute::Username => q.push(" AND username = ").push_bind(value),
            AuditAttribute::EventId => q.push(" AND event_id = ").push_bind(value),
            AuditAttribute::AccessKeyId => q.push(" AND access_key_id = ").push_bind(value),
            AuditAttribute::EventSource => q.push(" AND event_source = ").push_bind(value),
            // Anything but "true"/"false" binds NULL, which matches nothing.
            AuditAttribute::ReadOnly => {
                q.push(" AND read_only = ").push_bind(match value.as_str() {
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => None,
                })
            }
            AuditAttribute::ResourceName => q
                .push(
                    " AND EXISTS (SELECT 1 FROM jsonb_array_elements(resources) AS r \
                     WHERE r.value ->> 1 = ",
                )
                .push_bind(value)
                .push(")"),
            AuditAttribute::ResourceType => q
                .push(
                    " AND EXISTS (SELECT 1 FROM jsonb_array_elements(resources) AS r \
                     WHERE r.value ->> 0 = ",
                )
                .push_bind(value)
                .push(")"),
        };
    }
    q.push(" ORDER BY seq DESC LIMIT ")
        .push_bind(i64::try_from(filter.limit).unwrap_or(i64::MAX));
    Ok(q)
}

// ---- the trait -----------------------------------------------------------------------

#[async_trait]
impl Store for PgStore {
    async fn get_secret(&self, scope: &Scope, name: &str) -> Result<Option<SecretRow>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets
                 WHERE account_id = $1 AND region = $2 AND name = $3"
            );
            let row = sqlx::query(&sql)
                .bind(&scope.account_id)
                .bind(&scope.region)
                .bind(name)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(read_secret).transpose()
        })
        .await
    }

    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRow>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE arn = $1");
            let row = sqlx::query(&sql).bind(arn).fetch_optional(pool).await?;
            row.as_ref().map(read_secret).transpose()
        })
        .await
    }

    async fn list_secrets(&self, scope: &Scope) -> Result<Vec<SecretRow>, StoreError> {
        let pool = &self.pool;
        let mut rows = self
            .read(move || async move {
                let sql = format!(
                    "SELECT {SECRET_COLUMNS} FROM secrets WHERE account_id = $1 AND region = $2"
                );
                let rows = sqlx::query(&sql)
                    .bind(&scope.account_id)
                    .bind(&scope.region)
                    .fetch_all(pool)
                    .await?;
                read_secrets(&rows)
            })
            .await?;
        // Bytewise, whatever the database's collation.
        rows.sort_unstable_by(|a, b| a.name.cmp(&b.name));
        Ok(rows)
    }

    async fn get_version(
        &self,
        secret_uid: &str,
        version_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let row = sqlx::query(
                "SELECT blob FROM secret_versions WHERE secret_uid = $1 AND version_id = $2",
            )
            .bind(secret_uid)
            .bind(version_id)
            .fetch_optional(pool)
            .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
        .await
    }

    async fn write_secret(&self, write: SecretWrite) -> Result<(), StoreError> {
        validate_write(&write)?;
        let write = Arc::new(write);
        self.write(move |pool| {
            let write = Arc::clone(&write);
            async move { write_secret_tx(&pool, &write).await }
        })
        .await
    }

    async fn delete_secret(&self, uid: &str, expected_revision: u64) -> Result<(), StoreError> {
        let uid = uid.to_owned();
        let expected = to_i64(expected_revision).map_err(|_| StoreError::Conflict)?;
        self.write(move |pool| {
            let uid = uid.clone();
            async move {
                // Versions go with it: ON DELETE CASCADE.
                let deleted = sqlx::query("DELETE FROM secrets WHERE uid = $1 AND revision = $2")
                    .bind(uid)
                    .bind(expected)
                    .execute(&pool)
                    .await?
                    .rows_affected();
                if deleted == 1 {
                    Ok(())
                } else {
                    Err(StoreError::Conflict.into())
                }
            }
        })
        .await
    }

    async fn due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRow>, StoreError> {
        let pool = &self.pool;
        let mut rows = self
            .read(move || async move {
                let sql = format!(
                    "SELECT {SECRET_COLUMNS} FROM secrets
                     WHERE purge_at_ms IS NOT NULL AND purge_at_ms <= $1"
                );
                let rows = sqlx::query(&sql).bind(now_ms).fetch_all(pool).await?;
                read_secrets(&rows)
            })
            .await?;
        rows.sort_unstable_by(|a, b| (a.purge_at_ms, &a.uid).cmp(&(b.purge_at_ms, &b.uid)));
        Ok(rows)
    }

    async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let row = sqlx::query("SELECT value FROM kv WHERE namespace = $1 AND key = $2")
                .bind(namespace)
                .bind(key)
                .fetch_optional(pool)
                .await?;
            Ok(row.map(|r| r.try_get(0)).transpose()?)
        })
        .await
    }

    async fn kv_put_if_absent(
        &self,
        namespace: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |pool| {
            let (namespace, key, value) = (namespace.clone(), key.clone(), value.clone());
            async move {
                // One statement: a racing insert is waited for, and the no-op update locks
                // and returns whichever value is stored.
                let stored: Vec<u8> = sqlx::query(
                    "INSERT INTO kv (namespace, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (namespace, key) DO UPDATE SET value = kv.value
                     RETURNING value",
                )
                .bind(namespace)
                .bind(key)
                .bind(value)
                .fetch_one(&pool)
                .await?
                .try_get(0)?;
                Ok(stored)
            }
        })
        .await
    }

    async fn kv_put(&self, namespace: &str, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |pool| {
            let (namespace, key, value) = (namespace.clone(), key.clone(), value.clone());
            async move {
                sqlx::query(
                    "INSERT INTO kv (namespace, key, value) VALUES ($1, $2, $3)
                     ON CONFLICT (namespace, key) DO UPDATE SET value = EXCLUDED.value",
                )
                .bind(namespace)
                .bind(key)
                .bind(value)
                .execute(&pool)
                .await?;
                Ok(())
            }
        })
        .await
    }

    async fn kv_list(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let pool = &self.pool;
        let mut pairs = self
            .read(move || async move {
                let rows = sqlx::query("SELECT key, value FROM kv WHERE namespace = $1")
                    .bind(namespace)
                    .fetch_all(pool)
                    .await?;
                Ok(rows
                    .iter()
                    .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                    .collect::<Result<Vec<(String, Vec<u8>)>, sqlx::Error>>()?)
            })
            .await?;
        // Bytewise, whatever the database's collation.
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(pairs)
    }

    async fn kv_cas(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |pool| {
            let (namespace, key) = (namespace.clone(), key.clone());
            let (expected, new) = (expected.clone(), new.clone());
            async move {
                // Each case is one conditional statement: the database re-checks the
                // condition against the latest committed value before changing it, so two
                // swaps from the same value cannot both succeed.
                let query = match (expected, new) {
                    (None, None) => {
                        let absent: bool = sqlx::query(
                            "SELECT NOT EXISTS
                                 (SELECT 1 FROM kv WHERE namespace = $1 AND key = $2)",
                        )
                        .bind(namespace)
                        .bind(key)
                        .fetch_one(&pool)
                        .await?
                        .try_get(0)?;
                        return Ok(absent);
                    }
                    (None, Some(new)) => sqlx::query(
                        "INSERT INTO kv (namespace, key, value) VALUES ($1, $2, $3)
                         ON CONFLICT (namespace, key) DO NOTHING",
                    )
                    .bind(namespace)
                    .bind(key)
                    .bind(new),
                    (Some(old), Some(new)) => sqlx::query(
                        "UPDATE kv SET value = $4 WHERE namespace = $1 AND key = $2 AND value = $3",
                    )
                    .bind(namespace)
                    .bind(key)
                    .bind(old)
                    .bind(new),
                    (Some(old), None) => sqlx::query(
                        "DELETE FROM kv WHERE namespace = $1 AND key = $2 AND value = $3",
                    )
                    .bind(namespace)
                    .bind(key)
                    .bind(old),
                };
                Ok(query.execute(&pool).await?.rows_affected() == 1)
            }
        })
        .await
    }

    async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |pool| {
            let (namespace, key) = (namespace.clone(), key.clone());
            async move {
                let deleted = sqlx::query("DELETE FROM kv WHERE namespace = $1 AND key = $2")
                    .bind(namespace)
                    .bind(key)
                    .execute(&pool)
                    .await?
                    .rows_affected();
                Ok(deleted > 0)
            }
        })
        .await
    }

    async fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        if rows.is_empty() {
            return Ok(());
        }
        let rows = Arc::new(rows);
        self.write(move |pool| {
            let rows = Arc::clone(&rows);
            async move { audit_append_tx(&pool, &rows).await }
        })
        .await
    }

    async fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT 1");
            let row = sqlx::query(&sql).fetch_optional(pool).await?;
            row.as_ref().map(read_audit).transpose()
        })
        .await
    }

    async fn audit_scan(&self, after_seq: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let pool = &self.pool;
        // Past i64::MAX nothing can follow.
        let Ok(after) = i64::try_from(after_seq) else {
            return Ok(Vec::new());
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move || async move {
            let sql = format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > $1 ORDER BY seq LIMIT $2"
            );
            let rows = sqlx::query(&sql)
                .bind(after)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            read_audits(&rows)
        })
        .await
    }

    async fn audit_lookup(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let mut query = lookup_query(filter)?;
            let rows = query.build().fetch_all(pool).await?;
            read_audits(&rows)
        })
        .await
    }

    async fn audit_put_digest(&self, digest: AuditDigestRow) -> Result<(), StoreError> {
        let digest = Arc::new(digest);
        self.write(move |pool| {
            let digest = Arc::clone(&digest);
            async move {
                sqlx::query(
                    "INSERT INTO audit_digests (last_seq, last_hash, time_ms, signature)
                     VALUES ($1, $2, $3, $4)
                     ON CONFLICT (last_seq) DO UPDATE SET last_hash = EXCLUDED.last_hash,
                         time_ms = EXCLUDED.time_ms, signature = EXCLUDED.signature",
                )
                .bind(to_i64(digest.last_seq)?)
                .bind(&digest.last_hash)
                .bind(digest.time_ms)
                .bind(&digest.signature)
                .execute(&pool)
                .await?;
                Ok(())
            }
        })
        .await
    }

    async fn audit_digests(&self) -> Result<Vec<AuditDigestRow>, StoreError> {
        let pool = &self.pool;
        self.read(move || async move {
            let rows = sqlx::query(
                "SELECT last_seq, last_hash, time_ms, signature FROM audit_digests
                 ORDER BY last_seq",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(AuditDigestRow {
                        last_seq: to_u64(r.try_get(0)?)?,
                        last_hash: r.try_get(1)?,
                        time_ms: r.try_get(2)?,
                        signature: r.try_get(3)?,
                    })
                })
                .collect()
        })
        .await
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let pool = &self.pool;
        self.read(move || snapshot_tx(pool)).await
    }

    async fn restore(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        let snapshot = Arc::new(snapshot);
        self.write(move |pool| {
            let snapshot = Arc::clone(&snapshot);
            async move { restore_tx(&pool, &snapshot).await }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        for attempt in 1..20 {
            let d = backoff(attempt);
            let ceiling = Duration::from_micros((2_000u64 << attempt.min(10)).min(200_000));
            assert!(d >= ceiling / 2 && d <= ceiling, "{attempt}: {d:?}");
        }
        assert!(backoff(30) <= Duration::from_millis(200));
    }

    #[test]
    fn client_side_errors_are_not_retried() {
        assert_eq!(classify(&sqlx::Error::PoolTimedOut), Failure::Other);
        assert!(matches!(
            final_error(sqlx::Error::PoolTimedOut),
            StoreError::Backend(m) if m.contains("no database connection")
        ));
    }
}
