//! The conformance suite against [`SqliteStore`], plus what only a file can show:
//! durability across reopen, schema versioning, refusing foreign or newer files.

use cofre_store::conformance::{self, TempSqlite};
use cofre_store::{Scope, SecretRow, SecretWrite, SqliteStore, Store, StoreError, SCHEMA_VERSION};

cofre_store::conformance_tests!(TempSqlite::new());

/// All cases in sequence on one shared file.
#[tokio::test]
async fn run_all_on_one_store() {
    conformance::run_all(&*TempSqlite::new()).await;
}

fn sample_row(uid: &str, name: &str) -> SecretRow {
    SecretRow {
        uid: uid.to_owned(),
        account_id: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        name: name.to_owned(),
        arn: format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-AbCdEf"),
        revision: 3,
        purge_at_ms: Some(1_800_000_000_000),
        meta: b"{\"description\":\"survives reopen\"}".to_vec(),
    }
}

#[tokio::test]
async fn everything_survives_reopen() {
    let mut temp = TempSqlite::new();
    let scope = Scope::new("123456789012", "us-east-1");
    let row = sample_row("uid-reopen", "reopened");
    temp.write_secret(SecretWrite {
        row: row.clone(),
        expected_revision: None,
        put_versions: vec![
            ("v-1".to_owned(), b"sealed-1".to_vec()),
            ("v-2".to_owned(), b"sealed-2".to_vec()),
        ],
        drop_versions: vec![],
    })
    .await
    .expect("write");
    temp.kv_put("keys", "kek-1", b"wrapped".to_vec())
        .await
        .expect("kv_put");

    temp.reopen();

    assert_eq!(
        temp.get_secret(&scope, "reopened").await.expect("get"),
        Some(row.clone())
    );
    assert_eq!(
        temp.list_secrets(&scope).await.expect("list"),
        vec![row.clone()]
    );
    assert_eq!(
        temp.get_version("uid-reopen", "v-2")
            .await
            .expect("version"),
        Some(b"sealed-2".to_vec())
    );
    assert_eq!(
        temp.kv_list("keys").await.expect("kv_list"),
        vec![("kek-1".to_owned(), b"wrapped".to_vec())]
    );
    assert_eq!(
        temp.due_for_purge(i64::MAX).await.expect("due"),
        vec![row.clone()]
    );
    // CAS state survives too: the stored revision is still the one to expect.
    let mut next = row.clone();
    next.revision = 4;
    let stale = SecretWrite {
        row: next.clone(),
        expected_revision: Some(2),
        put_versions: vec![],
        drop_versions: vec![],
    };
    assert_eq!(temp.write_secret(stale).await, Err(StoreError::Conflict));
    let fresh = SecretWrite {
        row: next,
        expected_revision: Some(3),
        put_versions: vec![],
        drop_versions: vec![],
    };
    temp.write_secret(fresh).await.expect("update after reopen");
}

#[tokio::test]
async fn schema_version_is_recorded() {
    let mut temp = TempSqlite::new();
    assert_eq!(
        temp.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    temp.reopen();
    assert_eq!(
        temp.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );

    let raw = rusqlite::Connection::open(temp.db_path()).expect("raw open");
    let applied: Vec<u32> = raw
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("schema_migrations");
    // Reopening did not apply anything twice.
    assert_eq!(applied, (1..=SCHEMA_VERSION).collect::<Vec<_>>());
    let user_version: u32 = raw
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    assert_eq!(user_version, SCHEMA_VERSION);
    let application_id: i64 = raw
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .expect("application_id");
    assert_eq!(application_id, 0x436f_6672);
    let journal_mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(journal_mode, "wal", "WAL mode is persistent in the file");
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let temp = TempSqlite::new();
    let path = temp.db_path();
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        raw.execute(
            "INSERT INTO schema_migrations (version, description, applied_at_ms)
             VALUES (?1, 'from the future', 0)",
            [SCHEMA_VERSION + 1],
        )
        .expect("insert");
    }
    let err = SqliteStore::open(&path).expect_err("newer schema must be refused");
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("newer than this build")),
        "{err}"
    );
}

#[test]
fn foreign_database_is_refused() {
    let temp = TempSqlite::new();
    let path = temp.dir().join("foreign.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        raw.execute_batch("CREATE TABLE someone_elses (x INTEGER);")
            .expect("create");
    }
    let err = SqliteStore::open(&path).expect_err("foreign file must be refused");
    assert!(matches!(&err, StoreError::Backend(m) if m.contains("not a Cofre database")));

    let path = temp.dir().join("foreign-app.db");
    {
        let raw = rusqlite::Connection::open(&path).expect("raw open");
        raw.pragma_update(None, "application_id", 1234)
            .expect("set app id");
    }
    let err = SqliteStore::open(&path).expect_err("foreign file must be refused");
    assert!(matches!(&err, StoreError::Backend(m) if m.contains("not a Cofre database")));
}

#[test]
fn unopenable_path_is_an_error() {
    let temp = TempSqlite::new();
    let missing_dir = temp.dir().join("no-such-dir").join("cofre.db");
    assert!(matches!(
        SqliteStore::open(&missing_dir),
        Err(StoreError::Backend(_))
    ));
}

#[cfg(unix)]
#[test]
fn new_database_file_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let temp = TempSqlite::new();
    let mode = std::fs::metadata(temp.db_path())
        .expect("metadata")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn debug_shows_path_only() {
    let temp = TempSqlite::new();
    let shown = format!("{:?}", *temp);
    assert!(shown.starts_with("SqliteStore { path: "), "{shown}");
    assert!(shown.ends_with(".. }"), "{shown}");
}

/// Two independent store handles on one file (as two processes would have) still
/// serialise their writes: exactly one of two racing updates wins.
#[tokio::test]
async fn two_handles_on_one_file_serialise_writes() {
    let temp = TempSqlite::new();
    let other = SqliteStore::open(&temp.db_path()).expect("second handle");
    let row = sample_row("uid-two-handles", "shared");
    temp.write_secret(SecretWrite {
        row: row.clone(),
        expected_revision: None,
        put_versions: vec![],
        drop_versions: vec![],
    })
    .await
    .expect("create");

    let bump = |meta: &[u8]| {
        let mut next = row.clone();
        next.revision += 1;
        next.meta = meta.to_vec();
        SecretWrite {
            row: next,
            expected_revision: Some(row.revision),
            put_versions: vec![],
            drop_versions: vec![],
        }
    };
    let (a, b) = tokio::join!(
        temp.write_secret(bump(b"from-a")),
        other.write_secret(bump(b"from-b"))
    );
    assert_eq!(
        [a.is_ok(), b.is_ok()].iter().filter(|ok| **ok).count(),
        1,
        "{a:?} {b:?}"
    );
    let stored = other
        .get_secret(&row.scope(), "shared")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        stored.meta,
        if a.is_ok() {
            b"from-a".to_vec()
        } else {
            b"from-b".to_vec()
        }
    );
}
