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
}

/// Serves `listener` until `shutdown` resolves, then stops accepting and drains requests in
/// flight (up to `limits.drain_timeout`).
pub async fn run(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
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
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => tracing::info!("all connections drained"),
        _ = tokio::time::sleep(app.limits.drain_timeout) => tracing::warn!("drain timed out; closing remaining connections"),
    }
}

/// The address a listener is bound to, for logs and tests.
pub fn local_addr(listener: &TcpListener) -> Option<SocketAddr> {
    listener.local_addr().ok()
}
