//! `cofre operator`: sealing a data dir and unsealing its server.
//!
//! - `init` generates a root key for a new data dir, splits it into unseal key shares
//!   (Shamir, `cofre_crypto::shamir`), writes `DATA_DIR/seal.json` (threshold, share count
//!   and a verification value, never the key or a share) and prints each share once. The
//!   key and the shares are written nowhere.
//! - `unseal` posts one share to a sealed server (`CofreOperator.Unseal`) and prints the
//!   progress; `status` asks for it (`CofreOperator.Status`). Both are plain unsigned HTTP
//!   requests: a sealed server has no credentials to check yet (see [`crate::seal`]).
//!
//! A share is read from standard input when not given as an argument, which keeps it out
//! of shell history and the process list; in this process it is held in zeroizing buffers.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use cofre_crypto::shamir::split;
use cofre_crypto::{RootKey, SecretBytes};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::Deserialize;

use crate::bootstrap;
use crate::seal::{self, SealConfig};

/// Errors that make a command fail (printed as `cofre: <error>`).
pub type OperatorError = Box<dyn std::error::Error + Send + Sync>;

/// How long one request may take, connection included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Arguments of `cofre operator`.
#[derive(Debug, clap::Args)]
pub struct OperatorArgs {
    #[command(subcommand)]
    command: OperatorCommand,
}

#[derive(Debug, clap::Subcommand)]
enum OperatorCommand {
    /// Seal a new data dir: generate its root key, split it into unseal key shares and print
    /// them once.
    Init {
        /// The data dir to seal; it must hold no store and no root key yet.
        #[arg(long, default_value = "./cofre-data")]
        data_dir: PathBuf,
        /// How many shares to make (at most 255).
        #[arg(long, default_value_t = 5)]
        shares: u8,
        /// How many shares unseal the server (at least 2).
        #[arg(long, default_value_t = 3)]
        threshold: u8,
    },
    /// Give a sealed server one unseal key share.
    Unseal {
        /// The server's endpoint (plain http).
        #[arg(long, default_value = "http://127.0.0.1:8700")]
        endpoint: String,
        /// The share (`cofre-share-1-...`). Read from standard input when omitted, which
        /// keeps it out of shell history and the process list.
        share: Option<String>,
    },
    /// Show whether a server is sealed, and the unseal progress.
    Status {
        /// The server's endpoint (plain http).
        #[arg(long, default_value = "http://127.0.0.1:8700")]
        endpoint: String,
    },
}

/// Runs `cofre operator <command>`.
pub async fn run(args: OperatorArgs) -> Result<(), OperatorError> {
    match args.command {
        OperatorCommand::Init {
            data_dir,
            shares,
            threshold,
        } => init(&data_dir, shares, threshold),
        OperatorCommand::Unseal { endpoint, share } => {
            let share = match share {
                Some(s) => SecretBytes::from(s),
                None => read_share()?,
            };
            let text = share
                .expose_str()
                .map_err(|_| "the share is not text")?
                .trim();
            if text.is_empty() {
                return Err("no share given".into());
            }
            #[derive(serde::Serialize)]
            struct Input<'a> {
                #[serde(rename = "Share")]
                share: &'a str,
            }
            // Sized so that writing never reallocates (a share needs no JSON escapes).
            let mut body = Vec::with_capacity(text.len() + 32);
            serde_json::to_writer(&mut body, &Input { share: text })?;
            let body = SecretBytes::new(body);
            let answer = call(&endpoint, seal::TARGET_UNSEAL, body).await?;
            print_progress(&endpoint, answer)
        }
        OperatorCommand::Status { endpoint } => {
            let answer = call(
                &endpoint,
                seal::TARGET_STATUS,
                SecretBytes::from(b"{}".to_vec()),
            )
            .await?;
            print_progress(&endpoint, answer)
        }
    }
}

/// `cofre operator init`.
fn init(dir: &std::path::Path, shares: u8, threshold: u8) -> Result<(), OperatorError> {
    if threshold < 2 || threshold > shares {
        return Err(format!(
            "need 2 <= --threshold <= --shares <= 255, got --threshold {threshold} --shares {shares}"
        )
        .into());
    }
    for (file, what) in [
        (bootstrap::STORE_FILE, "a store"),
        (bootstrap::ROOT_KEY_FILE, "a root key"),
        (seal::SEAL_FILE, "a seal configuration"),
    ] {
        if dir.join(file).exists() {
            return Err(format!(
                "{} already holds {what} ({file}): init only seals a new data dir",
                dir.display()
            )
            .into());
        }
    }
    bootstrap::prepare_data_dir(dir)?;
    let (root, text) = RootKey::generate();
    drop(text);
    let parts = split(root.key(), threshold, shares)?;
    // seal.json first: if it cannot be written, no share has been shown for a key that
    // would then be lost.
    seal::write(dir, &SealConfig::new(&root, threshold, shares))?;
    drop(root);

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Sealed {}: {shares} unseal key shares, any {threshold} of which reconstruct its root key.",
        dir.display()
    )?;
    writeln!(
        out,
        "Each share is shown once and stored nowhere: hand each to a different person now."
    )?;
    writeln!(out)?;
    for share in &parts {
        let text = share.encode();
        let text = text.expose_str().map_err(|_| "share text")?;
        writeln!(out, "Unseal key share {}: {text}", share.index())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Start the server with 'cofre server --data-dir {}': it starts sealed. Unseal it by",
        dir.display()
    )?;
    writeln!(
        out,
        "running 'cofre operator unseal --endpoint http://HOST:PORT' with {threshold} different shares."
    )?;
    out.flush()?;
    Ok(())
}

/// One share from standard input (the first non-empty line).
fn read_share() -> Result<SecretBytes, OperatorError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Unseal key share: ");
        let _ = std::io::stderr().flush();
    }
    let mut lock = stdin.lock();
    loop {
        // Sized for a share, so reading one does not reallocate and leave a copy behind.
        let mut line = String::with_capacity(256);
        let n = lock.read_line(&mut line)?;
        let line = SecretBytes::from(line);
        if n == 0 {
            return Err("no share on standard input".into());
        }
        if !line.expose().trim_ascii().is_empty() {
            return Ok(line);
        }
    }
}

/// The sealed server's answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Progress {
    sealed: bool,
    progress: u8,
    threshold: u8,
}

/// What a request got back.
enum Answer {
    /// A sealed server's (or a just-unsealed server's) progress.
    Progress(Progress),
    /// The server is serving: the unsealed API does not know `CofreOperator.*`.
    Unsealed,
}

fn print_progress(endpoint: &str, answer: Answer) -> Result<(), OperatorError> {
    match answer {
        Answer::Progress(p) if p.sealed => {
            println!("Sealed: true");
            println!("Unseal progress: {} of {} shares", p.progress, p.threshold);
        }
        Answer::Progress(_) | Answer::Unsealed => {
            println!("Sealed: false");
            println!("{endpoint} is unsealed and serving requests.");
        }
    }
    Ok(())
}

/// Posts `body` as `X-Amz-Target: <target>` to `endpoint`.
async fn call(endpoint: &str, target: &str, body: SecretBytes) -> Result<Answer, OperatorError> {
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|e| format!("--endpoint {endpoint}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("--endpoint {endpoint}: only http:// endpoints are supported").into());
    }
    let authority = uri
        .authority()
        .cloned()
        .ok_or_else(|| format!("--endpoint {endpoint}: no host"))?;
    let host = authority
        .host()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = authority.port_u16().unwrap_or(80);
    let request = http::Request::builder()
        .method("POST")
        .uri("/")
        .header("host", authority.as_str())
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", target)
        .body(Full::new(std::io::Cursor::new(SecretBody(body))))?;
    let exchange = async {
        let stream = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
        let (mut sender, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .map_err(|e| format!("cannot reach {endpoint}: {e}"))?;
        let conn = tokio::spawn(conn);
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("no answer from {endpoint}: {e}"))?;
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("no answer from {endpoint}: {e}"))?
            .to_bytes();
        conn.abort();
        Ok::<_, OperatorError>((status, bytes))
    };
    let (status, bytes) = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer from {endpoint} within {REQUEST_TIMEOUT:?}"))??;
    if status.is_success() {
        let p: Progress = serde_json::from_slice(&bytes)
            .map_err(|_| format!("{endpoint} answered HTTP {status} with an unexpected body"))?;
        return Ok(Answer::Progress(p));
    }
    let (code, message) = error_of(&bytes);
    match code.as_deref() {
        // The sealed loop's own refusals.
        Some(
            "InvalidParameterException"
            | "SerializationException"
            | "ThrottlingException"
            | "InternalServiceError"
            | "ServiceUnavailableException",
        ) => Err(match message {
            Some(m) => format!("{}: {m}", code.unwrap_or_default()),
            None => code.unwrap_or_default(),
        }
        .into()),
        // An unsealed Cofre asks every other request for a signature.
        Some(_) => Ok(Answer::Unsealed),
        None => Err(format!("{endpoint} answered HTTP {status} without an AWS error body").into()),
    }
}

/// A request body that stays in its zeroizing buffer while hyper sends it.
struct SecretBody(SecretBytes);

impl AsRef<[u8]> for SecretBody {
    fn as_ref(&self) -> &[u8] {
        self.0.expose()
    }
}

/// `(code, message)` of an AWS JSON error body.
fn error_of(body: &Bytes) -> (Option<String>, Option<String>) {
    #[derive(Deserialize)]
    struct ErrorBody {
        #[serde(rename = "__type")]
        code: Option<String>,
        #[serde(rename = "Message", alias = "message")]
        message: Option<String>,
    }
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) => (
            e.code
                .map(|c| c.rsplit('#').next().unwrap_or(&c).to_owned()),
            e.message.filter(|m| !m.is_empty()),
        ),
        Err(_) => (None, None),
    }
}
