//! A rotation run as a state machine kept in the secret's row.
//!
//! ```text
//! start (RotateSecret, or the scheduler in a window)
//!   └─ claim: lease = (this node, now + lease) by compare-and-swap
//!        └─ step ─ok─→ record the next step (CAS, lease renewed) ─→ step ...
//!             │          finishSecret ok ─→ run cleared, LastRotatedDate = now
//!             └─fail─→ attempts + 1, lease released, next attempt after a backoff
//!                        (base · 2^(attempts-1), capped); past the run's deadline the
//!                        run is abandoned (AWSPENDING stays where createSecret put it)
//! ```
//!
//! AWSCURRENT moves only inside finishSecret (the function's UpdateSecretVersionStage), so a
//! failure anywhere leaves the working credential where it was. A lease that lapses (the node
//! died) lets any node take the run over at the recorded step. While a step runs, its node
//! renews the lease every third of the lease time; a node that finds the lease taken from it
//! drops its result.
//!
//! A test run (RotateSecret with `RotateImmediately=false`) stages the AWSCURRENT value as
//! AWSPENDING under the run's token, runs testSecret, and removes AWSPENDING again, as AWS
//! describes.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use cofre_api::{ApiError, Context};

use super::functions::{Function, FunctionArn};
use super::invoke::{InvokeConfig, StepCall};
use super::schedule::Schedule;
use super::{Failure, Lease, RotationState, Run, StepName, NS_ROTATING};
use crate::audit::EventSource;
use crate::secrets::model::{Secret, AWSCURRENT, AWSPENDING};
use crate::secrets::{labels, Committed, Service};

const SECRET: &str = "AWS::SecretsManager::Secret";

/// Tunables of the engine.
#[derive(Debug)]
pub struct RotationSettings {
    /// This node's id in leases.
    pub node_id: String,
    /// How long a claim holds without renewal, ms.
    pub lease_ms: i64,
    /// The first retry's delay, ms; each further retry doubles it.
    pub retry_base_ms: i64,
    /// The longest delay between retries, ms.
    pub retry_cap_ms: i64,
    /// How long an immediate rotation (no window) keeps retrying, ms.
    pub immediate_deadline_ms: i64,
    /// How steps reach functions.
    pub invoke: InvokeConfig,
}

impl Default for RotationSettings {
    fn default() -> Self {
        Self {
            node_id: uuid::Uuid::new_v4().to_string(),
            lease_ms: 30_000,
            retry_base_ms: 30_000,
            retry_cap_ms: 30 * 60_000,
            immediate_deadline_ms: 24 * 3_600_000,
            invoke: InvokeConfig::default(),
        }
    }
}

/// The engine's in-memory part: settings, the wake-up signal, and the runs this node is
/// performing now.
#[derive(Debug, Default)]
pub struct Engine {
    settings: RwLock<Arc<RotationSettings>>,
    pub(crate) kick: tokio::sync::Notify,
    in_flight: Mutex<HashSet<String>>,
}

/// What driving a run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to do (no run, not due, or another node holds it).
    Idle,
    /// The rotation finished.
    Succeeded,
    /// A step failed; the run will be retried.
    Failed(String),
    /// A step failed past the deadline; the run was dropped.
    Abandoned(String),
    /// The lease was lost, or the run cancelled, while a step ran.
    Lost,
}

impl Service {
    /// The engine's settings.
    pub fn rotation_settings(&self) -> Arc<RotationSettings> {
        self.engine
            .settings
            .read()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    /// Replaces the engine's settings (at start-up).
    pub fn set_rotation_settings(&self, s: RotationSettings) {
        if let Ok(mut g) = self.engine.settings.write() {
            *g = Arc::new(s);
        }
    }

    /// Wakes the scheduler loop (after RotateSecret).
    pub fn kick_rotation(&self) {
        self.engine.kick.notify_one();
    }

    /// Loads a secret by ARN.
    pub(crate) async fn load_by_arn(&self, arn: &str) -> Result<Option<Secret>, String> {
        match self
            .store
            .get_secret_by_arn(arn)
            .await
            .map_err(|e| e.to_string())?
        {
            Some(row) => Secret::from_row(row).map(Some).map_err(|e| e.message),
            None => Ok(None),
        }
    }

    /// Reads, changes with `f` and writes back the secret `arn` (compare-and-swap, retried).
    /// `f` returns `None` to write nothing. Returns the written secret, or `None`.
    pub(crate) async fn update_rotation<T>(
        &self,
        arn: &str,
        mut f: impl FnMut(&mut Secret, i64) -> Option<T>,
    ) -> Result<Option<(Secret, T)>, String> {
        self.update_dropping(arn, |s, now| f(s, now).map(|t| (t, vec![])))
            .await
    }

    /// [`Service::update_rotation`] for changes that also drop versions (pruned ones).
    pub(crate) async fn update_dropping<T>(
        &self,
        arn: &str,
        mut f: impl FnMut(&mut Secret, i64) -> Option<(T, Vec<String>)>,
    ) -> Result<Option<(Secret, T)>, String> {
        for _ in 0..16 {
            let Some(mut secret) = self.load_by_arn(arn).await? else {
                return Ok(None);
            };
            let now = self.now_ms();
            let Some((out, dropped)) = f(&mut secret, now) else {
                return Ok(None);
            };
            match self
                .commit(&secret, vec![], dropped)
                .await
                .map_err(|e| e.message)?
            {
                Committed::Done => return Ok(Some((secret, out))),
                Committed::Retry => continue,
            }
        }
        Err("too much contention on the secret".into())
    }

    /// Starts a run on `state` (RotateSecret, or the scheduler) with deadline `give_up_ms`.
    pub(crate) fn new_run(token: String, test_only: bool, now: i64, give_up_ms: i64) -> Run {
        Run {
            token,
            step: if test_only {
                StepName::TestSecret
            } else {
                StepName::CreateSecret
            },
            test_only,
            started_ms: now,
            attempts: 0,
            next_attempt_ms: now,
            give_up_ms,
            lease: None,
        }
    }

    /// Drives the run of secret `arn`, if it is due and free, until it finishes, fails or is
    /// lost. Safe to call from several nodes at once: only the lease holder steps.
    pub async fn drive_rotation(&self, arn: &str) -> Result<Outcome, String> {
        {
            let Ok(mut set) = self.engine.in_flight.lock() else {
                return Ok(Outcome::Idle);
            };
            if !set.insert(arn.to_owned()) {
                return Ok(Outcome::Idle);
            }
        }
        let out = self.drive_claimed(arn).await;
        if let Ok(mut set) = self.engine.in_flight.lock() {
            set.remove(arn);
        }
        out
    }

    async fn drive_claimed(&self, arn: &str) -> Result<Outcome, String> {
        let settings = self.rotation_settings();
        let me = settings.node_id.clone();
        // Claim.
        let claimed = self
            .update_rotation(arn, |s, now| {
                if s.is_deleted() {
                    return None;
                }
                let run = s.meta.rotation.as_mut()?.run.as_mut()?;
                if run.next_attempt_ms > now {
                    return None;
                }
                if let Some(l) = &run.lease {
                    if l.owner != me && l.until_ms > now {
                        return None;
                    }
                }
                run.lease = Some(Lease {
                    owner: me.clone(),
                    until_ms: now + settings.lease_ms,
                });
                Some(run.clone())
            })
            .await?;
        let Some((secret, mut run)) = claimed else {
            return Ok(Outcome::Idle);
        };
        let first_claim =
            run.attempts == 0 && (run.test_only || run.step == StepName::CreateSecret);
        if first_claim {
            self.record_rotation_event(
                arn,
                if run.test_only {
                    "TestRotationStarted"
                } else {
                    "RotationStarted"
                },
            )
            .await;
        }
        let rotation = secret.meta.rotation.clone().unwrap_or_default();
        let function = match self.function_for(&secret, &rotation).await {
            Ok(f) => f,
            Err(e) => return self.fail_step(arn, &run, e).await,
        };
        let master = self.master_arn(&secret).await;
        let scope = match self
            .step_scope(
                &secret.row.account_id,
                arn,
                &secret.row.name,
                master.as_deref(),
            )
            .await
        {
            Ok(s) => s,
            Err(e) => return self.fail_step(arn, &run, e).await,
        };
        let region = secret.row.region.clone();
        let account = secret.row.account_id.clone();
        if run.test_only {
            if let Err(e) = self.stage_test_pending(arn, &run.token).await {
                return self.fail_step(arn, &run, e).await;
            }
        }
        loop {
            let call = StepCall {
                function: &function,
                step: run.step,
                secret_arn: arn,
                account: &account,
                region: &region,
                token: &run.token,
                scope: &scope,
            };
            let result = self.with_lease_renewal(arn, self.invoke_step(call)).await;
            if run.test_only {
                self.unstage_test_pending(arn, &run.token).await;
            }
            match result {
                Err(e) => return self.fail_step(arn, &run, e).await,
                Ok(()) => {
                    let next = if run.test_only { None } else { run.step.next() };
                    match next {
                        Some(step) => {
                            let advanced = self
                                .update_rotation(arn, |s, now| {
                                    let r = s.meta.rotation.as_mut()?.run.as_mut()?;
                                    if r.token != run.token || !owns(r, &me, now) {
                                        return None;
                                    }
                                    r.step = step;
                                    r.lease = Some(Lease {
                                        owner: me.clone(),
                                        until_ms: now + settings.lease_ms,
                                    });
                                    Some(r.clone())
                                })
                                .await?;
                            match advanced {
                                Some((_, r)) => run = r,
                                None => return Ok(Outcome::Lost),
                            }
                        }
                        None => return self.finish_run(arn, &run).await,
                    }
                }
            }
        }
    }

    /// Runs `fut` while renewing this node's lease on the run of `arn`.
    async fn with_lease_renewal<F: std::future::Future<Output = Result<(), String>>>(
        &self,
        arn: &str,
        fut: F,
    ) -> Result<(), String> {
        let settings = self.rotation_settings();
        let me = settings.node_id.clone();
        let every = Duration::from_millis(u64::try_from(settings.lease_ms / 3).unwrap_or(1).max(1));
        tokio::pin!(fut);
        loop {
            tokio::select! {
                r = &mut fut => return r,
                () = tokio::time::sleep(every) => {
                    let _ = self.update_rotation(arn, |s, now| {
                        let r = s.meta.rotation.as_mut()?.run.as_mut()?;
                        if !owns(r, &me, now) { return None; }
                        r.lease = Some(Lease { owner: me.clone(), until_ms: now + settings.lease_ms });
                        Some(())
                    }).await;
                }
            }
        }
    }

    async fn finish_run(&self, arn: &str, run: &Run) -> Result<Outcome, String> {
        let me = self.rotation_settings().node_id.clone();
        let done = self
            .update_rotation(arn, |s, now| {
                let st = s.meta.rotation.as_mut()?;
                let r = st.run.as_ref()?;
                if r.token != run.token || !owns(r, &me, now) {
                    return None;
                }
                st.run = None;
                st.last_failure = None;
                if !run.test_only {
                    st.last_rotated_ms = Some(now);
                    s.meta.last_changed_ms = now;
                }
                Some(())
            })
            .await?;
        if done.is_none() {
            return Ok(Outcome::Lost);
        }
        tracing::info!(%arn, test = run.test_only, "rotation succeeded");
        self.record_rotation_event(
            arn,
            if run.test_only {
                "TestRotationSucceeded"
            } else {
                "RotationSucceeded"
            },
        )
        .await;
        Ok(Outcome::Succeeded)
    }

    async fn fail_step(&self, arn: &str, run: &Run, message: String) -> Result<Outcome, String> {
        let settings = self.rotation_settings();
        let me = settings.node_id.clone();
        let step = run.step;
        let updated = self
            .update_rotation(arn, |s, now| {
                let st = s.meta.rotation.as_mut()?;
                let r = st.run.as_mut()?;
                if r.token != run.token || !owns(r, &me, now) {
                    return None;
                }
                r.attempts = r.attempts.saturating_add(1);
                let delay = backoff(settings.retry_base_ms, settings.retry_cap_ms, r.attempts);
                let abandon = run.test_only || now.saturating_add(delay) > r.give_up_ms;
                if abandon {
                    st.run = None;
                } else {
                    r.next_attempt_ms = now.saturating_add(delay);
                    r.lease = None;
                }
                st.last_failure = Some(Failure {
                    at_ms: now,
                    step,
                    message: message.clone(),
                    abandoned: abandon,
                });
                Some(abandon)
            })
            .await?;
        let Some((_, abandoned)) = updated else {
            return Ok(Outcome::Lost);
        };
        tracing::warn!(%arn, step = step.as_str(), error = %message, abandoned, "rotation step failed");
        let event = match (run.test_only, abandoned) {
            (true, _) => "TestRotationFailed",
            (false, true) => "RotationAbandoned",
            (false, false) => "RotationFailed",
        };
        self.record_rotation_event(arn, event).await;
        Ok(if abandoned {
            Outcome::Abandoned(message)
        } else {
            Outcome::Failed(message)
        })
    }

    async fn record_rotation_event(&self, arn: &str, name: &str) {
        self.record_service_event(EventSource::SecretsManager, name, SECRET, arn)
            .await;
    }

    async fn function_for(
        &self,
        secret: &Secret,
        rotation: &RotationState,
    ) -> Result<Function, String> {
        let arn = rotation
            .lambda_arn
            .as_deref()
            .ok_or("no rotation function is configured")?;
        let parsed = FunctionArn::parse(arn).ok_or("the rotation function ARN is not valid")?;
        if parsed.account != secret.row.account_id {
            return Err(format!("rotation function {arn} is in another account"));
        }
        self.rotation_function(&parsed)
            .await
            .map_err(|e| e.to_string())
    }

    /// The `masterarn` of the secret's AWSCURRENT value, when it is JSON that has one.
    async fn master_arn(&self, secret: &Secret) -> Option<String> {
        let current = secret.version_with_stage(AWSCURRENT)?.id.clone();
        let ctx = system_context(secret);
        let value = self.read_value(&ctx, secret, &current).await.ok()?;
        let crate::secrets::value::SecretValue::String(text) = &value else {
            return None;
        };
        let json: serde_json::Value = serde_json::from_str(text.expose()).ok()?;
        json.get("masterarn")?.as_str().map(str::to_owned)
    }

    /// Stages AWSCURRENT's value as AWSPENDING under `token` (test runs).
    async fn stage_test_pending(&self, arn: &str, token: &str) -> Result<(), String> {
        for _ in 0..16 {
            let Some(mut secret) = self.load_by_arn(arn).await? else {
                return Err("the secret no longer exists".into());
            };
            if secret.version(token).is_some() {
                let pending = vec![AWSPENDING.to_owned()];
                labels::attach(&mut secret.meta, token, &pending);
                if matches!(
                    self.commit(&secret, vec![], vec![])
                        .await
                        .map_err(|e| e.message)?,
                    Committed::Done
                ) {
                    return Ok(());
                }
                continue;
            }
            let current = secret
                .version_with_stage(AWSCURRENT)
                .map(|v| v.id.clone())
                .ok_or("the secret has no AWSCURRENT version to test with")?;
            let ctx = system_context(&secret);
            let value = self
                .read_value(&ctx, &secret, &current)
                .await
                .map_err(|e: ApiError| e.message)?;
            let staged = self
                .stage_version(&ctx, &mut secret, token, &value, &[AWSPENDING.to_owned()])
                .await
                .map_err(|e| e.message)?;
            if matches!(
                self.commit(&secret, staged.put, staged.dropped)
                    .await
                    .map_err(|e| e.message)?,
                Committed::Done
            ) {
                return Ok(());
            }
        }
        Err("too much contention on the secret".into())
    }

    /// Removes AWSPENDING from the test version `token`.
    async fn unstage_test_pending(&self, arn: &str, token: &str) {
        let r = self
            .update_rotation(arn, |s, _| {
                let v = s.version(token)?;
                if !v.stages.iter().any(|x| x == AWSPENDING) {
                    return None;
                }
                labels::detach(&mut s.meta, token, AWSPENDING);
                Some(())
            })
            .await;
        if let Err(e) = r {
            tracing::warn!(%arn, error = %e, "could not remove AWSPENDING after a test rotation");
        }
    }

    /// Starts scheduled runs that are due and drives every run that may proceed, one secret
    /// after another. Returns the outcomes. The server's loop does the same concurrently
    /// ([`super::scheduler::run_rotation_loop`]); tests call this with a manual clock.
    pub async fn rotation_pass(&self) -> Result<Vec<(String, Outcome)>, String> {
        let mut out = vec![];
        for arn in self.rotation_candidates().await? {
            let o = self.drive_rotation(&arn).await?;
            if o != Outcome::Idle {
                out.push((arn, o));
            }
        }
        Ok(out)
    }

    /// Every secret with rotation configured whose run may proceed now, after starting the
    /// scheduled runs that are due. Drops stale index entries.
    pub async fn rotation_candidates(&self) -> Result<Vec<String>, String> {
        let entries = self
            .store
            .kv_list(NS_ROTATING)
            .await
            .map_err(|e| e.to_string())?;
        let mut ready = vec![];
        for (uid, arn) in entries {
            let arn = String::from_utf8_lossy(&arn).into_owned();
            let Some(secret) = self.load_by_arn(&arn).await? else {
                let _ = self.store.kv_delete(NS_ROTATING, &uid).await;
                continue;
            };
            let Some(st) = &secret.meta.rotation else {
                let _ = self.store.kv_delete(NS_ROTATING, &uid).await;
                continue;
            };
            if secret.is_deleted() || (!st.enabled && st.run.is_none()) {
                continue;
            }
            let now = self.now_ms();
            match &st.run {
                Some(run) => {
                    let free = run.lease.as_ref().is_none_or(|l| l.until_ms <= now);
                    if run.next_attempt_ms <= now && free {
                        ready.push(arn);
                    }
                }
                None => {
                    if self.start_if_due(&arn).await? {
                        ready.push(arn);
                    }
                }
            }
        }
        Ok(ready)
    }

    /// Starts the scheduled run of `arn` if its window is open and no run started in it.
    async fn start_if_due(&self, arn: &str) -> Result<bool, String> {
        let started = self
            .update_dropping(arn, |s, now| {
                let pending = pending_elsewhere(s);
                let anchor = schedule_anchor(s);
                let st = s.meta.rotation.as_mut()?;
                if !st.enabled || st.run.is_some() {
                    return None;
                }
                let schedule = Schedule::parse(st.rules.as_ref()?).ok()?;
                let w = schedule.next_window(Some(anchor), now);
                if w.start_ms > now || now >= w.end_ms {
                    return None;
                }
                if st.last_window_start_ms == Some(w.start_ms)
                    || st.last_rotated_ms.is_some_and(|t| t >= w.start_ms)
                {
                    return None;
                }
                // A rotation left unfinished is reattempted under its own token.
                let token = pending.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                st.last_window_start_ms = Some(w.start_ms);
                st.run = Some(Self::new_run(token.clone(), false, now, w.end_ms));
                match add_pending_placeholder(s, &token, now) {
                    Ok(dropped) => Some(((), dropped)),
                    Err(e) => {
                        tracing::warn!(arn = %s.row.arn, error = %e.message, "cannot start a scheduled rotation");
                        None
                    }
                }
            })
            .await?;
        Ok(started.is_some())
    }

    /// Makes sure the scheduler's index lists `secret`.
    pub(crate) async fn index_rotating(&self, secret: &Secret) {
        if let Err(e) = self
            .store
            .kv_put(
                NS_ROTATING,
                &secret.row.uid,
                secret.row.arn.clone().into_bytes(),
            )
            .await
        {
            tracing::warn!(arn = %secret.row.arn, error = %e, "could not index a rotating secret");
        }
    }
}

/// Stages AWSPENDING on a new empty version `token` (what a rotation does before its
/// createSecret step), unless `token` already exists. Returns the versions pruned to stay
/// within the version quota, whose values the commit must drop.
pub(crate) fn add_pending_placeholder(
    s: &mut Secret,
    token: &str,
    now: i64,
) -> Result<Vec<String>, ApiError> {
    if s.version(token).is_some() {
        return Ok(vec![]);
    }
    let kms_key_arn = s
        .version_with_stage(AWSCURRENT)
        .map(|v| v.kms_key_arn.clone())
        .unwrap_or_default();
    s.meta.versions.push(crate::secrets::model::VersionMeta {
        id: token.to_owned(),
        stages: vec![],
        created_ms: now,
        last_accessed_day_ms: None,
        kms_key_arn,
        previous_kms_key_arns: vec![],
        binary: false,
        empty: true,
    });
    labels::attach(&mut s.meta, token, &[AWSPENDING.to_owned()]);
    labels::prune(&mut s.meta, now).map_err(|()| {
        ApiError::new(
            cofre_api::ErrorCode::LimitExceededException,
            format!(
                "You can't create more versions of this secret: it already has {} versions, none of them deprecated for more than a day.",
                labels::MAX_VERSIONS
            ),
        )
    })
}

/// The time schedules count from: the last rotation, or the last change of the AWSCURRENT
/// value if later (AWS counts a PutSecretValue or UpdateSecret as a rotation).
pub fn schedule_anchor(s: &Secret) -> i64 {
    let current = s.version_with_stage(AWSCURRENT).map(|v| v.created_ms);
    let rotated = s.meta.rotation.as_ref().and_then(|r| r.last_rotated_ms);
    current.max(rotated).unwrap_or(s.meta.created_ms)
}

/// The version AWSPENDING is on, when that is not the AWSCURRENT version.
pub(crate) fn pending_elsewhere(s: &Secret) -> Option<String> {
    let pending = s.version_with_stage(AWSPENDING)?;
    if pending.stages.iter().any(|x| x == AWSCURRENT) {
        None
    } else {
        Some(pending.id.clone())
    }
}

fn owns(run: &Run, me: &str, now: i64) -> bool {
    run.lease
        .as_ref()
        .is_some_and(|l| l.owner == me || l.until_ms <= now)
}

/// The delay before retry number `attempts` (1-based): base · 2^(attempts-1), capped.
pub fn backoff(base_ms: i64, cap_ms: i64, attempts: u32) -> i64 {
    let shift = attempts.saturating_sub(1).min(30);
    base_ms.saturating_mul(1i64 << shift).min(cap_ms)
}

/// A context for the service's own reads (the account's root, in the secret's region).
fn system_context(secret: &Secret) -> Context {
    Context {
        account_id: secret.row.account_id.clone(),
        region: secret.row.region.clone(),
        request_id: "rotation".into(),
        principal_arn: format!("arn:aws:iam::{}:root", secret.row.account_id),
        caller: cofre_api::Caller {
            account_id: secret.row.account_id.clone(),
            arn: format!("arn:aws:iam::{}:root", secret.row.account_id),
            kind: cofre_api::CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(backoff(1000, 60_000, 1), 1000);
        assert_eq!(backoff(1000, 60_000, 2), 2000);
        assert_eq!(backoff(1000, 60_000, 6), 32_000);
        assert_eq!(backoff(1000, 60_000, 7), 60_000);
        assert_eq!(backoff(1000, 60_000, u32::MAX), 60_000);
    }
}
