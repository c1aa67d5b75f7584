//! The PostgreSQL built-ins against a private PostgreSQL cluster that checks passwords.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use std::time::{Duration, Instant};

use cofre_rotators::{run_step, Builtin, RotatorError, Step, AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use cofre_testsupport::{random_alphanumeric, PgCluster};
use common::{assert_no_secret, assert_rotated, options, rerun_is_harmless, rotate, step, Memory};
use serde_json::json;

const SECRET: &str = "prod/app/postgres";
const MASTER: &str = "prod/master/postgres";

fn user_secret(cluster: &PgCluster, user: &str, password: &str) -> String {
    json!({
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": cluster.port(),
        "username": user,
        "password": password,
        "dbname": "appdb",
        "masterarn": MASTER,
        "note": "kept across rotations",
    })
    .to_string()
}

fn master_secret(cluster: &PgCluster) -> String {
    json!({
        "engine": "postgres",
        "host": "127.0.0.1",
        "port": cluster.port(),
        "username": PgCluster::SUPERUSER,
        "password": cluster.superuser_password(),
    })
    .to_string()
}

/// A cluster with user `app` owning database `appdb` with a table `t`, and the secrets.
async fn setup(api: &Memory) -> (PgCluster, String) {
    let cluster = PgCluster::start();
    let password = random_alphanumeric(24);
    cluster.create_user("app", &password).await;
    cluster.create_database("appdb", Some("app")).await;
    cluster
        .execute(
            "appdb",
            "CREATE TABLE t (x int); INSERT INTO t VALUES (42); ALTER TABLE t OWNER TO app",
        )
        .await;
    api.create_secret(SECRET, &user_secret(&cluster, "app", &password));
    api.create_secret(MASTER, &master_secret(&cluster));
    (cluster, password)
}

#[tokio::test]
async fn single_user_rotation_changes_the_password_and_retires_the_old_one() {
    let builtin = Builtin::PostgresSingleUser;
    let opts = options(builtin);
    let api = Memory::new();
    let (cluster, original) = setup(&api).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();

    let token = rotate(builtin, &api, SECRET, &opts).await;

    assert_rotated(&api, SECRET, &token, &first_version);
    let (user, new_password) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user, "app");
    assert_ne!(new_password, original);
    assert_eq!(new_password.len(), 32);
    assert!(!new_password.contains([':', '/', '@', '"', '\'', '\\']));
    assert!(cluster.can_login("app", &new_password).await);
    assert!(!cluster.can_login("app", &original).await);
    assert_eq!(
        api.credentials(SECRET, AWSPREVIOUS),
        ("app".to_owned(), original.clone())
    );
    // Other members of the secret survive.
    assert_eq!(
        api.json(SECRET, AWSCURRENT)["note"],
        "kept across rotations"
    );
    assert_eq!(api.json(SECRET, AWSCURRENT)["port"], cluster.port());

    rerun_is_harmless(builtin, &api, SECRET, &token, &opts).await;
    assert!(cluster.can_login("app", &new_password).await);

    // A second rotation starts from the new password.
    let second = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &second, &token);
    let (_, newest) = api.credentials(SECRET, AWSCURRENT);
    assert!(cluster.can_login("app", &newest).await);
    assert!(!cluster.can_login("app", &new_password).await);
}

#[tokio::test]
async fn single_user_steps_are_idempotent_before_finishing() {
    let builtin = Builtin::PostgresSingleUser;
    let opts = options(builtin);
    let api = Memory::new();
    let (cluster, original) = setup(&api).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
    let token = api.start_rotation(SECRET).unwrap();

    for _ in 0..2 {
        step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    }
    let pending = api.credentials(SECRET, AWSPENDING);
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    assert_eq!(
        api.credentials(SECRET, AWSPENDING),
        pending,
        "createSecret made a second password"
    );

    for _ in 0..2 {
        step(builtin, &api, Step::SetSecret, SECRET, &token, &opts).await;
        assert!(cluster.can_login("app", &pending.1).await);
        assert!(!cluster.can_login("app", &original).await);
        // setSecret leaves the labels alone.
        assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
    }
    for _ in 0..2 {
        step(builtin, &api, Step::TestSecret, SECRET, &token, &opts).await;
    }
    for _ in 0..2 {
        step(builtin, &api, Step::FinishSecret, SECRET, &token, &opts).await;
        assert_rotated(&api, SECRET, &token, &first_version);
    }
    assert_eq!(api.credentials(SECRET, AWSCURRENT), pending);
}

#[tokio::test]
async fn single_user_set_secret_fails_while_the_database_is_down_then_succeeds() {
    let builtin = Builtin::PostgresSingleUser;
    let opts = options(builtin);
    let api = Memory::new();
    // Without a master secret: setSecret then only logs in as the user.
    let mut cluster = PgCluster::start();
    let original = random_alphanumeric(24);
    cluster.create_user("app", &original).await;
    let mut secret: serde_json::Value =
        serde_json::from_str(&user_secret(&cluster, "app", &original)).unwrap();
    secret.as_object_mut().unwrap().remove("masterarn");
    secret["dbname"] = json!("postgres");
    let first_version = api.create_secret(SECRET, &secret.to_string());
    let token = api.start_rotation(SECRET).unwrap();
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    let (_, pending) = api.credentials(SECRET, AWSPENDING);

    cluster.stop();
    let started = Instant::now();
    let err = run_step(builtin, &api, Step::SetSecret, SECRET, &token, &opts)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a down database must fail fast"
    );
    assert!(matches!(err, RotatorError::Invalid(_)), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("Unable to log into database with previous, current, or pending secret of secret arn {SECRET}")
    );
    assert_no_secret(&err, &[&original, &pending]);
    assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);
    assert_eq!(api.credentials(SECRET, AWSCURRENT).1, original);
    // testSecret fails too, and finishing is not attempted by a runner after a failure.
    assert!(
        run_step(builtin, &api, Step::TestSecret, SECRET, &token, &opts)
            .await
            .is_err()
    );

    cluster.start_again();
    assert!(
        cluster.can_login("app", &original).await,
        "nothing changed while it was down"
    );
    for s in [Step::SetSecret, Step::TestSecret, Step::FinishSecret] {
        step(builtin, &api, s, SECRET, &token, &opts).await;
    }
    assert_rotated(&api, SECRET, &token, &first_version);
    assert!(cluster.can_login("app", &pending).await);
    assert!(!cluster.can_login("app", &original).await);
}

#[tokio::test]
async fn single_user_falls_back_to_the_previous_password() {
    // AWSCURRENT was changed by hand to a password the database never had; the user still
    // has the AWSPREVIOUS one, which setSecret uses to log in.
    let builtin = Builtin::PostgresSingleUser;
    let opts = options(builtin);
    let api = Memory::new();
    let (cluster, original) = setup(&api).await;
    let first = rotate(builtin, &api, SECRET, &opts).await;
    let (_, working) = api.credentials(SECRET, AWSCURRENT);
    // Roll the database back to the original password: now only AWSPREVIOUS logs in.
    cluster
        .execute(
            "postgres",
            &format!("ALTER USER app WITH PASSWORD '{original}'"),
        )
        .await;
    assert!(!cluster.can_login("app", &working).await);

    let second = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &second, &first);
    let (_, newest) = api.credentials(SECRET, AWSCURRENT);
    assert!(cluster.can_login("app", &newest).await);
    assert!(!cluster.can_login("app", &original).await);
}

#[tokio::test]
async fn single_user_with_a_master_secret_creates_a_missing_user() {
    let builtin = Builtin::PostgresSingleUser;
    let opts = options(builtin);
    let api = Memory::new();
    let cluster = PgCluster::start();
    cluster.create_database("appdb", None).await;
    cluster
        .execute("postgres", "REVOKE CONNECT ON DATABASE appdb FROM PUBLIC")
        .await;
    let initial = random_alphanumeric(24);
    api.create_secret(SECRET, &user_secret(&cluster, "fresh user", &initial));
    api.create_secret(MASTER, &master_secret(&cluster));
    assert!(!cluster.can_login("fresh user", &initial).await);

    rotate(builtin, &api, SECRET, &opts).await;

    let (user, password) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user, "fresh user");
    assert!(cluster.can_login("fresh user", &password).await);
    assert!(!cluster.can_login("fresh user", &initial).await);
    // It was granted CONNECT on its database.
    cluster
        .query_as("fresh user", &password, "appdb", "SELECT 1")
        .await
        .unwrap();
}

#[tokio::test]
async fn alternating_users_swap_between_user_and_clone() {
    let builtin = Builtin::PostgresAlternatingUsers;
    let opts = options(builtin);
    let api = Memory::new();
    let (cluster, original) = setup(&api).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();

    // First rotation: creates app_clone with app's permissions.
    let token1 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token1, &first_version);
    let (user1, password1) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user1, "app_clone");
    assert!(cluster.can_login("app_clone", &password1).await);
    assert!(
        cluster.can_login("app", &original).await,
        "the other user keeps working"
    );
    cluster
        .query_as("app_clone", &password1, "appdb", "SELECT x FROM t")
        .await
        .expect("the clone has app's permissions");
    assert_eq!(api.json(SECRET, AWSCURRENT)["masterarn"], MASTER);
    rerun_is_harmless(builtin, &api, SECRET, &token1, &opts).await;

    // Second rotation: back to app, with a new password.
    let token2 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token2, &token1);
    let (user2, password2) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user2, "app");
    assert_ne!(password2, original);
    assert!(cluster.can_login("app", &password2).await);
    assert!(!cluster.can_login("app", &original).await);
    assert!(
        cluster.can_login("app_clone", &password1).await,
        "AWSPREVIOUS still logs in"
    );
    assert_eq!(
        api.credentials(SECRET, AWSPREVIOUS),
        (user1, password1.clone())
    );
    rerun_is_harmless(builtin, &api, SECRET, &token2, &opts).await;

    // Third: app_clone again, with a new password.
    let token3 = rotate(builtin, &api, SECRET, &opts).await;
    assert_rotated(&api, SECRET, &token3, &token2);
    let (user3, password3) = api.credentials(SECRET, AWSCURRENT);
    assert_eq!(user3, "app_clone");
    assert!(cluster.can_login("app_clone", &password3).await);
    assert!(!cluster.can_login("app_clone", &password1).await);
    assert!(cluster.can_login("app", &password2).await);
}

#[tokio::test]
async fn alternating_users_set_secret_fails_while_the_database_is_down_then_succeeds() {
    let builtin = Builtin::PostgresAlternatingUsers;
    let opts = options(builtin);
    let api = Memory::new();
    let (mut cluster, original) = setup(&api).await;
    let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
    let token = api.start_rotation(SECRET).unwrap();
    step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
    let (clone, pending) = api.credentials(SECRET, AWSPENDING);
    assert_eq!(clone, "app_clone");

    cluster.stop();
    let err = run_step(builtin, &api, Step::SetSecret, SECRET, &token, &opts)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("Unable to log into database using current credentials for secret {SECRET}")
    );
    assert_no_secret(&err, &[&original, &pending, cluster.superuser_password()]);
    assert_eq!(api.version_with(SECRET, AWSCURRENT).unwrap(), first_version);

    cluster.start_again();
    assert!(!cluster.can_login("app_clone", &pending).await);
    for s in [Step::SetSecret, Step::TestSecret, Step::FinishSecret] {
        step(builtin, &api, s, SECRET, &token, &opts).await;
    }
    assert_rotated(&api, SECRET, &token, &first_version);
    assert!(cluster.can_login("app_clone", &pending).await);
    assert!(cluster.can_login("app", &original).await);
}

#[tokio::test]
async fn test_secret_fails_when_the_pending_password_is_wrong() {
    for builtin in [
        Builtin::PostgresSingleUser,
        Builtin::PostgresAlternatingUsers,
    ] {
        let opts = options(builtin);
        let api = Memory::new();
        let (cluster, original) = setup(&api).await;
        let first_version = api.version_with(SECRET, AWSCURRENT).unwrap();
        let token = api.start_rotation(SECRET).unwrap();
        // A pending version whose password the database never got.
        let wrong = random_alphanumeric(24);
        let user = if builtin == Builtin::PostgresSingleUser {
            "app"
        } else {
            "app_clone"
        };
        api.put_pending_json(SECRET, &token, &user_secret(&cluster, user, &wrong))
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
        assert!(cluster.can_login("app", &original).await);
    }
}

#[tokio::test]
async fn passwords_with_quotes_and_backslashes_are_set_exactly() {
    for builtin in [
        Builtin::PostgresSingleUser,
        Builtin::PostgresAlternatingUsers,
    ] {
        let opts = cofre_rotators::Options {
            exclude_characters: String::new(),
            ..options(builtin)
        };
        let api = Memory::with_tricky_passwords();
        let (cluster, _) = setup(&api).await;
        for _ in 0..2 {
            rotate(builtin, &api, SECRET, &opts).await;
            let (user, password) = api.credentials(SECRET, AWSCURRENT);
            assert!(
                password.contains('\'') && password.contains('\\'),
                "{password}"
            );
            assert!(
                cluster.can_login(&user, &password).await,
                "{builtin}: {user}"
            );
        }
    }
}
