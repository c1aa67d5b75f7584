//! [`PgCluster`]: a private PostgreSQL cluster for one test.

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::{ConnectOptions as _, Connection as _, Executor as _, PgConnection};

use crate::{free_port, random_alphanumeric};

/// A PostgreSQL cluster of its own: `initdb` into a temporary directory owned by the
/// `postgres` user, SCRAM-SHA-256 for every connection (so passwords are really checked),
/// listening on a free port of 127.0.0.1 only.
///
/// Dropping it stops the server (`pg_ctl stop -m immediate`) and removes the directory.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    base: PathBuf,
    data: PathBuf,
    port: u16,
    superuser_password: String,
    running: bool,
}

impl PgCluster {
    /// The superuser's name.
    pub const SUPERUSER: &'static str = "postgres";
    /// The address the server listens on.
    pub const HOST: &'static str = "127.0.0.1";

    /// Creates and starts a cluster. Needs root (to run the server as `postgres`) and the
    /// PostgreSQL server binaries under `/usr/lib/postgresql/<version>/bin`.
    pub fn start() -> PgCluster {
        let bin = find_bin_dir();
        let (uid, gid) = postgres_ids();
        let base = std::env::temp_dir().join(format!("cofre-pg-{}", random_alphanumeric(10)));
        fs::create_dir(&base).expect("create the cluster's directory");
        fs::set_permissions(&base, fs::Permissions::from_mode(0o700)).expect("chmod 700");
        std::os::unix::fs::chown(&base, Some(uid), Some(gid)).expect("chown to postgres");

        let superuser_password = random_alphanumeric(24);
        let pwfile = base.join("pwfile");
        fs::write(&pwfile, &superuser_password).expect("write the password file");
        std::os::unix::fs::chown(&pwfile, Some(uid), Some(gid)).expect("chown the password file");

        let data = base.join("data");
        let mut cluster = PgCluster {
            bin,
            base,
            data,
            port: 0,
            superuser_password,
            running: false,
        };
        cluster.as_postgres(
            "initdb",
            &[
                "-D",
                path_str(&cluster.data),
                "-U",
                Self::SUPERUSER,
                "--auth=scram-sha-256",
                &format!("--pwfile={}", pwfile.display()),
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        let _ = fs::remove_file(&pwfile);

        // The port was free a moment ago; another test may take it first, so try a few.
        for attempt in 0..5 {
            cluster.port = free_port();
            match cluster.try_start() {
                Ok(()) => return cluster,
                Err(e) if attempt == 4 => panic!("PostgreSQL did not start: {e}"),
                Err(_) => continue,
            }
        }
        unreachable!("the last attempt panics")
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's (`postgres`) password.
    pub fn superuser_password(&self) -> &str {
        &self.superuser_password
    }

    /// Stops the server (fast shutdown: sessions are disconnected), as if the database
    /// went down. [`PgCluster::start_again`] brings it back on the same port.
    pub fn stop(&mut self) {
        if self.running {
            self.as_postgres(
                "pg_ctl",
                &["-D", path_str(&self.data), "-m", "fast", "-w", "stop"],
            );
            self.running = false;
        }
    }

    /// Starts the server again after [`PgCluster::stop`], on the same port.
    pub fn start_again(&mut self) {
        if !self.running {
            if let Err(e) = self.try_start() {
                panic!("PostgreSQL did not start again: {e}");
            }
        }
    }

    /// Whether the server is running.
    pub fn is_running(&self) -> bool {
        self.running
    }

    /// Creates a role that can log in with `password`.
    pub async fn create_user(&self, name: &str, password: &str) {
        let mut conn = self.superuser("postgres").await;
        let sql: String = sqlx::query_scalar(
            "SELECT format('CREATE ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text)",
        )
        .bind(name)
        .bind(password)
        .fetch_one(&mut conn)
        .await
        .expect("build CREATE ROLE");
        conn.execute(sql.as_str()).await.expect("CREATE ROLE");
        let _ = conn.close().await;
    }

    /// Creates a database owned by `owner` (the superuser when `None`).
    pub async fn create_database(&self, name: &str, owner: Option<&str>) {
        let mut conn = self.superuser("postgres").await;
        let sql: String =
            sqlx::query_scalar("SELECT format('CREATE DATABASE %I OWNER %I', $1::text, $2::text)")
                .bind(name)
                .bind(owner.unwrap_or(Self::SUPERUSER))
                .fetch_one(&mut conn)
                .await
                .expect("build CREATE DATABASE");
        conn.execute(sql.as_str()).await.expect("CREATE DATABASE");
        let _ = conn.close().await;
    }

    /// Runs `sql` (one or more statements) as the superuser in `database`.
    pub async fn execute(&self, database: &str, sql: &str) {
        let mut conn = self.superuser(database).await;
        conn.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("superuser statement failed: {e}"));
        let _ = conn.close().await;
    }

    /// Whether `user` can log in with `password` (TCP to 127.0.0.1, SCRAM) to the
    /// `postgres` database.
    pub async fn can_login(&self, user: &str, password: &str) -> bool {
        self.connect_as(user, password, "postgres").await.is_ok()
    }

    /// Logs in as `user` to `database` and runs `sql`; `Err` holds why either failed.
    pub async fn query_as(
        &self,
        user: &str,
        password: &str,
        database: &str,
        sql: &str,
    ) -> Result<(), String> {
        let mut conn = self
            .connect_as(user, password, database)
            .await
            .map_err(|e| e.to_string())?;
        let result = conn.execute(sql).await.map(drop).map_err(|e| e.to_string());
        let _ = conn.close().await;
        result
    }

    async fn connect_as(
        &self,
        user: &str,
        password: &str,
        database: &str,
    ) -> Result<PgConnection, sqlx::Error> {
        let options = PgConnectOptions::new_without_pgpass()
            .host(Self::HOST)
            .port(self.port)
            .username(user)
            .password(password)
            .database(database)
            .ssl_mode(PgSslMode::Disable)
            .disable_statement_logging();
        PgConnection::connect_with(&options).await
    }

    async fn superuser(&self, database: &str) -> PgConnection {
        self.connect_as(Self::SUPERUSER, &self.superuser_password, database)
            .await
            .unwrap_or_else(|e| panic!("superuser login to the test cluster failed: {e}"))
    }

    fn try_start(&mut self) -> Result<(), String> {
        let server_options = format!(
            "-p {} -k {} -c listen_addresses={} -c fsync=off -c max_connections=40 -c shared_buffers=16MB",
            self.port,
            self.base.display(),
            Self::HOST
        );
        let log = self.base.join("server.log");
        let output = self.postgres_command(
            "pg_ctl",
            &[
                "-D",
                path_str(&self.data),
                "-l",
                path_str(&log),
                "-o",
                &server_options,
                "-w",
                "start",
            ],
        );
        if output.status.success() {
            self.running = true;
            Ok(())
        } else {
            Err(format!(
                "{}\n{}\n--- server.log ---\n{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
                fs::read_to_string(&log).unwrap_or_default()
            ))
        }
    }

    fn postgres_command(&self, program: &str, args: &[&str]) -> std::process::Output {
        Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(self.bin.join(program))
            .args(args)
            .current_dir(&self.base)
            .output()
            .unwrap_or_else(|e| panic!("could not run {program} as postgres: {e}"))
    }

    fn as_postgres(&self, program: &str, args: &[&str]) {
        let output = self.postgres_command(program, args);
        assert!(
            output.status.success(),
            "{program} failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = self.postgres_command(
                "pg_ctl",
                &["-D", path_str(&self.data), "-m", "immediate", "-w", "stop"],
            );
        }
        let _ = fs::remove_dir_all(&self.base);
    }
}

/// `/usr/lib/postgresql/<highest version>/bin`.
fn find_bin_dir() -> PathBuf {
    let root = Path::new("/usr/lib/postgresql");
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir(root)
        .unwrap_or_else(|e| panic!("PostgreSQL is not installed under {}: {e}", root.display()))
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .unwrap_or_else(|| panic!("no PostgreSQL server binaries under {}", root.display()))
}

/// The `postgres` user's uid and gid, from /etc/passwd.
fn postgres_ids() -> (u32, u32) {
    let passwd = fs::read_to_string("/etc/passwd").expect("read /etc/passwd");
    passwd
        .lines()
        .find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&"postgres") || fields.len() < 4 {
                return None;
            }
            Some((fields[2].parse().ok()?, fields[3].parse().ok()?))
        })
        .expect("no postgres user in /etc/passwd")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
