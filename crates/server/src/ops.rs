//! Operational endpoints, served on the API listener without authentication:
//!
//! - `GET /health`: 200 while the process serves requests;
//! - `GET /ready`: 200 when the store answers a read (within two seconds) and the audit trail
//!   can record (fail-closed: while it cannot, every API request is refused), else 503;
//! - `GET /metrics`: Prometheus text exposition: requests by operation and outcome, request
//!   latency histograms by operation, whether the audit trail is available, and the audit
//!   sinks' delivered, dropped and failed counts and delivery lag.
//!
//! Security notes: these answers carry no secret, identity or request content: operation
//! names, outcomes (`ok`, `client_error`, `server_error`) and counts. Operation labels are
//! the names the request routed to; because IAM's `Action` and the admin API's target are
//! caller-chosen strings, at most [`MAX_OPERATIONS`] distinct labels are kept and the rest
//! count under `other`, so a client cannot grow the metrics without bound.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Method, Response, StatusCode};
use http_body_util::Full;

use cofre_core::audit_sinks::SinkStats;

use crate::App;

/// The most distinct operation labels kept.
pub const MAX_OPERATIONS: usize = 256;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// How long `/ready` waits for the store.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The paths answered here.
pub fn is_ops_path(method: &Method, path: &str) -> bool {
    method == Method::GET && matches!(path, "/health" | "/ready" | "/metrics")
}

/// Answers `GET /health`, `/ready` or `/metrics` (see [`is_ops_path`]).
pub async fn handle(app: &App, path: &str) -> Response<Full<Bytes>> {
    match path {
        "/health" => text(StatusCode::OK, "ok\n".into(), "text/plain; charset=utf-8"),
        "/ready" => {
            let problem = if !store_answers(app).await {
                Some("store not answering\n")
            } else if !app.service.audit().available() {
                Some("audit trail unavailable\n")
            } else {
                None
            };
            match problem {
                None => text(
                    StatusCode::OK,
                    "ready\n".into(),
                    "text/plain; charset=utf-8",
                ),
                Some(p) => text(
                    StatusCode::SERVICE_UNAVAILABLE,
                    p.into(),
                    "text/plain; charset=utf-8",
                ),
            }
        }
        _ => {
            let mut body = render();
            let available = u8::from(app.service.audit().available());
            body.push_str(
                "# HELP cofre_audit_available Whether the audit trail can record (1) or every \
                 request is refused (0).\n# TYPE cofre_audit_available gauge\n",
            );
            let _ = writeln!(body, "cofre_audit_available {available}");
            text(
                StatusCode::OK,
                body,
                "text/plain; version=0.0.4; charset=utf-8",
            )
        }
    }
}

/// Whether a store read completes in time (its result, found or not, does not matter).
async fn store_answers(app: &App) -> bool {
    let account = app
        .service
        .operator_account()
        .unwrap_or("000000000000")
        .to_owned();
    matches!(
        tokio::time::timeout(READY_TIMEOUT, app.service.iam().account_exists(&account)).await,
        Ok(Ok(_))
    )
}

fn text(status: StatusCode, body: String, content_type: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    resp
}

/// How a request ended, by its HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// 2xx.
    Ok,
    /// 4xx: the caller's mistake or a denial.
    ClientError,
    /// 5xx.
    ServerError,
}

impl Outcome {
    /// The outcome of a response with `status`.
    pub fn of(status: u16) -> Self {
        match status {
            500.. => Self::ServerError,
            400..=499 => Self::ClientError,
            _ => Self::Ok,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ClientError => "client_error",
            Self::ServerError => "server_error",
        }
    }
}

/// One operation's latency histogram.
#[derive(Debug, Default, Clone)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Registry {
    requests: BTreeMap<(String, Outcome), u64>,
    latency: BTreeMap<String, Histogram>,
}

fn registry() -> &'static Mutex<Registry> {
    static R: OnceLock<Mutex<Registry>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// Records one request: its operation (`None` when it never got that far), outcome and
/// latency.
pub fn record(operation: Option<&str>, outcome: Outcome, latency: Duration) {
    let Ok(mut r) = registry().lock() else {
        return;
    };
    let mut op = operation.unwrap_or("unknown");
    if !r.latency.contains_key(op) && r.latency.len() >= MAX_OPERATIONS {
        op = "other";
    }
    *r.requests.entry((op.to_owned(), outcome)).or_default() += 1;
    let h = r.latency.entry(op.to_owned()).or_default();
    let secs = latency.as_secs_f64();
    for (i, le) in BUCKETS.iter().enumerate() {
        if secs <= *le {
            h.buckets[i] += 1;
        }
    }
    h.count += 1;
    h.sum += secs;
}

/// The Prometheus text of every metric.
pub fn render() -> String {
    let mut out = String::new();
    let (requests, latency) = match registry().lock() {
        Ok(r) => (r.requests.clone(), r.latency.clone()),
        Err(_) => Default::default(),
    };
    out.push_str("# HELP cofre_requests_total API requests by operation and outcome.\n");
    out.push_str("# TYPE cofre_requests_total counter\n");
    for ((op, outcome), n) in &requests {
        let _ = writeln!(
            out,
            "cofre_requests_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
            escape(op),
            outcome.label()
        );
    }
    out.push_str("# HELP cofre_request_duration_seconds API request latency by operation.\n");
    out.push_str("# TYPE cofre_request_duration_seconds histogram\n");
    for (op, h) in &latency {
        let op = escape(op);
        for (le, n) in BUCKETS.iter().zip(h.buckets) {
            let _ = writeln!(
                out,
                "cofre_request_duration_seconds_bucket{{operation=\"{op}\",le=\"{le}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "cofre_request_duration_seconds_bucket{{operation=\"{op}\",le=\"+Inf\"}} {}",
            h.count
        );
        let _ = writeln!(
            out,
            "cofre_request_duration_seconds_sum{{operation=\"{op}\"}} {}",
            h.sum
        );
        let _ = writeln!(
            out,
            "cofre_request_duration_seconds_count{{operation=\"{op}\"}} {}",
            h.count
        );
    }
    render_sinks(&mut out);
    out
}

/// The audit sinks' counters (see `cofre_core::audit_sinks`).
fn render_sinks(out: &mut String) {
    let sinks = cofre_core::audit_sinks::stats();
    /// A metric family: name, type, help, and how to read a sink's value.
    type Family = (
        &'static str,
        &'static str,
        &'static str,
        fn(&SinkStats) -> String,
    );
    let families: [Family; 4] = [
        (
            "cofre_audit_sink_delivered_total",
            "counter",
            "Audit events an audit sink delivered.",
            |s| s.delivered().to_string(),
        ),
        (
            "cofre_audit_sink_dropped_total",
            "counter",
            "Audit events an audit sink dropped (queue full, or it fell behind the trail).",
            |s| s.dropped().to_string(),
        ),
        (
            "cofre_audit_sink_errors_total",
            "counter",
            "Failed delivery attempts of an audit sink (each retried or counted as dropped).",
            |s| s.errors().to_string(),
        ),
        (
            "cofre_audit_sink_lag_seconds",
            "gauge",
            "Seconds between the last delivered event's time and its delivery.",
            |s| (s.lag_ms() as f64 / 1000.0).to_string(),
        ),
    ];
    for (name, kind, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for s in &sinks {
            let _ = writeln!(out, "{name}{{sink=\"{}\"}} {}", escape(s.name()), value(s));
        }
    }
}

/// A label value with Prometheus's escapes.
fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_requests_and_histograms() {
        record(
            Some("TestOnlyOp"),
            Outcome::of(200),
            Duration::from_millis(3),
        );
        record(
            Some("TestOnlyOp"),
            Outcome::of(403),
            Duration::from_millis(30),
        );
        let text = render();
        assert!(text.contains("cofre_requests_total{operation=\"TestOnlyOp\",outcome=\"ok\"} 1"));
        assert!(text
            .contains("cofre_requests_total{operation=\"TestOnlyOp\",outcome=\"client_error\"} 1"));
        assert!(text.contains(
            "cofre_request_duration_seconds_bucket{operation=\"TestOnlyOp\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "cofre_request_duration_seconds_bucket{operation=\"TestOnlyOp\",le=\"0.05\"} 2"
        ));
        assert!(text.contains("cofre_request_duration_seconds_count{operation=\"TestOnlyOp\"} 2"));
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn outcomes_follow_the_status() {
        assert_eq!(Outcome::of(200), Outcome::Ok);
        assert_eq!(Outcome::of(400), Outcome::ClientError);
        assert_eq!(Outcome::of(503), Outcome::ServerError);
    }
}
