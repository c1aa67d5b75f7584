//! Numbered schema migrations for [`super::PgStore`].
//!
//! Applied migrations are recorded in `schema_migrations` (one row per version, with when
//! it was applied). All pending migrations run in one transaction, so a crash half-way
//! leaves the previous schema intact (PostgreSQL's DDL is transactional).
//!
//! Several nodes may start against one new database at once. They take turns through
//! `pg_advisory_xact_lock` — the one PostgreSQL-specific piece of this backend. Where
//! that function is missing, refused or a no-op (CockroachDB before 26.x), a loser of the
//! race fails on the `schema_migrations` primary key, a duplicate table or a serialization
//! failure instead, and [`migrate`] starts over, finding the winner's work already done.
//!
//! To change the schema: append a [`Migration`] (never edit an applied one) and bump
//! [`SCHEMA_VERSION`]. A binary refuses to use a database whose schema is newer than it
//! knows, rather than misread it.
//!
//! Portability: the SQL sticks to what CockroachDB and YugabyteDB also accept — `BYTEA`
//! for blobs, `BIGINT` for ms timestamps and revisions, `JSONB`, named `UNIQUE`
//! constraints, `ON DELETE CASCADE` — and no collation: bytewise ordering of names is done
//! in Rust (see `super`).

use std::time::Duration;

use sqlx::postgres::PgPool;
use sqlx::{Executor as _, Row as _};

use super::{backend, classify, Failure};
use crate::StoreError;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 2;

/// The `format` written in every `secrets` and `secret_versions` row by this build: how
/// `meta` and `blob` are encoded, so a later migration can tell old rows from new ones.
pub(crate) const ROW_FORMAT: i64 = 1;

/// The advisory lock key migrations hold: ASCII "Cofrmigr".
const MIGRATION_LOCK: i64 = 0x436f_6672_6d69_6772;

/// How often [`migrate`] starts over after losing a race with another node.
const MIGRATION_ATTEMPTS: u32 = 5;

/// One step of the schema's history.
struct Migration {
    version: u32,
    description: &'static str,
    /// Statements, run one by one (extended-protocol queries take one statement each).
    statements: &'static [&'static str],
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "secrets, secret_versions, kv",
        statements: &[
            // Name and ARN uniqueness are constraints, so they hold across nodes without
            // any locking of ours: a racing insert waits for the other to commit, then fails.
            "CREATE TABLE secrets (
                uid         TEXT   NOT NULL,
                account_id  TEXT   NOT NULL,
                region      TEXT   NOT NULL,
                name        TEXT   NOT NULL,
                arn         TEXT   NOT NULL,
                revision    BIGINT NOT NULL,
                purge_at_ms BIGINT,
                format      BIGINT NOT NULL,
                meta        BYTEA  NOT NULL,
                CONSTRAINT secrets_pkey PRIMARY KEY (uid),
                CONSTRAINT secrets_name_key UNIQUE (account_id, region, name),
                CONSTRAINT secrets_arn_key UNIQUE (arn)
            )",
            "CREATE INDEX secrets_by_purge_at ON secrets (purge_at_ms)
                WHERE purge_at_ms IS NOT NULL",
            "CREATE TABLE secret_versions (
                secret_uid TEXT   NOT NULL REFERENCES secrets (uid) ON DELETE CASCADE,
                version_id TEXT   NOT NULL,
                format     BIGINT NOT NULL,
                blob       BYTEA  NOT NULL,
                CONSTRAINT secret_versions_pkey PRIMARY KEY (secret_uid, version_id)
            )",
            "CREATE TABLE kv (
                namespace TEXT  NOT NULL,
                key       TEXT  NOT NULL,
                value     BYTEA NOT NULL,
                CONSTRAINT kv_pkey PRIMARY KEY (namespace, key)
            )",
        ],
    },
    Migration {
        version: 2,
        description: "audit trail: audit_events, audit_digests",
        statements: &[
            "CREATE TABLE audit_events (
                seq               BIGINT  NOT NULL,
                event_id          TEXT    NOT NULL,
                event_time_ms     BIGINT  NOT NULL,
                event_name        TEXT    NOT NULL,
                event_source      TEXT    NOT NULL,
                read_only         BOOLEAN NOT NULL,
                access_key_id     TEXT,
                username          TEXT,
                recipient_account TEXT    NOT NULL,
                resources         JSONB   NOT NULL,
                record            BYTEA   NOT NULL,
                prev_hash         BYTEA   NOT NULL,
                hash              BYTEA   NOT NULL,
                CONSTRAINT audit_events_pkey PRIMARY KEY (seq)
            )",
            "CREATE INDEX audit_by_account ON audit_events (recipient_account, seq)",
            "CREATE INDEX audit_by_name ON audit_events (recipient_account, event_name, seq)",
            "CREATE INDEX audit_by_event_id ON audit_events (event_id)",
            "CREATE INDEX audit_by_key ON audit_events (recipient_account, access_key_id, seq)",
            "CREATE TABLE audit_digests (
                last_seq  BIGINT NOT NULL,
                last_hash BYTEA  NOT NULL,
                time_ms   BIGINT NOT NULL,
                signature BYTEA  NOT NULL,
                CONSTRAINT audit_digests_pkey PRIMARY KEY (last_seq)
            )",
        ],
    },
];

/// Brings the schema of `pool`'s database (its current schema, i.e. the first on the
/// `search_path`) up to [`SCHEMA_VERSION`]; returns the version it was at before.
pub(crate) async fn migrate(pool: &PgPool) -> Result<u32, StoreError> {
    let mut attempt = 1;
    loop {
        match migrate_once(pool).await {
            Ok(previous) => return Ok(previous),
            Err(MigrateError::Store(e)) => return Err(e),
            Err(MigrateError::Raced(e)) if attempt >= MIGRATION_ATTEMPTS => return Err(backend(e)),
            Err(MigrateError::Raced(e)) => {
                tracing::info!(
                    attempt,
                    error = %e,
                    "schema migration raced another node; retrying"
                );
                tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                attempt += 1;
            }
        }
    }
}

enum MigrateError {
    /// Another node migrated at the same time: start over.
    Raced(sqlx::Error),
    /// Final.
    Store(StoreError),
}

impl From<sqlx::Error> for MigrateError {
    fn from(e: sqlx::Error) -> Self {
        let raced = match classify(&e) {
            Failure::Retry => true,
            Failure::Unique(_) => true,
            Failure::Other => e
                .as_database_error()
                .and_then(|d| d.code())
                // duplicate_table, duplicate_object: a concurrent CREATE committed first.
                .is_some_and(|c| c == "42P07" || c == "42710"),
        };
        if raced {
            MigrateError::Raced(e)
        } else {
            MigrateError::Store(backend(e))
        }
    }
}

impl From<StoreError> for MigrateError {
    fn from(e: StoreError) -> Self {
        MigrateError::Store(e)
    }
}

async fn migrate_once(pool: &PgPool) -> Result<u32, MigrateError> {
    // READ COMMITTED (not the store's REPEATABLE READ): after waiting for the lock, each
    // statement must see what the previous holder committed.
    let mut tx = pool
        .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
        .await?;
    // In a savepoint, so a database without the function (older CockroachDB: undefined, or
    // refused as not supported) can carry on and rely on the retries instead.
    tx.execute("SAVEPOINT cofre_migration_lock").await?;
    match sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(MIGRATION_LOCK)
        .execute(&mut *tx)
        .await
    {
        Ok(_) => {
            tx.execute("RELEASE SAVEPOINT cofre_migration_lock").await?;
        }
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42883" || c == "0A000") =>
        {
            tracing::info!("no advisory locks in this database; migrations rely on retries");
            tx.execute("ROLLBACK TO SAVEPOINT cofre_migration_lock")
                .await?;
        }
        Err(e) => return Err(e.into()),
    }

    if !check_ownership(&mut tx).await? {
        tx.execute(
            "CREATE TABLE schema_migrations (
                 version       BIGINT NOT NULL,
                 description   TEXT   NOT NULL,
                 applied_at_ms BIGINT NOT NULL,
                 CONSTRAINT schema_migrations_pkey PRIMARY KEY (version)
             )",
        )
        .await?;
    }
    let current: Option<i64> = sqlx::query("SELECT max(version) FROM schema_migrations")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    let current = u32::try_from(current.unwrap_or(0))
        .map_err(|_| StoreError::Backend("schema_migrations holds a negative version".into()))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this build supports \
             ({SCHEMA_VERSION}); upgrade Cofre"
        ))
        .into());
    }

    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        for statement in migration.statements {
            tx.execute(*statement).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at_ms)
             VALUES ($1, $2, $3)",
        )
        .bind(i64::from(migration.version))
        .bind(migration.description)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "applied schema migration"
        );
    }
    tx.commit().await?;
    Ok(current)
}

/// Refuses a schema that belongs to some other application: one with tables but no
/// `schema_migrations`, or a `schema_migrations` of another shape (Rails, for one, has a
/// table of that name). Returns whether `schema_migrations` exists.
async fn check_ownership(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
) -> Result<bool, MigrateError> {
    let tables: Vec<String> = sqlx::query(
        "SELECT table_name::TEXT FROM information_schema.tables
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    if tables.is_empty() {
        let schema: Option<String> = sqlx::query("SELECT current_schema()::TEXT")
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
        if schema.is_none() {
            return Err(StoreError::Backend(
                "no schema to create tables in: the search_path names none that exists".into(),
            )
            .into());
        }
        return Ok(false);
    }
    if !tables.iter().any(|t| t == "schema_migrations") {
        return Err(StoreError::Backend(
            "not a Cofre database: its schema already contains other tables (use an empty \
             database, or a schema of its own via the search_path)"
                .into(),
        )
        .into());
    }
    let columns: Vec<String> = sqlx::query(
        "SELECT column_name::TEXT FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = 'schema_migrations'
         ORDER BY column_name",
    )
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    if columns != ["applied_at_ms", "description", "version"] {
        return Err(StoreError::Backend(
            "not a Cofre database: schema_migrations belongs to another application".into(),
        )
        .into());
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_consecutively_up_to_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(!m.statements.is_empty());
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
