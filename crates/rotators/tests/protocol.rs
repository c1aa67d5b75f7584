//! The handler's checks and the templates' validation errors, with no database reachable
//! (secrets point at a closed port, so every login fails at once).

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use cofre_rotators::{
    run_step, Builtin, RotatorError, SecretsApi as _, Step, AWSCURRENT, AWSPENDING,
};
use cofre_testsupport::free_port;
use common::{assert_no_secret, options, step, Memory};
use serde_json::json;

const SECRET: &str = "prod/app/db";
const PASSWORD: &str = "Sup3rSecretPassw0rd";

fn secret(engine: &str, user: &str, port: u16) -> String {
    json!({
        "engine": engine,
        "host": "127.0.0.1",
        "port": port,
        "username": user,
        "password": PASSWORD,
    })
    .to_string()
}

/// `secret(…)` naming a master secret (which the PostgreSQL single-user template would
/// log in with before anything else, so most cases here leave it out).
fn secret_with_master(engine: &str, user: &str, port: u16) -> String {
    let mut value: serde_json::Value = serde_json::from_str(&secret(engine, user, port)).unwrap();
    value["masterarn"] = json!("prod/master");
    value.to_string()
}

fn engine(builtin: Builtin) -> &'static str {
    match builtin {
        Builtin::PostgresSingleUser | Builtin::PostgresAlternatingUsers => "postgres",
        _ => "mysql",
    }
}

#[tokio::test]
async fn tokens_must_be_staged_as_pending() {
    for builtin in Builtin::ALL {
        let api = Memory::new();
        let first = api.create_secret(SECRET, &secret(engine(builtin), "app", free_port()));
        let opts = options(builtin);

        let err = run_step(
            builtin,
            &api,
            Step::CreateSecret,
            SECRET,
            "no-such-version",
            &opts,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RotatorError::Invalid(_)));
        assert_eq!(
            err.to_string(),
            format!("Secret version no-such-version has no stage for rotation of secret {SECRET}.")
        );

        // A version that is AWSCURRENT: every step is a no-op.
        for s in Step::ALL {
            step(builtin, &api, s, SECRET, &first, &opts).await;
        }
        assert_eq!(api.stages(SECRET).len(), 1);

        // A version with a label other than AWSPENDING.
        let token = api.start_rotation(SECRET).unwrap();
        step(builtin, &api, Step::CreateSecret, SECRET, &token, &opts).await;
        api.update_stage(SECRET, "CUSTOM", Some(&token), None)
            .await
            .unwrap();
        api.update_stage(SECRET, AWSPENDING, None, Some(&token))
            .await
            .unwrap();
        assert_eq!(api.stages(SECRET)[&token], ["CUSTOM"]);
        let err = run_step(builtin, &api, Step::SetSecret, SECRET, &token, &opts)
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "Secret version {token} not set as AWSPENDING for rotation of secret {SECRET}."
            )
        );
    }
}

#[tokio::test]
async fn secrets_for_another_engine_are_refused_with_the_templates_messages() {
    let cases = [
        (
            Builtin::PostgresSingleUser,
            "mysql",
            "Database engine must be set to 'postgres' in order to use this rotation lambda",
        ),
        (
            Builtin::PostgresAlternatingUsers,
            "mariadb",
            "Database engine must be set to 'postgres' in order to use this rotation lambda",
        ),
        (
            Builtin::MysqlSingleUser,
            "postgres",
            "Database engine must be set to 'mysql' in order to use this rotation lambda",
        ),
        (
            Builtin::MysqlAlternatingUsers,
            "aurora-postgresql",
            "Database engine must be set to 'mysql' in order to use this rotation lambda",
        ),
    ];
    for (builtin, wrong_engine, message) in cases {
        let api = Memory::new();
        api.create_secret(SECRET, &secret(wrong_engine, "app", free_port()));
        let token = api.start_rotation(SECRET).unwrap();
        let err = run_step(
            builtin,
            &api,
            Step::CreateSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RotatorError::MissingKey(_)), "{err:?}");
        assert_eq!(err.to_string(), message);
        assert!(
            api.json_of_version(SECRET, &token).is_none(),
            "nothing was put"
        );
    }
}

#[tokio::test]
async fn create_secret_copies_current_and_alternates_the_user() {
    for builtin in Builtin::ALL {
        let api = Memory::new();
        api.create_secret(SECRET, &secret_with_master(engine(builtin), "app", 1234));
        let token = api.start_rotation(SECRET).unwrap();
        step(
            builtin,
            &api,
            Step::CreateSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await;
        let pending = api.json(SECRET, AWSPENDING);
        let current = api.json(SECRET, AWSCURRENT);
        let alternating = matches!(
            builtin,
            Builtin::PostgresAlternatingUsers | Builtin::MysqlAlternatingUsers
        );
        assert_eq!(
            pending["username"],
            if alternating { "app_clone" } else { "app" }
        );
        assert_ne!(pending["password"], PASSWORD);
        for key in ["engine", "host", "port", "masterarn"] {
            assert_eq!(pending[key], current[key], "{key}");
        }
        let excluded = builtin.default_exclude_characters();
        assert!(!pending["password"]
            .as_str()
            .unwrap()
            .contains(|c| excluded.contains(c)));
    }
}

#[tokio::test]
async fn mysql_clone_names_are_limited_to_16_characters() {
    let api = Memory::new();
    api.create_secret(SECRET, &secret("mysql", "abcdefghijk", 1234));
    let token = api.start_rotation(SECRET).unwrap();
    let builtin = Builtin::MysqlAlternatingUsers;
    let err = run_step(
        builtin,
        &api,
        Step::CreateSecret,
        SECRET,
        &token,
        &options(builtin),
    )
    .await
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unable to clone user, username length with _clone appended would exceed 16 characters"
    );
}

#[tokio::test]
async fn set_secret_refuses_a_pending_user_that_is_not_the_alternate() {
    for (builtin, message) in [
        (
            Builtin::PostgresAlternatingUsers,
            "Attempting to modify user mallory other than current user or clone app",
        ),
        (
            Builtin::MysqlAlternatingUsers,
            "Attempting to modify user mallory other than current user or clone app",
        ),
        (
            Builtin::PostgresSingleUser,
            "Attempting to modify user mallory other than current user app",
        ),
        (
            Builtin::MysqlSingleUser,
            "Attempting to modify user mallory other than current user app",
        ),
    ] {
        let api = Memory::new();
        let port = free_port();
        api.create_secret(SECRET, &secret(engine(builtin), "app", port));
        let token = api.start_rotation(SECRET).unwrap();
        api.put_pending_json(SECRET, &token, &secret(engine(builtin), "mallory", port))
            .await;
        let err = run_step(
            builtin,
            &api,
            Step::SetSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), message, "{builtin}");
        assert_no_secret(&err, &[PASSWORD]);
    }
}

#[tokio::test]
async fn set_secret_without_a_reachable_database_fails_fast_and_names_no_password() {
    for builtin in [Builtin::PostgresSingleUser, Builtin::MysqlSingleUser] {
        let api = Memory::new();
        api.create_secret(SECRET, &secret(engine(builtin), "app", free_port()));
        let token = api.start_rotation(SECRET).unwrap();
        step(
            builtin,
            &api,
            Step::CreateSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await;
        let (_, pending) = api.credentials(SECRET, AWSPENDING);
        let err = run_step(
            builtin,
            &api,
            Step::SetSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            format!("Unable to log into database with previous, current, or pending secret of secret arn {SECRET}")
        );
        assert_no_secret(&err, &[PASSWORD, &pending]);
    }
}

#[tokio::test]
async fn secrets_that_require_tls_are_refused_not_downgraded() {
    let api = Memory::new();
    let mut value: serde_json::Value =
        serde_json::from_str(&secret("postgres", "app", free_port())).unwrap();
    value["ssl"] = json!(true);
    api.create_secret(SECRET, &value.to_string());
    let token = api.start_rotation(SECRET).unwrap();
    let builtin = Builtin::PostgresSingleUser;
    step(
        builtin,
        &api,
        Step::CreateSecret,
        SECRET,
        &token,
        &options(builtin),
    )
    .await;
    let err = run_step(
        builtin,
        &api,
        Step::SetSecret,
        SECRET,
        &token,
        &options(builtin),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("requires an SSL/TLS connection"),
        "{err}"
    );
    assert_eq!(
        api.json(SECRET, AWSPENDING)["ssl"],
        true,
        "createSecret keeps the member"
    );
}

#[tokio::test]
async fn a_secret_that_is_not_json_is_refused_without_echoing_it() {
    let api = Memory::new();
    api.create_secret(SECRET, PASSWORD);
    let token = api.start_rotation(SECRET).unwrap();
    for builtin in Builtin::ALL {
        let err = run_step(
            builtin,
            &api,
            Step::CreateSecret,
            SECRET,
            &token,
            &options(builtin),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, RotatorError::Invalid(_)), "{err:?}");
        assert_no_secret(&err, &[PASSWORD]);
    }
}
