//! Sealing: `cofre operator init` splits the root key into shares, a sealed server refuses
//! everything until `cofre operator unseal` supplies enough of them, and a data dir is
//! useless without its root key.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use base64::Engine as _;
use common::{client, code, message, Options, Server, TempDir, ACCOUNT, REGION};

const SEALED_MESSAGE: &str =
    "Cofre is sealed: supply unseal key shares with 'cofre operator unseal'.";
const WRONG_SHARES: &str = "The unseal shares do not reconstruct this data dir's root key.";

fn cofre() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cofre"));
    cmd.env_remove("COFRE_ROOT_KEY").env("COFRE_LOG", "warn");
    cmd
}

/// Output of a finished `cofre` command.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut Command, stdin: Option<&str>) -> Run {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn cofre");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("cofre runs");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `cofre operator init`; the shares it printed, in order.
fn init(dir: &Path, shares: u8, threshold: u8) -> Vec<String> {
    let out = run(
        cofre()
            .args(["operator", "init", "--data-dir"])
            .arg(dir)
            .args(["--shares", &shares.to_string()])
            .args(["--threshold", &threshold.to_string()]),
        None,
    );
    assert!(out.ok, "init failed: {}", out.stderr);
    let printed: Vec<String> = out
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("Unseal key share "))
        .map(|l| l.split_once(": ").expect("index: share").1.to_owned())
        .collect();
    assert_eq!(printed.len(), usize::from(shares), "{}", out.stdout);
    for s in &printed {
        assert!(s.starts_with("cofre-share-1-"), "{s}");
    }
    printed
}

/// `cofre operator unseal`, the share as an argument or (`via_stdin`) on standard input.
fn unseal(endpoint: &str, share: &str, via_stdin: bool) -> Run {
    let mut cmd = cofre();
    cmd.args(["operator", "unseal", "--endpoint", endpoint]);
    if via_stdin {
        run(&mut cmd, Some(&format!("{share}\n")))
    } else {
        run(cmd.arg(share), None)
    }
}

fn status(endpoint: &str) -> String {
    let out = run(
        cofre().args(["operator", "status", "--endpoint", endpoint]),
        None,
    );
    assert!(out.ok, "status failed: {}", out.stderr);
    out.stdout
}

fn unseal_ok(endpoint: &str, share: &str, via_stdin: bool) -> String {
    let out = unseal(endpoint, share, via_stdin);
    assert!(out.ok, "unseal failed: {}", out.stderr);
    out.stdout
}

/// A raw HTTP/1.1 exchange: (status, headers, body). The sealed server closes every
/// connection, so the answer is read to the end.
fn raw(addr: &str, target: &str, body: &str) -> (u16, Vec<(String, String)>, String) {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        s,
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = Vec::new();
    s.read_to_end(&mut out).expect("read");
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Checks that a Secrets Manager request is refused as sealed, raw and through the SDK.
async fn assert_sealed(srv: &Server) {
    let (status, headers, body) = raw(&srv.addr, "secretsmanager.ListSecrets", "{}");
    assert_eq!(status, 503, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON error body");
    assert_eq!(
        v,
        serde_json::json!({"__type": "ServiceUnavailableException", "message": SEALED_MESSAGE})
    );
    assert!(header(&headers, "x-amzn-requestid").is_some_and(|id| id.len() == 36));
    assert_eq!(
        header(&headers, "x-amzn-errortype"),
        Some("ServiceUnavailableException")
    );

    let err = no_retry_client(&srv.endpoint())
        .list_secrets()
        .send()
        .await
        .expect_err("sealed");
    assert_eq!(code(&err), "ServiceUnavailableException", "{err:?}");
    assert_eq!(message(&err), SEALED_MESSAGE);
}

/// The harness's client, with retries off (503 is retryable, and would only be slower).
fn no_retry_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    use aws_sdk_secretsmanager::config::retry::RetryConfig;
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            common::ACCESS_KEY_ID,
            common::SECRET_ACCESS_KEY,
            None,
            None,
            "cofre-tests",
        ))
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

fn all_bytes_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(all_bytes_under(&path));
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        let dest = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            copy_dir(&path, &dest);
        } else {
            std::fs::copy(&path, &dest).expect("copy");
        }
    }
}

/// Starts `cofre server` expecting it to fail before listening; its stderr.
fn start_fails(data_dir: &Path, env: &[(&str, &str)], args: &[&str]) -> String {
    let mut cmd = cofre();
    cmd.args(["server", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .args(["--account-id", ACCOUNT])
        .args(args)
        .env("COFRE_ROOT_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("COFRE_ROOT_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(&mut cmd, None);
    assert!(
        !out.ok,
        "the server started: {}\n{}",
        out.stdout, out.stderr
    );
    assert!(
        !out.stdout.contains("cofre listening on"),
        "it must not listen: {}",
        out.stdout
    );
    out.stderr
}

/// The root key the shares reconstruct, as `COFRE_ROOT_KEY` text.
fn root_key_of(shares: &[&String]) -> String {
    let parsed: Vec<cofre_crypto::shamir::Share> =
        shares.iter().map(|s| s.parse().expect("share")).collect();
    let root = cofre_crypto::shamir::combine_root_key(&parsed).expect("combine");
    base64::engine::general_purpose::STANDARD.encode(root.key().expose())
}

#[tokio::test]
async fn sealed_server_unseals_with_any_threshold_of_shares() {
    let dir = TempDir::new("sealed");
    let shares = init(dir.path(), 5, 3);
    let other_dir = TempDir::new("sealed-other");
    let foreign = init(other_dir.path(), 5, 3);

    // init leaves only seal.json: no key, no share, no store.
    let files = all_bytes_under(dir.path());
    assert_eq!(
        files.len(),
        1,
        "{:?}",
        files.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert!(files[0].0.ends_with("seal.json"));
    let seal: serde_json::Value = serde_json::from_slice(&files[0].1).expect("seal.json");
    assert_eq!(seal["mode"], "shamir");
    assert_eq!(seal["threshold"], 3);
    assert_eq!(seal["shares"], 5);
    let key = root_key_of(&[&shares[0], &shares[1], &shares[2]]);
    for s in &shares {
        let body = &s["cofre-share-1-".len()..];
        assert!(!contains(&files[0].1, body.as_bytes()));
    }
    assert!(!contains(&files[0].1, key.as_bytes()));

    // A sealed server listens, says so, and refuses everything but the operator API.
    let mut srv = Server::start(&dir);
    assert!(
        srv.stdout_head.iter().any(|l| l.contains("sealed")),
        "{:?}",
        srv.stdout_head
    );
    let endpoint = srv.endpoint();
    assert_sealed(&srv).await;
    assert!(status(&endpoint).contains("Sealed: true"));
    assert!(status(&endpoint).contains("0 of 3"));
    let (st, headers, body) = raw(&srv.addr, "CofreOperator.Status", "");
    assert_eq!(st, 200, "{body}");
    assert!(header(&headers, "x-amzn-requestid").is_some());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).expect("json"),
        serde_json::json!({"Sealed": true, "Progress": 0, "Threshold": 3})
    );

    // Two shares: still sealed.
    assert!(unseal_ok(&endpoint, &shares[0], false).contains("1 of 3"));
    assert!(unseal_ok(&endpoint, &shares[1], true).contains("2 of 3"));
    assert_sealed(&srv).await;

    // Malformed input is refused without touching the progress.
    let (st, _, body) = raw(&srv.addr, "CofreOperator.Unseal", "not json");
    assert_eq!(st, 400);
    assert!(body.contains("SerializationException"), "{body}");
    let mut mistyped = shares[2].clone().into_bytes();
    mistyped[20] = if mistyped[20] == b'A' { b'B' } else { b'A' };
    let mistyped = String::from_utf8(mistyped).expect("ascii");
    let out = unseal(&endpoint, &mistyped, false);
    assert!(!out.ok);
    assert!(
        out.stderr.contains("InvalidParameterException"),
        "{}",
        out.stderr
    );
    assert!(
        !out.stderr.contains(&mistyped[14..]),
        "the share is not echoed"
    );
    assert!(status(&endpoint).contains("2 of 3"));

    // A third share from another init completes the count, not the key: all discarded.
    let out = unseal(&endpoint, &foreign[2], false);
    assert!(!out.ok, "{}", out.stdout);
    assert!(out.stderr.contains(WRONG_SHARES), "{}", out.stderr);
    assert!(out.stderr.contains("InvalidParameterException"));
    assert!(status(&endpoint).contains("0 of 3"));
    assert_sealed(&srv).await;

    // Three right shares unseal, on the same port.
    assert!(unseal_ok(&endpoint, &shares[0], false).contains("1 of 3"));
    assert!(unseal_ok(&endpoint, &shares[2], true).contains("2 of 3"));
    let last = unseal_ok(&endpoint, &shares[4], false);
    assert!(last.contains("Sealed: false"), "{last}");
    let c = client(&endpoint);
    c.create_secret()
        .name("sealed/db")
        .secret_string("SEALED-SENTINEL-5b2e")
        .send()
        .await
        .expect("create after unseal");
    let got = c
        .get_secret_value()
        .secret_id("sealed/db")
        .send()
        .await
        .expect("get");
    assert_eq!(got.secret_string(), Some("SEALED-SENTINEL-5b2e"));
    assert!(status(&endpoint).contains("Sealed: false"));
    assert!(unseal_ok(&endpoint, &shares[1], false).contains("Sealed: false"));
    assert!(srv.terminate().success());

    // Restart: sealed again; another subset of three unseals; the secret reads back.
    assert!(!dir.path().join("root-key").exists());
    let mut srv = Server::start(&dir);
    let endpoint = srv.endpoint();
    assert_sealed(&srv).await;
    unseal_ok(&endpoint, &shares[3], true);
    unseal_ok(&endpoint, &shares[1], false);
    assert!(unseal_ok(&endpoint, &shares[4], false).contains("Sealed: false"));
    let got = client(&endpoint)
        .get_secret_value()
        .secret_id("sealed/db")
        .send()
        .await
        .expect("get after restart");
    assert_eq!(got.secret_string(), Some("SEALED-SENTINEL-5b2e"));
    assert!(srv.terminate().success());

    // Nothing in the data dir holds a share, the key or the secret.
    for (path, bytes) in all_bytes_under(dir.path()) {
        for needle in shares.iter().map(|s| &s["cofre-share-1-".len()..]) {
            assert!(!contains(&bytes, needle.as_bytes()), "share in {path}");
        }
        assert!(!contains(&bytes, key.as_bytes()), "root key in {path}");
        assert!(
            !contains(&bytes, b"SEALED-SENTINEL-5b2e"),
            "plaintext in {path}"
        );
    }
}

#[tokio::test]
async fn sealed_server_stops_cleanly_while_sealed() {
    let dir = TempDir::new("sealed-stop");
    let shares = init(dir.path(), 3, 2);
    let mut srv = Server::start(&dir);
    unseal_ok(&srv.endpoint(), &shares[0], false);
    assert!(srv.terminate().success());
}

#[tokio::test]
async fn a_supplied_root_key_skips_the_seal_only_if_it_is_the_right_one() {
    let dir = TempDir::new("sealed-key");
    let shares = init(dir.path(), 3, 2);
    let key = root_key_of(&[&shares[0], &shares[2]]);

    // The wrong key: refused before listening.
    let wrong = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let err = start_fails(dir.path(), &[("COFRE_ROOT_KEY", &wrong)], &[]);
    assert!(err.contains("is not this data dir's root key"), "{err}");

    // The right one: unsealed at once.
    let srv = Server::start_with(
        dir.path(),
        Options {
            env: vec![("COFRE_ROOT_KEY".into(), key.clone())],
            ..Default::default()
        },
    );
    assert!(!srv.stdout_head.iter().any(|l| l.contains("sealed")));
    client(&srv.endpoint())
        .create_secret()
        .name("k")
        .secret_string("v")
        .send()
        .await
        .expect("create");
    drop(srv);

    // A key file next to a sealed store defeats the seal: refused.
    std::fs::write(dir.path().join("root-key"), &key).expect("write key");
    let err = start_fails(dir.path(), &[], &[]);
    assert!(err.contains("is sealed"), "{err}");
}

#[tokio::test]
async fn operator_init_refuses_a_data_dir_in_use() {
    // A store made by an unsealed start.
    let used = TempDir::new("init-used");
    let mut srv = Server::start(&used);
    assert!(srv.terminate().success());
    // A root key file alone.
    let keyed = TempDir::new("init-keyed");
    std::fs::write(
        keyed.path().join("root-key"),
        base64::engine::general_purpose::STANDARD.encode([1u8; 32]),
    )
    .expect("key");
    for dir in [used.path(), keyed.path()] {
        let out = run(
            cofre().args(["operator", "init", "--data-dir"]).arg(dir),
            None,
        );
        assert!(!out.ok);
        assert!(out.stderr.contains("already holds"), "{}", out.stderr);
        assert!(!out.stdout.contains("cofre-share-1-"));
    }
    // A dir sealed already.
    let sealed = TempDir::new("init-twice");
    init(sealed.path(), 3, 2);
    let out = run(
        cofre()
            .args(["operator", "init", "--data-dir"])
            .arg(sealed.path()),
        None,
    );
    assert!(!out.ok);
    assert!(out.stderr.contains("seal.json"), "{}", out.stderr);
    // Impossible parameters.
    let fresh = TempDir::new("init-params");
    for (n, t) in [("5", "1"), ("2", "3"), ("256", "2")] {
        let out = run(
            cofre()
                .args(["operator", "init", "--data-dir"])
                .arg(fresh.path())
                .args(["--shares", n, "--threshold", t]),
            None,
        );
        assert!(!out.ok, "{n}/{t}");
        assert!(!fresh.path().join("seal.json").exists());
    }
}

#[tokio::test]
async fn a_copied_data_dir_cannot_be_read_without_its_root_key() {
    let keys = TempDir::new("copy-keys");
    let key_file = keys.path().join("root.key");
    std::fs::write(
        &key_file,
        base64::engine::general_purpose::STANDARD.encode([42u8; 32]),
    )
    .expect("key file");
    let original = TempDir::new("copy-original");
    let sentinel = "COPY-SENTINEL-91ad-the-eagle-lands-at-dawn";
    let key_arg = key_file.display().to_string();
    let mut srv = Server::start_with(
        original.path(),
        Options {
            extra_args: vec!["--root-key-file".into(), key_arg.clone()],
            ..Default::default()
        },
    );
    client(&srv.endpoint())
        .create_secret()
        .name("copy/me")
        .secret_string(sentinel)
        .send()
        .await
        .expect("create");
    assert!(srv.terminate().success());

    let stolen = TempDir::new("copy-stolen");
    copy_dir(original.path(), stolen.path());

    // No key: refused, and no new key is made up.
    let err = start_fails(stolen.path(), &[], &[]);
    assert!(
        err.contains("the store exists but no root key was supplied"),
        "{err}"
    );
    assert!(!stolen.path().join("root-key").exists());

    // The wrong key: refused at start-up by the check of the stored key material.
    let wrong = base64::engine::general_purpose::STANDARD.encode([43u8; 32]);
    let err = start_fails(stolen.path(), &[("COFRE_ROOT_KEY", &wrong)], &[]);
    assert!(err.contains("wrong root key"), "{err}");

    // The bytes hold no plaintext.
    for (path, bytes) in all_bytes_under(stolen.path()) {
        assert!(
            !contains(&bytes, sentinel.as_bytes()),
            "plaintext in {path}"
        );
        assert!(!contains(&bytes, b"the-eagle-lands"), "plaintext in {path}");
    }

    // With its key the copy is whole: the key was all that was missing.
    let srv = Server::start_with(
        stolen.path(),
        Options {
            extra_args: vec!["--root-key-file".into(), key_arg],
            ..Default::default()
        },
    );
    let got = client(&srv.endpoint())
        .get_secret_value()
        .secret_id("copy/me")
        .send()
        .await
        .expect("get with the key");
    assert_eq!(got.secret_string(), Some(sentinel));
}
