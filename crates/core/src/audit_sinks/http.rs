//! The HTTP sink: events gathered into batches of up to `batch_max` events or `batch_ms`
//! milliseconds, whichever comes first, each batch POSTed as a JSON array of CloudTrail
//! records. A failed POST is retried with exponential backoff (`retry_base` doubling up to
//! `retry_max`, `attempts` tries in all), then the batch is dropped and counted.
//!
//! Between the trail and the POSTs sits a bounded queue (`queue` events): while the endpoint
//! is slow or down, new events wait there, and once it is full they are dropped and counted
//! ([`SinkStats::dropped`]), so a dead endpoint costs bounded memory and never slows the
//! API. The transport is a [`Poster`], so this logic is tested without a network and the
//! HTTP client lives with the rest of the HTTP code (`cofre_server`).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;

use super::SinkStats;
use crate::audit::StoredEvent;

/// Sends one batch (a JSON array) to the endpoint.
#[async_trait::async_trait]
pub trait Poster: Send + Sync + 'static {
    /// POSTs `body`; `Err` carries a description for the log (never the body).
    async fn post(&self, body: Vec<u8>) -> Result<(), String>;
}

/// Settings of the HTTP sink.
#[derive(Debug, Clone)]
pub struct HttpSinkConfig {
    /// Most events in one POST.
    pub batch_max: usize,
    /// Longest an event waits for its batch to fill.
    pub batch_wait: Duration,
    /// Events held while the endpoint is slow or down; beyond it they are dropped.
    pub queue: usize,
    /// Tries per batch (the first and the retries).
    pub attempts: u32,
    /// First retry delay; doubled each retry.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
}

impl Default for HttpSinkConfig {
    fn default() -> Self {
        Self {
            batch_max: 100,
            batch_wait: Duration::from_millis(1000),
            queue: 10_000,
            attempts: 5,
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(10),
        }
    }
}

/// Starts the sink's two tasks (the subscriber filling the queue, the sender draining it);
/// they end when the trail's channel closes, after the queue is sent.
pub fn spawn_http_sink<P: Poster>(
    rx: broadcast::Receiver<Arc<StoredEvent>>,
    poster: P,
    cfg: HttpSinkConfig,
) -> tokio::task::JoinHandle<()> {
    spawn_with(rx, poster, cfg, super::register("http"))
}

/// [`spawn_http_sink`] counting into `stats`.
fn spawn_with<P: Poster>(
    mut rx: broadcast::Receiver<Arc<StoredEvent>>,
    poster: P,
    cfg: HttpSinkConfig,
    stats: Arc<SinkStats>,
) -> tokio::task::JoinHandle<()> {
    let (qtx, qrx) = mpsc::channel::<Arc<StoredEvent>>(cfg.queue.max(1));
    let feed_stats = stats.clone();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    if qtx.try_send(e).is_err() {
                        feed_stats.add_dropped(1);
                    }
                }
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(dropped = n, "HTTP audit sink fell behind");
                    feed_stats.add_dropped(n);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
    tokio::spawn(send_batches(qrx, poster, cfg, stats))
}

async fn send_batches<P: Poster>(
    mut queue: mpsc::Receiver<Arc<StoredEvent>>,
    poster: P,
    cfg: HttpSinkConfig,
    stats: Arc<SinkStats>,
) {
    let batch_max = cfg.batch_max.max(1);
    loop {
        // Wait for the first event, then up to `batch_wait` for the batch to fill.
        let Some(first) = queue.recv().await else {
            break;
        };
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + cfg.batch_wait;
        while batch.len() < batch_max {
            match tokio::time::timeout_at(deadline, queue.recv()).await {
                Ok(Some(e)) => batch.push(e),
                Ok(None) | Err(_) => break,
            }
        }
        deliver(&poster, &cfg, &stats, &batch).await;
    }
}

/// POSTs one batch, retrying with backoff; counts it delivered or dropped.
async fn deliver<P: Poster>(
    poster: &P,
    cfg: &HttpSinkConfig,
    stats: &SinkStats,
    batch: &[Arc<StoredEvent>],
) {
    let body = json_array(batch);
    let mut delay = cfg.retry_base;
    for attempt in 1..=cfg.attempts.max(1) {
        match poster.post(body.clone()).await {
            Ok(()) => {
                stats.add_delivered(batch);
                return;
            }
            Err(e) => {
                stats.add_error();
                tracing::warn!(error = %e, attempt, events = batch.len(), "audit HTTP sink POST failed");
                if attempt < cfg.attempts {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(cfg.retry_max);
                }
            }
        }
    }
    tracing::error!(
        events = batch.len(),
        "audit HTTP sink gave up on a batch; the events remain in the trail"
    );
    stats.add_dropped(batch.len() as u64);
}

/// `[record,record,...]`: the records are JSON documents already.
fn json_array(batch: &[Arc<StoredEvent>]) -> Vec<u8> {
    let mut out =
        Vec::with_capacity(2 + batch.iter().map(|e| e.record_json.len() + 1).sum::<usize>());
    out.push(b'[');
    for (i, e) in batch.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(e.record_json.as_bytes());
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit_sinks::test_event;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    /// Records bodies; fails the first `fail` calls.
    #[derive(Clone, Default)]
    struct Recorder {
        bodies: Arc<Mutex<Vec<serde_json::Value>>>,
        calls: Arc<AtomicUsize>,
        fail: usize,
    }

    #[async_trait::async_trait]
    impl Poster for Recorder {
        async fn post(&self, body: Vec<u8>) -> Result<(), String> {
            if self.calls.fetch_add(1, Ordering::SeqCst) < self.fail {
                return Err("refused".into());
            }
            let v = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            if let Ok(mut b) = self.bodies.lock() {
                b.push(v);
            }
            Ok(())
        }
    }

    fn cfg() -> HttpSinkConfig {
        HttpSinkConfig {
            batch_max: 3,
            batch_wait: Duration::from_millis(50),
            queue: 100,
            attempts: 3,
            retry_base: Duration::from_millis(10),
            retry_max: Duration::from_millis(40),
        }
    }

    fn lengths(r: &Recorder) -> Vec<usize> {
        r.bodies
            .lock()
            .map(|b| b.iter().map(|v| v.as_array().map_or(0, Vec::len)).collect())
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn batches_by_count_and_time_and_retries() {
        let (tx, rx) = broadcast::channel(64);
        let rec = Recorder {
            fail: 1,
            ..Default::default()
        };
        let task = spawn_http_sink(rx, rec.clone(), cfg());
        for i in 0..4 {
            let _ = tx.send(test_event(i, &format!("{{\"n\":{i}}}")));
        }
        drop(tx);
        let _ = task.await;
        // The first POST failed and was retried; 3 by count, then 1 by time.
        assert_eq!(lengths(&rec), vec![3, 1]);
        assert_eq!(rec.calls.load(Ordering::SeqCst), 3);
        let first = rec.bodies.lock().map(|b| b[0].clone()).unwrap_or_default();
        assert_eq!(first[2]["n"], 2);
    }

    #[tokio::test]
    async fn gives_up_after_the_attempts_and_counts_drops() {
        let (tx, rx) = broadcast::channel(64);
        let rec = Recorder {
            fail: usize::MAX,
            ..Default::default()
        };
        let stats = crate::audit_sinks::register("http-test-give-up");
        let task = spawn_with(rx, rec.clone(), cfg(), stats.clone());
        for i in 0..2 {
            let _ = tx.send(test_event(i, "{}"));
        }
        drop(tx);
        let _ = task.await;
        assert_eq!(rec.calls.load(Ordering::SeqCst), 3);
        assert_eq!(
            (stats.dropped(), stats.errors(), stats.delivered()),
            (2, 3, 0)
        );
    }

    #[tokio::test]
    async fn a_full_queue_drops_and_counts() {
        let (tx, rx) = broadcast::channel(64);
        /// Never answers.
        struct Stuck;
        #[async_trait::async_trait]
        impl Poster for Stuck {
            async fn post(&self, _: Vec<u8>) -> Result<(), String> {
                std::future::pending().await
            }
        }
        let stats = crate::audit_sinks::register("http-test-full");
        let _task = spawn_with(
            rx,
            Stuck,
            HttpSinkConfig {
                queue: 2,
                batch_max: 1,
                ..cfg()
            },
            stats.clone(),
        );
        for i in 0..10 {
            let _ = tx.send(test_event(i, "{}"));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        // One in flight, two queued: the other seven are dropped.
        assert_eq!(stats.dropped(), 7);
    }
}
