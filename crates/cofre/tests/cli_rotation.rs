//! One rotation of a PostgreSQL secret done with the AWS CLI only: runs
//! `tests/cli/rotation_pg.sh` against a real `cofre server` and a private PostgreSQL cluster
//! (`cofre_testsupport::PgCluster`, SCRAM authentication, so passwords are really checked).
//!
//! The script prints a transcript of the commands it runs and their output (passwords
//! masked); `cargo nextest run -p cofre --test cli_rotation --no-capture` shows it. Needs
//! bash, the AWS CLI (`pip install awscli`), `psql`, and jq or python3; without them the test
//! fails, never skips.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use cofre_testsupport::PgCluster;

/// Upper bound for the script run: the CLI starts a Python interpreter per call, and the
/// script itself waits at most 60 s for the rotation.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);

const INSTALL_HINT: &str =
    "install the AWS CLI with `pip install awscli`, and the PostgreSQL client (`psql`)";

/// The application user the secret is for.
const APP_USER: &str = "demo_app";

fn test_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

/// Fails the test (with the install hint) unless `program args` runs and succeeds.
fn require(what: &str, program: &str, args: &[&str]) {
    match Command::new(program).args(args).stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} is not usable (`{program} {}` exited with {}): {INSTALL_HINT}\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        ),
        Err(e) => panic!("{what} is not installed (cannot run `{program}`: {e}): {INSTALL_HINT}"),
    }
}

/// A server with the rotation engine ticking every second (as in the other rotation tests).
fn start(dir: &Path) -> common::Server {
    common::Server::start_with(
        dir,
        common::Options {
            extra_args: [
                "--rotation-interval-secs",
                "1",
                "--rotation-retry-secs",
                "1",
                "--rotation-lease-secs",
                "3",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        },
    )
}

/// Runs `bash script` against `srv` with a clean AWS environment plus `env`, prints its
/// output, and fails the test with that output unless it exits successfully and reports no
/// failed check. Returns what the script printed (stdout and stderr).
fn run_script(srv: &common::Server, script: &Path, env: &[(&str, String)]) -> String {
    assert!(script.is_file(), "missing test script {}", script.display());
    let mut cmd = Command::new("bash");
    cmd.arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("COFRE_ENDPOINT", srv.endpoint())
        .env("COFRE_ACCOUNT_ID", common::ACCOUNT)
        .env("COFRE_BIN", env!("CARGO_BIN_EXE_cofre"))
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env("AWS_DEFAULT_REGION", common::REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        // The servers are on loopback: never go through a proxy from the environment.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // psql: no password file, no service file, nothing but the password we pass.
        .env("PGPASSFILE", "/dev/null");
    // Anything in the caller's environment that would change where or how requests go.
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_CA_BUNDLE",
        "AWS_DEFAULT_OUTPUT",
        "AWS_CLI_AUTO_PROMPT",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_RETRY_MODE",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "PGSERVICE",
        "PGSERVICEFILE",
        "PGSSLMODE",
        "PGOPTIONS",
        "PGPASSWORD",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }

    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `bash {}`: {e}", script.display()));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let started = Instant::now();
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > SCRIPT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {}: {e}", script.display()),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    let report = format!(
        "`bash {}` against {} took {:.1?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
        script.display(),
        srv.endpoint(),
        started.elapsed(),
    );
    // Shown with `--no-capture`, and by the harness when the test fails.
    println!("{report}");
    let Some(status) = status else {
        panic!("script timed out after {SCRIPT_TIMEOUT:?}\n{report}");
    };
    assert!(status.success(), "script failed ({status})\n{report}");
    assert!(
        !out.lines().any(|l| l.starts_with("not ok")),
        "script reported a failed check\n{report}"
    );
    let summary = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 passed"),
        "script did not report `N passed, 0 failed` (last line: {summary:?})\n{report}"
    );
    format!("{out}\n{err}")
}

/// Reads a pipe to the end on its own thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn aws_cli_rotates_a_postgres_secret() {
    require("bash", "bash", &["-c", "true"]);
    require("The AWS CLI (`aws`)", "aws", &["--version"]);
    require("psql", "psql", &["--version"]);
    require(
        "jq or python3",
        "bash",
        &["-c", "command -v jq || command -v python3"],
    );

    let pg = PgCluster::start();
    let initial = cofre_testsupport::random_alphanumeric(24);
    pg.create_user(APP_USER, &initial).await;
    assert!(
        pg.can_login(APP_USER, &initial).await,
        "{APP_USER} logs in before the rotation"
    );
    let dir = common::TempDir::new("cli-rotation-pg");
    let srv = start(dir.path());

    let script = test_file("cli/rotation_pg.sh");
    let env = [
        ("PG_HOST", PgCluster::HOST.to_owned()),
        ("PG_PORT", pg.port().to_string()),
        ("PG_USER", APP_USER.to_owned()),
        ("PG_PASSWORD", initial.clone()),
    ];
    // The script blocks for up to minutes: keep it off the runtime's worker threads.
    let printed = tokio::task::block_in_place(|| run_script(&srv, &script, &env));

    assert!(
        !pg.can_login(APP_USER, &initial).await,
        "the initial password still logs in after the rotation"
    );
    // The transcript is meant to be pasted into a note: it must show no password.
    let current = common::client(&srv.endpoint())
        .get_secret_value()
        .secret_id("demo/postgres")
        .send()
        .await
        .expect("GetSecretValue");
    let value: serde_json::Value =
        serde_json::from_str(current.secret_string().expect("SecretString")).expect("JSON");
    let rotated = value["password"].as_str().expect("password");
    assert!(
        pg.can_login(APP_USER, rotated).await,
        "the AWSCURRENT password logs in"
    );
    assert!(
        !printed.contains(&initial),
        "the script printed the initial password"
    );
    assert!(
        !printed.contains(rotated),
        "the script printed the rotated password"
    );
}
