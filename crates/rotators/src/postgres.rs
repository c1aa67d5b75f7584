//! PostgreSQL: connecting, and the statements of `SecretsManagerRDSPostgreSQLRotation*`.
//!
//! Utility statements (`ALTER USER`, `CREATE ROLE`, `GRANT`) take no bind parameters, so the
//! templates build them with `quote_ident` and driver-side literal escaping. Here the server
//! builds them: `format('… %I … %L', $1, $2)` quotes identifiers and literals correctly
//! whatever `standard_conforming_strings` says, and the text it returns is run over the
//! simple-query protocol, so it is neither cached as a prepared statement nor logged (statement
//! logging is off on these connections).

use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, PgConnection};
use zeroize::Zeroizing;

use crate::engine::login;
use crate::secret::{SecretDict, SecretString};
use crate::{Options, RotatorError};

/// The templates' `connect_and_authenticate` (without TLS): port defaults to 5432 and the
/// database to `postgres`.
///
/// Options are set field by field (never a URL holding the password). `PGPASSWORD`, `PGHOST`
/// and the like are overridden; `.pgpass` is not read.
pub(crate) async fn connect(
    dict: &SecretDict,
    opts: &Options,
) -> Result<Option<PgConnection>, RotatorError> {
    let host = dict.host()?;
    let user = dict.username()?;
    let port = dict.port(5432)?;
    let dbname = dict.dbname()?.unwrap_or("postgres");
    let options = PgConnectOptions::new_without_pgpass()
        .host(host)
        .port(port)
        .username(user)
        .password(dict.password()?.expose())
        .database(dbname)
        .ssl_mode(PgSslMode::Disable)
        .application_name("cofre-rotation")
        .disable_statement_logging();
    Ok(login(
        PgConnection::connect_with(&options),
        opts.connect_timeout,
        user,
        host,
    )
    .await)
}

/// Has the server quote `args` into `template` (a `format()` template) and returns the text.
async fn build(
    conn: &mut PgConnection,
    context: &str,
    template: &str,
    args: &[&str],
) -> Result<Zeroizing<String>, RotatorError> {
    let placeholders: Vec<String> = (1..=args.len()).map(|i| format!("${i}::text")).collect();
    let sql = format!("SELECT format('{template}', {})", placeholders.join(", "));
    let mut query = sqlx::query_scalar::<_, String>(&sql);
    for arg in args {
        query = query.bind(*arg);
    }
    let text = query
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| RotatorError::database_redacted(context, &e))?;
    Ok(Zeroizing::new(text))
}

/// Runs a statement text built by [`build`]; errors keep only the SQLSTATE.
async fn run_redacted(
    conn: &mut PgConnection,
    context: &str,
    sql: &str,
) -> Result<(), RotatorError> {
    conn.execute(sql)
        .await
        .map(drop)
        .map_err(|e| RotatorError::database_redacted(context, &e))
}

/// `ALTER USER <user> WITH PASSWORD <password>`.
pub(crate) async fn alter_user_password(
    conn: &mut PgConnection,
    user: &str,
    password: &SecretString,
) -> Result<(), RotatorError> {
    let sql = build(
        conn,
        "ALTER USER",
        "ALTER USER %I WITH PASSWORD %L",
        &[user, password.expose()],
    )
    .await?;
    run_redacted(conn, "ALTER USER", &sql).await
}

/// Whether a role named `name` exists (`SELECT 1 FROM pg_roles where rolname = %s`).
async fn role_exists(conn: &mut PgConnection, name: &str) -> Result<bool, RotatorError> {
    sqlx::query("SELECT 1 FROM pg_roles WHERE rolname = $1")
        .bind(name)
        .fetch_optional(&mut *conn)
        .await
        .map(|row| row.is_some())
        .map_err(|e| RotatorError::database("SELECT FROM pg_roles", &e))
}

/// The MultiUser template's master-side work, in one transaction: create the pending user
/// with `GRANT <current> TO <pending>` if it does not exist, else set its password.
pub(crate) async fn set_alternate_user(
    conn: &mut PgConnection,
    current: &SecretDict,
    pending: &SecretDict,
) -> Result<(), RotatorError> {
    let current_user = current.username()?;
    let pending_user = pending.username()?;
    let password = pending.password()?;
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| RotatorError::database("BEGIN", &e))?;
    if role_exists(&mut tx, pending_user).await? {
        let sql = build(
            &mut tx,
            "ALTER USER",
            "ALTER USER %I WITH PASSWORD %L",
            &[pending_user, password.expose()],
        )
        .await?;
        run_redacted(&mut tx, "ALTER USER", &sql).await?;
    } else {
        let sql = build(
            &mut tx,
            "CREATE ROLE",
            "CREATE ROLE %I WITH LOGIN PASSWORD %L",
            &[pending_user, password.expose()],
        )
        .await?;
        run_redacted(&mut tx, "CREATE ROLE", &sql).await?;
        let grant = build(
            &mut tx,
            "GRANT",
            "GRANT %I TO %I",
            &[current_user, pending_user],
        )
        .await?;
        tx.execute(grant.as_str())
            .await
            .map_err(|e| RotatorError::database("GRANT", &e))?;
    }
    tx.commit()
        .await
        .map_err(|e| RotatorError::database("COMMIT", &e))
}

/// The SingleUser template's `create_user_if_not_exists`, logged in as the master user:
/// create `current`'s user with its password and `GRANT CONNECT ON DATABASE` if it does not
/// exist. Returns whether it was created.
///
/// Deviation: the template passes the quoted user name as a bind parameter (which fails on a
/// real server) and needs `dbname` in the secret; here identifiers are quoted with `%I`
/// and the database defaults to `postgres`, as `get_connection` does.
pub(crate) async fn create_user_if_not_exists(
    conn: &mut PgConnection,
    current: &SecretDict,
) -> Result<bool, RotatorError> {
    let user = current.username()?;
    let dbname = current.dbname()?.unwrap_or("postgres");
    let mut tx = conn
        .begin()
        .await
        .map_err(|e| RotatorError::database("BEGIN", &e))?;
    if role_exists(&mut tx, user).await? {
        return Ok(false);
    }
    let sql = build(
        &mut tx,
        "CREATE ROLE",
        "CREATE ROLE %I WITH LOGIN PASSWORD %L",
        &[user, current.password()?.expose()],
    )
    .await?;
    run_redacted(&mut tx, "CREATE ROLE", &sql).await?;
    let grant = build(
        &mut tx,
        "GRANT CONNECT",
        "GRANT CONNECT ON DATABASE %I TO %I",
        &[dbname, user],
    )
    .await?;
    tx.execute(grant.as_str())
        .await
        .map_err(|e| RotatorError::database("GRANT CONNECT", &e))?;
    tx.commit()
        .await
        .map_err(|e| RotatorError::database("COMMIT", &e))?;
    Ok(true)
}

/// `master_dict['dbname'] = current_dict.get('dbname', None)`: the master logs in to the
/// rotated user's database.
pub(crate) fn use_database_of(master: &mut SecretDict, current: &SecretDict) {
    master.set(
        "dbname",
        current.get("dbname").cloned().unwrap_or(Value::Null),
    );
}
