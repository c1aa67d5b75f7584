//! The scheduler and the engine on a manual clock: when scheduled rotations start (rate,
//! cron, Duration windows, once per window), retries with backoff inside the window,
//! abandonment past it, and two nodes sharing one store.
//!
//! The rotation function is a webhook whose transport is replaced by [`InProcessFunction`]:
//! it performs each step against the same service, in-process, as a webhook receiver would
//! over HTTP (the HTTP transport itself is tested end to end in `cofre/tests`). Time never
//! passes by sleeping: the tests move the clock and call [`Service::rotation_pass`].

use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use cofre_api::*;
use cofre_crypto::RootKey;
use cofre_store::{MemoryStore, Store};

use super::engine::{Outcome, RotationSettings};
use super::functions::{FunctionArn, NewFunction};
use super::invoke::{InvokeConfig, WebhookSender};
use crate::clock::ManualClock;
use crate::Service;

const ACCT: &str = "123456789012";
const REGION: &str = "us-east-1";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// 2026-01-01T00:00:00Z.
const JAN_1: i64 = 1_767_225_600_000;

fn root_ctx() -> Context {
    let arn = format!("arn:aws:iam::{ACCT}:root");
    Context {
        account_id: ACCT.into(),
        region: REGION.into(),
        principal_arn: arn.clone(),
        caller: Caller {
            account_id: ACCT.into(),
            arn,
            kind: CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

/// A webhook receiver in-process: performs the steps against the service and records them.
#[derive(Debug, Default)]
struct InProcessFunction {
    svc: OnceLock<Weak<Service>>,
    clock: OnceLock<Arc<ManualClock>>,
    /// (step, token, clock time)
    calls: Mutex<Vec<(String, String, i64)>>,
    /// Steps that fail while named here.
    failing: Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl WebhookSender for InProcessFunction {
    async fn post(
        &self,
        _url: &str,
        _headers: Vec<(String, String)>,
        body: Vec<u8>,
        _timeout: Duration,
    ) -> Result<u16, String> {
        let event: serde_json::Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let step = event["Step"].as_str().unwrap_or_default().to_owned();
        let token = event["ClientRequestToken"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let arn = event["SecretId"].as_str().unwrap_or_default().to_owned();
        let now = self
            .clock
            .get()
            .map(|c| crate::Clock::now_ms(c.as_ref()))
            .unwrap_or_default();
        self.calls
            .lock()
            .expect("calls")
            .push((step.clone(), token.clone(), now));
        if self.failing.lock().expect("failing").contains(&step) {
            return Ok(500);
        }
        let svc = self
            .svc
            .get()
            .and_then(Weak::upgrade)
            .ok_or("service gone")?;
        let ctx = root_ctx();
        match step.as_str() {
            "createSecret" => {
                let exists = svc
                    .get_secret_value(
                        &ctx,
                        GetSecretValueRequest {
                            secret_id: Some(arn.clone()),
                            version_id: Some(token.clone()),
                            version_stage: Some("AWSPENDING".into()),
                        },
                    )
                    .await
                    .is_ok();
                if !exists {
                    svc.put_secret_value(
                        &ctx,
                        PutSecretValueRequest {
                            secret_id: Some(arn),
                            client_request_token: Some(token.clone()),
                            secret_string: Some(SensitiveString::from(format!("value-{token}"))),
                            version_stages: Some(vec!["AWSPENDING".into()]),
                            ..Default::default()
                        },
                    )
                    .await
                    .map_err(|e| e.message)?;
                }
            }
            "finishSecret" => {
                let d = svc
                    .describe_secret(
                        &ctx,
                        DescribeSecretRequest {
                            secret_id: Some(arn.clone()),
                        },
                    )
                    .await
                    .map_err(|e| e.message)?;
                let current = d
                    .version_ids_to_stages
                    .unwrap_or_default()
                    .into_iter()
                    .find(|(_, s)| s.iter().any(|x| x == "AWSCURRENT"))
                    .map(|(id, _)| id);
                if current.as_deref() != Some(token.as_str()) {
                    svc.update_secret_version_stage(
                        &ctx,
                        UpdateSecretVersionStageRequest {
                            secret_id: Some(arn),
                            version_stage: Some("AWSCURRENT".into()),
                            move_to_version_id: Some(token),
                            remove_from_version_id: current,
                        },
                    )
                    .await
                    .map_err(|e| e.message)?;
                }
            }
            _ => {}
        }
        Ok(200)
    }
}

struct Fx {
    svc: Arc<Service>,
    clock: Arc<ManualClock>,
    function: Arc<InProcessFunction>,
    arn: String,
}

fn node(
    store: Arc<dyn Store>,
    root: RootKey,
    clock: Arc<ManualClock>,
    function: Arc<InProcessFunction>,
    node_id: &str,
) -> Arc<Service> {
    let svc = Arc::new(Service::new(store, root, clock));
    svc.set_rotation_settings(RotationSettings {
        node_id: node_id.into(),
        retry_base_ms: MINUTE,
        retry_cap_ms: 10 * MINUTE,
        invoke: InvokeConfig {
            webhook: Some(function),
            ..Default::default()
        },
        ..Default::default()
    });
    svc
}

/// A service with a webhook function `fn` and a secret `app` created at `t0`.
async fn fx(t0: i64) -> Fx {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(t0));
    let function = Arc::new(InProcessFunction::default());
    let _ = function.clock.set(clock.clone());
    let svc = node(
        store,
        RootKey::generate().0,
        clock.clone(),
        function.clone(),
        "node-a",
    );
    let _ = function.svc.set(Arc::downgrade(&svc));
    svc.create_rotation_function(NewFunction {
        arn: FunctionArn {
            region: REGION.into(),
            account: ACCT.into(),
            name: "fn".into(),
        },
        kind: "webhook".into(),
        command: None,
        url: Some("http://function.invalid/".into()),
        timeout_secs: None,
    })
    .await
    .expect("register");
    let arn = svc
        .create_secret(
            &root_ctx(),
            CreateSecretRequest {
                name: Some("app".into()),
                secret_string: Some("initial".into()),
                client_request_token: Some("00000000-0000-0000-0000-000000000001".into()),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .arn
        .expect("arn");
    Fx {
        svc,
        clock,
        function,
        arn,
    }
}

fn lambda() -> String {
    format!("arn:aws:lambda:{REGION}:{ACCT}:function:fn")
}

impl Fx {
    fn set_time(&self, ms: i64) {
        let now = crate::Clock::now_ms(self.clock.as_ref());
        assert!(ms >= now, "time only moves forward");
        self.clock.advance(Duration::from_millis(
            u64::try_from(ms - now).expect("forward"),
        ));
    }

    /// Configures rotation without rotating now, and runs the test run it starts.
    async fn configure(&self, rules: RotationRulesType) {
        let out = self
            .svc
            .rotate_secret(
                &root_ctx(),
                RotateSecretRequest {
                    secret_id: Some(self.arn.clone()),
                    rotation_lambda_arn: Some(lambda()),
                    rotation_rules: Some(rules),
                    rotate_immediately: Some(false),
                    ..Default::default()
                },
            )
            .await
            .expect("RotateSecret");
        assert_eq!(out.version_id, None);
        let ran = self.svc.rotation_pass().await.expect("pass");
        assert_eq!(
            ran,
            vec![(self.arn.clone(), Outcome::Succeeded)],
            "the test run"
        );
        assert_eq!(self.steps(), ["testSecret"]);
        self.function.calls.lock().expect("calls").clear();
    }

    fn steps(&self) -> Vec<String> {
        self.function
            .calls
            .lock()
            .expect("calls")
            .iter()
            .map(|(s, _, _)| s.clone())
            .collect()
    }

    /// Runs one pass; returns whether a full rotation (four steps) happened in it.
    async fn pass_rotates(&self) -> bool {
        self.function.calls.lock().expect("calls").clear();
        let out = self.svc.rotation_pass().await.expect("pass");
        let steps = self.steps();
        if steps.is_empty() {
            assert!(out.is_empty(), "{out:?}");
            return false;
        }
        assert_eq!(
            steps,
            ["createSecret", "setSecret", "testSecret", "finishSecret"],
            "a whole rotation"
        );
        assert_eq!(out, vec![(self.arn.clone(), Outcome::Succeeded)]);
        true
    }

    async fn describe(&self) -> DescribeSecretResponse {
        self.svc
            .describe_secret(
                &root_ctx(),
                DescribeSecretRequest {
                    secret_id: Some(self.arn.clone()),
                },
            )
            .await
            .expect("describe")
    }

    async fn current_value(&self) -> String {
        self.svc
            .get_secret_value(
                &root_ctx(),
                GetSecretValueRequest {
                    secret_id: Some(self.arn.clone()),
                    ..Default::default()
                },
            )
            .await
            .expect("get")
            .secret_string
            .expect("string")
            .expose()
            .to_owned()
    }
}

fn secs(ms: i64) -> f64 {
    crate::clock::ms_to_secs(ms)
}

#[tokio::test]
async fn rate_in_days_rotates_once_per_window_counting_from_the_last_rotation() {
    let f = fx(JAN_1 + 10 * HOUR).await;
    f.configure(RotationRulesType {
        schedule_expression: Some("rate(10 days)".into()),
        ..Default::default()
    })
    .await;
    // Counted from the value's creation on Jan 1: the window is Jan 11, all day.
    let d = f.describe().await;
    assert_eq!(
        d.next_rotation_date.map(|t| t.as_secs()),
        Some(secs(JAN_1 + 11 * DAY - 1000))
    );
    assert_eq!(
        d.rotation_rules.and_then(|r| r.automatically_after_days),
        Some(10)
    );
    for day in 1..10 {
        f.set_time(JAN_1 + day * DAY + 12 * HOUR);
        assert!(!f.pass_rotates().await, "nothing due on day {day}");
    }
    f.set_time(JAN_1 + 10 * DAY + 5 * MINUTE);
    assert!(f.pass_rotates().await, "due on Jan 11");
    let rotated_at = JAN_1 + 10 * DAY + 5 * MINUTE;
    assert_ne!(f.current_value().await, "initial");
    f.set_time(JAN_1 + 10 * DAY + 20 * HOUR);
    assert!(!f.pass_rotates().await, "once per window");
    let d = f.describe().await;
    assert_eq!(
        d.last_rotated_date.map(|t| t.as_secs()),
        Some(secs(rotated_at))
    );
    assert_eq!(
        d.next_rotation_date.map(|t| t.as_secs()),
        Some(secs(JAN_1 + 21 * DAY - 1000)),
        "ten days from the last rotation"
    );
    f.set_time(JAN_1 + 19 * DAY + 23 * HOUR);
    assert!(!f.pass_rotates().await);
    f.set_time(JAN_1 + 20 * DAY + HOUR);
    assert!(f.pass_rotates().await, "due again on Jan 21");
}

#[tokio::test]
async fn cron_with_a_duration_rotates_inside_its_windows_only() {
    // AWS's example: 16:00–18:00 UTC on the 1st and the 15th.
    let f = fx(JAN_1 + 10 * HOUR).await;
    f.configure(RotationRulesType {
        schedule_expression: Some("cron(0 16 1,15 * ? *)".into()),
        duration: Some("2h".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(
        f.describe().await.next_rotation_date.map(|t| t.as_secs()),
        Some(secs(JAN_1 + 18 * HOUR - 1000))
    );
    f.set_time(JAN_1 + 16 * HOUR - 1000);
    assert!(!f.pass_rotates().await, "before the window");
    f.set_time(JAN_1 + 16 * HOUR + 30 * MINUTE);
    assert!(f.pass_rotates().await, "inside the window");
    f.set_time(JAN_1 + 17 * HOUR + 30 * MINUTE);
    assert!(!f.pass_rotates().await, "already rotated in this window");
    f.set_time(JAN_1 + DAY + 16 * HOUR + 30 * MINUTE);
    assert!(!f.pass_rotates().await, "the 2nd is not in the schedule");
    f.set_time(JAN_1 + 14 * DAY + 15 * HOUR);
    assert!(!f.pass_rotates().await, "the 15th, before 16:00");
    f.set_time(JAN_1 + 14 * DAY + 18 * HOUR - MINUTE);
    assert!(f.pass_rotates().await, "the 15th, at the end of the window");
    f.set_time(JAN_1 + 31 * DAY + 18 * HOUR);
    assert!(
        !f.pass_rotates().await,
        "Feb 1 at 18:00: the window has closed"
    );
}

#[tokio::test]
async fn rate_in_hours_windows_last_an_hour_from_midnight() {
    let f = fx(JAN_1 + 2 * HOUR).await;
    f.configure(RotationRulesType {
        schedule_expression: Some("rate(4 hours)".into()),
        ..Default::default()
    })
    .await;
    f.set_time(JAN_1 + 3 * HOUR);
    assert!(!f.pass_rotates().await, "between windows");
    f.set_time(JAN_1 + 4 * HOUR + 10 * MINUTE);
    assert!(f.pass_rotates().await, "04:00–05:00");
    f.set_time(JAN_1 + 4 * HOUR + 50 * MINUTE);
    assert!(!f.pass_rotates().await, "once per window");
    f.set_time(JAN_1 + 5 * HOUR + 30 * MINUTE);
    assert!(!f.pass_rotates().await, "the window closed at 05:00");
    f.set_time(JAN_1 + 8 * HOUR);
    assert!(f.pass_rotates().await, "08:00–09:00");
}

#[tokio::test]
async fn failures_retry_with_backoff_inside_the_window_then_the_run_is_abandoned() {
    let f = fx(JAN_1 + 10 * HOUR).await;
    f.configure(RotationRulesType {
        schedule_expression: Some("cron(0 16 1,15 * ? *)".into()),
        duration: Some("2h".into()),
        ..Default::default()
    })
    .await;
    f.function
        .failing
        .lock()
        .expect("failing")
        .push("setSecret".into());
    f.set_time(JAN_1 + 16 * HOUR);
    f.function.calls.lock().expect("calls").clear();
    let out = f.svc.rotation_pass().await.expect("pass");
    assert!(
        matches!(out.as_slice(), [(_, Outcome::Failed(_))]),
        "{out:?}"
    );
    assert_eq!(f.steps(), ["createSecret", "setSecret"]);
    // Backoff: 1 min, 2 min, 4 min, ... (the test's settings).
    f.set_time(JAN_1 + 16 * HOUR + 30_000);
    assert!(
        f.svc.rotation_pass().await.expect("pass").is_empty(),
        "not yet"
    );
    f.set_time(JAN_1 + 16 * HOUR + MINUTE);
    let out = f.svc.rotation_pass().await.expect("pass");
    assert!(
        matches!(out.as_slice(), [(_, Outcome::Failed(_))]),
        "{out:?}"
    );
    f.set_time(JAN_1 + 16 * HOUR + 2 * MINUTE);
    assert!(
        f.svc.rotation_pass().await.expect("pass").is_empty(),
        "2 min after the 2nd"
    );
    f.set_time(JAN_1 + 16 * HOUR + 3 * MINUTE);
    let out = f.svc.rotation_pass().await.expect("pass");
    assert!(
        matches!(out.as_slice(), [(_, Outcome::Failed(_))]),
        "{out:?}"
    );
    assert_eq!(
        f.steps(),
        ["createSecret", "setSecret", "setSecret", "setSecret"],
        "retries resume at the failed step"
    );
    // The state is visible: AWSCURRENT where it was, AWSPENDING on the new version.
    assert_eq!(f.current_value().await, "initial");
    let d = f.describe().await;
    let stages = d.version_ids_to_stages.expect("stages");
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages.values().any(|s| s == &vec!["AWSPENDING".to_owned()]));

    // Near the end of the window a failure whose next retry would fall outside it abandons.
    f.set_time(JAN_1 + 18 * HOUR - MINUTE);
    let out = f.svc.rotation_pass().await.expect("pass");
    assert!(
        matches!(out.as_slice(), [(_, Outcome::Abandoned(_))]),
        "{out:?}"
    );
    f.set_time(JAN_1 + 18 * HOUR + HOUR);
    assert!(f.svc.rotation_pass().await.expect("pass").is_empty());
    assert_eq!(f.current_value().await, "initial", "AWSCURRENT never moved");
    let failure = f
        .svc
        .load_by_arn(&f.arn)
        .await
        .expect("load")
        .expect("secret")
        .meta
        .rotation
        .expect("rotation")
        .last_failure
        .expect("failure");
    assert!(failure.abandoned);
    assert_eq!(failure.step, super::StepName::SetSecret);

    // Healed: the next window reattempts the unfinished rotation under its own token.
    let pending = f
        .describe()
        .await
        .version_ids_to_stages
        .expect("stages")
        .into_iter()
        .find(|(_, s)| s == &vec!["AWSPENDING".to_owned()])
        .map(|(id, _)| id)
        .expect("pending");
    f.function.failing.lock().expect("failing").clear();
    f.set_time(JAN_1 + 14 * DAY + 16 * HOUR);
    assert!(f.pass_rotates().await);
    assert_eq!(f.current_value().await, format!("value-{pending}"));
}

#[tokio::test]
async fn two_nodes_on_one_store_never_run_a_step_twice() {
    let f = fx(JAN_1 + 10 * HOUR).await;
    let store = f.svc.store.clone();
    let other = node(
        store,
        f.svc.keys().root().clone(),
        f.clock.clone(),
        f.function.clone(),
        "node-b",
    );
    let token = f
        .svc
        .rotate_secret(
            &root_ctx(),
            RotateSecretRequest {
                secret_id: Some(f.arn.clone()),
                rotation_lambda_arn: Some(lambda()),
                ..Default::default()
            },
        )
        .await
        .expect("rotate")
        .version_id
        .expect("token");
    let (a, b) = tokio::join!(f.svc.rotation_pass(), other.rotation_pass());
    let mut outcomes: Vec<Outcome> = a
        .expect("a")
        .into_iter()
        .chain(b.expect("b"))
        .map(|(_, o)| o)
        .collect();
    outcomes.sort_by_key(|o| format!("{o:?}"));
    assert_eq!(outcomes, vec![Outcome::Succeeded], "one node rotated");
    let calls = f.function.calls.lock().expect("calls").clone();
    assert_eq!(
        calls
            .iter()
            .map(|(s, t, _)| (s.as_str(), t.as_str()))
            .collect::<Vec<_>>(),
        ["createSecret", "setSecret", "testSecret", "finishSecret"]
            .map(|s| (s, token.as_str()))
            .to_vec(),
        "each step once"
    );
    // A node that dies holding the lease: the other takes over only after it lapses.
    let again = f
        .svc
        .rotate_secret(
            &root_ctx(),
            RotateSecretRequest {
                secret_id: Some(f.arn.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("rotate")
        .version_id
        .expect("token");
    let me = f.svc.rotation_settings().node_id.clone();
    let now = crate::Clock::now_ms(f.clock.as_ref());
    f.svc
        .update_rotation(&f.arn, |s, _| {
            let run = s.meta.rotation.as_mut()?.run.as_mut()?;
            run.lease = Some(super::Lease {
                owner: me.clone(),
                until_ms: now + 30_000,
            });
            Some(())
        })
        .await
        .expect("claim")
        .expect("claimed");
    f.function.calls.lock().expect("calls").clear();
    assert!(
        other.rotation_pass().await.expect("b").is_empty(),
        "lease held"
    );
    f.set_time(now + 30_000);
    assert_eq!(
        other.rotation_pass().await.expect("b"),
        vec![(f.arn.clone(), Outcome::Succeeded)],
        "taken over after the lease lapsed"
    );
    assert_eq!(
        f.function.calls.lock().expect("calls").len(),
        4,
        "the whole rotation {again}"
    );
}
