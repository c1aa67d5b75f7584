//! What differs between the PostgreSQL and MySQL templates: the secret JSON they accept,
//! their user-name limits, and how they reach the database ([`Conn`]).

use std::future::Future;
use std::time::Duration;

use sqlx::{MySqlConnection, PgConnection};

use crate::secret::SecretDict;
use crate::{mysql, postgres, Options, RotatorError};

/// The database engine a template rotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    /// The `SecretsManagerRDSPostgreSQL*` templates.
    Postgres,
    /// The `SecretsManagerRDSMySQL*` templates.
    Mysql,
}

impl Engine {
    /// The checks at the end of the templates' `get_secret_dict`, with their messages.
    pub(crate) fn validate(self, dict: &SecretDict) -> Result<(), RotatorError> {
        let missing = |field: &str| -> Result<(), RotatorError> {
            if dict.contains(field) {
                Ok(())
            } else {
                Err(RotatorError::MissingKey(format!(
                    "{field} key is missing from secret JSON"
                )))
            }
        };
        match self {
            Engine::Postgres => {
                for field in ["host", "username", "password", "engine"] {
                    missing(field)?;
                }
                let engine = dict.get("engine").and_then(|v| v.as_str());
                if !matches!(engine, Some("postgres" | "aurora-postgresql")) {
                    return Err(RotatorError::MissingKey(
                        "Database engine must be set to 'postgres' in order to use this rotation lambda"
                            .into(),
                    ));
                }
            }
            Engine::Mysql => {
                if dict.get("engine").and_then(|v| v.as_str()) != Some("mysql") {
                    return Err(RotatorError::MissingKey(
                        "Database engine must be set to 'mysql' in order to use this rotation lambda"
                            .into(),
                    ));
                }
                for field in ["host", "username", "password"] {
                    missing(field)?;
                }
            }
        }
        // The templates would fail later (in string operations or the driver) on non-string
        // values; checking here gives a clear message instead.
        dict.username()?;
        dict.host()?;
        Ok(())
    }

    /// The templates' `get_alt_username`: toggles the `_clone` suffix.
    pub(crate) fn alt_username(self, current: &str) -> Result<String, RotatorError> {
        const CLONE_SUFFIX: &str = "_clone";
        if let Some(base) = current.strip_suffix(CLONE_SUFFIX) {
            return Ok(base.to_owned());
        }
        // PostgreSQL's NAMEDATALEN - 1; MySQL 5.6's user-name limit, kept by the template.
        let max = match self {
            Engine::Postgres => 63,
            Engine::Mysql => 16,
        };
        let new_username = format!("{current}{CLONE_SUFFIX}");
        if new_username.chars().count() > max {
            return Err(RotatorError::Invalid(format!(
                "Unable to clone user, username length with _clone appended would exceed {max} characters"
            )));
        }
        Ok(new_username)
    }

    /// "PostgreSQL DB" / "MySQL DB", as the templates' log lines say.
    pub(crate) fn db_label(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL DB",
            Engine::Mysql => "MySQL DB",
        }
    }

    /// The templates' `get_connection`: `Ok(None)` when the login fails for any reason
    /// (refused, timed out, wrong password), as the templates return `None`.
    ///
    /// TLS: this build has no TLS stack. A secret that asks for TLS outright (`"ssl": true`)
    /// is refused rather than downgraded; without an `ssl` key the templates try TLS and fall
    /// back to a plain connection, which here means connecting plainly at once.
    pub(crate) async fn connect(
        self,
        dict: &SecretDict,
        opts: &Options,
    ) -> Result<Option<Conn>, RotatorError> {
        let host = dict.host()?;
        let (use_ssl, fall_back) = dict.ssl_config();
        if use_ssl && !fall_back {
            return Err(RotatorError::Invalid(format!(
                "The secret requires an SSL/TLS connection to host {host}, but Cofre's built-in \
                 rotation functions connect without TLS; set \"ssl\" to false to rotate it"
            )));
        }
        Ok(match self {
            Engine::Postgres => postgres::connect(dict, opts).await?.map(Conn::Pg),
            Engine::Mysql => mysql::connect(dict, opts).await?.map(Conn::My),
        })
    }
}

/// Awaits a connection attempt bounded by `timeout`, logging why it failed.
pub(crate) async fn login<C>(
    attempt: impl Future<Output = Result<C, sqlx::Error>>,
    timeout: Duration,
    user: &str,
    host: &str,
) -> Option<C> {
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok(conn)) => {
            tracing::info!(
                user,
                host,
                "Successfully established non SSL/TLS connection"
            );
            Some(conn)
        }
        // sqlx's connection errors name the user and the server's reason, never the password.
        Ok(Err(error)) => {
            tracing::warn!(user, host, %error, "Unable to log into the database");
            None
        }
        Err(_) => {
            tracing::warn!(user, host, ?timeout, "Timed out logging into the database");
            None
        }
    }
}

/// An open database session.
#[derive(Debug)]
pub(crate) enum Conn {
    /// PostgreSQL.
    Pg(PgConnection),
    /// MySQL / MariaDB.
    My(MySqlConnection),
}

impl Conn {
    /// Closes the session, ignoring errors (`conn.close()`).
    pub(crate) async fn close(self) {
        use sqlx::Connection as _;
        let _ = match self {
            Conn::Pg(c) => c.close().await,
            Conn::My(c) => c.close().await,
        };
    }

    /// testSecret's check: `SELECT NOW()`.
    pub(crate) async fn select_now(&mut self) -> Result<(), RotatorError> {
        use sqlx::Executor as _;
        let result = match self {
            Conn::Pg(c) => c.execute("SELECT NOW()").await.map(drop),
            Conn::My(c) => c.execute("SELECT NOW()").await.map(drop),
        };
        result.map_err(|e| RotatorError::database("SELECT NOW()", &e))
    }

    /// Single-user setSecret: the logged-in user sets its own password to `pending`'s.
    pub(crate) async fn set_own_password(
        &mut self,
        pending: &SecretDict,
    ) -> Result<(), RotatorError> {
        match self {
            Conn::Pg(c) => {
                postgres::alter_user_password(c, pending.username()?, pending.password()?).await
            }
            Conn::My(c) => mysql::set_own_password(c, pending.password()?).await,
        }
    }

    /// Alternating-users setSecret, logged in as the master user: make `pending`'s user
    /// exist with `current`'s permissions and `pending`'s password.
    pub(crate) async fn set_alternate_user(
        &mut self,
        current: &SecretDict,
        pending: &SecretDict,
    ) -> Result<(), RotatorError> {
        match self {
            Conn::Pg(c) => postgres::set_alternate_user(c, current, pending).await,
            Conn::My(c) => mysql::set_alternate_user(c, current, pending).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretString;

    fn dict(text: &str) -> SecretDict {
        SecretDict::parse(&SecretString::from(text)).unwrap()
    }

    #[test]
    fn alt_username_toggles_and_limits_like_the_templates() {
        assert_eq!(Engine::Postgres.alt_username("app").unwrap(), "app_clone");
        assert_eq!(Engine::Postgres.alt_username("app_clone").unwrap(), "app");
        assert_eq!(
            Engine::Mysql.alt_username("abcdefghij").unwrap(),
            "abcdefghij_clone"
        );
        let err = Engine::Mysql.alt_username("abcdefghijk").unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unable to clone user, username length with _clone appended would exceed 16 characters"
        );
        assert!(Engine::Postgres.alt_username(&"a".repeat(57)).is_ok());
        assert!(Engine::Postgres.alt_username(&"a".repeat(58)).is_err());
    }

    #[test]
    fn validation_messages_match_the_templates() {
        let pg = dict(r#"{"engine":"postgres","host":"h","username":"u"}"#);
        assert_eq!(
            Engine::Postgres.validate(&pg).unwrap_err().to_string(),
            "password key is missing from secret JSON"
        );
        let aurora =
            dict(r#"{"engine":"aurora-postgresql","host":"h","username":"u","password":"p"}"#);
        assert!(Engine::Postgres.validate(&aurora).is_ok());
        let my = dict(r#"{"engine":"mariadb","host":"h","username":"u","password":"p"}"#);
        assert_eq!(
            Engine::Mysql.validate(&my).unwrap_err().to_string(),
            "Database engine must be set to 'mysql' in order to use this rotation lambda"
        );
        let no_engine = dict(r#"{"host":"h","username":"u","password":"p"}"#);
        assert_eq!(
            Engine::Postgres
                .validate(&no_engine)
                .unwrap_err()
                .to_string(),
            "engine key is missing from secret JSON"
        );
        // The MySQL template checks the engine before the required keys.
        assert_eq!(
            Engine::Mysql.validate(&no_engine).unwrap_err().to_string(),
            "Database engine must be set to 'mysql' in order to use this rotation lambda"
        );
        let my_no_host = dict(r#"{"engine":"mysql","username":"u","password":"p"}"#);
        assert_eq!(
            Engine::Mysql.validate(&my_no_host).unwrap_err().to_string(),
            "host key is missing from secret JSON"
        );
    }
}
