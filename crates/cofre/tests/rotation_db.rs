//! The built-in rotation functions against real databases, driven through the real server
//! with the AWS SDK for Rust:
//! - PostgreSQL: a private cluster (`initdb`, SCRAM-SHA-256 for every connection, so
//!   passwords are really checked; `cofre_testsupport::PgCluster`);
//! - MariaDB: the machine's server on 127.0.0.1:3306, with users created per test
//!   (TCP logins check their passwords).
//!
//! While each rotation runs, a client loop reads AWSCURRENT and logs in with it, as an
//! application does. Single-user rotation may refuse logins only in the window AWS documents
//! (between the password change in setSecret and AWSCURRENT moving in finishSecret); the
//! tests record the longest run of failed logins and require it to end within that rotation
//! and to last under [`SINGLE_USER_WINDOW`]. Alternating users must never fail.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::Client;
use cofre_testsupport::{MariaDb, PgCluster};
use serde_json::{json, Value};

/// The bound on a single-user rotation's refused logins (AWS documents "a short period"
/// between the database change and the secret update, without a figure).
const SINGLE_USER_WINDOW: Duration = Duration::from_secs(5);

fn start(dir: &Path) -> common::Server {
    start_with(dir, &[])
}

fn start_with(dir: &Path, extra: &[&str]) -> common::Server {
    let mut args: Vec<String> = [
        "--rotation-interval-secs",
        "1",
        "--rotation-retry-secs",
        "1",
        "--rotation-lease-secs",
        "3",
    ]
    .map(String::from)
    .to_vec();
    args.extend(extra.iter().map(|s| s.to_string()));
    common::Server::start_with(
        dir,
        common::Options {
            extra_args: args,
            ..Default::default()
        },
    )
}

/// Every ASCII punctuation character: with these excluded, new passwords are alphanumeric.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

fn builtin(name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        common::REGION,
        common::ACCOUNT
    )
}

async fn current(c: &Client, id: &str) -> (String, Value) {
    let v = c
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .expect("GetSecretValue");
    (
        v.version_id().expect("version").to_owned(),
        serde_json::from_str(v.secret_string().expect("string")).expect("json"),
    )
}

/// Whether AWSCURRENT is on `token` and the engine has recorded the rotation
/// (LastRotatedDate no earlier than the new version).
async fn rotated_to(c: &Client, id: &str, token: &str) -> bool {
    let d = c
        .describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret");
    let moved = d
        .version_ids_to_stages()
        .and_then(|m| m.get(token))
        .is_some_and(|s| s.iter().any(|x| x == "AWSCURRENT"));
    if !moved {
        return false;
    }
    let created = *c
        .get_secret_value()
        .secret_id(id)
        .version_id(token)
        .send()
        .await
        .expect("the new version")
        .created_date()
        .expect("CreatedDate");
    d.last_rotated_date().is_some_and(|t| *t >= created)
}

async fn wait_rotated(c: &Client, id: &str, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while Instant::now() < deadline {
        if rotated_to(c, id, token).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("rotation {token} of {id} did not finish within 90 s");
}

async fn rotate(c: &Client, id: &str, function: &str) -> String {
    c.rotate_secret()
        .secret_id(id)
        .rotation_lambda_arn(builtin(function))
        .send()
        .await
        .expect("RotateSecret")
        .version_id()
        .expect("VersionId")
        .to_owned()
}

/// Which database the reader logs in to.
#[derive(Clone)]
enum Db {
    Pg(Arc<PgCluster>),
    Maria(Arc<MariaDb>),
}

impl Db {
    async fn can_login(&self, user: &str, password: &str) -> bool {
        match self {
            Db::Pg(pg) => pg.can_login(user, password).await,
            Db::Maria(m) => m.can_login(user, password).await,
        }
    }
}

/// What the application-like reader saw.
#[derive(Debug)]
struct Reads {
    attempts: usize,
    failures: usize,
    /// The longest run of consecutive failures, from its first failure to the next success.
    longest_outage: Duration,
}

/// Reads AWSCURRENT and logs in with it, again and again, until `stop`.
fn spawn_reader(
    c: Client,
    id: String,
    db: Db,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Reads> {
    tokio::spawn(async move {
        let mut reads = Reads {
            attempts: 0,
            failures: 0,
            longest_outage: Duration::ZERO,
        };
        let mut outage_since: Option<Instant> = None;
        while !stop.load(Ordering::SeqCst) {
            let (_, v) = current(&c, &id).await;
            let ok = db
                .can_login(
                    v["username"].as_str().expect("username"),
                    v["password"].as_str().expect("password"),
                )
                .await;
            reads.attempts += 1;
            if ok {
                if let Some(t) = outage_since.take() {
                    reads.longest_outage = reads.longest_outage.max(t.elapsed());
                }
            } else {
                reads.failures += 1;
                outage_since.get_or_insert_with(Instant::now);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Some(t) = outage_since {
            // Still failing at the end: the outage outlasted the rotation.
            reads.longest_outage = reads
                .longest_outage
                .max(t.elapsed() + Duration::from_secs(3600));
        }
        reads
    })
}

async fn create(c: &Client, name: &str, value: &Value) -> (String, String) {
    let out = c
        .create_secret()
        .name(name)
        .secret_string(value.to_string())
        .send()
        .await
        .expect("CreateSecret");
    (
        out.arn().expect("arn").to_owned(),
        out.version_id().expect("version").to_owned(),
    )
}

/// Rotates once with a reader running; returns what the reader saw.
async fn rotate_with_reader(c: &Client, arn: &str, function: &str, db: Db) -> (String, Reads) {
    let stop = Arc::new(AtomicBool::new(false));
    let reader = spawn_reader(c.clone(), arn.to_owned(), db, stop.clone());
    // Let the reader establish that the current credentials work.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let token = rotate(c, arn, function).await;
    wait_rotated(c, arn, &token).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    let reads = reader.await.expect("reader");
    println!("{function}: {reads:?}");
    (token, reads)
}

#[tokio::test]
async fn postgres_single_user_rotation_changes_the_password_in_the_database() {
    let pg = Arc::new(PgCluster::start());
    pg.create_user("app_user", "initial-Passw0rd").await;
    let dir = common::TempDir::new("rot-pg-single");
    let srv = start_with(dir.path(), &["--rotation-exclude-characters", PUNCTUATION]);
    let c = common::client(&srv.endpoint());
    let (arn, v1) = create(
        &c,
        "db/pg-single",
        &json!({"engine": "postgres", "host": PgCluster::HOST, "port": pg.port(),
                "username": "app_user", "password": "initial-Passw0rd", "dbname": "postgres"}),
    )
    .await;

    let (token, reads) =
        rotate_with_reader(&c, &arn, "cofre-postgres-single-user", Db::Pg(pg.clone())).await;
    let (id, v) = current(&c, &arn).await;
    assert_eq!(id, token);
    let new_password = v["password"].as_str().expect("password");
    assert_ne!(new_password, "initial-Passw0rd");
    assert!(
        new_password.len() >= 20 && new_password.chars().all(|ch| ch.is_ascii_alphanumeric()),
        "GetRandomPassword's generator with the configured exclusions"
    );
    assert_eq!(v["username"], "app_user", "single user keeps the user");
    assert!(
        pg.can_login("app_user", new_password).await,
        "new password logs in"
    );
    assert!(
        !pg.can_login("app_user", "initial-Passw0rd").await,
        "old password no longer does"
    );
    let previous = c
        .get_secret_value()
        .secret_id(&arn)
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .expect("AWSPREVIOUS");
    assert_eq!(previous.version_id(), Some(v1.as_str()));
    assert!(reads.attempts > 5, "the reader ran throughout: {reads:?}");
    assert!(
        reads.longest_outage < SINGLE_USER_WINDOW,
        "logins failed only briefly, inside the rotation: {reads:?}"
    );
}

#[tokio::test]
async fn postgres_alternating_users_alternate_and_never_fail() {
    let pg = Arc::new(PgCluster::start());
    pg.create_user("app_alt", "initial-Passw0rd").await;
    let dir = common::TempDir::new("rot-pg-alt");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let (master, _) = create(
        &c,
        "db/pg-master",
        &json!({"engine": "postgres", "host": PgCluster::HOST, "port": pg.port(),
                "username": PgCluster::SUPERUSER, "password": pg.superuser_password(),
                "dbname": "postgres"}),
    )
    .await;
    let (arn, _) = create(
        &c,
        "db/pg-alt",
        &json!({"engine": "postgres", "host": PgCluster::HOST, "port": pg.port(),
                "username": "app_alt", "password": "initial-Passw0rd", "dbname": "postgres",
                "masterarn": master}),
    )
    .await;

    let (_, reads1) = rotate_with_reader(
        &c,
        &arn,
        "cofre-postgres-alternating-users",
        Db::Pg(pg.clone()),
    )
    .await;
    let (_, first) = current(&c, &arn).await;
    assert_eq!(
        first["username"], "app_alt_clone",
        "the first rotation clones the user"
    );
    let p1 = first["password"].as_str().expect("password").to_owned();
    assert!(pg.can_login("app_alt_clone", &p1).await);
    assert!(
        pg.can_login("app_alt", "initial-Passw0rd").await,
        "the other user keeps working"
    );

    let (_, reads2) = rotate_with_reader(
        &c,
        &arn,
        "cofre-postgres-alternating-users",
        Db::Pg(pg.clone()),
    )
    .await;
    let (_, second) = current(&c, &arn).await;
    assert_eq!(second["username"], "app_alt", "and then alternates back");
    let p2 = second["password"].as_str().expect("password").to_owned();
    assert!(pg.can_login("app_alt", &p2).await);
    assert!(!pg.can_login("app_alt", "initial-Passw0rd").await);
    assert!(pg.can_login("app_alt_clone", &p1).await);
    for r in [&reads1, &reads2] {
        assert!(r.attempts > 5, "{r:?}");
        assert_eq!(
            r.failures, 0,
            "alternating users never refuse AWSCURRENT: {r:?}"
        );
    }
}

#[tokio::test]
async fn mysql_single_user_rotation_changes_the_password_in_mariadb() {
    let m = Arc::new(MariaDb::connect().await);
    let user = MariaDb::unique_user_name();
    m.create_user(&user, "initial-Passw0rd").await;
    let dir = common::TempDir::new("rot-my-single");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let (arn, _) = create(
        &c,
        "db/my-single",
        &json!({"engine": "mysql", "host": MariaDb::HOST, "port": MariaDb::PORT,
                "username": user, "password": "initial-Passw0rd", "dbname": MariaDb::DATABASE}),
    )
    .await;
    let (token, reads) =
        rotate_with_reader(&c, &arn, "cofre-mysql-single-user", Db::Maria(m.clone())).await;
    let (id, v) = current(&c, &arn).await;
    assert_eq!(id, token);
    let p = v["password"].as_str().expect("password");
    assert!(m.can_login(&user, p).await, "new password logs in");
    assert!(
        !m.can_login(&user, "initial-Passw0rd").await,
        "old one doesn't"
    );
    assert!(reads.attempts > 5, "{reads:?}");
    assert!(reads.longest_outage < SINGLE_USER_WINDOW, "{reads:?}");
}

#[tokio::test]
async fn mysql_alternating_users_alternate_and_never_fail() {
    let m = Arc::new(MariaDb::connect().await);
    let admin = MariaDb::unique_user_name();
    m.create_user(&admin, "admin-Passw0rd").await;
    m.execute(&format!(
        "GRANT ALL PRIVILEGES ON *.* TO '{admin}'@'%' WITH GRANT OPTION"
    ))
    .await;
    let user = MariaDb::unique_user_name();
    m.create_user(&user, "initial-Passw0rd").await;
    m.track_user(&format!("{user}_clone"));
    let dir = common::TempDir::new("rot-my-alt");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let (master, _) = create(
        &c,
        "db/my-master",
        &json!({"engine": "mysql", "host": MariaDb::HOST, "port": MariaDb::PORT,
                "username": admin, "password": "admin-Passw0rd"}),
    )
    .await;
    let (arn, _) = create(
        &c,
        "db/my-alt",
        &json!({"engine": "mysql", "host": MariaDb::HOST, "port": MariaDb::PORT,
                "username": user, "password": "initial-Passw0rd", "dbname": MariaDb::DATABASE,
                "masterarn": master}),
    )
    .await;
    let (_, reads1) = rotate_with_reader(
        &c,
        &arn,
        "cofre-mysql-alternating-users",
        Db::Maria(m.clone()),
    )
    .await;
    let (_, first) = current(&c, &arn).await;
    let clone = format!("{user}_clone");
    assert_eq!(first["username"], clone.as_str());
    let p1 = first["password"].as_str().expect("password").to_owned();
    assert!(m.can_login(&clone, &p1).await);
    assert!(
        m.can_use_database(&clone, &p1).await,
        "the clone has the user's grants"
    );
    let (_, reads2) = rotate_with_reader(
        &c,
        &arn,
        "cofre-mysql-alternating-users",
        Db::Maria(m.clone()),
    )
    .await;
    let (_, second) = current(&c, &arn).await;
    assert_eq!(second["username"], user.as_str());
    let p2 = second["password"].as_str().expect("password").to_owned();
    assert!(m.can_login(&user, &p2).await);
    assert!(!m.can_login(&user, "initial-Passw0rd").await);
    assert!(m.can_login(&clone, &p1).await);
    for r in [&reads1, &reads2] {
        assert!(r.attempts > 5, "{r:?}");
        assert_eq!(r.failures, 0, "{r:?}");
    }
}

#[tokio::test]
async fn database_down_during_set_secret_keeps_awscurrent_and_completes_after_recovery() {
    let mut pg = PgCluster::start();
    pg.create_user("app_down", "initial-Passw0rd").await;
    let dir = common::TempDir::new("rot-pg-down");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let (arn, v1) = create(
        &c,
        "db/pg-down",
        &json!({"engine": "postgres", "host": PgCluster::HOST, "port": pg.port(),
                "username": "app_down", "password": "initial-Passw0rd", "dbname": "postgres"}),
    )
    .await;
    pg.stop();
    let token = rotate(&c, &arn, "cofre-postgres-single-user").await;
    // createSecret needs no database; setSecret fails and is retried.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
        let pending = d
            .version_ids_to_stages()
            .and_then(|m| m.get(&token))
            .is_some_and(|s| s == &vec!["AWSPENDING".to_owned()]);
        if pending {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "createSecret never staged AWSPENDING"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (id, v) = current(&c, &arn).await;
    assert_eq!(
        id, v1,
        "AWSCURRENT did not move while the database was down"
    );
    assert_eq!(v["password"], "initial-Passw0rd");
    assert!(!rotated_to(&c, &arn, &token).await);

    pg.start_again();
    assert!(
        pg.can_login("app_down", "initial-Passw0rd").await,
        "the current credentials still work after the outage"
    );
    wait_rotated(&c, &arn, &token).await;
    let (_, v) = current(&c, &arn).await;
    let p = v["password"].as_str().expect("password");
    assert!(pg.can_login("app_down", p).await);
    assert!(!pg.can_login("app_down", "initial-Passw0rd").await);
}
