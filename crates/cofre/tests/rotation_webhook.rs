//! Rotation with a `webhook` rotation function: a small HTTP/1.1 receiver (hyper) inside the
//! test process, registered with `cofre admin rotation-function create --kind webhook`, and
//! driven by the real server. The receiver checks each POST's `X-Cofre-Signature`
//! (HMAC-SHA256 under the key printed at registration, over `"<timestamp>.<body>"`), refuses a
//! bad or stale one with 401, records every event, and runs the four steps against the server
//! with the AWS SDK for Rust, as a Lambda rotation function would. The "external service" it
//! rotates is a string in memory holding the one password it accepts.
//!
//! Covers: the four signed events in order with the secret's ARN and the ClientRequestToken,
//! AWSPENDING → AWSCURRENT/AWSPREVIOUS, failing answers retried with backoff (AWSCURRENT kept
//! until finishSecret), a refused signature failing the step (AWSPENDING stays on the token's
//! version, AWSCURRENT unmoved) until CancelRotateSecret, and the registration's validation.

mod common;

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::Client;
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};

const PASSWORD_LENGTH: i64 = 32;

fn function_arn(name: &str) -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{name}",
        common::REGION,
        common::ACCOUNT
    )
}

/// A server that retries after 1 s (doubling) and takes over lapsed runs after 3 s.
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

/// Runs `cofre admin ...` as the account root.
fn admin_output(srv: &common::Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cofre"))
        .arg("admin")
        .arg("--endpoint-url")
        .arg(srv.endpoint())
        .arg("--region")
        .arg(common::REGION)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env("COFRE_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run cofre admin")
}

/// `cofre admin ...` that must succeed; returns stdout.
fn admin(srv: &common::Server, args: &[&str]) -> String {
    let out = admin_output(srv, args);
    assert!(
        out.status.success(),
        "cofre admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Registers a webhook function `name` posting to `url`; returns the HMAC key it printed.
fn register(srv: &common::Server, name: &str, url: &str) -> String {
    let out = admin(
        srv,
        &[
            "rotation-function",
            "create",
            "--name",
            name,
            "--kind",
            "webhook",
            "--url",
            url,
            "--timeout-seconds",
            "30",
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).expect("registration JSON");
    assert_eq!(
        v["FunctionArn"].as_str(),
        Some(function_arn(name).as_str()),
        "{out}"
    );
    let key = v["WebhookKey"].as_str().expect("WebhookKey").to_owned();
    assert_eq!(key.len(), 64, "a 32-byte key in hex: {key}");
    assert!(
        key.bytes().all(|b| b.is_ascii_hexdigit()),
        "a 32-byte key in hex: {key}"
    );
    key
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("now")
            .as_secs(),
    )
    .expect("seconds fit")
}

/// Whether `header` is `v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`; the key is the hex
/// string's bytes, as the registration printed it.
fn signature_valid(key: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(sig) = header.strip_prefix("v1=").and_then(|h| hex::decode(h).ok()) else {
        return false;
    };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).expect("any key length");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: Option<String>,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
    /// The body as JSON (Null when it isn't).
    event: serde_json::Value,
    /// Whether the signature checked out under the receiver's key for `path`, and the
    /// timestamp was within 5 minutes.
    accepted: bool,
    /// The version AWSCURRENT was on when the event arrived (accepted events only).
    current_at_receipt: Option<String>,
    /// What the receiver answered.
    status: u16,
    at: Instant,
}

impl Received {
    fn step(&self) -> &str {
        self.event["Step"].as_str().unwrap_or_default()
    }
}

/// The receiver's state: keys per path, what arrived, and the external service.
#[derive(Debug)]
struct State {
    client: Client,
    /// The key each path verifies signatures with; other paths answer 404.
    keys: Mutex<HashMap<String, String>>,
    received: Mutex<Vec<Received>>,
    /// The external service: the one password it accepts.
    service: Mutex<String>,
    /// How many setSecret calls still to answer with 500.
    fail_set_secret: AtomicU32,
}

/// The webhook receiver, listening on 127.0.0.1; stops on drop.
#[derive(Debug)]
struct Receiver {
    addr: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    async fn start(client: Client, service_password: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State {
            client,
            keys: Mutex::new(HashMap::new()),
            received: Mutex::new(vec![]),
            service: Mutex::new(service_password.to_owned()),
            fail_set_secret: AtomicU32::new(0),
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let st = st.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        let st = st.clone();
                        async move { Ok::<_, Infallible>(handle(st, req).await) }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { addr, state, task }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn set_key(&self, path: &str, key: &str) {
        self.state
            .keys
            .lock()
            .expect("keys")
            .insert(path.to_owned(), key.to_owned());
    }

    /// What arrived at `path`, in order.
    fn received(&self, path: &str) -> Vec<Received> {
        self.state
            .received
            .lock()
            .expect("received")
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    fn service(&self) -> String {
        self.state.service.lock().expect("service").clone()
    }
}

fn answer(status: u16, text: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(text.to_owned())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).expect("status");
    r
}

async fn handle(state: Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_owned();
    let is_post = req.method() == hyper::Method::POST;
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let timestamp = header("x-cofre-timestamp").unwrap_or_default();
    let signature = header("x-cofre-signature").unwrap_or_default();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes().to_vec(),
        Err(_) => return answer(400, "unreadable body"),
    };
    let Some(key) = state.keys.lock().expect("keys").get(&path).cloned() else {
        return answer(404, "no such hook");
    };
    let fresh = timestamp
        .parse::<i64>()
        .is_ok_and(|t| (unix_now() - t).abs() <= 300);
    let accepted = is_post && fresh && signature_valid(&key, &timestamp, &body, &signature);
    let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let mut rec = Received {
        path,
        content_type,
        timestamp,
        signature,
        body,
        event,
        accepted,
        current_at_receipt: None,
        status: 0,
        at: Instant::now(),
    };
    let (status, text) = if accepted {
        let arn = rec.event["SecretId"].as_str().unwrap_or_default();
        rec.current_at_receipt = current_version(&state.client, arn).await;
        match run_step(&state, &rec.event).await {
            Ok(()) => (200, "ok".to_owned()),
            Err(e) => (500, e),
        }
    } else {
        (401, "bad signature".to_owned())
    };
    rec.status = status;
    state.received.lock().expect("received").push(rec);
    answer(status, &text)
}

/// The version AWSCURRENT is on.
async fn current_version(c: &Client, arn: &str) -> Option<String> {
    stages(c, arn)
        .await
        .into_iter()
        .find(|(_, s)| s.iter().any(|x| x == "AWSCURRENT"))
        .map(|(id, _)| id)
}

/// The AWSPENDING value of version `token`, if it has one.
async fn pending_value(c: &Client, arn: &str, token: &str) -> Result<Option<String>, String> {
    match c
        .get_secret_value()
        .secret_id(arn)
        .version_id(token)
        .version_stage("AWSPENDING")
        .send()
        .await
    {
        Ok(v) => Ok(v.secret_string().map(str::to_owned)),
        Err(e) if common::code(&e) == "ResourceNotFoundException" => Ok(None),
        Err(e) => Err(format!("GetSecretValue AWSPENDING: {}", common::code(&e))),
    }
}

/// One rotation step, as AWS's rotation function template does it.
async fn run_step(state: &State, event: &serde_json::Value) -> Result<(), String> {
    let field = |k: &str| {
        event[k]
            .as_str()
            .map(str::to_owned)
            .ok_or(format!("no {k} in the event"))
    };
    let (step, arn, token) = (
        field("Step")?,
        field("SecretId")?,
        field("ClientRequestToken")?,
    );
    let rotation_token = field("RotationToken")?;
    let c = &state.client;
    let d = c
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .map_err(|e| format!("DescribeSecret: {}", common::code(&e)))?;
    if d.rotation_enabled() != Some(true) {
        return Err("rotation is not enabled".into());
    }
    let versions = d.version_ids_to_stages().cloned().unwrap_or_default();
    let token_stages = versions
        .get(&token)
        .ok_or("the token is not a version of the secret")?;
    if token_stages.iter().any(|s| s == "AWSCURRENT") {
        return Ok(());
    }
    if !token_stages.iter().any(|s| s == "AWSPENDING") {
        return Err("the token's version is not AWSPENDING".into());
    }
    match step.as_str() {
        "createSecret" => {
            c.get_secret_value()
                .secret_id(&arn)
                .version_stage("AWSCURRENT")
                .send()
                .await
                .map_err(|e| format!("GetSecretValue AWSCURRENT: {}", common::code(&e)))?;
            if pending_value(c, &arn, &token).await?.is_some() {
                return Ok(());
            }
            let password = c
                .get_random_password()
                .password_length(PASSWORD_LENGTH)
                .exclude_punctuation(true)
                .send()
                .await
                .map_err(|e| format!("GetRandomPassword: {}", common::code(&e)))?
                .random_password()
                .ok_or("no RandomPassword")?
                .to_owned();
            c.put_secret_value()
                .secret_id(&arn)
                .client_request_token(&token)
                .secret_string(password)
                .version_stages("AWSPENDING")
                .rotation_token(rotation_token)
                .send()
                .await
                .map_err(|e| format!("PutSecretValue: {}", common::code(&e)))?;
            Ok(())
        }
        "setSecret" => {
            let left =
                state
                    .fail_set_secret
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
            if left.is_ok() {
                return Err("the external service is down (injected)".into());
            }
            let pending = pending_value(c, &arn, &token)
                .await?
                .ok_or("no AWSPENDING value")?;
            *state.service.lock().expect("service") = pending;
            Ok(())
        }
        "testSecret" => {
            let pending = pending_value(c, &arn, &token)
                .await?
                .ok_or("no AWSPENDING value")?;
            if *state.service.lock().expect("service") == pending {
                Ok(())
            } else {
                Err("the external service refuses the pending password".into())
            }
        }
        "finishSecret" => {
            let current = versions
                .iter()
                .find(|(_, s)| s.iter().any(|x| x == "AWSCURRENT"))
                .map(|(id, _)| id.clone());
            let mut update = c
                .update_secret_version_stage()
                .secret_id(&arn)
                .version_stage("AWSCURRENT")
                .move_to_version_id(&token);
            if let Some(current) = current {
                update = update.remove_from_version_id(current);
            }
            update
                .send()
                .await
                .map_err(|e| format!("UpdateSecretVersionStage: {}", common::code(&e)))?;
            Ok(())
        }
        other => Err(format!("unknown step {other}")),
    }
}

async fn stages(c: &Client, id: &str) -> HashMap<String, Vec<String>> {
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret")
        .version_ids_to_stages()
        .cloned()
        .unwrap_or_default()
}

async fn current_value(c: &Client, id: &str) -> (String, String) {
    let v = c
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .expect("GetSecretValue");
    (
        v.version_id().expect("VersionId").to_owned(),
        v.secret_string().expect("SecretString").to_owned(),
    )
}

/// Polls `f` every 100 ms until it is true; panics with `what` after `secs`.
async fn wait_until<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Whether AWSCURRENT is on `token` and the engine has recorded the rotation
/// (LastRotatedDate no earlier than the new version).
async fn rotated_to(c: &Client, id: &str, token: &str) -> bool {
    let moved = stages(c, id)
        .await
        .get(token)
        .is_some_and(|s| s.iter().any(|x| x == "AWSCURRENT"));
    if !moved {
        return false;
    }
    let created = *c
        .get_secret_value()
        .secret_id(id)
        .version_id(token)
        .send()
        .await
        .expect("the new version")
        .created_date()
        .expect("CreatedDate");
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret")
        .last_rotated_date()
        .is_some_and(|d| *d >= created)
}

async fn create_secret(c: &Client, name: &str, value: &str) -> (String, String) {
    let created = c
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .expect("CreateSecret");
    (
        created.arn().expect("arn").to_owned(),
        created.version_id().expect("version").to_owned(),
    )
}

async fn rotate(c: &Client, arn: &str, function: &str) -> String {
    let r = c
        .rotate_secret()
        .secret_id(arn)
        .rotation_lambda_arn(function_arn(function))
        .send()
        .await
        .expect("RotateSecret");
    assert_eq!(r.arn(), Some(arn));
    r.version_id().expect("VersionId").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_function_rotates_with_signed_events() {
    let dir = common::TempDir::new("rot-webhook");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let rx = Receiver::start(common::client(&srv.endpoint()), "initial-password").await;
    let key = register(&srv, "hook", &rx.url("/rotate"));
    rx.set_key("/rotate", &key);
    let (arn, v1) = create_secret(&c, "app/webhook", "initial-password").await;

    let token = rotate(&c, &arn, "hook").await;
    wait_until(60, "the webhook rotation", || rotated_to(&c, &arn, &token)).await;

    let got = rx.received("/rotate");
    assert_eq!(
        got.iter().map(Received::step).collect::<Vec<_>>(),
        ["createSecret", "setSecret", "testSecret", "finishSecret"],
        "each step once, in order: {got:#?}"
    );
    let now = unix_now();
    let mut rotation_tokens = vec![];
    for r in &got {
        let step = r.step();
        assert!(r.accepted, "{step}: signature accepted");
        assert_eq!(r.status, 200, "{step}");
        assert!(
            signature_valid(&key, &r.timestamp, &r.body, &r.signature),
            "{step}: {} signs {:?}.{}",
            r.signature,
            r.timestamp,
            String::from_utf8_lossy(&r.body)
        );
        assert!(
            !signature_valid(&key, &r.timestamp, b"{}", &r.signature),
            "{step}: the signature covers the body"
        );
        let ts: i64 = r.timestamp.parse().expect("a unix timestamp");
        assert!(
            (now - ts).abs() <= 300,
            "{step}: timestamp {ts} within 5 minutes of {now}"
        );
        assert_eq!(r.content_type.as_deref(), Some("application/json"));
        let fields = r.event.as_object().expect("a JSON object");
        let mut names: Vec<_> = fields.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["ClientRequestToken", "RotationToken", "SecretId", "Step"],
            "{step}: the Lambda event's fields"
        );
        assert_eq!(r.event["SecretId"].as_str(), Some(arn.as_str()), "{step}");
        assert_eq!(
            r.event["ClientRequestToken"].as_str(),
            Some(token.as_str()),
            "{step}"
        );
        let rt = r.event["RotationToken"].as_str().expect("RotationToken");
        assert!(!rt.is_empty(), "{step}");
        rotation_tokens.push(rt.to_owned());
        assert_eq!(
            r.current_at_receipt.as_deref(),
            Some(v1.as_str()),
            "{step}: AWSCURRENT moves only in finishSecret"
        );
    }
    rotation_tokens.sort();
    rotation_tokens.dedup();
    assert_eq!(rotation_tokens.len(), 4, "a RotationToken per invocation");

    let (current_id, current) = current_value(&c, &arn).await;
    assert_eq!(
        current_id, token,
        "the ClientRequestToken is the new version"
    );
    assert_ne!(current, "initial-password");
    assert_eq!(current.len(), 32, "GetRandomPassword's value: {current}");
    assert_eq!(
        rx.service(),
        current,
        "the service holds AWSCURRENT's value"
    );
    let st = stages(&c, &arn).await;
    assert_eq!(st.get(&v1), Some(&vec!["AWSPREVIOUS".to_owned()]));
    assert!(
        st.iter()
            .all(|(id, s)| !s.iter().any(|x| x == "AWSPENDING") || *id == token),
        "AWSPENDING only on the new current version: {st:?}"
    );
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.rotation_lambda_arn(), Some(function_arn("hook").as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_failures_are_retried_and_bad_signatures_refused() {
    let dir = common::TempDir::new("rot-webhook-fail");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let rx = Receiver::start(common::client(&srv.endpoint()), "initial-password").await;
    let key = register(&srv, "flaky", &rx.url("/flaky"));
    rx.set_key("/flaky", &key);
    rx.state.fail_set_secret.store(2, Ordering::SeqCst);
    let (arn, v1) = create_secret(&c, "app/flaky", "initial-password").await;

    // Two 500s on setSecret, then success: the same rotation completes.
    let token = rotate(&c, &arn, "flaky").await;
    wait_until(60, "the rotation to complete after the failures", || {
        rotated_to(&c, &arn, &token)
    })
    .await;
    let got = rx.received("/flaky");
    let summary: Vec<_> = got.iter().map(|r| (r.step(), r.status)).collect();
    assert!(
        got.iter().filter(|r| r.step() == "setSecret").count() >= 3,
        "setSecret retried: {summary:?}"
    );
    assert_eq!(
        summary,
        [
            ("createSecret", 200),
            ("setSecret", 500),
            ("setSecret", 500),
            ("setSecret", 200),
            ("testSecret", 200),
            ("finishSecret", 200),
        ],
        "a retry resumes at the failed step"
    );
    assert!(got.iter().all(|r| r.accepted), "all signatures valid");
    assert!(
        got.iter()
            .all(|r| r.event["ClientRequestToken"].as_str() == Some(token.as_str())),
        "one rotation"
    );
    assert!(
        got.iter()
            .all(|r| r.current_at_receipt.as_deref() == Some(v1.as_str())),
        "AWSCURRENT stayed on the old version until finishSecret: {:?}",
        got.iter()
            .map(|r| (r.step(), r.current_at_receipt.clone()))
            .collect::<Vec<_>>()
    );
    // Backoff: 1 s after the first failure, 2 s after the second (a little slack for clocks).
    let gap = |a: usize, b: usize| got[b].at.duration_since(got[a].at);
    assert!(gap(1, 2) >= Duration::from_millis(900), "{:?}", gap(1, 2));
    assert!(gap(2, 3) >= Duration::from_millis(1900), "{:?}", gap(2, 3));
    let (current_id, current) = current_value(&c, &arn).await;
    assert_eq!(current_id, token);
    assert_eq!(rx.service(), current, "service and secret agree");
    assert_eq!(
        stages(&c, &arn).await.get(&v1),
        Some(&vec!["AWSPREVIOUS".to_owned()])
    );
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert!(
        d.last_rotated_date().is_some(),
        "LastRotatedDate after success"
    );

    // A second function whose key the receiver doesn't know: every POST is refused (401).
    let real_key = register(&srv, "wrongkey", &rx.url("/wrongkey"));
    let wrong_key = "0123456789abcdef".repeat(4);
    assert_ne!(real_key, wrong_key);
    rx.set_key("/wrongkey", &wrong_key);
    let service_before = rx.service();
    let (arn2, v2) = create_secret(&c, "app/refused", "second-password").await;
    let token2 = rotate(&c, &arn2, "wrongkey").await;
    wait_until(30, "the refused step to be retried", || async {
        rx.received("/wrongkey").len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let refused = rx.received("/wrongkey");
    assert!(refused.len() >= 2, "{refused:#?}");
    for r in &refused {
        assert!(!r.accepted);
        assert_eq!(r.status, 401);
        assert_eq!(r.step(), "createSecret", "no step got past the refusal");
        assert_eq!(r.event["SecretId"].as_str(), Some(arn2.as_str()));
        assert_eq!(
            r.event["ClientRequestToken"].as_str(),
            Some(token2.as_str())
        );
        assert!(
            signature_valid(&real_key, &r.timestamp, &r.body, &r.signature),
            "the server signed with the registered key; only the receiver's key is wrong"
        );
    }
    let st = stages(&c, &arn2).await;
    assert_eq!(
        st.get(&token2),
        Some(&vec!["AWSPENDING".to_owned()]),
        "{st:?}"
    );
    assert_eq!(st.get(&v2), Some(&vec!["AWSCURRENT".to_owned()]), "{st:?}");
    assert_eq!(
        current_value(&c, &arn2).await,
        (v2.clone(), "second-password".to_owned())
    );
    assert_eq!(rx.service(), service_before, "the service was not touched");

    let cancelled = c
        .cancel_rotate_secret()
        .secret_id(&arn2)
        .send()
        .await
        .expect("CancelRotateSecret");
    assert_eq!(cancelled.version_id(), Some(token2.as_str()));
    assert_eq!(cancelled.arn(), Some(arn2.as_str()));
    let d = c
        .describe_secret()
        .secret_id(&arn2)
        .send()
        .await
        .expect("d");
    assert_eq!(d.rotation_enabled(), Some(false));
    assert_eq!(d.last_rotated_date(), None, "never rotated");
    // The cancelled run is not retried any more.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after_cancel = rx.received("/wrongkey").len();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        rx.received("/wrongkey").len(),
        after_cancel,
        "no step after CancelRotateSecret"
    );
    assert_eq!(current_value(&c, &arn2).await.0, v2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_registration_is_validated() {
    let dir = common::TempDir::new("rot-webhook-reg");
    let srv = start(dir.path());
    let create = |name: &'static str| {
        vec![
            "rotation-function",
            "create",
            "--name",
            name,
            "--kind",
            "webhook",
        ]
    };
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (create("nourl"), vec!["A webhook function needs a Url."]),
        (
            [
                create("tls"),
                vec!["--url", "https://127.0.0.1:8443/rotate"],
            ]
            .concat(),
            vec![
                "A webhook Url must be an http:// URL",
                "put a TLS proxy in front for https",
            ],
        ),
        (
            [create("ftp"), vec!["--url", "ftp://127.0.0.1/rotate"]].concat(),
            vec!["A webhook Url must be an http:// URL"],
        ),
        (
            [create("nohost"), vec!["--url", "http:///rotate"]].concat(),
            vec!["A webhook Url must be an http:// URL"],
        ),
        (
            [
                create("cofre-x"),
                vec!["--url", "http://127.0.0.1:9/rotate"],
            ]
            .concat(),
            vec![
                "The function name cofre-x is reserved",
                "names starting with cofre- belong to built-in rotation functions",
            ],
        ),
        (
            [
                create("slow"),
                vec!["--url", "http://127.0.0.1:9/", "--timeout-seconds", "901"],
            ]
            .concat(),
            vec!["TimeoutSeconds must be between 1 and 900."],
        ),
        (
            [
                create("both"),
                vec!["--url", "http://127.0.0.1:9/", "--command", "true"],
            ]
            .concat(),
            vec!["A webhook function takes no Command."],
        ),
    ];
    for (args, expected) in &cases {
        let out = admin_output(&srv, args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(
            stderr.starts_with("cofre: InvalidParameterException: "),
            "{args:?}: {stderr:?}"
        );
        for part in expected {
            assert!(
                stderr.contains(part),
                "{args:?}: {part:?} not in {stderr:?}"
            );
        }
        assert!(
            out.stdout.is_empty(),
            "{args:?}: no key printed: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    // None of them was stored; a valid registration is, once.
    let url = "http://127.0.0.1:9/rotate";
    let key = register(&srv, "valid", url);
    let listed = admin(&srv, &["rotation-function", "list"]);
    assert!(listed.contains(&function_arn("valid")), "{listed}");
    assert!(listed.contains(url), "{listed}");
    assert!(
        !listed.contains(&key),
        "the key is shown only once: {listed}"
    );
    for name in ["nourl", "tls", "ftp", "nohost", "cofre-x", "slow", "both"] {
        assert!(
            !listed.contains(&format!("function:{name}\"")),
            "{name} was stored: {listed}"
        );
    }
    let again = admin_output(
        &srv,
        &[
            "rotation-function",
            "create",
            "--name",
            "valid",
            "--kind",
            "webhook",
            "--url",
            url,
        ],
    );
    assert!(!again.status.success());
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        stderr.contains("A rotation function named valid already exists."),
        "{stderr}"
    );
}
