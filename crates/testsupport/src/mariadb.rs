//! [`MariaDb`]: the machine's MariaDB, with users created per test.

use std::sync::Mutex;

use sqlx::mysql::{MySqlConnectOptions, MySqlSslMode};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, MySqlConnection};

use crate::{block_on_elsewhere, unique_name};

/// The machine's MariaDB on 127.0.0.1:3306, administered as `root` with an empty password.
///
/// Users are created as `'name'@'%'` (what AWS's MySQL templates address when they name a
/// user without a host), with a password that TCP logins really check. On connect this
/// checks that no anonymous user exists, since `''@'localhost'` would otherwise match a TCP
/// login from 127.0.0.1 before `'name'@'%'` does. Users it created (and users registered
/// with [`MariaDb::track_user`]) are dropped when it is dropped.
#[derive(Debug)]
pub struct MariaDb {
    users: Mutex<Vec<String>>,
}

impl MariaDb {
    /// The server's address.
    pub const HOST: &'static str = "127.0.0.1";
    /// The server's port.
    pub const PORT: u16 = 3306;
    /// The database every test user gets all privileges on.
    pub const DATABASE: &'static str = "cofre_test";

    /// Checks the server is reachable as root and creates [`MariaDb::DATABASE`].
    pub async fn connect() -> MariaDb {
        let mut root = root().await;
        let anonymous: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mysql.user WHERE User = ''")
            .fetch_one(&mut root)
            .await
            .expect("read mysql.user");
        assert_eq!(
            anonymous, 0,
            "MariaDB has anonymous users; they would shadow 'user'@'%' for logins from 127.0.0.1"
        );
        root.execute(format!("CREATE DATABASE IF NOT EXISTS `{}`", Self::DATABASE).as_str())
            .await
            .expect("CREATE DATABASE");
        let _ = root.close().await;
        MariaDb {
            users: Mutex::new(Vec::new()),
        }
    }

    /// A fresh user name of 10 characters (so that `name_clone` fits the 16 characters the
    /// MySQL alternating-users template allows).
    pub fn unique_user_name() -> String {
        unique_name("t", 10)
    }

    /// Creates `'name'@'%'` identified by `password`, with all privileges on
    /// [`MariaDb::DATABASE`]. `name` must be `[a-z0-9_]`; `password` must not hold `'` or `\`.
    pub async fn create_user(&self, name: &str, password: &str) {
        assert!(
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "test user names are [a-z0-9_]"
        );
        assert!(
            !password.contains(['\'', '\\']),
            "test passwords hold no quote or backslash"
        );
        self.track_user(name);
        let mut root = root().await;
        root.execute(format!("CREATE USER '{name}'@'%' IDENTIFIED BY '{password}'").as_str())
            .await
            .expect("CREATE USER");
        root.execute(
            format!(
                "GRANT ALL PRIVILEGES ON `{}`.* TO '{name}'@'%'",
                Self::DATABASE
            )
            .as_str(),
        )
        .await
        .expect("GRANT");
        let _ = root.close().await;
    }

    /// Registers a user (e.g. one a rotation created) to drop with this value.
    pub fn track_user(&self, name: &str) {
        if let Ok(mut users) = self.users.lock() {
            if !users.iter().any(|u| u == name) {
                users.push(name.to_owned());
            }
        }
    }

    /// Whether `user` can log in with `password` over TCP from 127.0.0.1.
    pub async fn can_login(&self, user: &str, password: &str) -> bool {
        login(user, password, None).await.is_ok()
    }

    /// Whether `user` can log in with `password` and use [`MariaDb::DATABASE`] (which needs
    /// privileges on it).
    pub async fn can_use_database(&self, user: &str, password: &str) -> bool {
        login(user, password, Some(Self::DATABASE)).await.is_ok()
    }

    /// Runs `sql` as root.
    pub async fn execute(&self, sql: &str) {
        let mut root = root().await;
        root.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("root statement failed: {e}"));
        let _ = root.close().await;
    }

    /// The lines of `SHOW GRANTS FOR 'user'@'%'`.
    pub async fn grants(&self, user: &str) -> Vec<String> {
        let mut root = root().await;
        let grants = sqlx::query_scalar(&format!(
            "SHOW GRANTS FOR '{}'@'%'",
            user.replace('\'', "''")
        ))
        .fetch_all(&mut root)
        .await
        .unwrap_or_else(|e| panic!("SHOW GRANTS failed: {e}"));
        let _ = root.close().await;
        grants
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let users = match self.users.lock() {
            Ok(mut users) => std::mem::take(&mut *users),
            Err(_) => return,
        };
        if users.is_empty() {
            return;
        }
        block_on_elsewhere(async move {
            let Ok(mut root) = login("root", "", None).await else {
                eprintln!("cofre-testsupport: could not log in to MariaDB to drop test users");
                return;
            };
            for user in users {
                let sql = format!("DROP USER IF EXISTS '{}'@'%'", user.replace('\'', "''"));
                if let Err(e) = root.execute(sql.as_str()).await {
                    eprintln!("cofre-testsupport: {sql}: {e}");
                }
            }
            let _ = root.close().await;
        });
    }
}

async fn login(
    user: &str,
    password: &str,
    database: Option<&str>,
) -> Result<MySqlConnection, sqlx::Error> {
    let mut options = MySqlConnectOptions::new()
        .host(MariaDb::HOST)
        .port(MariaDb::PORT)
        .username(user)
        .ssl_mode(MySqlSslMode::Disabled)
        .disable_statement_logging();
    // An empty password must be sent as none: sqlx would send a scramble the server rejects.
    if !password.is_empty() {
        options = options.password(password);
    }
    if let Some(database) = database {
        options = options.database(database);
    }
    MySqlConnection::connect_with(&options).await
}

async fn root() -> MySqlConnection {
    login("root", "", None)
        .await
        .unwrap_or_else(|e| panic!("root login to MariaDB on 127.0.0.1:3306 failed: {e}"))
}
