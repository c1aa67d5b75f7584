//! MySQL / MariaDB: connecting, and the statements of `SecretsManagerRDSMySQLRotation*`.
//!
//! `SET PASSWORD`, `CREATE USER`, `GRANT` and `ALTER USER` are not all preparable, so the
//! templates interpolate values client-side (pymysql's escaping). Here values are quoted by
//! [`Quoter`], which reads the session's `sql_mode` first: with `NO_BACKSLASH_ESCAPES` a
//! backslash is an ordinary character and must not be doubled. The connection's character
//! set is utf8mb4 (sqlx sets it), so multi-byte escape tricks do not apply. Statements run
//! over the text protocol and are never logged (statement logging is off).

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, MySqlConnection, Row as _};
use zeroize::Zeroizing;

use crate::engine::login;
use crate::secret::{SecretDict, SecretString};
use crate::{Options, RotatorError};

/// The templates' `connect_and_authenticate` (without TLS): port defaults to 3306, and no
/// database is selected unless `dbname` is given.
pub(crate) async fn connect(
    dict: &SecretDict,
    opts: &Options,
) -> Result<Option<MySqlConnection>, RotatorError> {
    let host = dict.host()?;
    let user = dict.username()?;
    let port = dict.port(3306)?;
    let mut options = MySqlConnectOptions::new()
        .host(host)
        .port(port)
        .username(user)
        .ssl_mode(MySqlSslMode::Disabled)
        .disable_statement_logging();
    // sqlx answers the auth challenge with a scramble even for an empty password, which the
    // server rejects; an empty password must be sent as no password (as pymysql does).
    let password = dict.password()?.expose();
    if !password.is_empty() {
        options = options.password(password);
    }
    if let Some(dbname) = dict.dbname()? {
        options = options.database(dbname);
    }
    Ok(login(
        MySqlConnection::connect_with(&options),
        opts.connect_timeout,
        user,
        host,
    )
    .await)
}

/// Quotes string literals for the session it was read from.
#[derive(Debug, Clone, Copy)]
struct Quoter {
    no_backslash_escapes: bool,
}

impl Quoter {
    async fn for_session(conn: &mut MySqlConnection) -> Result<Self, RotatorError> {
        let mode: String = sqlx::query_scalar("SELECT @@SESSION.sql_mode")
            .fetch_one(&mut *conn)
            .await
            .map_err(|e| RotatorError::database("SELECT @@SESSION.sql_mode", &e))?;
        Ok(Self {
            no_backslash_escapes: mode
                .split(',')
                .any(|m| m.eq_ignore_ascii_case("NO_BACKSLASH_ESCAPES")),
        })
    }

    /// `'value'`, with `'` doubled and (unless `NO_BACKSLASH_ESCAPES`) `\` doubled.
    fn literal(self, value: &str) -> Result<Zeroizing<String>, RotatorError> {
        if value.contains('\0') {
            return Err(RotatorError::Invalid(
                "A user name or password contains a NUL character".into(),
            ));
        }
        let mut out = Zeroizing::new(String::with_capacity(2 * value.len() + 2));
        out.push('\'');
        for c in value.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' if !self.no_backslash_escapes => out.push_str("\\\\"),
                c => out.push(c),
            }
        }
        out.push('\'');
        Ok(out)
    }
}

async fn version(conn: &mut MySqlConnection) -> Result<String, RotatorError> {
    sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&mut *conn)
        .await
        .map_err(|e| RotatorError::database("SELECT VERSION()", &e))
}

/// The templates' `get_password_option`: MySQL 8 takes the password itself; older MySQL and
/// MariaDB take `PASSWORD(…)`.
///
/// Extension: the template tests `version.startswith("8")`; MySQL 9 and later (which have no
/// `PASSWORD()`) are treated like 8 too.
fn password_option(version: &str, quoted: &str) -> String {
    let major: u32 = version
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .and_then(|m| m.parse().ok())
        .unwrap_or(0);
    let is_mariadb = version.to_ascii_lowercase().contains("mariadb");
    if version.starts_with('8') || (!is_mariadb && major >= 8) {
        quoted.to_owned()
    } else {
        format!("PASSWORD({quoted})")
    }
}

/// Runs a statement holding a password; errors keep only the error number.
async fn run_redacted(
    conn: &mut MySqlConnection,
    context: &str,
    sql: &str,
) -> Result<(), RotatorError> {
    conn.execute(sql)
        .await
        .map(drop)
        .map_err(|e| RotatorError::database_redacted(context, &e))
}

/// Runs a statement holding no secret.
async fn run(conn: &mut MySqlConnection, sql: &str) -> Result<(), RotatorError> {
    conn.execute(sql)
        .await
        .map(drop)
        .map_err(|e| RotatorError::database(sql, &e))
}

/// Single-user setSecret: `SET PASSWORD = <password option>`.
pub(crate) async fn set_own_password(
    conn: &mut MySqlConnection,
    password: &SecretString,
) -> Result<(), RotatorError> {
    let ver = version(conn).await?;
    let quoter = Quoter::for_session(conn).await?;
    let quoted = quoter.literal(password.expose())?;
    let sql = Zeroizing::new(format!("SET PASSWORD = {}", password_option(&ver, &quoted)));
    run_redacted(conn, "SET PASSWORD", &sql).await
}

/// The MultiUser template's master-side work: create the pending user if missing, copy the
/// current user's grants (`SHOW GRANTS`, each line up to ` TO `), copy its TLS requirement,
/// and set the pending password.
///
/// As in the template, users are addressed without a host part (that is, `'user'@'%'`).
pub(crate) async fn set_alternate_user(
    conn: &mut MySqlConnection,
    current: &SecretDict,
    pending: &SecretDict,
) -> Result<(), RotatorError> {
    let quoter = Quoter::for_session(conn).await?;
    let current_user = current.username()?;
    let pending_user = pending.username()?;
    let password = pending.password()?;
    let current_lit = quoter.literal(current_user)?;
    let pending_lit = quoter.literal(pending_user)?;
    let password_lit = quoter.literal(password.expose())?;

    // Create the user if it does not exist.
    let exists = sqlx::query("SELECT User FROM mysql.user WHERE User = ?")
        .bind(pending_user)
        .fetch_optional(&mut *conn)
        .await
        .map_err(|e| RotatorError::database("SELECT FROM mysql.user", &e))?
        .is_some();
    if !exists {
        let sql = Zeroizing::new(format!(
            "CREATE USER {} IDENTIFIED BY {}",
            *pending_lit, *password_lit
        ));
        run_redacted(conn, "CREATE USER", &sql).await?;
    }

    // Copy grants to the new user.
    let show = format!("SHOW GRANTS FOR {}", *current_lit);
    let rows = conn
        .fetch_all(show.as_str())
        .await
        .map_err(|e| RotatorError::database(&show, &e))?;
    for row in rows {
        let grant: String = row
            .try_get(0)
            .map_err(|e| RotatorError::database(&show, &e))?;
        let head = grant.split(" TO ").next().unwrap_or_default();
        run(conn, &format!("{head} TO {}", *pending_lit)).await?;
    }

    // Copy TLS options to the new user.
    let ver = version(conn).await?;
    let encryption_statement = if ver.starts_with("5.6") {
        format!("GRANT USAGE ON *.* TO {}@'%' REQUIRE", *pending_lit)
    } else {
        format!("ALTER USER {}@'%' REQUIRE", *pending_lit)
    };
    let tls = sqlx::query(
        "SELECT CONVERT(ssl_type USING utf8mb4), CONVERT(ssl_cipher USING utf8mb4), \
         CONVERT(x509_issuer USING utf8mb4), CONVERT(x509_subject USING utf8mb4) \
         FROM mysql.user WHERE User = ?",
    )
    .bind(current_user)
    .fetch_optional(&mut *conn)
    .await
    .map_err(|e| RotatorError::database("SELECT ssl_type FROM mysql.user", &e))?
    .ok_or_else(|| RotatorError::Database(format!("No mysql.user row for user {current_user}")))?;
    let column = |i: usize| -> Result<String, RotatorError> {
        tls.try_get::<Option<String>, _>(i)
            .map(Option::unwrap_or_default)
            .map_err(|e| RotatorError::database("SELECT ssl_type FROM mysql.user", &e))
    };
    let ssl_type = column(0)?;
    let require = match ssl_type.as_str() {
        "" => format!("{encryption_statement} NONE"),
        "ANY" => format!("{encryption_statement} SSL"),
        "X509" => format!("{encryption_statement} X509"),
        _ => format!(
            "{encryption_statement} CIPHER {} AND ISSUER {} AND SUBJECT {}",
            *quoter.literal(&column(1)?)?,
            *quoter.literal(&column(2)?)?,
            *quoter.literal(&column(3)?)?
        ),
    };
    run(conn, &require).await?;

    // Set the password for the user.
    let sql = Zeroizing::new(format!(
        "SET PASSWORD FOR {} = {}",
        *pending_lit,
        password_option(&ver, &password_lit)
    ));
    run_redacted(conn, "SET PASSWORD", &sql).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_follow_the_sql_mode() {
        let backslash = Quoter {
            no_backslash_escapes: false,
        };
        let plain = Quoter {
            no_backslash_escapes: true,
        };
        assert_eq!(*backslash.literal(r"a'b\c").unwrap(), r"'a''b\\c'");
        assert_eq!(*plain.literal(r"a'b\c").unwrap(), r"'a''b\c'");
        assert_eq!(*backslash.literal("").unwrap(), "''");
        assert!(backslash.literal("a\0b").is_err());
    }

    #[test]
    fn password_option_by_version() {
        assert_eq!(
            password_option("10.11.19-MariaDB-0+deb12u1", "'p'"),
            "PASSWORD('p')"
        );
        assert_eq!(password_option("11.4.2-MariaDB", "'p'"), "PASSWORD('p')");
        assert_eq!(password_option("5.7.44-log", "'p'"), "PASSWORD('p')");
        assert_eq!(password_option("8.0.36", "'p'"), "'p'");
        assert_eq!(password_option("9.1.0", "'p'"), "'p'");
    }
}
