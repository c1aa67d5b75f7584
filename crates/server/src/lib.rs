//! Cofre's HTTP layer: everything between a TCP connection and the domain service.
//!
//! A request goes, top to bottom:
//! 1. [`run`] accepts the connection (hyper, HTTP/1.1, header-read timeout); [`run_with_tls`]
//!    the same over TLS ([`tls`]: rustls, HTTP/2 or HTTP/1.1 by ALPN, certificate reload);
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
pub mod tls;
pub mod webhook;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

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

/// Serves plain HTTP/1.1 on `listener` until `shutdown` resolves, then stops accepting and
/// drains requests in flight (up to `limits.drain_timeout`).
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    run_with_tls(listener, app, None, shutdown).await;
}

/// [`run`], over TLS when `tls` is given: HTTP/2 or HTTP/1.1 as ALPN chose (see [`tls`]).
/// Requests then carry `aws:SecureTransport` true.
pub async fn run_with_tls(
    listener: TcpListener,
    app: Arc<App>,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()>,
) {
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
            if tls.is_none() {
                tokio::spawn(refuse_connection(stream));
            }
            // Over TLS a plaintext 503 would only be a handshake error to the client, and a
            // handshake is what an overloaded server should not spend on it: just close.
            continue;
        };
        let secure = tls.is_some();
        let conn_app = app.clone();
        let svc = service_fn(move |req| {
            let app = conn_app.clone();
            async move {
                Ok::<_, std::convert::Infallible>(handler::handle(&app, req, remote, secure).await)
            }
        });
        let Some(acceptor) = tls.clone() else {
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
            continue;
        };
        let watcher = graceful.watcher();
        let header_timeout = app.limits.header_timeout;
        tokio::spawn(async move {
            // The handshake counts against the header-read timeout: a client that opens a
            // connection and sends nothing holds a permit no longer than one sending no headers.
            let handshake = async {
                let mut first = [0u8; 1];
                // A TLS connection opens with a handshake record (0x16); anything else is a
                // client speaking plain HTTP to the HTTPS port, which gets a readable 400.
                match stream.peek(&mut first).await {
                    Ok(1) if first[0] != 0x16 => Err(Some(stream)),
                    Ok(1) => acceptor.accept(stream).await.map_err(|e| {
                        tracing::debug!(error = %e, %remote, "TLS handshake failed");
                        None
                    }),
                    _ => Err(None),
                }
            };
            let stream = match tokio::time::timeout(header_timeout, handshake).await {
                Ok(Ok(s)) => s,
                Ok(Err(Some(plain))) => {
                    tracing::debug!(%remote, "plain HTTP on the HTTPS port; answered 400");
                    refuse_plaintext(plain).await;
                    return;
                }
                Ok(Err(None)) => return,
                Err(_) => {
                    tracing::debug!(%remote, "TLS handshake timed out");
                    return;
                }
            };
            let alpn_h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout);
            builder.http2().timer(TokioTimer::new());
            // ALPN already settled the protocol; without ALPN the builder sniffs the preface.
            let builder = if alpn_h2 {
                builder.http2_only()
            } else {
                builder
            };
            let conn = builder.serve_connection(TokioIo::new(stream), svc);
            if let Err(e) = watcher.watch(conn).await {
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

/// The answer to plain HTTP sent to the HTTPS port: a 400 saying so, then close.
async fn refuse_plaintext(mut stream: tokio::net::TcpStream) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    const BODY: &str = "This port speaks HTTPS: send the request to https:// instead.\n";
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        // Read what the client sent first: closing with unread data would reset the
        // connection and could destroy the answer before the client reads it.
        let mut buf = [0u8; 8192];
        let _ = stream.read(&mut buf).await;
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
}

/// The address a listener is bound to, for logs and tests.
pub fn local_addr(listener: &TcpListener) -> Option<SocketAddr> {
    listener.local_addr().ok()
}
