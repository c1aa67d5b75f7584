//! The conformance suite against [`PgStore`] on the machine's PostgreSQL, plus what only a
//! shared database can show: several stores (as several nodes would have) racing on one
//! database, migrations run once by nodes starting together, refusing foreign or newer
//! schemas, a bounded wait for connections, and the password kept out of sight.
//!
//! Every test gets a database of its own ([`TempPg`]), created through the `postgres`
//! maintenance database and dropped at the end. The server is taken from
//! `COFRE_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432`, trust auth);
//! `scripts/test` starts it when it is down. Without a server these tests fail rather
//! than skip.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cofre_store::postgres::{PgStoreOptions, SCHEMA_VERSION};
use cofre_store::{conformance, PgStore, Scope, SecretRow, SecretWrite, Store, StoreError};
use sqlx::{Connection as _, Executor as _, PgConnection, Row as _};

cofre_store::conformance_tests!(TempPg::new().await);

/// All cases in sequence on one shared database.
#[tokio::test]
async fn run_all_on_one_store() {
    conformance::run_all(&*TempPg::new().await).await;
}

// ---- a throwaway database --------------------------------------------------------------

/// The server the tests use, without a database name.
fn server_url() -> String {
    std::env::var("COFRE_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// A connection to the `postgres` maintenance database.
async fn maintenance() -> PgConnection {
    let url = format!("{}/postgres", server_url());
    PgConnection::connect(&url).await.unwrap_or_else(|e| {
        panic!("PostgreSQL at {} is not reachable: {e}", server_url());
    })
}

/// A fresh, empty database; `extra` is appended to `CREATE DATABASE` (e.g. a locale).
async fn create_database(extra: &str) -> Result<String, sqlx::Error> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    // Only [a-z0-9_]: safe to splice into the statement (identifiers cannot be bound).
    let name = format!(
        "cofre_store_test_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = maintenance().await;
    conn.execute(format!("CREATE DATABASE {name} {extra}").as_str())
        .await?;
    let _ = conn.close().await;
    Ok(name)
}

/// A [`PgStore`] in a database of its own, dropped (with `FORCE`, so open connections do
/// not stop it) when this is dropped.
#[derive(Debug)]
struct TempPg {
    database: String,
    store: Option<PgStore>,
}

impl TempPg {
    /// A new database and a store connected to it.
    async fn new() -> TempPg {
        let database = create_database("").await.expect("CREATE DATABASE");
        TempPg::open(database).await
    }

    /// A store on an existing (test-created) database, which this will drop.
    async fn open(database: String) -> TempPg {
        let mut temp = TempPg {
            database,
            store: None,
        };
        temp.store = Some(PgStore::connect(&temp.url()).await.expect("connect"));
        temp
    }

    /// An empty database, without a store yet.
    async fn empty() -> TempPg {
        TempPg {
            database: create_database("").await.expect("CREATE DATABASE"),
            store: None,
        }
    }

    fn url(&self) -> String {
        format!("{}/{}", server_url(), self.database)
    }

    /// A plain connection to the database, for looking under the store.
    async fn raw(&self) -> PgConnection {
        PgConnection::connect(&self.url())
            .await
            .expect("raw connect")
    }
}

impl std::ops::Deref for TempPg {
    type Target = PgStore;

    fn deref(&self) -> &PgStore {
        self.store.as_ref().expect("store is open")
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        drop(self.store.take());
        let database = self.database.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread with a
        // runtime of its own does the async clean-up. Best effort: a leftover database is
        // harmless (its name says which test run made it).
        let cleanup = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let mut conn = maintenance().await;
                let _ = conn
                    .execute(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str())
                    .await;
                let _ = conn.close().await;
            });
        });
        let _ = cleanup.join();
    }
}

// ---- helpers ---------------------------------------------------------------------------

fn sample_row(uid: &str, name: &str) -> SecretRow {
    SecretRow {
        uid: uid.to_owned(),
        account_id: "123456789012".to_owned(),
        region: "us-east-1".to_owned(),
        name: name.to_owned(),
        arn: format!("arn:aws:secretsmanager:us-east-1:123456789012:secret:{name}-{uid}"),
        revision: 1,
        purge_at_ms: None,
        meta: b"{}".to_vec(),
    }
}

fn create(row: SecretRow) -> SecretWrite {
    SecretWrite {
        row,
        expected_revision: None,
        put_versions: vec![],
        drop_versions: vec![],
    }
}

fn bump(row: &SecretRow, meta: &str) -> SecretWrite {
    let mut next = row.clone();
    next.revision += 1;
    next.meta = meta.as_bytes().to_vec();
    SecretWrite {
        put_versions: vec![(format!("v-{meta}"), meta.as_bytes().to_vec())],
        row: next,
        expected_revision: Some(row.revision),
        drop_versions: vec![],
    }
}

async fn applied_migrations(conn: &mut PgConnection) -> Vec<i64> {
    sqlx::query("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(conn)
        .await
        .expect("schema_migrations")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

fn all_versions() -> Vec<i64> {
    (1..=i64::from(SCHEMA_VERSION)).collect()
}

// ---- several nodes on one database -----------------------------------------------------

/// Two stores on one database, as two Cofre nodes would have, race compare-and-swap
/// updates and same-name creates, round after round: exactly one winner each time, every
/// loser told why, and both stores read the winner's row.
#[tokio::test]
async fn two_stores_race_on_one_database() {
    let a = TempPg::new().await;
    let b = PgStore::connect(&a.url()).await.expect("second store");
    let stores: [&PgStore; 2] = [&a, &b];
    const PER_STORE: usize = 4;
    let scope = Scope::new("123456789012", "us-east-1");

    let mut row = sample_row("race", "raced");
    a.write_secret(create(row.clone())).await.expect("create");
    for round in 0..10 {
        // Compare-and-swap: 2 × PER_STORE writers expect the same revision.
        let attempts = (0..2 * PER_STORE).map(|i| {
            let store = stores[i % 2];
            let write = bump(&row, &format!("r{round}-w{i}"));
            async move { (i, store.write_secret(write).await) }
        });
        let results = join_all(attempts.collect()).await;
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .all(|(_, r)| matches!(r, Ok(()) | Err(StoreError::Conflict))),
            "round {round}: {results:?}"
        );
        let meta = format!("r{round}-w{}", winners[0]);
        for store in stores {
            let stored = store
                .get_secret(&scope, "raced")
                .await
                .expect("get")
                .expect("exists");
            assert_eq!(stored.revision, row.revision + 1);
            assert_eq!(stored.meta, meta.as_bytes());
            assert_eq!(
                store
                    .get_version("race", &format!("v-{meta}"))
                    .await
                    .expect("version"),
                Some(meta.as_bytes().to_vec()),
                "the winner's version was written with its row"
            );
        }
        // Only the winner's version exists.
        for i in (0..2 * PER_STORE).filter(|i| *i != winners[0]) {
            assert_eq!(
                b.get_version("race", &format!("v-r{round}-w{i}"))
                    .await
                    .expect("version"),
                None
            );
        }
        row.revision += 1;
        row.meta = meta.into_bytes();

        // Same-name creates with distinct uids and ARNs.
        let name = format!("contested-{round}");
        let attempts = (0..2 * PER_STORE).map(|i| {
            let store = stores[i % 2];
            let write = create(sample_row(&format!("c{round}-{i}"), &name));
            async move { (i, store.write_secret(write).await) }
        });
        let results = join_all(attempts.collect()).await;
        let winners: Vec<usize> = results
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(i, _)| *i)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        assert!(
            results
                .iter()
                .all(|(_, r)| matches!(r, Ok(()) | Err(StoreError::NameTaken))),
            "round {round}: {results:?}"
        );
        let stored = b
            .get_secret(&scope, &name)
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(stored.uid, format!("c{round}-{}", winners[0]));
    }
    assert_eq!(
        a.list_secrets(&scope).await.expect("list").len(),
        11,
        "the raced row and one per round"
    );
}

/// Read–modify–`kv_cas` counters driven through two stores lose no increment.
#[tokio::test]
async fn kv_cas_across_stores_loses_nothing() {
    let temp = TempPg::new().await;
    let stores = [
        Arc::new(PgStore::connect(&temp.url()).await.expect("store a")),
        Arc::new(PgStore::connect(&temp.url()).await.expect("store b")),
    ];
    stores[0]
        .kv_put("n", "counter", b"0".to_vec())
        .await
        .expect("seed");
    let workers: Vec<_> = (0..6)
        .map(|i| {
            let store = Arc::clone(&stores[i % 2]);
            tokio::spawn(async move {
                for _ in 0..10 {
                    loop {
                        let cur = store
                            .kv_get("n", "counter")
                            .await
                            .expect("get")
                            .expect("present");
                        let n: u64 = String::from_utf8_lossy(&cur).parse().expect("number");
                        let next = (n + 1).to_string().into_bytes();
                        if store
                            .kv_cas("n", "counter", Some(cur), Some(next))
                            .await
                            .expect("cas")
                        {
                            break;
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.expect("worker");
    }
    assert_eq!(
        temp.kv_get("n", "counter").await.expect("get"),
        Some(b"60".to_vec())
    );
    for store in &stores {
        store.close().await;
    }
}

/// Nodes starting together against a new database: all of them come up, and each
/// migration is applied exactly once.
#[tokio::test]
async fn concurrent_first_connects_migrate_once() {
    let temp = TempPg::empty().await;
    let url = temp.url();
    let connects = (0..4).map(|_| PgStore::connect(&url));
    let stores: Vec<PgStore> = join_all(connects.collect())
        .await
        .into_iter()
        .map(|r| r.expect("every node starts"))
        .collect();
    for store in &stores {
        assert_eq!(
            store.schema_version().await.expect("version"),
            SCHEMA_VERSION
        );
    }
    assert_eq!(
        applied_migrations(&mut temp.raw().await).await,
        all_versions()
    );
    for store in &stores {
        store.close().await;
    }
}

// ---- schema ----------------------------------------------------------------------------

#[tokio::test]
async fn schema_version_is_recorded_and_reconnecting_applies_nothing() {
    let temp = TempPg::new().await;
    assert_eq!(
        temp.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    let again = PgStore::connect(&temp.url()).await.expect("reconnect");
    assert_eq!(
        again.schema_version().await.expect("version"),
        SCHEMA_VERSION
    );
    again.close().await;
    assert_eq!(
        applied_migrations(&mut temp.raw().await).await,
        all_versions()
    );
}

/// Rows written through one store survive it and are read back through a new one.
#[tokio::test]
async fn data_survives_reconnect() {
    let temp = TempPg::new().await;
    let row = sample_row("uid-durable", "durable");
    let mut write = create(row.clone());
    write.put_versions = vec![("v1".to_owned(), vec![0, 255, 1])];
    temp.write_secret(write).await.expect("write");
    temp.kv_put("keys", "k", b"wrapped".to_vec())
        .await
        .expect("kv");
    temp.close().await;

    let again = PgStore::connect(&temp.url()).await.expect("reconnect");
    assert_eq!(
        again.get_secret_by_arn(&row.arn).await.expect("get"),
        Some(row.clone())
    );
    assert_eq!(
        again.get_version("uid-durable", "v1").await.expect("v1"),
        Some(vec![0, 255, 1])
    );
    assert_eq!(
        again.kv_get("keys", "k").await.expect("kv"),
        Some(b"wrapped".to_vec())
    );
    again.close().await;
}

#[tokio::test]
async fn newer_schema_is_refused() {
    let temp = TempPg::new().await;
    sqlx::query(
        "INSERT INTO schema_migrations (version, description, applied_at_ms)
         VALUES ($1, 'from the future', 0)",
    )
    .bind(i64::from(SCHEMA_VERSION) + 1)
    .execute(&mut temp.raw().await)
    .await
    .expect("insert");
    let err = PgStore::connect(&temp.url())
        .await
        .expect_err("newer schema must be refused");
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("newer than this build")),
        "{err}"
    );
}

#[tokio::test]
async fn foreign_database_is_refused() {
    for foreign in [
        "CREATE TABLE someone_elses (x INTEGER)",
        // Rails keeps a table of this name too.
        "CREATE TABLE schema_migrations (version VARCHAR PRIMARY KEY)",
    ] {
        let temp = TempPg::empty().await;
        temp.raw()
            .await
            .execute(foreign)
            .await
            .expect("foreign table");
        let err = PgStore::connect(&temp.url())
            .await
            .expect_err("foreign database must be refused");
        assert!(
            matches!(&err, StoreError::Backend(m) if m.contains("not a Cofre database")),
            "{foreign}: {err}"
        );
    }
}

/// Names come back in bytewise order even from a database whose collation sorts
/// otherwise (ICU English puts "a" before "B").
#[tokio::test]
async fn listing_is_bytewise_under_a_linguistic_collation() {
    let database = match create_database(
        "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C.UTF-8'",
    )
    .await
    {
        Ok(database) => database,
        Err(e) => {
            eprintln!("skipped: this PostgreSQL cannot create an ICU database: {e}");
            return;
        }
    };
    let temp = TempPg::open(database).await;
    let scope = Scope::new("123456789012", "us-east-1");
    for (i, name) in ["b/second", "a-first", "B-upper", "_under", "Z"]
        .iter()
        .enumerate()
    {
        temp.write_secret(create(sample_row(&format!("u{i}"), name)))
            .await
            .expect("create");
        temp.kv_put("ns", name, vec![]).await.expect("kv");
    }
    let expected = ["B-upper", "Z", "_under", "a-first", "b/second"];
    let names: Vec<String> = temp
        .list_secrets(&scope)
        .await
        .expect("list")
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, expected);
    let keys: Vec<String> = temp
        .kv_list("ns")
        .await
        .expect("kv list")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, expected);
}

// ---- the pool --------------------------------------------------------------------------

/// With every connection busy, an operation fails after the acquire timeout instead of
/// waiting for ever; the busy one completes once unblocked.
#[tokio::test]
async fn exhausted_pool_is_an_error_not_a_hang() {
    let temp = TempPg::new().await;
    let row = sample_row("uid-held", "held");
    temp.write_secret(create(row.clone()))
        .await
        .expect("create");
    let store = Arc::new(
        PgStore::connect_with(
            &temp.url(),
            &PgStoreOptions {
                max_connections: 1,
                acquire_timeout: Duration::from_millis(300),
                ..PgStoreOptions::default()
            },
        )
        .await
        .expect("connect"),
    );

    // Someone else holds the row lock, so the store's one connection waits in an UPDATE.
    let mut holder = temp.raw().await;
    holder.execute("BEGIN").await.expect("begin");
    sqlx::query("SELECT revision FROM secrets WHERE uid = $1 FOR UPDATE")
        .bind("uid-held")
        .execute(&mut holder)
        .await
        .expect("lock");
    let blocked = tokio::spawn({
        let store = Arc::clone(&store);
        let write = bump(&row, "after-wait");
        async move { store.write_secret(write).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!blocked.is_finished(), "the write waits for the row lock");

    let started = Instant::now();
    let err = store
        .get_secret(&row.scope(), "held")
        .await
        .expect_err("no connection is free");
    assert!(
        matches!(&err, StoreError::Backend(m) if m.contains("no database connection")),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    holder.execute("COMMIT").await.expect("commit");
    blocked
        .await
        .expect("task")
        .expect("the blocked write completes once the lock is released");
    let stored = store
        .get_secret(&row.scope(), "held")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(stored.meta, b"after-wait");
    store.close().await;
}

// ---- keeping the password out of sight ---------------------------------------------------

#[tokio::test]
async fn password_is_never_shown() {
    let temp = TempPg::new().await;
    // Trust auth ignores the password, so this connects.
    let with_password = with_password(&temp.url(), "hunter2-sekrit");
    assert!(with_password.contains("hunter2-sekrit"), "{with_password}");
    let store = PgStore::connect(&with_password).await.expect("connect");
    let shown = format!("{store:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(
        shown.starts_with("PgStore { target: \"postgres://"),
        "{shown}"
    );
    assert!(shown.contains(&temp.database), "{shown}");
    assert!(!store.target().contains("hunter2"));
    store.close().await;

    // Nothing listens on port 1: the error names the target, not the password.
    let err = PgStore::connect_with(
        "postgres://cofre:hunter2-sekrit@127.0.0.1:1/nowhere",
        &PgStoreOptions {
            acquire_timeout: Duration::from_secs(2),
            ..PgStoreOptions::default()
        },
    )
    .await
    .expect_err("nothing listens there");
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(text.contains("cofre@127.0.0.1:1/nowhere"), "{text}");

    for bad in [
        "postgres://cofre:hunter2-sekrit@127.0.0.1:notaport/db",
        "mysql://cofre:hunter2-sekrit@127.0.0.1/db",
    ] {
        let err = PgStore::connect(bad).await.expect_err("bad URL");
        assert!(matches!(err, StoreError::Backend(_)), "{err}");
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }
}

/// `url` (`postgres://user@host...`) with `password` added to its user.
fn with_password(url: &str, password: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL");
    let (user, host) = rest.split_once('@').expect("a user in the URL");
    let user = user.split_once(':').map_or(user, |(u, _)| u);
    format!("{scheme}://{user}:{password}@{host}")
}

/// Polls all `futures` concurrently on the current task until every one is done.
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *output = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
