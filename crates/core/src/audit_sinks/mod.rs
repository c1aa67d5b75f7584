//! Audit sinks: copies of the audit trail delivered outside the store, each fed by its own
//! subscription to [`Audit::subscribe`](crate::audit::Audit::subscribe).
//!
//! | file | sink |
//! |---|---|
//! | `file.rs` | JSON lines appended to a file, rotated by size (`--audit-file`, `--audit-file-max-mb`) |
//! | `stdout.rs` | JSON lines on standard output (`--audit-stdout`) |
//! | `http.rs` | batches POSTed as JSON arrays to an endpoint (`--audit-http-url`), retried with backoff, through a bounded queue |
//!
//! Each line or array element is an event's CloudTrail record (`StoredEvent::record_json`),
//! exactly as LookupEvents returns it in `CloudTrailEvent`.
//!
//! The trail in the store is the record of truth and is written before an event is
//! published; sinks are best-effort copies. A sink that falls behind the broadcast channel,
//! or whose queue is full, drops events and counts them in [`SinkStats::dropped`]
//! (`cofre_audit_sink_dropped_total` on `/metrics`); the events stay in the store.
//!
//! Security notes: a record carries no secret value (the audit core leaves values out of
//! `requestParameters` and `responseElements`), so a sink's output needs no more protection
//! than the trail's metadata. Sinks never log a record, only counts and I/O errors.

mod file;
mod http;
mod stdout;

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use file::{spawn_file_sink, FileSinkConfig};
pub use http::{spawn_http_sink, HttpSinkConfig, Poster};
pub use stdout::spawn_stdout_sink;

use crate::audit::StoredEvent;

/// Counters of one sink, shown on `/metrics`.
#[derive(Debug)]
pub struct SinkStats {
    name: String,
    delivered: AtomicU64,
    dropped: AtomicU64,
    errors: AtomicU64,
    lag_ms: AtomicI64,
}

impl SinkStats {
    /// The sink's name (`file`, `stdout`, `http`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Events delivered.
    pub fn delivered(&self) -> u64 {
        self.delivered.load(Ordering::Relaxed)
    }

    /// Events dropped: the queue was full, the sink fell behind the broadcast channel, or
    /// delivery failed after every retry.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Failed delivery attempts (writes or POSTs), retried or not.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Milliseconds between the last delivered event's time and its delivery.
    pub fn lag_ms(&self) -> i64 {
        self.lag_ms.load(Ordering::Relaxed)
    }

    pub(crate) fn add_delivered(&self, events: &[Arc<StoredEvent>]) {
        self.delivered
            .fetch_add(events.len() as u64, Ordering::Relaxed);
        if let Some(last) = events.last() {
            self.lag_ms
                .store((now_ms() - last.event_time_ms).max(0), Ordering::Relaxed);
        }
    }

    pub(crate) fn add_dropped(&self, n: u64) {
        self.dropped.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_error(&self) {
        self.errors.fetch_add(1, Ordering::Relaxed);
    }
}

fn registry() -> &'static Mutex<Vec<Arc<SinkStats>>> {
    static R: OnceLock<Mutex<Vec<Arc<SinkStats>>>> = OnceLock::new();
    R.get_or_init(Default::default)
}

/// The counters of every sink started in this process.
pub fn stats() -> Vec<Arc<SinkStats>> {
    registry().lock().map(|r| r.clone()).unwrap_or_default()
}

/// New counters for a sink named `name`, listed by [`stats`].
pub(crate) fn register(name: &str) -> Arc<SinkStats> {
    let s = Arc::new(SinkStats {
        name: name.to_owned(),
        delivered: AtomicU64::new(0),
        dropped: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        lag_ms: AtomicI64::new(0),
    });
    if let Ok(mut r) = registry().lock() {
        r.push(s.clone());
    }
    s
}

/// Wall-clock milliseconds, for the lag gauge only (an operational number, not a decision).
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
pub(crate) fn test_event(n: i64, record: &str) -> Arc<StoredEvent> {
    Arc::new(StoredEvent {
        event_id: format!("id-{n}"),
        event_name: "GetSecretValue".into(),
        read_only: true,
        access_key_id: Some("AKIATEST".into()),
        event_time_ms: n,
        event_source: "secretsmanager.amazonaws.com".into(),
        username: Some("alice".into()),
        resources: Vec::new(),
        record_json: record.into(),
    })
}
