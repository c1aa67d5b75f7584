//! Cofre's HTTP layer: everything between a TCP connection and the domain service.
//!
//! A request goes, top to bottom:
//! 1. [`run`] accepts the connection (hyper, HTTP/1.1, header-read timeout);
//! 2. [`handler`] assigns the request id, bounds the body, and times the request;
//! 3. [`auth`] verifies the SigV4 signature against the access keys Cofre holds (or, in
//!    `--dev` mode, only parses it);
//! 4. `cofre_api::dispatch` decodes and validates the operation's input and calls the
//!    domain service (`cofre_core::Service`);
//! 5. [`handler`] encodes the answer or the AWS error, with `x-amzn-RequestId`.
//!
//! [`ops`] answers `GET /health`, `/ready` and `/metrics` on the same listener, without
//! authentication, and keeps the request metrics; [`audit_http`] is the HTTP client of the
//! audit trail's HTTP sink (`cofre_core::audit_sinks`).
//!
//! Security notes: bodies are never logged; only the request id, operation, status, access
//! key id and latency are. Signatures are compared in constant time by `cofre_sigv4`.

pub mod audit_http;
pub mod auth;
pub mod handler;
pub mod ops;
pub mod throttle;
pub mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use cofre_core::Service;

/// How requests are authenticated.
#[derive(Debug, Clone)]
pub enum AuthMode {
    /// SigV4, checked against the stored access keys.
    SigV4,
    /// `--dev`: any credentials are accepted and act as the root of `account_id`.
    Dev {
        /// The account every request acts in.
        account_id: String,
    },
}

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// How long a client may take to send the request headers.
    pub header_timeout: Duration,
    /// How long a client may take to send the body.
    pub body_timeout: Duration,
    /// How long shutdown waits for requests in flight.
    pub drain_timeout: Duration,
    /// Most connections open at once; one more is answered 503 and closed.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            // A 64 KiB SecretBinary is ~88 KiB of base64 inside JSON; 512 KiB leaves room for
            // every modelled request and bounds what one request can make us buffer.
            max_body_bytes: 512 * 1024,
            header_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// Everything a request handler needs.
#[derive(Debug)]
pub struct App {
    /// The domain service.
    pub service: Arc<Service>,
    /// Authentication mode.
    pub auth: AuthMode,
    /// HTTP limits.
    pub limits: Limits,
    /// Per-access-key rate limiting (`Throttle::default()`: none).
    pub throttle: throttle::Throttle,
}

/// Serves `listener` until `shutdown` resolves, then stops accepting and drains requests in
/// flight (up to `limits.drain_timeout`).
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(
        app.limits.max_connections.max(1),
    ));
    loop {
        let (stream, remote) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tokio::spawn(refuse_connection(stream));
            continue;
        };
        let conn_app = app.clone();
        let svc = service_fn(move |req| {
            let app = conn_app.clone();
            async move { Ok::<_, std::convert::Infallible>(handler::handle(&app, req, remote).await) }
        });
        let conn = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(app.limits.header_timeout)
            .serve_connection(TokioIo::new(stream), svc);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, %remote, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections drained"),
        _ = tokio::time::sleep(app.limits.drain_timeout) => tracing::warn!("drain timed out; closing remaining connections"),
    }
}

/// The answer to a connection over `Limits::max_connections`: a 503 in awsJson's shape,
/// then close, without reading the request.
async fn refuse_connection(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    const BODY: &str = r#"{"__type":"ServiceUnavailableException","message":"The server has too many open connections; retry later."}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/x-amz-json-1.1\r\nx-amzn-errortype: ServiceUnavailableException\r\nretry-after: 1\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// The address a listener is bound to, for logs and tests.
pub fn local_addr(listener: &TcpListener) -> Option<SocketAddr> {
    listener.local_addr().ok()
}
