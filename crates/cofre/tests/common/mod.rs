//! Test harness: starts the real `cofre` binary on a free port with a temporary data dir and
//! builds real AWS clients for it.
//!
//! # The store under test
//!
//! By default a server keeps its secrets in the embedded SQLite store of its data dir. With env
//! `COFRE_TEST_STORE=postgres` (or `COFRE_TEST_STORE=postgres://user@host:port` for another
//! server than `postgres@127.0.0.1:5432`), every [`Server::start_with`] instead gets
//! `--store postgres://.../cofre_e2e_...`: a database of its own, created with `psql` at the
//! first start on a data dir and remembered in the data dir ([`STORE_MARKER`]), so a server
//! restarted on the same data dir finds its secrets again. [`TempDir`] drops the databases of
//! its data dirs; `scripts/test` drops those left behind by test processes that are gone.
//!
//! A server stays on the embedded store when
//! - its [`Options::embedded_store_only`] is set (tests about the SQLite file itself: they
//!   read, copy or corrupt `cofre.db`, or run `cofre audit verify`, which reads only it),
//! - its test is listed in [`EMBEDDED_ONLY_TESTS`] (the same, for tests not yet setting the
//!   field),
//! - it runs `--dev` (in-memory), or its test passes `--store` / `COFRE_STORE` itself,
//! - or its data dir already holds an embedded store (`cofre.db`) and no [`STORE_MARKER`]: a
//!   data dir keeps the store it was first started with.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Fixed root credentials the harness hands the server through the environment.
pub const ACCESS_KEY_ID: &str = "AKIACOFRETESTROOT001";
/// Secret of [`ACCESS_KEY_ID`].
pub const SECRET_ACCESS_KEY: &str = "cofre/test/secret/key/0123456789abcdefghij";
/// Region the default clients sign for.
pub const REGION: &str = "us-east-1";
/// Account the server is started with.
pub const ACCOUNT: &str = "123456789012";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty directory under the target dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let dir = base.join(format!("{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        drop_test_databases(&self.0);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `cofre server`.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
    /// The `--store` URL the harness gave the server; `None`: the embedded store (or the
    /// test chose the store itself).
    pub store_url: Option<String>,
    /// Everything the server printed on stdout before the listening line.
    pub stdout_head: Vec<String>,
}

/// How to start a server.
#[derive(Clone, Default)]
pub struct Options {
    pub dev: bool,
    /// Don't pass root credentials through the environment (let the server generate them).
    pub generate_credentials: bool,
    pub extra_args: Vec<String>,
    pub env: Vec<(String, String)>,
    /// Write the server's stderr (its logs) to this file instead of the test's stderr.
    pub stderr_file: Option<PathBuf>,
    /// Keep the embedded store even under `COFRE_TEST_STORE=postgres`: for tests about the
    /// SQLite file itself (they read, copy or corrupt `cofre.db`, or run `cofre audit
    /// verify`, which reads only the embedded store).
    pub embedded_store_only: bool,
}

impl Options {
    /// Default options on the embedded store whatever `COFRE_TEST_STORE` says.
    pub fn embedded_store_only() -> Self {
        Options {
            embedded_store_only: true,
            ..Options::default()
        }
    }
}

impl Server {
    /// Starts a server with the harness credentials on a new data dir.
    pub fn start(dir: &TempDir) -> Self {
        Self::start_with(dir.path(), Options::default())
    }

    pub fn start_with(data_dir: &Path, opts: Options) -> Self {
        let store_url = harness_store(data_dir, &opts);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cofre"));
        cmd.arg("server")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--account-id")
            .arg(ACCOUNT)
            .args(&opts.extra_args)
            .env_remove("COFRE_ROOT_KEY")
            .env_remove("COFRE_ROOT_ACCESS_KEY_ID")
            .env_remove("COFRE_ROOT_SECRET_ACCESS_KEY")
            .env_remove("COFRE_STORE")
            .env("COFRE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if opts.dev {
            cmd.arg("--dev");
        }
        if let Some(url) = &store_url {
            cmd.arg("--store").arg(url);
        }
        if !opts.generate_credentials {
            cmd.env("COFRE_ROOT_ACCESS_KEY_ID", ACCESS_KEY_ID)
                .env("COFRE_ROOT_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
        }
        for (k, v) in &opts.env {
            cmd.env(k, v);
        }
        if let Some(path) = &opts.stderr_file {
            cmd.stderr(std::fs::File::create(path).expect("create the server's log file"));
        }
        let mut child = cmd.spawn().expect("spawn cofre");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let mut head = Vec::new();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(a) = line.strip_prefix("cofre listening on ") {
                        break a.trim().to_owned();
                    }
                    head.push(line);
                }
                _ => {
                    let status = child.wait();
                    panic!(
                        "cofre exited before listening: {status:?}; stdout: {head:?}; store: {}",
                        store_url.as_deref().unwrap_or("embedded")
                    );
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
            store_url,
            stdout_head: head,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").arg("-TERM").arg(&pid).status();
        for _ in 0..200 {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        panic!("cofre did not stop within 5 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        }
    }
}

/// A real Secrets Manager client (AWS SDK for Rust, plain HTTP) for `endpoint`.
pub fn client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    client_with(endpoint, REGION, ACCESS_KEY_ID, SECRET_ACCESS_KEY)
}

/// A client for another region or other credentials.
pub fn client_with(
    endpoint: &str,
    region: &str,
    akid: &str,
    secret: &str,
) -> aws_sdk_secretsmanager::Client {
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
    let http = aws_smithy_http_client::Builder::new().build_http();
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(region.to_owned()))
        .credentials_provider(Credentials::new(akid, secret, None, None, "cofre-tests"))
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// The AWS error code of an SDK error, e.g. `ResourceNotFoundException`.
pub fn code<E, R>(err: &aws_sdk_secretsmanager::error::SdkError<E, R>) -> String
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata,
{
    use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
    err.code().unwrap_or("<no code>").to_owned()
}

/// The AWS error message of an SDK error.
pub fn message<E, R>(err: &aws_sdk_secretsmanager::error::SdkError<E, R>) -> String
where
    E: aws_sdk_secretsmanager::error::ProvideErrorMetadata,
{
    use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
    err.message().unwrap_or("<no message>").to_owned()
}

// ---------------------------------------------------------------------------------------------
// The store under test (see the module documentation).

/// The file in a data dir naming the database the harness made for it: the `--store` URL on
/// the first line, the data dir it was made for on the second (a copied data dir shares the
/// database, and only the original's [`TempDir`] drops it).
pub const STORE_MARKER: &str = "test-store-url";

/// Prefix of the databases the harness creates: `cofre_e2e_<pid>_<n>`, so `scripts/test` can
/// drop those whose process is gone.
pub const DATABASE_PREFIX: &str = "cofre_e2e_";

/// Tests (`<test binary>::<test name>`, as nextest names them; `<binary>::*` for all of a
/// binary's) whose servers stay on the embedded store because they are about the SQLite file
/// itself. Their owners can set [`Options::embedded_store_only`] instead, and then drop the
/// entry here.
pub const EMBEDDED_ONLY_TESTS: &[&str] = &[
    // Reads `audit_events` from cofre.db, tampers with a copy, runs `cofre audit verify`.
    "audit::calls_are_recorded_without_secrets_and_tampering_is_named",
    // Counts `audit_events` in cofre.db.
    "audit::audit_mode_off_records_nothing",
    // Appends an intruding record to cofre.db behind the server's back.
    "audit::a_write_whose_record_cannot_be_stored_is_refused",
    // The crash-consistency suite of the embedded store: SQLite images, torn WAL tails.
    "crash::*",
    // Greps the data dir's files, expecting cofre.db among them.
    "durability::no_plaintext_in_the_data_dir",
    // Copies the data dir (the store with it) and starts servers on the copy outside the
    // harness; on a copy without cofre.db such a start succeeds and the test waits forever.
    "seal::a_copied_data_dir_cannot_be_read_without_its_root_key",
];

/// The store servers get unless a test says otherwise: env `COFRE_TEST_STORE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TestStore {
    /// The embedded store in the data dir: `COFRE_TEST_STORE` unset, empty, `embedded` or
    /// `sqlite`.
    Embedded,
    /// A database of its own on this PostgreSQL server, per data dir.
    Postgres {
        /// `postgres://user[:password]@host[:port]`, no database.
        server: String,
        /// `?...` to append to a database URL, or empty.
        query: String,
    },
}

impl TestStore {
    /// The URL of `database` on this server (`None` for the embedded store).
    pub fn database_url(&self, database: &str) -> Option<String> {
        match self {
            TestStore::Embedded => None,
            TestStore::Postgres { server, query } => Some(format!("{server}/{database}{query}")),
        }
    }
}

/// The store `COFRE_TEST_STORE` asks for (read once; a value not understood panics).
pub fn test_store() -> &'static TestStore {
    static STORE: OnceLock<TestStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let value = std::env::var("COFRE_TEST_STORE").unwrap_or_default();
        match value.trim() {
            "" | "embedded" | "sqlite" => TestStore::Embedded,
            "postgres" | "postgresql" => TestStore::Postgres {
                server: "postgres://postgres@127.0.0.1:5432".to_owned(),
                query: String::new(),
            },
            url if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let (main, query) = match url.split_once('?') {
                    Some((main, query)) => (main, format!("?{query}")),
                    None => (url, String::new()),
                };
                let authority = main.find("://").map_or(0, |i| i + 3);
                let end = main[authority..]
                    .find('/')
                    .map_or(main.len(), |i| authority + i);
                TestStore::Postgres {
                    server: main[..end].to_owned(),
                    query,
                }
            }
            other => panic!(
                "COFRE_TEST_STORE={other:?}: expected embedded, postgres or \
                 postgres://user@host:port"
            ),
        }
    })
}

/// Whether the running test is listed in [`EMBEDDED_ONLY_TESTS`]. The test is known by its
/// binary (this crate) and its thread, which libtest names after the test; a server started
/// from another thread (a spawned task of a multi-threaded runtime) is not recognised.
fn listed_embedded_only() -> bool {
    let binary = env!("CARGO_CRATE_NAME");
    let thread = std::thread::current();
    let Some(test) = thread.name() else {
        return false;
    };
    EMBEDDED_ONLY_TESTS.iter().any(|entry| {
        entry
            .split_once("::")
            .is_some_and(|(b, t)| b == binary && (t == test || t == "*"))
    })
}

/// The `--store` URL the harness gives a server started on `data_dir` with `opts`, creating
/// the database at the first start on a data dir; `None`: the embedded store.
fn harness_store(data_dir: &Path, opts: &Options) -> Option<String> {
    let chose_itself = opts
        .extra_args
        .iter()
        .any(|a| a == "--store" || a.starts_with("--store="))
        || opts.env.iter().any(|(k, _)| k == "COFRE_STORE");
    if opts.dev || opts.embedded_store_only || chose_itself || listed_embedded_only() {
        return None;
    }
    if *test_store() == TestStore::Embedded {
        return None;
    }
    // One start at a time decides, so two servers started at once on one data dir share.
    static DECIDING: Mutex<()> = Mutex::new(());
    let _guard = DECIDING.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((url, _)) = read_marker(data_dir) {
        return Some(url);
    }
    if data_dir.join("cofre.db").exists() {
        return None;
    }
    std::fs::create_dir_all(data_dir).expect("create the data dir");
    let database = create_database();
    let url = test_store()
        .database_url(&database)
        .expect("a PostgreSQL store");
    let owner = std::fs::canonicalize(data_dir).expect("canonical data dir");
    write_marker(data_dir, &format!("{url}\n{}\n", owner.display()));
    Some(url)
}

/// The marker of `data_dir`: its database URL and the data dir it was made for.
fn read_marker(data_dir: &Path) -> Option<(String, PathBuf)> {
    let text = std::fs::read_to_string(data_dir.join(STORE_MARKER)).ok()?;
    let mut lines = text.lines();
    let url = lines.next()?.trim().to_owned();
    let owner = PathBuf::from(lines.next().unwrap_or_default().trim());
    (!url.is_empty()).then_some((url, owner))
}

fn write_marker(data_dir: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = data_dir.join(STORE_MARKER);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// Creates a fresh, empty database; its name.
fn create_database() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let mut last = String::new();
    for attempt in 0..50 {
        let name = format!(
            "{DATABASE_PREFIX}{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        match psql(&format!("CREATE DATABASE \"{name}\"")) {
            Ok(()) => return name,
            // A name left by an earlier process with this pid: take the next one.
            Err(e) if e.contains("already exists") => last = e,
            // CREATE DATABASE copies template1 and fails while anyone else is connected to it.
            Err(e) if e.contains("being accessed by other users") => {
                last = e;
                std::thread::sleep(Duration::from_millis(50 + 20 * attempt));
            }
            Err(e) => panic!(
                "COFRE_TEST_STORE: cannot create a database on {}: {e}",
                admin_url()
            ),
        }
    }
    panic!("COFRE_TEST_STORE: cannot create a database: {last}")
}

/// Drops the databases made for data dirs under `dir` (best effort: a failure is printed).
fn drop_test_databases(dir: &Path) {
    if *test_store() == TestStore::Embedded {
        return;
    }
    for marker_dir in marker_dirs(dir, 3) {
        let Some((url, owner)) = read_marker(&marker_dir) else {
            continue;
        };
        // A copied data dir shares its original's database: only the original drops it.
        if std::fs::canonicalize(&marker_dir).ok() != Some(owner) {
            continue;
        }
        let Some(database) = url
            .split('?')
            .next()
            .and_then(|u| u.rsplit('/').next())
            .filter(|d| d.starts_with(DATABASE_PREFIX))
        else {
            continue;
        };
        if let Err(e) = psql(&format!(
            "DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"
        )) {
            eprintln!("harness: could not drop database {database}: {e}");
        }
    }
}

/// `dir` and the directories under it, `depth` levels down, that hold a [`STORE_MARKER`].
fn marker_dirs(dir: &Path, depth: u32) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if dir.join(STORE_MARKER).is_file() {
        found.push(dir.to_path_buf());
    }
    if depth > 0 {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                if entry.file_type().is_ok_and(|t| t.is_dir()) {
                    found.extend(marker_dirs(&entry.path(), depth - 1));
                }
            }
        }
    }
    found
}

/// The URL `psql` administers the test server through (its `postgres` database).
fn admin_url() -> String {
    test_store()
        .database_url("postgres")
        .expect("a PostgreSQL store")
}

/// Runs one statement with `psql` on the test server; its error output on failure.
fn psql(sql: &str) -> Result<(), String> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(admin_url())
        .arg("-c")
        .arg(sql)
        .env("PGCONNECT_TIMEOUT", "10")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run psql: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{sql}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
