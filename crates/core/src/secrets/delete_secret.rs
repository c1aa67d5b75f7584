//! DeleteSecret: schedule a purge after a 7–30 day recovery window, or purge at once.

use cofre_api::{ApiError, Context, DeleteSecretRequest, DeleteSecretResponse, Timestamp};
use cofre_store::StoreError;

use super::resolve::keys;
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};
use crate::clock::{ms_to_secs, DAY_MS};
use crate::error::{internal, invalid_parameter};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: DeleteSecretRequest,
) -> Result<DeleteSecretResponse, ApiError> {
    let force = input.force_delete_without_recovery.unwrap_or(false);
    if force && input.recovery_window_in_days.is_some() {
        return Err(invalid_parameter(
            "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
        ));
    }
    let days = input.recovery_window_in_days.unwrap_or(30);
    if !(7..=30).contains(&days) {
        return Err(invalid_parameter(
            "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
        ));
    }
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:DeleteSecret",
                keys(&[
                    (
                        "secretsmanager:ForceDeleteWithoutRecovery",
                        Some(force.to_string()),
                    ),
                    (
                        "secretsmanager:RecoveryWindowInDays",
                        input.recovery_window_in_days.map(|d| d.to_string()),
                    ),
                ]),
            )
            .await?;
        let now = svc.now_ms();
        let deletion_ms = if force {
            match svc
                .store
                .delete_secret(&secret.row.uid, secret.row.revision)
                .await
            {
                Ok(()) => now,
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(internal(e)),
            }
        } else if let Some(at) = secret.row.purge_at_ms {
            // Already scheduled: AWS answers with the existing schedule.
            at
        } else {
            let at = now + days * DAY_MS;
            secret.row.purge_at_ms = Some(at);
            secret.meta.deleted_ms = Some(now);
            if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Retry) {
                continue;
            }
            at
        };
        return Ok(DeleteSecretResponse {
            arn: Some(secret.row.arn),
            name: Some(secret.row.name),
            deletion_date: Some(Timestamp::from_secs(ms_to_secs(deletion_ms))),
        });
    }
    Err(super::too_much_contention())
}
