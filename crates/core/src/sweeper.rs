//! The deletion sweeper: purges secrets whose recovery window has ended.
//!
//! Time comes from the service's [`crate::Clock`], so tests move a manual clock and call
//! [`Service::sweep_once`] instead of waiting days.

use std::sync::Arc;
use std::time::Duration;

use cofre_store::StoreError;

use crate::secrets::Service;

impl Service {
    /// Purges every secret due by now. Returns how many were purged.
    pub async fn sweep_once(&self) -> Result<usize, StoreError> {
        let now = self.now_ms();
        let mut purged = 0;
        for row in self.store.due_for_purge(now).await? {
            match self.store.delete_secret(&row.uid, row.revision).await {
                Ok(()) => {
                    tracing::info!(arn = %row.arn, "purged secret after its recovery window");
                    purged += 1;
                }
                // Restored or changed meanwhile: the next sweep sees the new state.
                Err(StoreError::Conflict) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(purged)
    }
}

/// Runs [`Service::sweep_once`] every `interval` until `shutdown` resolves.
pub async fn run_sweeper(
    svc: Arc<Service>,
    interval: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(interval);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {
                if let Err(e) = svc.sweep_once().await {
                    tracing::error!(error = %e, "deletion sweep failed");
                }
            }
        }
    }
}
