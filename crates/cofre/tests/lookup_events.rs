//! The audit trail end to end, against the real binary:
//!
//! - `tests/cli/audit.sh` with the real AWS CLI: `aws cloudtrail lookup-events` lists the
//!   run's reads with the caller's ARN, source IP and outcome, and a policy-less user's denied
//!   read with errorCode AccessDenied; `/health`, `/ready` and `/metrics` answer;
//! - the `--audit-file` sink receives every event, rotated at its size limit, and neither the
//!   sink's files nor the server's logs contain the run's secret values;
//! - the `--audit-http-url` sink POSTs the events as JSON arrays (batches of at most
//!   `--audit-http-batch`), and `--audit-stdout` prints them as JSON lines;
//! - `cofre audit tail` prints each new event once, oldest first.
//!
//! Needs the AWS CLI and curl (`pip install awscli`); without them the test fails, never skips.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// Upper bound for the script (the CLI starts a Python interpreter per call).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);
/// The file sink's rotation size in the test: small, so the run rotates several times.
const SINK_MAX_BYTES: u64 = 4096;

/// A value no one else would write: this run's pid and the time.
fn unique_value(tag: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{tag}-{}-{nanos}-Zq9", std::process::id())
}

/// Runs `bash script` against `srv` with a clean AWS environment and `env`; returns its
/// output, failing the test unless it succeeds and reports `N passed, 0 failed`.
fn run_script(srv: &common::Server, script: &Path, env: &[(&str, &str)]) -> String {
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
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_CLOUDTRAIL",
        "AWS_CA_BUNDLE",
        "AWS_DEFAULT_OUTPUT",
        "AWS_RETRY_MODE",
        "http_proxy",
        "HTTP_PROXY",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run bash (and the AWS CLI)");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if started.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = out.join().unwrap_or_default();
    let err = err.join().unwrap_or_default();
    let report = format!(
        "`bash {}` took {:.1?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
        script.display(),
        started.elapsed()
    );
    println!("{report}");
    let status = status.unwrap_or_else(|| panic!("script timed out\n{report}"));
    assert!(status.success(), "script failed ({status})\n{report}");
    let summary = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 passed"),
        "script did not report `N passed, 0 failed`\n{report}"
    );
    out
}

/// `path` and its rotated siblings (`path.1`, `path.2`, ...) that exist.
fn sink_files(path: &Path) -> Vec<PathBuf> {
    let mut files = vec![path.to_path_buf()];
    for n in 1.. {
        let mut p = path.as_os_str().to_owned();
        p.push(format!(".{n}"));
        let p = PathBuf::from(p);
        if !p.exists() {
            break;
        }
        files.push(p);
    }
    files
}

/// Every record in the sink's files, parsed.
fn sink_records(path: &Path) -> Vec<serde_json::Value> {
    sink_files(path)
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap_or_default()
                .lines()
                .map(|l| {
                    serde_json::from_str(l)
                        .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {l}", f.display()))
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

fn count_named(records: &[serde_json::Value], name: &str) -> usize {
    records.iter().filter(|r| r["eventName"] == name).count()
}

#[test]
fn aws_cli_lookup_events_and_file_sink() {
    let dir = common::TempDir::new("audit-cli");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    let sink = dir.path().join("audit.jsonl");
    let log = dir.path().join("server.log");
    let srv = common::Server::start_with(
        &data,
        common::Options {
            extra_args: vec![
                "--audit-file".into(),
                sink.display().to_string(),
                "--audit-file-max-bytes".into(),
                SINK_MAX_BYTES.to_string(),
                "--audit-file-keep".into(),
                "1000".into(),
            ],
            env: vec![("COFRE_LOG".into(), "debug".into())],
            stderr_file: Some(log.clone()),
            ..Default::default()
        },
    );
    let value = unique_value("audit-value-one");
    let value2 = unique_value("audit-value-two");
    run_script(
        &srv,
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli/audit.sh"),
        &[
            ("COFRE_AUDIT_VALUE", &value),
            ("COFRE_AUDIT_VALUE2", &value2),
            ("COFRE_EXPECT_FILE_SINK", "1"),
        ],
    );

    // The sink runs beside the API: give it a moment to write the last events.
    let deadline = Instant::now() + Duration::from_secs(10);
    let records = loop {
        let records = sink_records(&sink);
        if count_named(&records, "GetSecretValue") >= 3 || Instant::now() > deadline {
            break records;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(count_named(&records, "GetSecretValue"), 3, "{records:#?}");
    assert_eq!(count_named(&records, "CreateSecret"), 1);
    assert_eq!(count_named(&records, "PutSecretValue"), 1);
    assert!(
        count_named(&records, "LookupEvents") >= 5,
        "LookupEvents calls are audited too"
    );
    let denied: Vec<_> = records
        .iter()
        .filter(|r| r["eventName"] == "GetSecretValue" && r["errorCode"].is_string())
        .collect();
    assert_eq!(denied.len(), 1, "{denied:#?}");
    assert!(denied[0]["userIdentity"]["arn"]
        .as_str()
        .is_some_and(|a| a.ends_with(":user/nobody")));
    let mut ids: Vec<_> = records.iter().map(|r| r["eventID"].to_string()).collect();
    let n = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), n, "each event is written once");

    // Rotated at the limit: several files, none past it.
    let files = sink_files(&sink);
    assert!(files.len() >= 3, "expected rotations, got {files:?}");
    for f in &files {
        let len = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        assert!(len <= SINK_MAX_BYTES, "{} is {len} bytes", f.display());
    }

    // No secret value in the sink's files or the server's logs.
    let logs = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        logs.contains("request"),
        "the server's log was captured: {logs}"
    );
    for f in files.iter().chain([&log]) {
        let text = std::fs::read(f).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        for v in [&value, &value2] {
            assert!(
                !text.contains(v.as_str()),
                "{} contains a secret value",
                f.display()
            );
        }
    }
}

/// Collects the bodies POSTed to a tiny HTTP/1.1 server (answers 200 to each).
fn collector() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let got = bodies.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let got = got.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut len = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_ok() {
                    got.lock()
                        .expect("lock")
                        .push(String::from_utf8_lossy(&body).into_owned());
                }
                let mut stream = stream;
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
            });
        }
    });
    (format!("http://{addr}/ingest"), bodies)
}

#[tokio::test]
async fn http_sink_posts_json_arrays() {
    let (url, bodies) = collector();
    let dir = common::TempDir::new("audit-http");
    let srv = common::Server::start_with(
        dir.path(),
        common::Options {
            extra_args: vec![
                "--audit-http-url".into(),
                url,
                "--audit-http-batch".into(),
                "2".into(),
                "--audit-http-batch-ms".into(),
                "100".into(),
            ],
            ..Default::default()
        },
    );
    let value = unique_value("http-sink-value");
    let sm = common::client(&srv.endpoint());
    sm.create_secret()
        .name("http/sink")
        .secret_string(&value)
        .send()
        .await
        .expect("create");
    for _ in 0..3 {
        sm.get_secret_value()
            .secret_id("http/sink")
            .send()
            .await
            .expect("get");
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let records: Vec<serde_json::Value> = loop {
        let posted = bodies.lock().expect("lock").clone();
        let records: Vec<serde_json::Value> = posted
            .iter()
            .flat_map(|b| {
                let v: serde_json::Value = serde_json::from_str(b).expect("a JSON body");
                let a = v.as_array().expect("a JSON array").clone();
                assert!(!a.is_empty() && a.len() <= 2, "batches of 1..=2: {b}");
                assert!(!b.contains(&value), "a secret value was posted");
                a
            })
            .collect();
        if count_named(&records, "GetSecretValue") >= 3 || Instant::now() > deadline {
            break records;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(count_named(&records, "GetSecretValue"), 3, "{records:#?}");
    assert_eq!(count_named(&records, "CreateSecret"), 1, "{records:#?}");
}

#[tokio::test]
async fn cofre_audit_tail_follows_new_events() {
    let dir = common::TempDir::new("audit-tail");
    let srv = common::Server::start(&dir);
    let sm = common::client(&srv.endpoint());
    // An event before the tail starts: not printed.
    sm.create_secret()
        .name("tail/before")
        .secret_string("v")
        .send()
        .await
        .expect("create");
    let mut tail = Command::new(env!("CARGO_BIN_EXE_cofre"))
        .args(["audit", "tail", "--interval-ms", "100", "--endpoint"])
        .arg(srv.endpoint())
        .args(["--attribute", "EventSource=secretsmanager.amazonaws.com"])
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cofre audit tail");
    let mut notice = String::new();
    BufReader::new(tail.stderr.take().expect("stderr"))
        .read_line(&mut notice)
        .expect("tail's notice");
    assert!(notice.contains("following new events"), "{notice}");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = tail.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });

    let names = ["tail/one", "tail/two", "tail/three"];
    for n in names {
        sm.create_secret()
            .name(n)
            .secret_string("v")
            .send()
            .await
            .expect("create");
    }
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while seen.len() < names.len() && Instant::now() < deadline {
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            let r: serde_json::Value = serde_json::from_str(&line).expect("a JSON record");
            assert_eq!(r["eventName"], "CreateSecret", "{line}");
            seen.push(
                r["requestParameters"]["name"]
                    .as_str()
                    .unwrap_or("?")
                    .to_owned(),
            );
        }
    }
    let _ = tail.kill();
    let _ = tail.wait();
    assert_eq!(
        seen, names,
        "each new event once, oldest first, none from before"
    );
}

#[tokio::test]
async fn stdout_sink_prints_json_lines() {
    let dir = common::TempDir::new("audit-stdout");
    let mut server = Command::new(env!("CARGO_BIN_EXE_cofre"))
        .args(["server", "--listen", "127.0.0.1:0", "--audit-stdout"])
        .arg("--data-dir")
        .arg(dir.path())
        .args(["--account-id", common::ACCOUNT])
        .env_remove("COFRE_ROOT_KEY")
        .env("COFRE_ROOT_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("COFRE_ROOT_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env("COFRE_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn cofre");
    let mut lines = BufReader::new(server.stdout.take().expect("stdout")).lines();
    let addr = loop {
        match lines.next() {
            Some(Ok(l)) => {
                if let Some(a) = l.strip_prefix("cofre listening on ") {
                    break a.trim().to_owned();
                }
            }
            _ => panic!("cofre exited before listening"),
        }
    };
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in lines.map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    let sm = common::client(&format!("http://{addr}"));
    sm.create_secret()
        .name("stdout/sink")
        .secret_string("stdout-sink-value")
        .send()
        .await
        .expect("create");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            assert!(!l.contains("stdout-sink-value"), "a secret value on stdout");
            let r: serde_json::Value = serde_json::from_str(&l).expect("a JSON line");
            if r["eventName"] == "CreateSecret" {
                found = Some(r);
            }
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let r = found.expect("the CreateSecret record on stdout");
    assert_eq!(r["requestParameters"]["name"], "stdout/sink");
    assert_eq!(
        r["userIdentity"]["arn"],
        format!("arn:aws:iam::{}:root", common::ACCOUNT)
    );
}
