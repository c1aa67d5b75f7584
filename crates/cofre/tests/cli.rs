//! Runs the AWS CLI and boto3 smoke scripts against a real `cofre server`.
//!
//! The scripts live next to this file (`tests/cli/smoke.sh`, `tests/py/boto3_smoke.py`) and
//! can also be run by hand against any server (see their headers). These tests need the AWS
//! CLI and boto3 (`pip install awscli boto3`); without them they fail, never skip.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for one script run (the CLI starts a Python interpreter per call).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);

const INSTALL_HINT: &str = "install them with `pip install awscli boto3`";

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

/// Runs `program script` against `srv` with a clean AWS environment, and fails the test with
/// the script's output unless it exits successfully and reports no failed check.
fn run_script(srv: &common::Server, program: &str, script: &Path) {
    assert!(script.is_file(), "missing test script {}", script.display());
    let mut cmd = Command::new(program);
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
        // The server is on loopback: never go through a proxy from the environment.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
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
    ] {
        cmd.env_remove(var);
    }

    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{program} {}`: {e}", script.display()));
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
        "`{program} {}` against {} took {:.1?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
        script.display(),
        srv.endpoint(),
        started.elapsed(),
    );
    // Shown with `--nocapture`, and by the harness when the test fails.
    println!("{report}");
    let Some(status) = status else {
        panic!("script timed out after {SCRIPT_TIMEOUT:?}\n{report}");
    };
    assert!(status.success(), "script failed ({status})\n{report}");
    let summary = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 passed"),
        "script did not report `N passed, 0 failed` (last line: {summary:?})\n{report}"
    );
}

/// Reads a pipe to the end on its own thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

#[test]
fn aws_cli_smoke() {
    require("bash", "bash", &["-c", "true"]);
    require("python3", "python3", &["-c", "import json"]);
    require("The AWS CLI (`aws`)", "aws", &["--version"]);
    let dir = common::TempDir::new("cli-smoke");
    let srv = common::Server::start(&dir);
    run_script(&srv, "bash", &test_file("cli/smoke.sh"));
}

#[test]
fn boto3_smoke() {
    require("python3", "python3", &["-c", "import json"]);
    require("boto3", "python3", &["-c", "import boto3, botocore"]);
    let dir = common::TempDir::new("boto3-smoke");
    let srv = common::Server::start(&dir);
    run_script(&srv, "python3", &test_file("py/boto3_smoke.py"));
}

#[test]
fn aws_cli_access_control() {
    require("bash", "bash", &["-c", "true"]);
    require("python3", "python3", &["-c", "import json"]);
    require("The AWS CLI (`aws`)", "aws", &["--version"]);
    let dir = common::TempDir::new("cli-access");
    let srv = common::Server::start(&dir);
    run_script(&srv, "bash", &test_file("cli/access.sh"));
}
