//! The sweeper: purges secrets whose recovery window has ended and KMS keys whose deletion
//! date has passed (with their aliases and material), and performs the scheduled rotations
//! of KMS keys that are due.
//!
//! Time comes from the service's [`crate::Clock`], so tests move a manual clock and call
//! [`Service::sweep_once`] instead of waiting days.

use std::sync::Arc;
use std::time::Duration;

use cofre_store::StoreError;

use crate::audit::EventSource;
use crate::secrets::Service;

const SECRET: &str = "AWS::SecretsManager::Secret";
const KMS_KEY: &str = "AWS::KMS::Key";

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
        for arn in &purged {
            self.record_service_event(EventSource::Kms, "DeleteKey", KMS_KEY, arn)
                .await;
        }
        let rotated = self
            .kms
            .rotate_due_key_arns(self.keys.root())
            .await
            .map_err(as_store_error)?;
        for arn in &rotated {
            self.record_service_event(EventSource::Kms, "RotateKey", KMS_KEY, arn)
                .await;
        }
        Ok((purged.len(), rotated.len()))
    }

    /// Records a service event about the resource `arn` in the audit trail of the
    /// resource's account. A failure is logged: the change is already made, and the trail
    /// refuses further requests until it recovers.
    pub(crate) async fn record_service_event(
        &self,
        source: EventSource,
        name: &str,
        kind: &str,
        arn: &str,
    ) {
        let mut parts = arn.split(':');
        let region = parts.nth(3).unwrap_or_default();
        let account = parts.next().unwrap_or_default();
        if let Err(e) = self
            .audit()
            .record_service_event(
                source,
                name,
                account,
                region,
                vec![(kind.to_owned(), arn.to_owned())],
                self.now_ms(),
            )
            .await
        {
            tracing::error!(error = %e, %arn, event = name, "could not record a service event");
        }
    }

    /// Purges every secret due by now. Returns how many were purged.
    async fn purge_due_secrets(&self) -> Result<usize, StoreError> {
        let now = self.now_ms();
        let mut purged = 0;
        for row in self.store.due_for_purge(now).await? {
            match self.store.delete_secret(&row.uid, row.revision).await {
                Ok(()) => {
                    tracing::info!(arn = %row.arn, "purged secret after its recovery window");
                    // AWS records the end of a secret's recovery window as the service
                    // event EndSecretVersionDelete.
                    self.record_service_event(
                        EventSource::SecretsManager,
                        "EndSecretVersionDelete",
                        SECRET,
                        &row.arn,
                    )
                    .await;
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
