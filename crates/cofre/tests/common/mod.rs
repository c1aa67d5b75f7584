//! Test harness: starts the real `cofre` binary on a free port with a temporary data dir and
//! builds real AWS clients for it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
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
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `cofre server`.
pub struct Server {
    pub child: Child,
    pub addr: String,
    pub data_dir: PathBuf,
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
}

impl Server {
    /// Starts a server with the harness credentials on a new data dir.
    pub fn start(dir: &TempDir) -> Self {
        Self::start_with(dir.path(), Options::default())
    }

    pub fn start_with(data_dir: &Path, opts: Options) -> Self {
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
            .env("COFRE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if opts.dev {
            cmd.arg("--dev");
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
                    panic!("cofre exited before listening: {status:?}; stdout: {head:?}");
                }
            }
        };
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            addr,
            data_dir: data_dir.to_path_buf(),
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
