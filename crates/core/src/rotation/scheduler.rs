//! The loop that drives rotation: every interval (or at once when RotateSecret kicks it) it
//! starts the scheduled runs that are due and drives every run that may proceed, each in its
//! own task. Several nodes may run this loop over one store: leases in the rows decide who
//! steps (see `engine.rs`), and a node never drives the same secret twice at once.

use std::sync::Arc;
use std::time::Duration;

use crate::secrets::Service;

/// Runs until `shutdown` resolves.
pub async fn run_rotation_loop(
    svc: Arc<Service>,
    interval: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        match svc.rotation_candidates().await {
            Ok(arns) => {
                for arn in arns {
                    let svc = svc.clone();
                    tokio::spawn(async move {
                        if let Err(e) = svc.drive_rotation(&arn).await {
                            tracing::error!(%arn, error = %e, "rotation could not proceed");
                        }
                    });
                }
            }
            Err(e) => tracing::error!(error = %e, "rotation scheduling failed"),
        }
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(interval) => {}
            _ = svc.engine.kick.notified() => {}
        }
    }
}
