//! Sealed start-up: a data dir whose root key exists only as Shamir shares.
//!
//! `cofre operator init` writes `DATA_DIR/seal.json` (threshold, share count and a
//! [`KeyCheck`] of the root key; never the key or a share). `cofre server` on such a dir,
//! without `--root-key-file`/`COFRE_ROOT_KEY`, binds its listener and serves only this
//! module's small loop ([`serve_sealed`]):
//!
//! - `POST /` with `X-Amz-Target: CofreOperator.Unseal` and `{"Share": "cofre-share-1-…"}`
//!   adds one share; `CofreOperator.Status` reports progress. Both answer
//!   `{"Sealed": bool, "Progress": k, "Threshold": t}`. They are unauthenticated (there is
//!   nothing to authenticate against before the key exists), as Vault's unseal is.
//! - Everything else is `503 ServiceUnavailableException`.
//!
//! When `t` shares have arrived they are combined and checked against the [`KeyCheck`]: a
//! wrong result discards every collected share (stay sealed, `InvalidParameterException`);
//! the right one leaves the loop with the root key and the same listener, which the caller
//! passes to `cofre_server::run` once the store and service are built. The unseal request
//! that completed the key is answered only then, so `"Sealed": false` means "serving".
//! Connections accepted meanwhile wait in the listen backlog; none is dropped.
//!
//! Security notes: collected shares are [`Share`]s (zeroed on drop) and are dropped on
//! unseal or reset; request bodies are copied only into zeroizing buffers; nothing about a
//! share is logged but its index. Malformed or wrong shares count against a small global
//! budget ([`FAILURE_BUDGET`] per [`FAILURE_WINDOW`]); past it, unseal requests are refused
//! with `ThrottlingException` until the window moves on. Every sealed-phase response closes
//! its connection, so no client keeps a sealed connection into the unsealed server.

use std::collections::VecDeque;
use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cofre_crypto::shamir::{combine_root_key, KeyCheck, Share};
use cofre_crypto::{RootKey, SecretBytes};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::server::StartError;

/// The seal configuration file in the data dir.
pub const SEAL_FILE: &str = "seal.json";
/// `X-Amz-Target` of the unseal operation.
pub const TARGET_UNSEAL: &str = "CofreOperator.Unseal";
/// `X-Amz-Target` of the status operation.
pub const TARGET_STATUS: &str = "CofreOperator.Status";
/// The message of every request refused while sealed.
pub const SEALED_MESSAGE: &str =
    "Cofre is sealed: supply unseal key shares with 'cofre operator unseal'.";
/// The message when `t` shares do not reconstruct the key.
pub const WRONG_SHARES_MESSAGE: &str =
    "The unseal shares do not reconstruct this data dir's root key.";
/// Failed unseal attempts allowed per [`FAILURE_WINDOW`] before unseal requests are throttled.
pub const FAILURE_BUDGET: usize = 20;
/// The window [`FAILURE_BUDGET`] is counted over.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Largest unseal request body read (a share is 64 characters).
const MAX_BODY: usize = 4096;
/// How long a client may take to send headers or the body while sealed.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
const JSON_CONTENT_TYPE: &str = "application/x-amz-json-1.1";
/// The only seal mode so far.
const MODE_SHAMIR: &str = "shamir";

/// `DATA_DIR/seal.json`: how the root key of a sealed data dir is split, and how to tell it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub struct SealConfig {
    /// File format version.
    pub format: u32,
    /// `"shamir"`.
    pub mode: String,
    /// Shares needed to unseal.
    pub threshold: u8,
    /// Shares handed out.
    pub shares: u8,
    /// Base64 of the root key's [`KeyCheck`]: the key sealed nothing but a fixed text.
    pub key_check: String,
}

impl SealConfig {
    /// The configuration for a root key split `threshold` of `shares`.
    pub fn new(root: &RootKey, threshold: u8, shares: u8) -> Self {
        Self {
            format: 1,
            mode: MODE_SHAMIR.to_owned(),
            threshold,
            shares,
            key_check: KeyCheck::new(root.key()).to_base64(),
        }
    }

    /// Whether `root` is this data dir's root key.
    pub fn matches(&self, root: &RootKey) -> Result<bool, StartError> {
        let check =
            KeyCheck::from_base64(&self.key_check).map_err(|e| format!("{SEAL_FILE}: {e}"))?;
        Ok(check.matches(root.key()))
    }

    /// Fails unless `root` is this data dir's root key.
    pub fn verify(&self, root: &RootKey, origin: &str) -> Result<(), StartError> {
        if self.matches(root)? {
            Ok(())
        } else {
            Err(format!(
                "the root key from {origin} is not this data dir's root key (it fails the check in {SEAL_FILE})"
            )
            .into())
        }
    }
}

/// Reads `DIR/seal.json`; `None` when the data dir is not sealed.
pub fn load(dir: &Path) -> Result<Option<SealConfig>, StartError> {
    let path = dir.join(SEAL_FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display()).into()),
    };
    let cfg: SealConfig = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a valid seal file: {e}", path.display()))?;
    if cfg.format != 1 || cfg.mode != MODE_SHAMIR {
        return Err(format!(
            "{}: unsupported format {} / mode '{}'",
            path.display(),
            cfg.format,
            cfg.mode
        )
        .into());
    }
    if cfg.threshold < 2 || cfg.threshold > cfg.shares {
        return Err(format!(
            "{}: threshold {} of {} shares is not valid",
            path.display(),
            cfg.threshold,
            cfg.shares
        )
        .into());
    }
    Ok(Some(cfg))
}

/// Writes `DIR/seal.json` (new file, mode 0600, synced).
pub fn write(dir: &Path, cfg: &SealConfig) -> Result<(), StartError> {
    let mut text = serde_json::to_vec_pretty(cfg)?;
    text.push(b'\n');
    crate::bootstrap::write_private(&dir.join(SEAL_FILE), &text)
}

/// The answer to Unseal and Status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Progress {
    /// Whether the server is still sealed.
    pub sealed: bool,
    /// Valid shares collected so far.
    pub progress: u8,
    /// Shares needed.
    pub threshold: u8,
}

/// Why an unseal request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Refusal {
    /// Bad input, or shares that do not reconstruct the key.
    InvalidParameter(String),
    /// The body is not the JSON expected.
    Serialization,
    /// Too many failed attempts lately.
    Throttled,
}

/// What [`Unsealer::submit`] decided.
enum Submitted {
    /// Still sealed (or already unsealed); answer with this.
    Progress(Progress),
    /// The shares reconstruct the root key.
    Unsealed(RootKey),
}

/// The collected shares and the failure budget. Pure state: no I/O, time passed in.
struct Unsealer {
    cfg: SealConfig,
    check: KeyCheck,
    shares: Vec<Share>,
    failures: VecDeque<Instant>,
    unsealed: bool,
}

impl Unsealer {
    fn new(cfg: SealConfig) -> Result<Self, StartError> {
        let check =
            KeyCheck::from_base64(&cfg.key_check).map_err(|e| format!("{SEAL_FILE}: {e}"))?;
        Ok(Self {
            cfg,
            check,
            shares: Vec::new(),
            failures: VecDeque::new(),
            unsealed: false,
        })
    }

    fn progress(&self) -> Progress {
        Progress {
            sealed: !self.unsealed,
            progress: u8::try_from(self.shares.len()).unwrap_or(u8::MAX),
            threshold: self.cfg.threshold,
        }
    }

    fn throttled(&mut self, now: Instant) -> bool {
        while self
            .failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
        {
            self.failures.pop_front();
        }
        self.failures.len() >= FAILURE_BUDGET
    }

    fn fail(&mut self, now: Instant, refusal: Refusal) -> Result<Submitted, Refusal> {
        self.failures.push_back(now);
        Err(refusal)
    }

    /// Adds the share in `body` (`{"Share": "..."}`).
    fn submit(&mut self, body: &[u8], now: Instant) -> Result<Submitted, Refusal> {
        if self.unsealed {
            return Ok(Submitted::Progress(self.progress()));
        }
        if self.throttled(now) {
            return Err(Refusal::Throttled);
        }
        #[derive(Deserialize)]
        struct Input<'a> {
            // Borrowed from the (zeroizing) body: no unzeroed copy of the share text.
            #[serde(rename = "Share", borrow)]
            share: Option<&'a str>,
        }
        let Ok(input) = serde_json::from_slice::<Input<'_>>(body) else {
            // serde's message may quote the input: not echoed.
            return self.fail(now, Refusal::Serialization);
        };
        let Some(text) = input.share else {
            return self.fail(
                now,
                Refusal::InvalidParameter("The request has no Share.".into()),
            );
        };
        let share: Share = match text.parse() {
            Ok(s) => s,
            Err(e) => {
                let msg = format!("The share is not valid: {e}.");
                return self.fail(now, Refusal::InvalidParameter(msg));
            }
        };
        if share.index() > self.cfg.shares {
            let msg = format!(
                "Share {} is not one of this data dir's {} shares.",
                share.index(),
                self.cfg.shares
            );
            return self.fail(now, Refusal::InvalidParameter(msg));
        }
        if self.shares.iter().any(|s| s.index() == share.index()) {
            // Not a failure: an operator may submit the same share twice by mistake.
            return Err(Refusal::InvalidParameter(format!(
                "Share {} has already been supplied.",
                share.index()
            )));
        }
        tracing::info!(index = share.index(), "unseal key share accepted");
        self.shares.push(share);
        if self.shares.len() < usize::from(self.cfg.threshold) {
            return Ok(Submitted::Progress(self.progress()));
        }
        // Whatever the outcome, the collected shares are dropped (and zeroed) here.
        let shares = std::mem::take(&mut self.shares);
        let root = match combine_root_key(&shares) {
            Ok(k) => k,
            Err(e) => return self.fail(now, Refusal::InvalidParameter(format!("{e}."))),
        };
        if !self.check.matches(root.key()) {
            tracing::warn!(
                "unseal key shares do not reconstruct the root key; collected shares discarded"
            );
            return self.fail(
                now,
                Refusal::InvalidParameter(WRONG_SHARES_MESSAGE.to_owned()),
            );
        }
        self.unsealed = true;
        Ok(Submitted::Unsealed(root))
    }
}

/// What the sealed loop hands back once unsealed.
#[derive(Debug)]
pub struct Unsealed {
    /// The reconstructed, verified root key.
    pub root: RootKey,
    /// Tells the waiting unseal request how start-up went.
    pub reply: UnsealReply,
}

/// The pending answer to the unseal request that completed the key, and the sealed-phase
/// connections still open.
#[derive(Debug)]
pub struct UnsealReply {
    ack: oneshot::Sender<bool>,
    connections: hyper_util::server::graceful::GracefulShutdown,
}

impl UnsealReply {
    /// The server is built: answer `"Sealed": false` and close the sealed connections in
    /// the background.
    pub fn started(self) {
        let _ = self.ack.send(true);
        tokio::spawn(drain(self.connections));
    }

    /// Start-up failed after unsealing: answer `InternalServiceError`, then wait (briefly)
    /// for that answer to be written.
    pub async fn failed(self) {
        let _ = self.ack.send(false);
        drain(self.connections).await;
    }
}

async fn drain(connections: hyper_util::server::graceful::GracefulShutdown) {
    tokio::select! {
        _ = connections.shutdown() => {},
        _ = tokio::time::sleep(CLIENT_TIMEOUT) => {},
    }
}

/// Hands the reconstructed key to the sealed loop, with the channel its answer comes back on.
type UnsealedSender = oneshot::Sender<(RootKey, oneshot::Sender<bool>)>;

/// Shared by the sealed loop's connections.
struct State {
    unsealer: Mutex<Unsealer>,
    /// Taken by the request that completes the key.
    unsealed_tx: Mutex<Option<UnsealedSender>>,
    threshold: u8,
}

/// Serves `listener` sealed until unseal key shares reconstruct the root key (`Some`) or
/// `shutdown` resolves (`None`). The listener is left open for the caller either way.
pub async fn serve_sealed(
    listener: &TcpListener,
    cfg: SealConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<Option<Unsealed>, StartError> {
    tokio::pin!(shutdown);
    let (unsealed_tx, mut unsealed_rx) = oneshot::channel();
    let threshold = cfg.threshold;
    let state = Arc::new(State {
        unsealer: Mutex::new(Unsealer::new(cfg)?),
        unsealed_tx: Mutex::new(Some(unsealed_tx)),
        threshold,
    });
    let connections = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => {
                // A request that completed the key while we stop gets its answer channel
                // dropped (and answers InternalServiceError) instead of waiting for it.
                drop(unsealed_rx);
                drain(connections).await;
                return Ok(None);
            }
            got = &mut unsealed_rx => {
                let (root, ack) = got.map_err(|_| "the unseal channel closed")?;
                tracing::info!("unsealed: the root key is reconstructed and verified");
                return Ok(Some(Unsealed { root, reply: UnsealReply { ack, connections } }));
            }
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let conn_state = state.clone();
        let svc = service_fn(move |req| {
            let state = conn_state.clone();
            async move { Ok::<_, std::convert::Infallible>(handle(&state, req).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(CLIENT_TIMEOUT)
            .serve_connection(TokioIo::new(stream), svc);
        let conn = connections.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "sealed connection ended with an error");
            }
        });
    }
}

/// An answer before encoding: the body, or an AWS error (status, code, message key, text).
type Reply = Result<Progress, (StatusCode, &'static str, &'static str, String)>;

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = request_id();
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let is_root_post = req.method() == Method::POST && req.uri().path() == "/";
    let reply: Reply = match target.as_deref() {
        Some(TARGET_UNSEAL) if is_root_post => unseal(state, req).await,
        Some(TARGET_STATUS) if is_root_post => match state.unsealer.lock() {
            Ok(u) => Ok(u.progress()),
            Err(_) => Err(internal()),
        },
        _ => Err((
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailableException",
            "message",
            SEALED_MESSAGE.to_owned(),
        )),
    };
    let (status, body, error_type) = match reply {
        Ok(p) => (
            StatusCode::OK,
            serde_json::to_vec(&p).unwrap_or_default(),
            None,
        ),
        Err((status, code, key, message)) => {
            let mut body = serde_json::Map::new();
            body.insert("__type".into(), code.into());
            body.insert(key.into(), message.into());
            let body = serde_json::Value::Object(body).to_string().into_bytes();
            (status, body, Some(code))
        }
    };
    tracing::info!(
        request_id = %request_id,
        // Only our own targets: the header is the client's text.
        operation = target
            .as_deref()
            .filter(|t| [TARGET_UNSEAL, TARGET_STATUS].contains(t))
            .unwrap_or("-"),
        status = status.as_u16(),
        error = error_type.unwrap_or("-"),
        "sealed request"
    );
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(JSON_CONTENT_TYPE));
    // The sealed phase ends by handing the listener on; a kept-alive connection would go on
    // talking to this loop, so every answer closes its connection.
    h.insert("connection", HeaderValue::from_static("close"));
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert("x-amzn-requestid", v);
    }
    if let Some(t) = error_type {
        h.insert("x-amzn-errortype", HeaderValue::from_static(t));
    }
    resp
}

fn internal() -> (StatusCode, &'static str, &'static str, String) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "InternalServiceError",
        "Message",
        "Cofre could not finish starting after unsealing; see the server log.".to_owned(),
    )
}

async fn unseal(state: &State, req: Request<Incoming>) -> Reply {
    let body = match read_body(req.into_body()).await {
        Some(b) => b,
        None => {
            return Err((
                StatusCode::BAD_REQUEST,
                "InvalidParameterException",
                "Message",
                format!("The request body must be at most {MAX_BODY} bytes, sent within {CLIENT_TIMEOUT:?}."),
            ))
        }
    };
    let submitted = {
        let Ok(mut unsealer) = state.unsealer.lock() else {
            return Err(internal());
        };
        unsealer.submit(body.expose(), Instant::now())
    };
    let root = match submitted {
        Ok(Submitted::Progress(p)) => return Ok(p),
        Ok(Submitted::Unsealed(root)) => root,
        Err(Refusal::InvalidParameter(m)) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "InvalidParameterException",
                "Message",
                m,
            ))
        }
        Err(Refusal::Serialization) => {
            return Err((
                StatusCode::BAD_REQUEST,
                "SerializationException",
                "Message",
                "The request body must be a JSON object with a string Share.".to_owned(),
            ))
        }
        Err(Refusal::Throttled) => {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                "ThrottlingException",
                "message",
                "Too many invalid unseal attempts; try again in a minute.".to_owned(),
            ))
        }
    };
    let sender = state.unsealed_tx.lock().ok().and_then(|mut s| s.take());
    let Some(sender) = sender else {
        return Err(internal());
    };
    let (ack_tx, ack_rx) = oneshot::channel();
    if sender.send((root, ack_tx)).is_err() {
        return Err(internal());
    }
    match ack_rx.await {
        Ok(true) => Ok(Progress {
            sealed: false,
            progress: 0,
            threshold: state.threshold,
        }),
        _ => Err(internal()),
    }
}

/// The body, copied into a zeroizing buffer; `None` if too large or too slow.
async fn read_body(body: Incoming) -> Option<SecretBytes> {
    let mut limited = Limited::new(body, MAX_BODY);
    // Allocated once at the limit, so it never reallocates (leaving an unzeroed copy), and
    // moved into a SecretBytes whatever happens.
    let mut out = Vec::with_capacity(MAX_BODY);
    let read = async {
        while let Some(frame) = limited.frame().await {
            let Ok(frame) = frame else { return false };
            if let Some(data) = frame.data_ref() {
                out.extend_from_slice(data);
            }
        }
        true
    };
    let complete = tokio::time::timeout(CLIENT_TIMEOUT, read)
        .await
        .unwrap_or(false);
    let body = SecretBytes::new(out);
    complete.then_some(body)
}

/// A UUID v4 string from the OS CSPRNG, the shape of AWS's request ids.
fn request_id() -> String {
    let mut b = cofre_crypto::random_bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use cofre_crypto::shamir::split;

    fn setup(t: u8, n: u8) -> (RootKey, Vec<String>, Unsealer) {
        let (root, _) = RootKey::generate();
        let shares = split(root.key(), t, n)
            .expect("valid")
            .iter()
            .map(|s| s.encode().expose_str().expect("ascii").to_owned())
            .collect();
        let unsealer = Unsealer::new(SealConfig::new(&root, t, n)).expect("config");
        (root, shares, unsealer)
    }

    fn body(share: &str) -> Vec<u8> {
        serde_json::json!({ "Share": share })
            .to_string()
            .into_bytes()
    }

    fn progress(s: Result<Submitted, Refusal>) -> Progress {
        match s {
            Ok(Submitted::Progress(p)) => p,
            Ok(Submitted::Unsealed(_)) => panic!("unexpectedly unsealed"),
            Err(r) => panic!("refused: {r:?}"),
        }
    }

    #[test]
    fn unseals_with_threshold_shares_and_resets_on_wrong_ones() {
        let (root, shares, mut u) = setup(3, 5);
        let (_, foreign, _) = setup(3, 5);
        let now = Instant::now();
        assert_eq!(progress(u.submit(&body(&shares[0]), now)).progress, 1);
        // The same share again is refused without resetting.
        assert!(matches!(
            u.submit(&body(&shares[0]), now),
            Err(Refusal::InvalidParameter(_))
        ));
        assert_eq!(progress(u.submit(&body(&shares[4]), now)).progress, 2);
        // A share of another key set completes the count but not the key: reset.
        assert_eq!(
            u.submit(&body(&foreign[2]), now).err(),
            Some(Refusal::InvalidParameter(WRONG_SHARES_MESSAGE.into()))
        );
        assert_eq!(u.progress().progress, 0);
        assert!(u.progress().sealed);
        for s in [&shares[1], &shares[3]] {
            progress(u.submit(&body(s), now));
        }
        match u.submit(&body(&shares[2]), now) {
            Ok(Submitted::Unsealed(k)) => assert_eq!(k, root),
            _ => panic!("three right shares unseal"),
        }
        assert!(!u.progress().sealed);
    }

    #[test]
    fn bad_input_is_refused_and_throttled() {
        let (_, shares, mut u) = setup(2, 3);
        let now = Instant::now();
        assert_eq!(
            u.submit(b"not json", now).err(),
            Some(Refusal::Serialization)
        );
        assert!(matches!(
            u.submit(b"{}", now),
            Err(Refusal::InvalidParameter(_))
        ));
        assert!(matches!(
            u.submit(&body("cofre-share-1-AAAA"), now),
            Err(Refusal::InvalidParameter(_))
        ));
        // Index beyond the share count.
        let (_, many, _) = setup(2, 9);
        assert!(matches!(
            u.submit(&body(&many[8]), now),
            Err(Refusal::InvalidParameter(m)) if m.contains("not one of")
        ));
        for _ in 4..FAILURE_BUDGET {
            assert!(u.submit(b"[]", now).is_err());
        }
        // Budget spent: even a good share waits for the window to move on.
        assert_eq!(
            u.submit(&body(&shares[0]), now).err(),
            Some(Refusal::Throttled)
        );
        let later = now + FAILURE_WINDOW;
        assert_eq!(progress(u.submit(&body(&shares[0]), later)).progress, 1);
    }

    #[test]
    fn request_ids_look_like_uuids() {
        let id = request_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_ne!(id, request_id());
    }
}
