//! HTTPS: `cofre server --tls-self-signed` and `--tls-cert/--tls-key`, through real clients:
//! the AWS CLI (`--ca-bundle`), curl (HTTP/2 by ALPN) and `openssl s_client` (certificate
//! fingerprints, a keep-alive connection held open across a SIGHUP reload).
//!
//! Needs `aws`, `curl` (built with HTTP/2) and `openssl`; without them the tests fail, never
//! skip.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Options, Server, TempDir};

fn https(srv: &Server) -> String {
    format!("https://{}", srv.addr)
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{program}` (is it installed?): {e}"))
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed ({})\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The AWS CLI against `srv` over HTTPS, trusting `ca`, with a clean AWS environment.
fn aws(srv: &Server, ca: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new("aws");
    cmd.args(args)
        .arg("--endpoint-url")
        .arg(https(srv))
        .arg("--ca-bundle")
        .arg(ca)
        .arg("--output")
        .arg("json")
        .stdin(Stdio::null())
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
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
        "AWS_CA_BUNDLE",
        "AWS_DEFAULT_OUTPUT",
        "AWS_CLI_AUTO_PROMPT",
        "AWS_USE_FIPS_ENDPOINT",
        "AWS_USE_DUALSTACK_ENDPOINT",
        "AWS_RETRY_MODE",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run the AWS CLI (`aws`; pip install awscli): {e}"))
}

/// SHA-256 fingerprint (openssl's `AA:BB:...` format) of the certificate a new TLS
/// connection to `addr` is answered with.
fn served_fingerprint(addr: &str) -> String {
    let out = ok(
        run(
            "bash",
            &[
                "-c",
                &format!(
                    "openssl s_client -connect {addr} </dev/null 2>/dev/null \
                     | openssl x509 -noout -fingerprint -sha256"
                ),
            ],
        ),
        "openssl s_client | openssl x509 -fingerprint",
    );
    out.trim()
        .split_once('=')
        .map(|(_, fp)| fp.to_owned())
        .unwrap_or_else(|| panic!("no fingerprint in {out:?}"))
}

/// SHA-256 fingerprint of the certificate in a PEM file.
fn file_fingerprint(cert: &Path) -> String {
    let cert = cert.to_string_lossy();
    let out = ok(
        run(
            "openssl",
            &["x509", "-noout", "-fingerprint", "-sha256", "-in", &cert],
        ),
        "openssl x509 -fingerprint",
    );
    out.trim()
        .split_once('=')
        .map(|(_, fp)| fp.to_owned())
        .unwrap_or_else(|| panic!("no fingerprint in {out:?}"))
}

/// A new self-signed P-256 certificate for localhost/127.0.0.1, as `cert`/`key` PEM files.
fn make_cert(dir: &Path, tag: &str) -> (PathBuf, PathBuf) {
    let cert = dir.join(format!("{tag}-cert.pem"));
    let key = dir.join(format!("{tag}-key.pem"));
    ok(
        run(
            "openssl",
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "2",
                "-subj",
                &format!("/CN=localhost {tag}"),
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout",
                &key.to_string_lossy(),
                "-out",
                &cert.to_string_lossy(),
            ],
        ),
        "openssl req -x509",
    );
    (cert, key)
}

/// Replaces `dst` with a copy of `src` the way deploy tools do: write beside, then rename.
fn replace(src: &Path, dst: &Path) {
    let tmp = dst.with_extension("tmp");
    std::fs::copy(src, &tmp).expect("copy");
    std::fs::rename(&tmp, dst).expect("rename");
}

fn sighup(srv: &Server) {
    let pid = srv.child.id().to_string();
    let status = Command::new("kill")
        .args(["-HUP", &pid])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -HUP {pid} failed");
}

fn start_tls(dir: &TempDir, extra: &[&str]) -> Server {
    Server::start_with(
        dir.path(),
        Options {
            extra_args: extra.iter().map(|s| (*s).to_owned()).collect(),
            ..Options::default()
        },
    )
}

#[test]
fn self_signed_https_serves_the_aws_cli_http2_and_secure_transport() {
    let dir = TempDir::new("tls-self-signed");
    let srv = start_tls(&dir, &["--tls-self-signed"]);
    let ca = srv.data_dir.join("tls-ca.pem");
    assert!(ca.is_file(), "--tls-self-signed wrote no {}", ca.display());

    // The fingerprint printed at start is the one served.
    let printed = srv
        .stdout_head
        .iter()
        .find_map(|l| l.strip_prefix("cofre TLS self-signed certificate SHA-256 fingerprint: "))
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no fingerprint line in {:?}", srv.stdout_head))
        .to_owned();
    assert_eq!(served_fingerprint(&srv.addr), printed);

    // (a) The AWS CLI over HTTPS, verifying the server against the written CA.
    ok(
        aws(
            &srv,
            &ca,
            &[
                "secretsmanager",
                "create-secret",
                "--name",
                "tls/app",
                "--secret-string",
                "s3cr3t over tls",
            ],
        ),
        "aws create-secret",
    );
    let get = || {
        aws(
            &srv,
            &ca,
            &[
                "secretsmanager",
                "get-secret-value",
                "--secret-id",
                "tls/app",
            ],
        )
    };
    let value: serde_json::Value =
        serde_json::from_str(&ok(get(), "aws get-secret-value")).expect("JSON");
    assert_eq!(value["SecretString"], "s3cr3t over tls");

    // Without the CA the CLI refuses the certificate: it really is verified.
    let untrusted = aws(
        &srv,
        Path::new("/etc/ssl/certs/ca-certificates.crt"),
        &["secretsmanager", "list-secrets"],
    );
    assert!(
        !untrusted.status.success(),
        "the CLI accepted a certificate it should not trust"
    );

    // (c) aws:SecureTransport is true over HTTPS. The root's calls are still subject to a
    // resource policy's explicit Deny, so the policy decides.
    let put_policy = |secure: &str| {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": secure}}
            }]
        })
        .to_string();
        ok(
            aws(
                &srv,
                &ca,
                &[
                    "secretsmanager",
                    "put-resource-policy",
                    "--secret-id",
                    "tls/app",
                    "--resource-policy",
                    &policy,
                ],
            ),
            "aws put-resource-policy",
        );
    };
    put_policy("false");
    ok(
        get(),
        "get-secret-value over HTTPS under a Deny-if-not-secure policy",
    );
    // The control: the same Deny keyed on "true" refuses, so the policy is evaluated.
    put_policy("true");
    let denied = get();
    assert!(
        !denied.status.success()
            && String::from_utf8_lossy(&denied.stderr).contains("AccessDenied"),
        "a Deny on aws:SecureTransport=true did not refuse an HTTPS call: {denied:?}"
    );

    // HTTP/2 by ALPN, and HTTP/1.1 when that is all the client offers.
    let ca_arg = ca.to_string_lossy().into_owned();
    let url = format!("{}/health", https(&srv));
    for (flag, version) in [("--http2", "2"), ("--http1.1", "1.1")] {
        let out = ok(
            run(
                "curl",
                &[
                    "-sS",
                    flag,
                    "--noproxy",
                    "*",
                    "--cacert",
                    &ca_arg,
                    "-w",
                    "\n%{http_version}",
                    &url,
                ],
            ),
            &format!("curl {flag}"),
        );
        assert_eq!(out, format!("ok\n\n{version}"), "curl {flag}");
    }

    // (b) Plain HTTP to the HTTPS port: a readable 400, then the connection closes.
    let mut plain = std::net::TcpStream::connect(&srv.addr).expect("connect");
    plain
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    plain
        .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .expect("write");
    let mut answer = String::new();
    plain
        .read_to_string(&mut answer)
        .expect("the server closes the plain connection");
    assert!(
        answer.starts_with("HTTP/1.1 400 ") && answer.contains("https://"),
        "plain HTTP got {answer:?}"
    );
    // And the server goes on serving HTTPS.
    assert_eq!(served_fingerprint(&srv.addr), printed);
}

/// An `openssl s_client` TLS connection kept open, speaking HTTP/1.1 keep-alive.
struct KeepAlive {
    child: Child,
    stdin: ChildStdin,
    out: mpsc::Receiver<Vec<u8>>,
    buf: Vec<u8>,
}

impl KeepAlive {
    fn open(addr: &str) -> Self {
        let mut child = Command::new("openssl")
            .args(["s_client", "-quiet", "-connect", addr])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run openssl s_client");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = child.stdout.take().expect("stdout");
        let (tx, out) = mpsc::channel();
        std::thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut chunk) {
                if n == 0 || tx.send(chunk[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            stdin,
            out,
            buf: Vec::new(),
        }
    }

    /// Sends `GET /health` and returns the whole response (headers and body).
    fn get_health(&mut self) -> String {
        self.stdin
            .write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .expect("write to s_client");
        self.stdin.flush().expect("flush");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(end) = find(&self.buf, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .expect("a content-length");
                if self.buf.len() >= end + 4 + len {
                    let whole: Vec<u8> = self.buf.drain(..end + 4 + len).collect();
                    return String::from_utf8_lossy(&whole).into_owned();
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(chunk) => self.buf.extend_from_slice(&chunk),
                Err(e) => panic!(
                    "no complete response on the kept-alive connection ({e}); got {:?}",
                    String::from_utf8_lossy(&self.buf)
                ),
            }
        }
    }
}

impl Drop for KeepAlive {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Polls until a new connection is served `want` (a reload is asynchronous to the signal).
fn wait_for_fingerprint(addr: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let got = served_fingerprint(addr);
        if got == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "new connections still get {got}, not {want}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn sighup_reloads_the_certificate_without_dropping_connections() {
    let dir = TempDir::new("tls-reload");
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).expect("mkdir");
    let (cert1, key1) = make_cert(&certs, "one");
    let (cert2, key2) = make_cert(&certs, "two");
    let (cert3, _) = make_cert(&certs, "three");
    let cert = certs.join("server.pem");
    let key = certs.join("server-key.pem");
    replace(&cert1, &cert);
    replace(&key1, &key);
    let srv = start_tls(
        &dir,
        &[
            "--tls-cert",
            &cert.to_string_lossy(),
            "--tls-key",
            &key.to_string_lossy(),
        ],
    );
    let fp1 = file_fingerprint(&cert1);
    let fp2 = file_fingerprint(&cert2);
    assert_eq!(served_fingerprint(&srv.addr), fp1);

    let mut old = KeepAlive::open(&srv.addr);
    let first = old.get_health();
    assert!(first.starts_with("HTTP/1.1 200 "), "{first:?}");

    // New certificate and key on disk, then SIGHUP.
    replace(&cert2, &cert);
    replace(&key2, &key);
    sighup(&srv);
    wait_for_fingerprint(&srv.addr, &fp2);
    // The connection opened before the reload still serves requests, on its old session.
    let again = old.get_health();
    assert!(again.starts_with("HTTP/1.1 200 "), "{again:?}");
    assert!(again.ends_with("\r\n\r\nok\n"), "{again:?}");

    // A reload that fails keeps the current certificate: a certificate that does not match
    // the key...
    replace(&cert3, &cert);
    sighup(&srv);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(served_fingerprint(&srv.addr), fp2);
    // ...and a file that is no PEM at all.
    std::fs::write(&cert, "not a certificate\n").expect("write");
    sighup(&srv);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(served_fingerprint(&srv.addr), fp2);
    let still = old.get_health();
    assert!(still.starts_with("HTTP/1.1 200 "), "{still:?}");
}
