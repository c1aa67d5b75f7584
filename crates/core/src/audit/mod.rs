//! The audit trail: one CloudTrail-format record per API call (and per service event),
//! kept in an append-only, hash-chained, signed log in the store.
//!
//! | file | what |
//! |---|---|
//! | `record.rs` | [`Call`] → CloudTrail records: `userIdentity`, resources, read-only-ness |
//! | `params.rs` | the per-operation allow-lists for `requestParameters`/`responseElements` |
//! | `chain.rs` | the hash chain, the Ed25519 digest key and signatures, [`verify`] |
//! | `writer.rs` | the background writer: group commit, digests, durability acknowledgements |
//!
//! # Policy
//!
//! - **Nothing secret is recorded.** Request and response members are copied only from an
//!   allow-list per operation (`params.rs`); secret values, passwords, plaintexts, data keys,
//!   secret access keys and session tokens are never on a list. Unknown operations record
//!   `requestParameters: null`.
//! - **Fail closed.** A call that may change state (`readOnly: false`) is answered only
//!   after its record is durable; if the record cannot be written the caller gets
//!   `ServiceUnavailableException`. While the trail is unavailable every request, reads
//!   included, is refused before it reaches the domain.
//! - **Tamper evidence.** Each record carries `seq` (1, 2, ...), `prev_hash` and
//!   `hash = SHA-256(prev_hash ‖ seq ‖ record bytes)`; every [`AuditConfig::digest_every`]
//!   records, every [`AuditConfig::digest_interval`] and at shutdown the writer signs
//!   (seq, hash, time) with an Ed25519 key sealed under the root key. `cofre audit verify`
//!   walks the chain ([`verify`]).

mod chain;
mod params;
mod record;
mod writer;

#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use cofre_store::{AuditAttribute, AuditFilter, AuditRow, Store, StoreError};
use tokio::sync::{broadcast, mpsc, oneshot};

pub use chain::{verify, Problem, VerifyReport, PUBLIC_KEY_KV, SIGNING_KEY_KV};
pub use record::{Call, EventSource, RequestInput};

/// Errors of the audit trail.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum AuditError {
    /// The trail cannot record (writer stopped, store failing); the call must be refused.
    #[error("the audit trail is unavailable")]
    Unavailable,
    /// A look-up argument is invalid (attribute key, page size, token).
    #[error("{0}")]
    InvalidQuery(String),
    /// The store failed.
    #[error("audit storage error: {0}")]
    Store(#[from] StoreError),
    /// The signing key could not be created or opened.
    #[error("audit signing key: {0}")]
    Key(String),
}

/// Whether the trail records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AuditMode {
    /// Record everything; refuse what cannot be recorded.
    #[default]
    FailClosed,
    /// Record nothing (the benchmark baseline; never for real use).
    Off,
}

/// Tuning of the writer.
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Sign a digest after this many records.
    pub digest_every: u64,
    /// ... or after this long with new records.
    pub digest_interval: Duration,
    /// At most this many records per group commit.
    pub max_batch: usize,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            digest_every: 1000,
            digest_interval: Duration::from_secs(60),
            max_batch: 512,
        }
    }
}

/// What [`crate::Service::start_audit`] reports.
#[derive(Clone, Debug)]
pub struct AuditStarted {
    /// The digest verification key, hex (keep a copy outside the data dir).
    pub public_key_hex: String,
    /// Whether the key was created by this start.
    pub created: bool,
}

/// A LookupEvents-style query.
#[derive(Clone, Debug, Default)]
pub struct LookupQuery {
    /// `(AttributeKey, AttributeValue)`: EventName, Username, ResourceName, ResourceType,
    /// EventId, ReadOnly, AccessKeyId or EventSource.
    pub attribute: Option<(String, String)>,
    /// Only events at or after this time (ms since the epoch).
    pub start_ms: Option<i64>,
    /// Only events at or before this time.
    pub end_ms: Option<i64>,
    /// Page size, 1..=50.
    pub max_results: usize,
    /// The token of the previous page.
    pub next_token: Option<String>,
}

/// One recorded event, as look-ups and subscribers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredEvent {
    /// `eventID`.
    pub event_id: String,
    /// `eventName`.
    pub event_name: String,
    /// `readOnly`.
    pub read_only: bool,
    /// `userIdentity.accessKeyId`.
    pub access_key_id: Option<String>,
    /// `eventTime`, ms since the epoch.
    pub event_time_ms: i64,
    /// `eventSource`.
    pub event_source: String,
    /// The user name (IAM user, role session, `root`).
    pub username: Option<String>,
    /// (ResourceType, ResourceName) pairs.
    pub resources: Vec<(String, String)>,
    /// The full CloudTrail record (JSON).
    pub record_json: String,
}

/// A page of [`StoredEvent`]s, newest first.
#[derive(Clone, Debug, Default)]
pub struct LookupPage {
    /// The events.
    pub events: Vec<StoredEvent>,
    /// The token of the next page, if there may be one.
    pub next_token: Option<String>,
}

impl StoredEvent {
    pub(crate) fn from_row(row: &AuditRow) -> Self {
        Self {
            event_id: row.event_id.clone(),
            event_name: row.event_name.clone(),
            read_only: row.read_only,
            access_key_id: row.access_key_id.clone(),
            event_time_ms: row.event_time_ms,
            event_source: row.event_source.clone(),
            username: row.username.clone(),
            resources: row.resources.clone(),
            record_json: String::from_utf8_lossy(&row.record).into_owned(),
        }
    }
}

/// The running writer's handles.
#[derive(Debug)]
struct Running {
    tx: mpsc::Sender<writer::Job>,
    healthy: Arc<AtomicBool>,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// The audit trail of one [`crate::Service`]: recording, look-ups, subscriptions.
#[derive(Debug)]
pub struct Audit {
    store: Arc<dyn Store>,
    running: OnceLock<Running>,
    events: broadcast::Sender<Arc<StoredEvent>>,
}

/// A prepared record waiting for the writer.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) row: AuditRow,
}

impl Audit {
    /// A trail over `store` that records nothing until started.
    pub(crate) fn new(store: Arc<dyn Store>) -> Self {
        let (events, _) = broadcast::channel(1024);
        Self {
            store,
            running: OnceLock::new(),
            events,
        }
    }

    /// Whether requests may be served: true when recording is off or the writer is healthy.
    pub fn available(&self) -> bool {
        self.running
            .get()
            .is_none_or(|r| r.healthy.load(Ordering::SeqCst) && !r.tx.is_closed())
    }

    /// Whether the trail records (started in [`AuditMode::FailClosed`]).
    pub fn recording(&self) -> bool {
        self.running.get().is_some()
    }

    /// Records one call: builds its record(s) and hands them to the writer; for a call that
    /// may change state, waits until the record is durable. `Err` means the caller must not
    /// acknowledge the call.
    pub async fn record(&self, call: &Call<'_>) -> Result<(), AuditError> {
        let Some(running) = self.running.get() else {
            return Ok(());
        };
        let events = record::build(call);
        let must_wait = events.iter().any(|e| !e.row.read_only);
        let mut waits = Vec::new();
        for event in events {
            let (tx, rx) = oneshot::channel();
            running
                .tx
                .send(writer::Job::Event(Box::new(event), Some(tx)))
                .await
                .map_err(|_| AuditError::Unavailable)?;
            waits.push(rx);
        }
        if must_wait {
            for rx in waits {
                rx.await.map_err(|_| AuditError::Unavailable)??;
            }
        }
        Ok(())
    }

    /// Records a service event (`eventType: AwsServiceEvent`): something Cofre did on its
    /// own, like purging a secret after its recovery window. Waits for durability.
    pub async fn record_service_event(
        &self,
        source: EventSource,
        event_name: &str,
        account_id: &str,
        region: &str,
        resources: Vec<(String, String)>,
        now_ms: i64,
    ) -> Result<(), AuditError> {
        let Some(running) = self.running.get() else {
            return Ok(());
        };
        let event =
            record::service_event(source, event_name, account_id, region, resources, now_ms);
        let (tx, rx) = oneshot::channel();
        running
            .tx
            .send(writer::Job::Event(Box::new(event), Some(tx)))
            .await
            .map_err(|_| AuditError::Unavailable)?;
        rx.await.map_err(|_| AuditError::Unavailable)?
    }

    /// Every event after it is durable (for sinks and `cofre audit tail`). A slow receiver
    /// that falls more than 1024 events behind gets `RecvError::Lagged`.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.events.subscribe()
    }

    /// Events whose `recipientAccountId` is `recipient_account`, newest first.
    pub async fn lookup(
        &self,
        recipient_account: &str,
        q: &LookupQuery,
    ) -> Result<LookupPage, AuditError> {
        if !(1..=50).contains(&q.max_results) {
            return Err(AuditError::InvalidQuery(
                "MaxResults must be between 1 and 50.".into(),
            ));
        }
        let attribute = match &q.attribute {
            None => None,
            Some((key, value)) => Some((attribute_key(key)?, value.clone())),
        };
        let before_seq = match &q.next_token {
            None => None,
            Some(t) => Some(
                t.strip_prefix("seq-")
                    .and_then(|n| n.parse::<u64>().ok())
                    .ok_or_else(|| AuditError::InvalidQuery("Invalid NextToken.".into()))?,
            ),
        };
        let rows = self
            .store
            .audit_lookup(&AuditFilter {
                recipient_account: recipient_account.to_owned(),
                attribute,
                start_ms: q.start_ms,
                end_ms: q.end_ms,
                before_seq,
                limit: q.max_results,
            })
            .await?;
        let next_token = if rows.len() == q.max_results {
            rows.last().map(|r| format!("seq-{}", r.seq))
        } else {
            None
        };
        Ok(LookupPage {
            events: rows.iter().map(StoredEvent::from_row).collect(),
            next_token,
        })
    }

    /// Stops the writer after it has written everything queued and a final digest.
    pub async fn shutdown(&self) {
        let Some(running) = self.running.get() else {
            return;
        };
        let (tx, rx) = oneshot::channel();
        if running.tx.send(writer::Job::Shutdown(tx)).await.is_ok() {
            let _ = rx.await;
        }
        let task = running
            .task
            .lock()
            .map(|mut t| t.take())
            .unwrap_or_default();
        if let Some(task) = task {
            let _ = task.await;
        }
    }
}

fn attribute_key(key: &str) -> Result<AuditAttribute, AuditError> {
    Ok(match key {
        "EventName" => AuditAttribute::EventName,
        "Username" => AuditAttribute::Username,
        "ResourceName" => AuditAttribute::ResourceName,
        "ResourceType" => AuditAttribute::ResourceType,
        "EventId" => AuditAttribute::EventId,
        "ReadOnly" => AuditAttribute::ReadOnly,
        "AccessKeyId" => AuditAttribute::AccessKeyId,
        "EventSource" => AuditAttribute::EventSource,
        other => {
            return Err(AuditError::InvalidQuery(format!(
                "Invalid attribute key: {other}"
            )))
        }
    })
}

impl crate::Service {
    /// The audit trail.
    pub fn audit(&self) -> &Audit {
        &self.audit
    }

    /// Starts recording (once): opens or creates the digest signing key (sealed under the
    /// root key) and spawns the writer. In [`AuditMode::Off`] nothing is started.
    pub async fn start_audit(
        &self,
        mode: AuditMode,
        config: AuditConfig,
    ) -> Result<Option<AuditStarted>, AuditError> {
        if mode == AuditMode::Off {
            return Ok(None);
        }
        let (key, started) = chain::signing_key(self.store.as_ref(), self.keys.root()).await?;
        let tail = self.store.audit_last().await?;
        let healthy = Arc::new(AtomicBool::new(true));
        let (tx, rx) = mpsc::channel(4096);
        let task = tokio::spawn(writer::run(writer::Writer {
            store: self.store.clone(),
            clock: self.clock.clone(),
            key,
            config,
            healthy: healthy.clone(),
            events: self.audit.events.clone(),
            last_seq: tail.as_ref().map_or(0, |t| t.seq),
            last_hash: tail.map_or_else(|| chain::GENESIS.to_vec(), |t| t.hash),
            rx,
        }));
        let running = Running {
            tx,
            healthy,
            task: Mutex::new(Some(task)),
        };
        if self.audit.running.set(running).is_err() {
            return Err(AuditError::Key("the audit trail is already started".into()));
        }
        Ok(Some(started))
    }
}
