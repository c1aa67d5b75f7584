//! The sweeper: purges secrets whose recovery window has ended and KMS keys whose deletion
//! date has passed (with their aliases and material), and performs the scheduled rotations
//! of KMS keys that are due.
//!
//! Time comes from the service's [`crate::Clock`], so tests move a manual clock and call
//! [`Service::sweep_once`] instead of waiting days.

use std::sync::Arc;
use std::time::Duration;

use cofre_store::StoreError;

use crate::secrets::Service;

impl Service {
    /// Purges every secret due by now, then sweeps KMS keys ([`Service::sweep_kms_once`]).
    /// Returns how many secrets were purged.
    pub async fn sweep_once(&self) -> Result<usize, StoreError> {
        let purged = self.purge_due_secrets().await?;
        self.sweep_kms_once().await?;
        Ok(purged)
    }

    /// Purges KMS keys whose deletion date has passed and rotates keys whose scheduled
    /// rotation is due. Returns (keys purged, keys rotated).
    pub async fn sweep_kms_once(&self) -> Result<(usize, usize), StoreError> {
        let as_store_error = |e: crate::kms::KmsError| StoreError::Backend(e.to_string());
        let purged = self.kms.purge_due_keys().await.map_err(as_store_error)?;
        let rotated = self
            .kms
            .rotate_due_keys(self.keys.root())
            .await
            .map_err(as_store_error)?;
        Ok((purged.len(), rotated))
    }

    /// Purges every secret due by now. Returns how many were purged.
    async fn purge_due_secrets(&self) -> Result<usize, StoreError> {
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
