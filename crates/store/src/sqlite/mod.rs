//! [`SqliteStore`]: the embedded, durable [`Store`].
//!
//! One SQLite file in WAL mode with `synchronous=FULL`: a commit returns only after the
//! WAL is fsynced, so an acknowledged write survives power loss. Two connections, each
//! behind its own `Mutex`: a writer (all writes go through it, in `IMMEDIATE`
//! transactions, which also serialises writers in other processes) and a `query_only`
//! reader, so reads proceed while a write is being fsynced. rusqlite is blocking, so
//! every call runs on tokio's blocking pool via `spawn_blocking`.
//!
//! Schema and its versioning: see `sqlite/migrate.rs` and [`SCHEMA_VERSION`].

mod migrate;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{params, Connection, OptionalExtension as _, Row, TransactionBehavior};

use crate::audit::check_contiguous;
use crate::{
    validate_write, AuditAttribute, AuditDigestRow, AuditFilter, AuditRow, Scope, SecretRow,
    SecretWrite, Snapshot, Store, StoreError, RESTORE_TARGET_NOT_EMPTY,
};
use migrate::ROW_FORMAT;
pub use migrate::SCHEMA_VERSION;

/// How long a connection waits for another process's lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const SECRET_COLUMNS: &str = "uid, account_id, region, name, arn, revision, purge_at_ms, meta";

/// A [`Store`] in a single SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    reader: Arc<Mutex<Connection>>,
    /// Connections for point reads run inline on the calling task (see
    /// [`SqliteStore::read_point`]).
    point_readers: Vec<Mutex<Connection>>,
}

/// Connections for inline point reads: one per core is enough for tokio's workers.
const POINT_READERS: usize = 2;

fn point_readers(path: &Path) -> Result<Vec<Mutex<Connection>>, StoreError> {
    (0..POINT_READERS)
        .map(|_| {
            let conn = connect(path)?;
            conn.pragma_update(None, "query_only", true)
                .map_err(backend)?;
            Ok(Mutex::new(conn))
        })
        .collect()
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Maps any rusqlite error to [`StoreError::Backend`]. SQLite's messages name tables
/// and columns, never bound values.
pub(crate) fn backend(err: rusqlite::Error) -> StoreError {
    StoreError::Backend(err.to_string())
}

fn to_i64(revision: u64) -> Result<i64, StoreError> {
    i64::try_from(revision).map_err(|_| StoreError::Backend("revision exceeds i64::MAX".to_owned()))
}

fn read_secret(row: &Row<'_>) -> rusqlite::Result<SecretRow> {
    Ok(SecretRow {
        uid: row.get(0)?,
        account_id: row.get(1)?,
        region: row.get(2)?,
        name: row.get(3)?,
        arn: row.get(4)?,
        // u64's FromSql rejects negative values instead of wrapping.
        revision: row.get(5)?,
        purge_at_ms: row.get(6)?,
        meta: row.get(7)?,
    })
}

/// A poisoned connection mutex is safe to reuse: rusqlite rolls back an open
/// `Transaction` when it is dropped during a panic, so the connection is left with no
/// transaction open and the database unchanged.
fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Opens a connection and applies the per-connection settings.
fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(backend)?;
    conn.busy_timeout(BUSY_TIMEOUT).map_err(backend)?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(backend)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend(format!(
            "could not enable WAL mode (journal_mode is {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")
        .map_err(backend)?;
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(backend)?;
    Ok(conn)
}

/// Creates the database file readable by its owner only, if it does not exist yet.
/// SQLite gives the `-wal` and `-shm` files the same permissions as the main file.
#[cfg(unix)]
fn create_private(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Backend(format!(
            "cannot create database file {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(not(unix))]
fn create_private(_path: &Path) -> Result<(), StoreError> {
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path`, applies pending schema
    /// migrations, and returns a store ready for use.
    ///
    /// Fails if the file belongs to another application or has a schema newer than
    /// this build understands. Blocking; call it at startup.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        create_private(path)?;
        let mut writer = connect(path)?;
        let previous = migrate::migrate(&mut writer)?;
        if previous != SCHEMA_VERSION {
            tracing::info!(
                path = %path.display(),
                from = previous,
                to = SCHEMA_VERSION,
                "database schema migrated"
            );
        }
        let reader = connect(path)?;
        reader
            .pragma_update(None, "query_only", true)
            .map_err(backend)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(writer)),
            reader: Arc::new(Mutex::new(reader)),
            point_readers: point_readers(path)?,
        })
    }

    /// Opens an existing database for reading only (`cofre audit verify`): no file is
    /// created, no migration runs, and the connections refuse writes (`query_only`).
    /// Fails if the file is missing or its schema differs from this build's.
    pub fn open_read_only(path: &Path) -> Result<SqliteStore, StoreError> {
        if !path.exists() {
            return Err(StoreError::Backend(format!(
                "no database at {}",
                path.display()
            )));
        }
        let open = || -> Result<Connection, StoreError> {
            let conn = connect(path)?;
            conn.pragma_update(None, "query_only", true)
                .map_err(backend)?;
            Ok(conn)
        };
        let reader = open()?;
        let version: u32 = reader
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(backend)?;
        if version != SCHEMA_VERSION {
            return Err(StoreError::Backend(format!(
                "database schema version {version}, this build reads {SCHEMA_VERSION}"
            )));
        }
        Ok(SqliteStore {
            path: path.to_owned(),
            writer: Arc::new(Mutex::new(open()?)),
            reader: Arc::new(Mutex::new(reader)),
            point_readers: point_readers(path)?,
        })
    }

    /// The database file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version recorded in the file (equal to [`SCHEMA_VERSION`] after a
    /// successful [`open`](Self::open)).
    pub async fn schema_version(&self) -> Result<u32, StoreError> {
        self.read(|conn| {
            conn.query_row("SELECT max(version) FROM schema_migrations", [], |r| {
                r.get::<_, Option<u32>>(0)
            })
            .map(Option::unwrap_or_default)
            .map_err(backend)
        })
        .await
    }

    /// Runs `f` with the reader connection on the blocking pool.
    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.reader);
        run_blocking(move || f(&lock(&conn))).await
    }

    /// Runs a point read (one indexed row) inline on the calling task when a point-read
    /// connection is free, else on the blocking pool like [`SqliteStore::read`].
    ///
    /// Why: a lookup by key in a WAL database takes microseconds, less than handing it to
    /// the blocking pool and waking the task again; the hand-offs dominated the profile of
    /// GetSecretValue, which makes several such lookups. Scans stay on the blocking pool.
    async fn read_point<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        for conn in &self.point_readers {
            if let Ok(guard) = conn.try_lock() {
                return f(&guard);
            }
        }
        self.read(f).await
    }

    /// Runs `f` with the writer connection on the blocking pool. If the caller's future
    /// is dropped, `f` still runs to commit or rollback; it is never cut off mid-way.
    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = Arc::clone(&self.writer);
        run_blocking(move || f(&mut lock(&conn))).await
    }
}

async fn run_blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend(format!("storage task failed: {e}")))?
}

fn write_secret_tx(conn: &mut Connection, write: &SecretWrite) -> Result<(), StoreError> {
    validate_write(write)?;
    let row = &write.row;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;

    let stored: Option<i64> = tx
        .query_row(
            "SELECT revision FROM secrets WHERE uid = ?1",
            [&row.uid],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    match (write.expected_revision, stored) {
        (None, None) => {}
        (Some(expected), Some(stored)) if to_i64(expected)? == stored => {}
        _ => return Err(StoreError::Conflict),
    }

    let clash: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM secrets
                 WHERE uid <> ?1
                   AND ((account_id = ?2 AND region = ?3 AND name = ?4) OR arn = ?5))",
            params![row.uid, row.account_id, row.region, row.name, row.arn],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if clash {
        return Err(StoreError::NameTaken);
    }

    let revision = to_i64(row.revision)?;
    if stored.is_none() {
        tx.execute(
            "INSERT INTO secrets
                 (uid, account_id, region, name, arn, revision, purge_at_ms, format, meta)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                row.uid,
                row.account_id,
                row.region,
                row.name,
                row.arn,
                revision,
                row.purge_at_ms,
                ROW_FORMAT,
                row.meta
            ],
        )
        .map_err(backend)?;
    } else {
        tx.execute(
            "UPDATE secrets SET account_id = ?2, region = ?3, name = ?4, arn = ?5,
                 revision = ?6, purge_at_ms = ?7, format = ?8, meta = ?9
             WHERE uid = ?1",
            params![
                row.uid,
                row.account_id,
                row.region,
                row.name,
                row.arn,
                revision,
                row.purge_at_ms,
                ROW_FORMAT,
                row.meta
            ],
        )
        .map_err(backend)?;
    }

    {
        let mut drop_version = tx
            .prepare_cached("DELETE FROM secret_versions WHERE secret_uid = ?1 AND version_id = ?2")
            .map_err(backend)?;
        for version_id in &write.drop_versions {
            drop_version
                .execute(params![row.uid, version_id])
                .map_err(backend)?;
        }
        let mut put_version = tx
            .prepare_cached(
                "INSERT INTO secret_versions (secret_uid, version_id, format, blob)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (secret_uid, version_id)
                 DO UPDATE SET format = excluded.format, blob = excluded.blob",
            )
            .map_err(backend)?;
        for (version_id, blob) in &write.put_versions {
            put_version
                .execute(params![row.uid, version_id, ROW_FORMAT, blob])
                .map_err(backend)?;
        }
    }
    tx.commit().map_err(backend)
}

fn delete_secret_tx(conn: &mut Connection, uid: &str, expected: u64) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let stored: Option<i64> = tx
        .query_row("SELECT revision FROM secrets WHERE uid = ?1", [uid], |r| {
            r.get(0)
        })
        .optional()
        .map_err(backend)?;
    if stored != Some(to_i64(expected)?) {
        return Err(StoreError::Conflict);
    }
    // Versions go with it: ON DELETE CASCADE (foreign_keys is on for this connection).
    tx.execute("DELETE FROM secrets WHERE uid = ?1", [uid])
        .map_err(backend)?;
    tx.commit().map_err(backend)
}

const AUDIT_COLUMNS: &str = "seq, event_id, event_time_ms, event_name, event_source, read_only, \
     access_key_id, username, recipient_account, resources, record, prev_hash, hash";

fn read_audit(row: &Row<'_>) -> rusqlite::Result<AuditRow> {
    let resources: String = row.get(9)?;
    let resources: Vec<(String, String)> = serde_json::from_str(&resources).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(9, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(AuditRow {
        seq: row.get(0)?,
        event_id: row.get(1)?,
        event_time_ms: row.get(2)?,
        event_name: row.get(3)?,
        event_source: row.get(4)?,
        read_only: row.get(5)?,
        access_key_id: row.get(6)?,
        username: row.get(7)?,
        recipient_account: row.get(8)?,
        resources,
        record: row.get(10)?,
        prev_hash: row.get(11)?,
        hash: row.get(12)?,
    })
}

fn query_audit(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<AuditRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params, read_audit)
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(rows)
}

fn audit_append_tx(conn: &mut Connection, rows: &[AuditRow]) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let last: Option<u64> = tx
        .query_row("SELECT max(seq) FROM audit_events", [], |r| r.get(0))
        .map_err(backend)?;
    check_contiguous(last, rows)?;
    insert_audit(&tx, rows)?;
    tx.commit().map_err(backend)
}

/// Inserts audit rows as given (the caller checked they continue the trail).
fn insert_audit(conn: &Connection, rows: &[AuditRow]) -> Result<(), StoreError> {
    let mut insert = conn
        .prepare_cached(&format!(
            "INSERT INTO audit_events ({AUDIT_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
        ))
        .map_err(backend)?;
    for row in rows {
        let resources = serde_json::to_string(&row.resources)
            .map_err(|e| StoreError::Backend(format!("audit resources: {e}")))?;
        insert
            .execute(params![
                to_i64(row.seq)?,
                row.event_id,
                row.event_time_ms,
                row.event_name,
                row.event_source,
                row.read_only,
                row.access_key_id,
                row.username,
                row.recipient_account,
                resources,
                row.record,
                row.prev_hash,
                row.hash
            ])
            .map_err(backend)?;
    }
    Ok(())
}

fn read_digests(conn: &Connection) -> Result<Vec<AuditDigestRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT last_seq, last_hash, time_ms, signature FROM audit_digests
             ORDER BY last_seq",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([], |r| {
            Ok(AuditDigestRow {
                last_seq: r.get(0)?,
                last_hash: r.get(1)?,
                time_ms: r.get(2)?,
                signature: r.get(3)?,
            })
        })
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(rows)
}

/// Three-column rows (text, text, blob) of `sql`.
fn query_triples(
    conn: &Connection,
    sql: &str,
) -> Result<Vec<(String, String, Vec<u8>)>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(rows)
}

/// Reads everything inside one read transaction: in WAL mode it sees the database as of
/// its first read, whatever commits meanwhile, so the copy is consistent while writers run.
fn snapshot_tx(conn: &Connection) -> Result<Snapshot, StoreError> {
    let tx = conn.unchecked_transaction().map_err(backend)?;
    let secrets = query_secrets(
        &tx,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets ORDER BY uid"),
        [],
    )?;
    let versions = query_triples(
        &tx,
        "SELECT secret_uid, version_id, blob FROM secret_versions
         ORDER BY secret_uid, version_id",
    )?;
    let kv = query_triples(
        &tx,
        "SELECT namespace, key, value FROM kv ORDER BY namespace, key",
    )?;
    let audit = query_audit(
        &tx,
        &format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq"),
        [],
    )?;
    let digests = read_digests(&tx)?;
    // Read-only: ending it either way changes nothing.
    tx.rollback().map_err(backend)?;
    Ok(Snapshot {
        secrets,
        versions,
        kv,
        audit,
        digests,
    })
}

/// Loads a snapshot into an empty database in one `IMMEDIATE` transaction.
fn restore_tx(conn: &mut Connection, snapshot: &Snapshot) -> Result<(), StoreError> {
    for row in &snapshot.secrets {
        validate_write(&SecretWrite {
            row: row.clone(),
            expected_revision: None,
            put_versions: Vec::new(),
            drop_versions: Vec::new(),
        })?;
    }
    check_contiguous(None, &snapshot.audit)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;
    let occupied: bool = tx
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM secrets) OR EXISTS (SELECT 1 FROM kv)
                 OR EXISTS (SELECT 1 FROM audit_events) OR EXISTS (SELECT 1 FROM audit_digests)",
            [],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if occupied {
        return Err(StoreError::Backend(RESTORE_TARGET_NOT_EMPTY.to_owned()));
    }
    {
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO secrets
                     (uid, account_id, region, name, arn, revision, purge_at_ms, format, meta)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )
            .map_err(backend)?;
        for row in &snapshot.secrets {
            insert
                .execute(params![
                    row.uid,
                    row.account_id,
                    row.region,
                    row.name,
                    row.arn,
                    to_i64(row.revision)?,
                    row.purge_at_ms,
                    ROW_FORMAT,
                    row.meta
                ])
                .map_err(backend)?;
        }
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO secret_versions (secret_uid, version_id, format, blob)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?;
        for (uid, id, blob) in &snapshot.versions {
            insert
                .execute(params![uid, id, ROW_FORMAT, blob])
                .map_err(backend)?;
        }
        let mut insert = tx
            .prepare_cached("INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)")
            .map_err(backend)?;
        for (ns, key, value) in &snapshot.kv {
            insert.execute(params![ns, key, value]).map_err(backend)?;
        }
        let mut insert = tx
            .prepare_cached(
                "INSERT INTO audit_digests (last_seq, last_hash, time_ms, signature)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .map_err(backend)?;
        for d in &snapshot.digests {
            insert
                .execute(params![
                    to_i64(d.last_seq)?,
                    d.last_hash,
                    d.time_ms,
                    d.signature
                ])
                .map_err(backend)?;
        }
    }
    // The audit insert (and its resources encoding) is the append path's, inside this
    // transaction.
    insert_audit(&tx, &snapshot.audit)?;
    tx.commit().map_err(backend)
}

/// The SQL of a look-up and its bound parameters (all values bound, none spliced).
fn lookup_sql(filter: &AuditFilter) -> Result<(String, Vec<rusqlite::types::Value>), StoreError> {
    use rusqlite::types::Value;
    let mut sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE recipient_account = ?1");
    let mut args: Vec<Value> = vec![Value::Text(filter.recipient_account.clone())];
    let mut bind = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(s) = filter.start_ms {
        bind(&mut sql, " AND event_time_ms >= ?", Value::Integer(s));
    }
    if let Some(e) = filter.end_ms {
        bind(&mut sql, " AND event_time_ms <= ?", Value::Integer(e));
    }
    if let Some(b) = filter.before_seq {
        bind(&mut sql, " AND seq < ?", Value::Integer(to_i64(b)?));
    }
    if let Some((attr, value)) = &filter.attribute {
        let text = Value::Text(value.clone());
        match attr {
            AuditAttribute::EventName => bind(&mut sql, " AND event_name = ?", text),
            AuditAttribute::Username => bind(&mut sql, " AND username = ?", text),
            AuditAttribute::EventId => bind(&mut sql, " AND event_id = ?", text),
            AuditAttribute::AccessKeyId => bind(&mut sql, " AND access_key_id = ?", text),
            AuditAttribute::EventSource => bind(&mut sql, " AND event_source = ?", text),
            AuditAttribute::ReadOnly => bind(
                &mut sql,
                " AND read_only = ?",
                Value::Integer(match value.as_str() {
                    "true" => 1,
                    "false" => 0,
                    _ => -1,
                }),
            ),
            AuditAttribute::ResourceName => bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM json_each(resources) WHERE value ->> '$[1]' = ?)",
                text,
            ),
            AuditAttribute::ResourceType => bind(
                &mut sql,
                " AND EXISTS (SELECT 1 FROM json_each(resources) WHERE value ->> '$[0]' = ?)",
                text,
            ),
        }
    }
    let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
    bind(
        &mut sql,
        " ORDER BY seq DESC LIMIT ?",
        Value::Integer(limit),
    );
    Ok((sql, args))
}

fn query_secrets(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<SecretRow>, StoreError> {
    let mut stmt = conn.prepare_cached(sql).map_err(backend)?;
    let rows = stmt
        .query_map(params, read_secret)
        .map_err(backend)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(backend)?;
    Ok(rows)
}

#[async_trait]
impl Store for SqliteStore {
    async fn get_secret(&self, scope: &Scope, name: &str) -> Result<Option<SecretRow>, StoreError> {
        let (account, region, name) = (
            scope.account_id.clone(),
            scope.region.clone(),
            name.to_owned(),
        );
        self.read_point(move |conn| {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets
                 WHERE account_id = ?1 AND region = ?2 AND name = ?3"
            );
            Ok(query_secrets(conn, &sql, params![account, region, name])?
                .into_iter()
                .next())
        })
        .await
    }

    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRow>, StoreError> {
        let arn = arn.to_owned();
        self.read_point(move |conn| {
            let sql = format!("SELECT {SECRET_COLUMNS} FROM secrets WHERE arn = ?1");
            Ok(query_secrets(conn, &sql, [arn])?.into_iter().next())
        })
        .await
    }

    async fn list_secrets(&self, scope: &Scope) -> Result<Vec<SecretRow>, StoreError> {
        let (account, region) = (scope.account_id.clone(), scope.region.clone());
        self.read(move |conn| {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets
                 WHERE account_id = ?1 AND region = ?2 ORDER BY name"
            );
            query_secrets(conn, &sql, params![account, region])
        })
        .await
    }

    async fn get_version(
        &self,
        secret_uid: &str,
        version_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let (uid, version_id) = (secret_uid.to_owned(), version_id.to_owned());
        self.read_point(move |conn| {
            conn.prepare_cached(
                "SELECT blob FROM secret_versions WHERE secret_uid = ?1 AND version_id = ?2",
            )
            .and_then(|mut stmt| {
                stmt.query_row(params![uid, version_id], |r| r.get(0))
                    .optional()
            })
            .map_err(backend)
        })
        .await
    }

    async fn write_secret(&self, write: SecretWrite) -> Result<(), StoreError> {
        self.write(move |conn| write_secret_tx(conn, &write)).await
    }

    async fn delete_secret(&self, uid: &str, expected_revision: u64) -> Result<(), StoreError> {
        let uid = uid.to_owned();
        self.write(move |conn| delete_secret_tx(conn, &uid, expected_revision))
            .await
    }

    async fn due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRow>, StoreError> {
        self.read(move |conn| {
            let sql = format!(
                "SELECT {SECRET_COLUMNS} FROM secrets
                 WHERE purge_at_ms IS NOT NULL AND purge_at_ms <= ?1
                 ORDER BY purge_at_ms, uid"
            );
            query_secrets(conn, &sql, [now_ms])
        })
        .await
    }

    async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.read_point(move |conn| {
            conn.prepare_cached("SELECT value FROM kv WHERE namespace = ?1 AND key = ?2")
                .and_then(|mut stmt| {
                    stmt.query_row(params![namespace, key], |r| r.get(0))
                        .optional()
                })
                .map_err(backend)
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
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            tx.execute(
                "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO NOTHING",
                params![namespace, key, value],
            )
            .map_err(backend)?;
            let stored: Vec<u8> = tx
                .query_row(
                    "SELECT value FROM kv WHERE namespace = ?1 AND key = ?2",
                    params![namespace, key],
                    |r| r.get(0),
                )
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(stored)
        })
        .await
    }

    async fn kv_put(&self, namespace: &str, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                params![namespace, key, value],
            )
            .map(drop)
            .map_err(backend)
        })
        .await
    }

    async fn kv_cas(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(backend)?;
            let current: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT value FROM kv WHERE namespace = ?1 AND key = ?2",
                    params![namespace, key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(backend)?;
            if current != expected {
                return Ok(false);
            }
            match new {
                Some(v) => tx.execute(
                    "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
                     ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                    params![namespace, key, v],
                ),
                None => tx.execute(
                    "DELETE FROM kv WHERE namespace = ?1 AND key = ?2",
                    params![namespace, key],
                ),
            }
            .map_err(backend)?;
            tx.commit().map_err(backend)?;
            Ok(true)
        })
        .await
    }

    async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let (namespace, key) = (namespace.to_owned(), key.to_owned());
        self.write(move |conn| {
            conn.execute(
                "DELETE FROM kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
            )
            .map(|n| n > 0)
            .map_err(backend)
        })
        .await
    }

    async fn kv_list(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let namespace = namespace.to_owned();
        self.read(move |conn| {
            let mut stmt = conn
                .prepare_cached("SELECT key, value FROM kv WHERE namespace = ?1 ORDER BY key")
                .map_err(backend)?;
            let rows = stmt
                .query_map([namespace], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .map_err(backend)?;
            Ok(rows)
        })
        .await
    }

    async fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        self.write(move |conn| audit_append_tx(conn, &rows)).await
    }

    async fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        self.read(move |conn| {
            let sql = format!("SELECT {AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT 1");
            Ok(query_audit(conn, &sql, [])?.into_iter().next())
        })
        .await
    }

    async fn audit_scan(&self, after_seq: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let after = to_i64(after_seq)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let sql = format!(
                "SELECT {AUDIT_COLUMNS} FROM audit_events WHERE seq > ?1 ORDER BY seq LIMIT ?2"
            );
            query_audit(conn, &sql, params![after, limit])
        })
        .await
    }

    async fn audit_lookup(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let (sql, args) = lookup_sql(filter)?;
        self.read(move |conn| query_audit(conn, &sql, rusqlite::params_from_iter(args)))
            .await
    }

    async fn audit_put_digest(&self, digest: AuditDigestRow) -> Result<(), StoreError> {
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO audit_digests (last_seq, last_hash, time_ms, signature)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (last_seq) DO UPDATE SET last_hash = excluded.last_hash,
                     time_ms = excluded.time_ms, signature = excluded.signature",
                params![
                    to_i64(digest.last_seq)?,
                    digest.last_hash,
                    digest.time_ms,
                    digest.signature
                ],
            )
            .map(drop)
            .map_err(backend)
        })
        .await
    }

    async fn audit_digests(&self) -> Result<Vec<AuditDigestRow>, StoreError> {
        self.read(read_digests).await
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        self.read(snapshot_tx).await
    }

    async fn restore(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        self.write(move |conn| restore_tx(conn, &snapshot)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_have_durability_settings() {
        let dir = std::env::temp_dir().join(format!(
            "cofre-store-unit-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let store = SqliteStore::open(&dir.join("db.sqlite")).expect("open");
        for conn in [&store.writer, &store.reader] {
            let conn = lock(conn);
            let pragma = |name: &str| -> i64 {
                conn.query_row(&format!("PRAGMA {name}"), [], |r| r.get(0))
                    .expect(name)
            };
            assert_eq!(pragma("synchronous"), 2, "synchronous=FULL");
            assert_eq!(pragma("foreign_keys"), 1);
            assert_eq!(pragma("busy_timeout"), 5000);
            let mode: String = conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))
                .expect("journal_mode");
            assert_eq!(mode, "wal");
        }
        let query_only: i64 = lock(&store.reader)
            .query_row("PRAGMA query_only", [], |r| r.get(0))
            .expect("query_only");
        assert_eq!(query_only, 1);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
