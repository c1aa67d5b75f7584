//! Numbered schema migrations for [`super::SqliteStore`].
//!
//! Applied migrations are recorded in `schema_migrations` (one row per version, with
//! when it was applied); `PRAGMA user_version` mirrors the latest for people looking at
//! the file with the `sqlite3` shell, and `PRAGMA application_id` marks the file as
//! Cofre's. Migrations run in one `IMMEDIATE` transaction, so a crash half-way leaves
//! the previous schema intact, and two processes opening the same new file do not both
//! apply them.
//!
//! To change the schema: append a [`Migration`] (never edit an applied one) and bump
//! [`SCHEMA_VERSION`]. A binary refuses to open a file whose schema is newer than it
//! knows, rather than misread it.

use rusqlite::{Connection, TransactionBehavior};

use super::backend;
use crate::StoreError;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: u32 = 2;

/// `PRAGMA application_id` of a Cofre database: ASCII "Cofr".
pub(crate) const APPLICATION_ID: i64 = 0x436f_6672;

/// The `format` written in every `secrets` and `secret_versions` row by this build: how
/// `meta` and `blob` are encoded, so a later migration can tell old rows from new ones.
pub(crate) const ROW_FORMAT: i64 = 1;

struct Migration {
    version: u32,
    description: &'static str,
    sql: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "secrets, secret_versions, kv",
        sql: "
        CREATE TABLE secrets (
            uid         TEXT    NOT NULL PRIMARY KEY,
            account_id  TEXT    NOT NULL,
            region      TEXT    NOT NULL,
            name        TEXT    NOT NULL,
            arn         TEXT    NOT NULL,
            revision    INTEGER NOT NULL,
            purge_at_ms INTEGER,
            format      INTEGER NOT NULL,
            meta        BLOB    NOT NULL
        ) STRICT;
        CREATE UNIQUE INDEX secrets_by_name ON secrets (account_id, region, name);
        CREATE UNIQUE INDEX secrets_by_arn ON secrets (arn);
        CREATE INDEX secrets_by_purge_at ON secrets (purge_at_ms)
            WHERE purge_at_ms IS NOT NULL;

        CREATE TABLE secret_versions (
            secret_uid TEXT    NOT NULL REFERENCES secrets (uid) ON DELETE CASCADE,
            version_id TEXT    NOT NULL,
            format     INTEGER NOT NULL,
            blob       BLOB    NOT NULL,
            PRIMARY KEY (secret_uid, version_id)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE kv (
            namespace TEXT NOT NULL,
            key       TEXT NOT NULL,
            value     BLOB NOT NULL,
            PRIMARY KEY (namespace, key)
        ) STRICT, WITHOUT ROWID;
    ",
    },
    Migration {
        version: 2,
        description: "audit trail: audit_events, audit_digests",
        sql: "
        CREATE TABLE audit_events (
            seq               INTEGER NOT NULL PRIMARY KEY,
            event_id          TEXT    NOT NULL,
            event_time_ms     INTEGER NOT NULL,
            event_name        TEXT    NOT NULL,
            event_source      TEXT    NOT NULL,
            read_only         INTEGER NOT NULL,
            access_key_id     TEXT,
            username          TEXT,
            recipient_account TEXT    NOT NULL,
            resources         TEXT    NOT NULL,
            record            BLOB    NOT NULL,
            prev_hash         BLOB    NOT NULL,
            hash              BLOB    NOT NULL
        ) STRICT;
        CREATE INDEX audit_by_account ON audit_events (recipient_account, seq);
        CREATE INDEX audit_by_name ON audit_events (recipient_account, event_name, seq);
        CREATE INDEX audit_by_event_id ON audit_events (event_id);
        CREATE INDEX audit_by_key ON audit_events (recipient_account, access_key_id, seq);

        CREATE TABLE audit_digests (
            last_seq  INTEGER NOT NULL PRIMARY KEY,
            last_hash BLOB    NOT NULL,
            time_ms   INTEGER NOT NULL,
            signature BLOB    NOT NULL
        ) STRICT;
    ",
    },
];

/// Brings the schema of `conn`'s database up to [`SCHEMA_VERSION`]; returns the version
/// the file was at before.
pub(crate) fn migrate(conn: &mut Connection) -> Result<u32, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(backend)?;

    let application_id: i64 = tx
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(backend)?;
    if application_id == 0 {
        // A brand-new file is empty. Anything else is some other program's database,
        // which we must not write tables into.
        let objects: i64 = tx
            .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
            .map_err(backend)?;
        if objects != 0 {
            return Err(StoreError::Backend(
                "not a Cofre database: the file already contains other tables".to_owned(),
            ));
        }
    } else if application_id != APPLICATION_ID {
        return Err(StoreError::Backend(
            "not a Cofre database: foreign application_id".to_owned(),
        ));
    }

    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version       INTEGER NOT NULL PRIMARY KEY,
             description   TEXT    NOT NULL,
             applied_at_ms INTEGER NOT NULL
         ) STRICT;",
    )
    .map_err(backend)?;
    let current: u32 = tx
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get::<_, Option<u32>>(0)
        })
        .map_err(backend)?
        .unwrap_or(0);
    if current > SCHEMA_VERSION {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this build supports \
             ({SCHEMA_VERSION}); upgrade Cofre"
        )));
    }

    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    for migration in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(migration.sql).map_err(backend)?;
        tx.execute(
            "INSERT INTO schema_migrations (version, description, applied_at_ms)
             VALUES (?1, ?2, ?3)",
            rusqlite::params![migration.version, migration.description, now_ms],
        )
        .map_err(backend)?;
        tracing::info!(
            version = migration.version,
            description = migration.description,
            "applied schema migration"
        );
    }
    // Header fields; both are transactional.
    tx.pragma_update(None, "application_id", APPLICATION_ID)
        .map_err(backend)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(backend)?;
    tx.commit().map_err(backend)?;
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_consecutively_up_to_schema_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }

    #[test]
    fn migrate_is_idempotent() {
        let mut conn = Connection::open_in_memory().expect("open");
        assert_eq!(migrate(&mut conn).expect("first"), 0);
        assert_eq!(migrate(&mut conn).expect("second"), SCHEMA_VERSION);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
            .expect("count");
        assert_eq!(rows, i64::from(SCHEMA_VERSION));
    }
}
