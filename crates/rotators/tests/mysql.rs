//! The MySQL built-ins against the machine's MariaDB (10.11), which checks passwords over
//! TCP. A [`TcpProxy`] in front of it plays the database going down and coming back.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use std::net::SocketAddr;

use cofre_rotators::{run_step, Builtin, Step, AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use cofre_testsupport::{random_alphanumeric, MariaDb, TcpProxy};
use common::{assert_no_secret, assert_rotated, options, rerun_is_harmless, rotate, step, Memory};
use serde_json::json;

const SECRET: &str = "prod/app/mysql";
const MASTER: &str = "prod/master/mysql";

fn user_secret(port: u16, user: &str, password: &str) -> String {
    json!({
        "engine": "mysql",
        "host": "127.0.0.1",
        "port": port,
        "username": user,
        "password": password,
        "dbname": MariaDb::DATABASE,
        "masterarn": MASTER,
    })
    .to_string()
}

fn master_secret(port: u16) -> String {
    json!({
        "engine": "mysql",
        "host": "127.0.0.1",
        "port": port,
        "username": "root",
        "password": "",
    })
    .to_string()
}

/// A fresh user with all privileges on the test database, and the secrets (reaching the
/// server on `port`). Returns the user name and its password.
async fn setup(db: &MariaDb, api: &Memory, port: u16) -> (String, String) {
    let user = MariaDb::unique_user_name();
    let password = random_alphanumeric(24);
    db.create_user(&user, &password).await;
    db.track_user(&format!("{user}_clone"));
    api.create_secret(SECRET, &user_secret(port, &user, &password));
    api.create_secret(MASTER, &master_secret(port));
    (user, password)
}

fn mariadb_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], MariaDb::PORT))
}

#[tokio::test]
async fn single_user_rotation_changes_the_password_and_retires_the_old_one() {
    let builtin = Builtin::MysqlSingleUser;
    let opts = options(builtin);
    let db = MariaDb::connect().await;
    let api = Memory::new();
    let (user, original) = setup(&db, &api, MariaDb::PORT).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();

    let token = rotate(builtin, &api, SECRET, &opts).await;

    assert_rotated(&api, SECRET, &token, &first_version);
    let (current_user, new_password) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(current_user, user);
    assert_ne!(new_password, original);
    assert!(!new_password.contains(['/', '@', '"', '\'', '\\']));
    assert!(db.can_use_database(&user, &new_password).await);
    assert!(!db.can_login(&user, &original).await);
    assert_eq!(
        api.credentials(SECRET, AWSPREVIOUS),
        (user.clone(), original.clone())
    );

    rerun_is_harmless(builtin, &api, SECRET, &token, &opts).await;
    assert!(db.can_login(&user, &new_password).await);

    let second = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &second, &token);
    let (_, newest) = api.credentials(SECRET, AWSCURRENT);
    assert!(db.can_login(&user, &newest).await);
    assert!(!db.can_login(&user, &new_password).await);
}

#[tokio::test]
async fn single_user_steps_are_idempotent_before_finishing() {
    let builtin = Builtin::MysqlSingleUser;
    let opts = options(builtin);
    let db = MariaDb::connect().await;
    let api = Memory::new();
    let (user, original) = setup(&db, &api, MariaDb::PORT).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
    let token = api.start_rotation(SECRET).unwrap();

    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    let pending = api.credentials(SECRET, AWSPENDING);
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    assert_eq!(api.credentials(SECRET, AWSPENDING), pending);
    for _ in 0..2 {
        step(builtin, &api, Step::SetSecret, SECRET, &token, &opts).await;
        assert!(db.can_login(&user, &pending.1).await);
        assert!(!db.can_login(&user, &original).await);
        assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
    }
    for _ in 0..2 {
        step(builtin, &api, Step::TestSecret, SECRET, &token, &opts).await;
    }
    for _ in 0..2 {
        step(builtin, &api, Step::FinishSecret, SECRET, &token, &opts).await;
        assert_rotated(&api, SECRET, &token, &first_version);
    }
}

#[tokio::test]
async fn single_user_set_secret_fails_while_the_database_is_down_then_succeeds() {
    let builtin = Builtin::MysqlSingleUser;
    let opts = options(builtin);
    let db = MariaDb::connect().await;
    let mut proxy = TcpProxy::start(mariadb_addr());
    let api = Memory::new();
    let (user, original) = setup(&db, &api, proxy.port()).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
    let token = api.start_rotation(SECRET).unwrap();
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    let (_, pending) = api.credentials(SECRET, AWSPENDING);

    proxy.stop();
    let err = run_step(builtin, &api, Step::SetSecret, SECRET, &token, &opts)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Unable to log into database with previous, current, or pending secret of secret arn {SECRET}")
    );
    assert_no_secret(&err, &[&original, &pending]);
    assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
    assert_eq!(api.credentials(SECRET, AWSCURRENT).1, original);
    assert!(
        db.can_login(&user, &original).await,
        "nothing changed while it was down"
    );

    proxy.start_again();
    for s in [Step::SetSecret, Step::TestSecret, Step::FinishSecret] {
        step(builtin, &api, s, SECRET, &token, &opts).await;
    }
    assert_rotated(&api, SECRET, &token, &first_version);
    assert!(db.can_login(&user, &pending).await);
    assert!(!db.can_login(&user, &original).await);
}

#[tokio::test]
async fn alternating_users_swap_between_user_and_clone() {
    let builtin = Builtin::MysqlAlternatingUsers;
    let opts = options(builtin);
    let db = MariaDb::connect().await;
    let api = Memory::new();
    let (user, original) = setup(&db, &api, MariaDb::PORT).await;
    let clone = format!("{user}_clone");
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();

    // First rotation: creates user_clone with user's grants.
    let token1 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token1, &first_version);
    let (user1, password1) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user1, clone);
    assert!(
        db.can_use_database(&clone, &password1).await,
        "grants were copied"
    );
    assert!(
        db.grants(&clone)
            .await
            .iter()
            .any(|g| g.contains("ALL PRIVILEGES ON `cofre_test`.*")),
        "{:?}",
        db.grants(&clone).await
    );
    assert!(
        db.can_login(&user, &original).await,
        "the other user keeps working"
    );
    rerun_is_harmless(builtin, &api, SECRET, &token1, &opts).await;

    // Second rotation: back to user, with a new password.
    let token2 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token2, &token1);
    let (user2, password2) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user2, user);
    assert!(db.can_use_database(&user, &password2).await);
    assert!(!db.can_login(&user, &original).await);
    assert!(
        db.can_use_database(&clone, &password1).await,
        "AWSPREVIOUS still logs in"
    );
    assert_eq!(
        api.credentials(SECRET, AWSPREVIOUS),
        (clone.clone(), password1.clone())
    );
    rerun_is_harmless(builtin, &api, SECRET, &token2, &opts).await;

    // Third: the clone again, with a new password.
    let token3 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token3, &token2);
    let (user3, password3) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user3, clone);
    assert!(db.can_use_database(&clone, &password3).await);
    assert!(!db.can_login(&clone, &password1).await);
    assert!(db.can_use_database(&user, &password2).await);
}

#[tokio::test]
async fn alternating_users_set_secret_fails_while_the_database_is_down_then_succeeds() {
    let builtin = Builtin::MysqlAlternatingUsers;
    let opts = options(builtin);
    let db = MariaDb::connect().await;
    let mut proxy = TcpProxy::start(mariadb_addr());
    let api = Memory::new();
    let (user, original) = setup(&db, &api, proxy.port()).await;
    let clone = format!("{user}_clone");
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
    let token = api.start_rotation(SECRET).unwrap();
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    let (pending_user, pending) = api.credentials(SECRET, AWSPENDING);
    assert_eq!(pending_user, clone);

    proxy.stop();
    let err = run_step(builtin, &api, Step::SetSecret, SECRET, &token, &opts)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Unable to log into database using current credentials for secret {SECRET}")
    );
    assert_no_secret(&err, &[&original, &pending]);
    assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
    assert!(
        !db.can_login(&clone, &pending).await,
        "no user was created while it was down"
    );

    proxy.start_again();
    for s in [Step::SetSecret, Step::TestSecret, Step::FinishSecret] {
        step(builtin, &api, s, SECRET, &token, &opts).await;
    }
    assert_rotated(&api, SECRET, &token, &first_version);
    assert!(db.can_use_database(&clone, &pending).await);
    assert!(db.can_use_database(&user, &original).await);
}

#[tokio::test]
async fn test_secret_fails_when_the_pending_password_is_wrong() {
    let db = MariaDb::connect().await;
    for builtin in [Builtin::MysqlSingleUser, Builtin::MysqlAlternatingUsers] {
        let opts = options(builtin);
        let api = Memory::new();
        let (user, original) = setup(&db, &api, MariaDb::PORT).await;
        let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
        let token = api.start_rotation(SECRET).unwrap();
        let wrong = random_alphanumeric(24);
        let pending_user = if builtin == Builtin::MysqlSingleUser {
            user.clone()
        } else {
            format!("{user}_clone")
        };
        api.put_pending_json(
            SECRET,
            &token,
            &user_secret(MariaDb::PORT, &pending_user, &wrong),
        )
        .await;

        let err = run_step(builtin, &api, Step::TestSecret, SECRET, &token, &opts)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Unable to log into database with pending secret of secret ARN {SECRET}")
        );
        assert_no_secret(&err, &[&wrong, &original]);
        assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
        assert!(db.can_login(&user, &original).await);
    }
}

#[tokio::test]
async fn passwords_with_quotes_and_backslashes_are_set_exactly() {
    let db = MariaDb::connect().await;
    for builtin in [Builtin::MysqlSingleUser, Builtin::MysqlAlternatingUsers] {
        let opts = cofre_rotators::Options {
            exclude_characters: String::new(),
            ..options(builtin)
        };
        let api = Memory::with_tricky_passwords();
        setup(&db, &api, MariaDb::PORT).await;
        for _ in 0..2 {
            rotate(builtin, &api, SECRET, &opts).await;
            let (user, password) = api.credentials(SECRET, AWSCURRENT);
            assert!(
                password.contains('\'') && password.contains('\\'),
                "{password}"
            );
            assert!(db.can_login(&user, &password).await, "{builtin}: {user}");
        }
    }
}
