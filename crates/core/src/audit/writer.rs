//! The background writer: one task owns the chain's end. It takes every queued record,
//! chains and appends them in one transaction (group commit), then acknowledges each
//! waiting request and publishes the events; it signs digests by count, by time and at
//! shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use cofre_store::{AuditRow, Store};
use ed25519_dalek::SigningKey;
use tokio::sync::{broadcast, mpsc, oneshot};

use super::chain::{chain_hash, sign_digest};
use super::{AuditConfig, AuditError, Pending, StoredEvent};
use crate::clock::Clock;

/// Work for the writer.
#[derive(Debug)]
pub(crate) enum Job {
    /// A record, and whom to tell once it is durable.
    Event(
        Box<Pending>,
        Option<oneshot::Sender<Result<(), AuditError>>>,
    ),
    /// Write what is queued, sign a final digest, stop.
    Shutdown(oneshot::Sender<()>),
}

/// The writer's state.
pub(crate) struct Writer {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SigningKey,
    pub(crate) config: AuditConfig,
    pub(crate) healthy: Arc<AtomicBool>,
    pub(crate) events: broadcast::Sender<Arc<StoredEvent>>,
    pub(crate) last_seq: u64,
    pub(crate) last_hash: Vec<u8>,
    pub(crate) rx: mpsc::Receiver<Job>,
}

impl Writer {
    /// Chains and appends `batch`; on success advances the chain's end.
    async fn commit(&mut self, batch: Vec<Pending>) -> Result<Vec<AuditRow>, AuditError> {
        let mut seq = self.last_seq;
        let mut prev = self.last_hash.clone();
        let rows: Vec<AuditRow> = batch
            .into_iter()
            .map(|p| {
                let mut row = p.row;
                seq += 1;
                row.seq = seq;
                row.hash = chain_hash(&prev, seq, &row.record);
                row.prev_hash = std::mem::replace(&mut prev, row.hash.clone());
                row
            })
            .collect();
        match self.store.audit_append(rows.clone()).await {
            Ok(()) => {
                self.last_seq = seq;
                self.last_hash = prev;
                self.healthy.store(true, Ordering::SeqCst);
                Ok(rows)
            }
            Err(e) => {
                tracing::error!(error = %e, "audit trail write failed; refusing requests");
                self.healthy.store(false, Ordering::SeqCst);
                // Another process may have appended (or the tail is not what we think):
                // resynchronise so the next batch chains onto what is really stored.
                if let Ok(tail) = self.store.audit_last().await {
                    self.last_seq = tail.as_ref().map_or(0, |t| t.seq);
                    self.last_hash =
                        tail.map_or_else(|| super::chain::GENESIS.to_vec(), |t| t.hash);
                }
                Err(AuditError::Unavailable)
            }
        }
    }

    /// Signs and stores a digest over the chain's end (if there is anything new).
    async fn digest(&mut self, digested: &mut u64) {
        if self.last_seq == *digested || self.last_seq == 0 {
            return;
        }
        let row = sign_digest(
            &self.key,
            self.last_seq,
            &self.last_hash,
            self.clock.now_ms(),
        );
        match self.store.audit_put_digest(row).await {
            Ok(()) => *digested = self.last_seq,
            Err(e) => {
                tracing::error!(error = %e, "audit digest write failed; refusing requests");
                self.healthy.store(false, Ordering::SeqCst);
            }
        }
    }
}

/// Runs until shutdown or until every sender is gone.
pub(crate) async fn run(mut w: Writer) {
    let mut digested = w
        .store
        .audit_digests()
        .await
        .ok()
        .and_then(|d| d.last().map(|d| d.last_seq))
        .unwrap_or(0);
    let mut tick = tokio::time::interval(w.config.digest_interval);
    tick.tick().await;
    loop {
        let first = tokio::select! {
            job = w.rx.recv() => job,
            _ = tick.tick() => {
                w.digest(&mut digested).await;
                if !w.healthy.load(Ordering::SeqCst) {
                    // Probe: the trail is usable again once the store answers.
                    if w.store.audit_last().await.is_ok() {
                        w.healthy.store(true, Ordering::SeqCst);
                    }
                }
                continue;
            }
        };
        let Some(first) = first else { break };
        let mut jobs = vec![first];
        while jobs.len() < w.config.max_batch {
            match w.rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let mut batch = Vec::new();
        let mut waiters = Vec::new();
        let mut stop = None;
        for job in jobs {
            match job {
                Job::Event(p, tx) => {
                    let p = *p;
                    batch.push(p);
                    waiters.push(tx);
                }
                Job::Shutdown(tx) => stop = Some(tx),
            }
        }
        if !batch.is_empty() {
            let result = w.commit(batch).await;
            match result {
                Ok(rows) => {
                    for tx in waiters.into_iter().flatten() {
                        let _ = tx.send(Ok(()));
                    }
                    // Decoding a stored event for subscribers costs a JSON parse: skip it
                    // when nobody (no sink, no tail) listens.
                    if w.events.receiver_count() > 0 {
                        for row in &rows {
                            let _ = w.events.send(Arc::new(StoredEvent::from_row(row)));
                        }
                    }
                    if w.last_seq - digested >= w.config.digest_every {
                        w.digest(&mut digested).await;
                    }
                }
                Err(e) => {
                    for tx in waiters.into_iter().flatten() {
                        let _ = tx.send(Err(e.clone()));
                    }
                }
            }
        }
        if let Some(tx) = stop {
            w.digest(&mut digested).await;
            let _ = tx.send(());
            return;
        }
    }
    w.digest(&mut digested).await;
}
