//! Crash consistency of the embedded store: a SIGKILL at a random moment of a mixed write
//! workload, and a WAL whose tail was torn off (power loss), must each leave a store in which
//! every secret is internally consistent and the audit chain verifies; after a SIGKILL every
//! acknowledged write must also be there.
//!
//! The model: each worker task owns its secrets, so the writes to one secret happen in the
//! order its worker sent them, and a per-secret model of acknowledged effects predicts its
//! exact state (versions, values, labels, scheduled deletion). A write whose answer never
//! arrived (the kill cut it off, or it was about to be sent) is *in doubt*: after the restart
//! the secret must be exactly as it was before that write or exactly as the write would have
//! left it, nothing in between.
//!
//! Replay: every run prints its seed, and `COFRE_CRASH_SEED=<seed>` repeats the workers'
//! choices and the kill delays (the interleaving of the concurrent workers, and so the exact
//! point the kill lands on, still varies). `COFRE_CRASH_CYCLES` sets the number of
//! kill/restart cycles (default 12; the long run uses 50 or more).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::RequestId;
use aws_sdk_secretsmanager::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{Server, TempDir};

const AWSCURRENT: &str = "AWSCURRENT";
const AWSPREVIOUS: &str = "AWSPREVIOUS";
const AWSPENDING: &str = "AWSPENDING";
/// Labels the workload moves by hand, besides AWSCURRENT.
const MOVABLE: [&str; 3] = ["blue", "green", AWSPENDING];
/// A secret with this many versions is force-deleted and replaced: AWS keeps at most 100
/// versions, and reading every version back after each restart must stay cheap.
const RETIRE_AT: usize = 12;
/// The id a model gives a version created under a ClientRequestToken the SDK generated: the
/// client learns the real id only from the answer, so an in-doubt write keeps this one.
const UNNAMED: &str = "";

/// The data dir's store, as `crates/store/src/sqlite` names it.
const DB: &str = "cofre.db";
const WAL: &str = "cofre.db-wal";
const SHM: &str = "cofre.db-shm";

// ---------------------------------------------------------------------------------------
// Run parameters
// ---------------------------------------------------------------------------------------

fn seed() -> u64 {
    match std::env::var("COFRE_CRASH_SEED") {
        Ok(s) => {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            }
            .expect("COFRE_CRASH_SEED is a u64 (decimal or 0x-hex)")
        }
        Err(_) => rand::random(),
    }
}

fn cycles() -> usize {
    std::env::var("COFRE_CRASH_CYCLES")
        .map(|s| s.trim().parse().expect("COFRE_CRASH_CYCLES is a number"))
        .unwrap_or(12)
}

/// A client that never retries: every answer, and every missing answer, is seen as it is.
fn client(endpoint: &str) -> Client {
    use aws_sdk_secretsmanager::config::{
        retry::RetryConfig, timeout::TimeoutConfig, BehaviorVersion, Credentials, Region,
    };
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .credentials_provider(Credentials::new(
            common::ACCESS_KEY_ID,
            common::SECRET_ACCESS_KEY,
            None,
            None,
            "cofre-crash-tests",
        ))
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(30))
                .build(),
        )
        .build();
    Client::from_conf(conf)
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

// ---------------------------------------------------------------------------------------
// The model
// ---------------------------------------------------------------------------------------

/// What one secret holds, as the acknowledged writes left it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct State {
    /// Version id → value.
    versions: BTreeMap<String, String>,
    /// Staging label → the version carrying it.
    labels: BTreeMap<String, String>,
    /// Scheduled for deletion (DeleteSecret with a recovery window).
    deleted: bool,
}

impl State {
    /// AWS's rule: a label lives on one version; when AWSCURRENT moves, the version that had
    /// it receives AWSPREVIOUS.
    fn attach(&mut self, to: &str, label: &str) {
        if label == AWSCURRENT {
            if let Some(previous) = self.labels.get(AWSCURRENT).cloned() {
                if previous != to {
                    self.labels.insert(AWSPREVIOUS.to_owned(), previous);
                }
            }
        }
        self.labels.insert(label.to_owned(), to.to_owned());
    }

    fn stages_of(&self, id: &str) -> BTreeSet<String> {
        self.labels
            .iter()
            .filter(|(_, v)| v.as_str() == id)
            .map(|(l, _)| l.clone())
            .collect()
    }
}

/// One write of the workload.
#[derive(Clone, Debug)]
enum Op {
    Create {
        token: Option<String>,
        value: String,
    },
    Put {
        token: Option<String>,
        value: String,
        stages: Option<Vec<String>>,
    },
    /// A PutSecretValue repeating an acknowledged one (same token, same value): idempotent.
    Replay {
        token: String,
        value: String,
    },
    Stage {
        label: String,
        to: Option<String>,
        from: Option<String>,
    },
    Delete {
        days: i64,
    },
    Restore,
    ForceDelete,
    /// A PutSecretValue on a secret scheduled for deletion: refused, changes nothing.
    PutWhileDeleted {
        value: String,
    },
}

impl Op {
    /// The API operation, as the audit trail names it.
    fn operation(&self) -> &'static str {
        match self {
            Op::Create { .. } => "CreateSecret",
            Op::Put { .. } | Op::Replay { .. } | Op::PutWhileDeleted { .. } => "PutSecretValue",
            Op::Stage { .. } => "UpdateSecretVersionStage",
            Op::Delete { .. } | Op::ForceDelete => "DeleteSecret",
            Op::Restore => "RestoreSecret",
        }
    }

    fn token(&self) -> Option<&str> {
        match self {
            Op::Create { token, .. } | Op::Put { token, .. } => token.as_deref(),
            Op::Replay { token, .. } => Some(token),
            _ => None,
        }
    }

    /// The value of the version this write creates, if it creates one.
    fn new_value(&self) -> Option<&str> {
        match self {
            Op::Create { value, .. } | Op::Put { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The state this write leaves, `id` being the id of the version it creates.
    fn apply(&self, before: Option<&State>, id: &str) -> Option<State> {
        let mut s = before.cloned();
        match (self, s.as_mut()) {
            (Op::Create { value, .. }, None) => {
                let mut fresh = State::default();
                fresh.versions.insert(id.to_owned(), value.clone());
                fresh.attach(id, AWSCURRENT);
                return Some(fresh);
            }
            (Op::Put { value, stages, .. }, Some(s)) => {
                s.versions.insert(id.to_owned(), value.clone());
                let default = [AWSCURRENT.to_owned()];
                for stage in stages.as_deref().unwrap_or(&default) {
                    s.attach(id, stage);
                }
            }
            (Op::Replay { .. } | Op::PutWhileDeleted { .. }, Some(_)) => {}
            (Op::Stage { label, to, .. }, Some(s)) => match to {
                Some(to) => s.attach(to, label),
                None => {
                    s.labels.remove(label);
                }
            },
            (Op::Delete { .. }, Some(s)) => s.deleted = true,
            (Op::Restore, Some(s)) => s.deleted = false,
            (Op::ForceDelete, Some(_)) => return None,
            (op, s) => panic!("the workload chose {op:?} for a secret in state {s:?}"),
        }
        s
    }
}

/// One secret a worker owns (a new name after each force delete).
#[derive(Clone, Debug, Default)]
struct Slot {
    name: String,
    generation: u32,
    state: Option<State>,
    /// (token, value) of acknowledged writes with an explicit token, for replays.
    tokens: Vec<(String, String)>,
}

/// An answered write, to find in the audit trail.
#[derive(Clone, Debug)]
struct Ack {
    request_id: String,
    operation: &'static str,
    /// The error code of an expected refusal.
    error: Option<&'static str>,
    name: String,
    /// The version it created: (id, value).
    version: Option<(String, String)>,
}

/// The write whose answer never arrived.
#[derive(Clone, Debug)]
struct InDoubt {
    slot: usize,
    name: String,
    op: Op,
    before: Option<State>,
    after: Option<State>,
}

/// A worker task: its own secrets, its own random choices.
#[derive(Clone, Debug)]
struct Worker {
    id: usize,
    prefix: &'static str,
    rng: StdRng,
    serial: u64,
    slots: Vec<Slot>,
    in_doubt: Option<InDoubt>,
    /// Answers received since the last check against the audit trail.
    acks: Vec<Ack>,
    /// Every name this worker created or tried to create.
    names: BTreeSet<String>,
    /// Names a force delete was sent for (acknowledged or not).
    force_deleted: BTreeSet<String>,
}

/// What an answered call returned that the checks need.
struct Answer {
    request_id: String,
    name: Option<String>,
    version_id: Option<String>,
    stages: Vec<String>,
    deletion_secs: Option<i64>,
}

enum Failure {
    /// The server answered with an error.
    Answer {
        code: String,
        message: String,
        request_id: Option<String>,
    },
    /// No answer: connection refused or reset, or the response cut off.
    Transport(String),
}

fn failure<E>(e: SdkError<E, HttpResponse>) -> Failure
where
    E: ProvideErrorMetadata + std::fmt::Debug,
{
    match &e {
        SdkError::ServiceError(_) => Failure::Answer {
            code: common::code(&e),
            message: common::message(&e),
            request_id: e.request_id().map(str::to_owned),
        },
        _ => Failure::Transport(format!("{e:?}")),
    }
}

fn request_id<T: RequestId>(out: &T) -> String {
    out.request_id()
        .expect("every answer carries x-amzn-RequestId")
        .to_owned()
}

/// Sends `op` for secret `name`.
async fn send(c: &Client, name: &str, op: &Op) -> Result<Answer, Failure> {
    let answer = |request_id: String, name: Option<&str>| Answer {
        request_id,
        name: name.map(str::to_owned),
        version_id: None,
        stages: vec![],
        deletion_secs: None,
    };
    match op {
        Op::Create { token, value } => c
            .create_secret()
            .name(name)
            .secret_string(value)
            .set_client_request_token(token.clone())
            .send()
            .await
            .map(|o| Answer {
                version_id: o.version_id().map(str::to_owned),
                ..answer(request_id(&o), o.name())
            })
            .map_err(failure),
        Op::Put {
            token,
            value,
            stages,
        } => put(c, name, token.clone(), value, stages.clone()).await,
        Op::Replay { token, value } => put(c, name, Some(token.clone()), value, None).await,
        Op::PutWhileDeleted { value } => put(c, name, None, value, None).await,
        Op::Stage { label, to, from } => c
            .update_secret_version_stage()
            .secret_id(name)
            .version_stage(label)
            .set_move_to_version_id(to.clone())
            .set_remove_from_version_id(from.clone())
            .send()
            .await
            .map(|o| answer(request_id(&o), o.name()))
            .map_err(failure),
        Op::Delete { days } => c
            .delete_secret()
            .secret_id(name)
            .recovery_window_in_days(*days)
            .send()
            .await
            .map(|o| Answer {
                deletion_secs: o.deletion_date().map(|d| d.secs()),
                ..answer(request_id(&o), o.name())
            })
            .map_err(failure),
        Op::ForceDelete => c
            .delete_secret()
            .secret_id(name)
            .force_delete_without_recovery(true)
            .send()
            .await
            .map(|o| Answer {
                deletion_secs: o.deletion_date().map(|d| d.secs()),
                ..answer(request_id(&o), o.name())
            })
            .map_err(failure),
        Op::Restore => c
            .restore_secret()
            .secret_id(name)
            .send()
            .await
            .map(|o| answer(request_id(&o), o.name()))
            .map_err(failure),
    }
}

async fn put(
    c: &Client,
    name: &str,
    token: Option<String>,
    value: &str,
    stages: Option<Vec<String>>,
) -> Result<Answer, Failure> {
    c.put_secret_value()
        .secret_id(name)
        .secret_string(value)
        .set_client_request_token(token)
        .set_version_stages(stages)
        .send()
        .await
        .map(|o| Answer {
            request_id: request_id(&o),
            name: o.name().map(str::to_owned),
            version_id: o.version_id().map(str::to_owned),
            stages: o.version_stages().to_vec(),
            deletion_secs: None,
        })
        .map_err(failure)
}

impl Worker {
    fn new(id: usize, slots: usize, seed: u64, prefix: &'static str) -> Self {
        Worker {
            id,
            prefix,
            rng: StdRng::seed_from_u64(
                seed.wrapping_add(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(id as u64 + 1)),
            ),
            serial: 0,
            slots: vec![Slot::default(); slots],
            in_doubt: None,
            acks: vec![],
            names: BTreeSet::new(),
            force_deleted: BTreeSet::new(),
        }
    }

    /// Picks the next write for slot `i`, valid for the slot's modelled state.
    fn choose(&mut self, i: usize) -> Op {
        self.serial += 1;
        let rng = &mut self.rng;
        let value = format!(
            "{}-value-w{}-n{}-{:08x}",
            self.prefix,
            self.id,
            self.serial,
            rng.gen::<u32>()
        );
        // 32 to 64 characters, as ClientRequestToken requires.
        let token = format!(
            "{}-token-w{}-n{:06}-{:016x}",
            self.prefix,
            self.id,
            self.serial,
            rng.gen::<u64>()
        );
        let slot = &mut self.slots[i];
        let Some(s) = &slot.state else {
            slot.generation += 1;
            slot.name = format!("{}/w{}/s{}/g{}", self.prefix, self.id, i, slot.generation);
            self.names.insert(slot.name.clone());
            return Op::Create {
                token: rng.gen_bool(0.5).then_some(token),
                value,
            };
        };
        if s.deleted {
            return match rng.gen_range(0..10) {
                0..=6 => Op::Restore,
                _ => Op::PutWhileDeleted { value },
            };
        }
        if s.versions.len() >= RETIRE_AT {
            return Op::ForceDelete;
        }
        let default_put = Op::Put {
            token: None,
            value: value.clone(),
            stages: None,
        };
        let others = |except: Option<&String>| -> Vec<String> {
            s.versions
                .keys()
                .filter(|id| Some(*id) != except)
                .cloned()
                .collect()
        };
        match rng.gen_range(0..100) {
            0..=24 => default_put,
            25..=49 => {
                let stages = match rng.gen_range(0..5) {
                    0 => None,
                    1 => Some(vec![AWSCURRENT.to_owned()]),
                    2 => Some(vec![AWSPENDING.to_owned()]),
                    3 => Some(vec!["blue".to_owned()]),
                    _ => Some(vec![AWSCURRENT.to_owned(), "green".to_owned()]),
                };
                Op::Put {
                    token: Some(token),
                    value,
                    stages,
                }
            }
            50..=54 if !slot.tokens.is_empty() => {
                let (token, value) = slot.tokens[rng.gen_range(0..slot.tokens.len())].clone();
                Op::Replay { token, value }
            }
            55..=69 => {
                let label = MOVABLE[rng.gen_range(0..MOVABLE.len())];
                let holder = s.labels.get(label);
                let candidates = others(holder);
                if candidates.is_empty() {
                    return default_put;
                }
                Op::Stage {
                    label: label.to_owned(),
                    to: Some(candidates[rng.gen_range(0..candidates.len())].clone()),
                    from: holder.cloned(),
                }
            }
            70..=74 => {
                let attached: Vec<&str> = MOVABLE
                    .into_iter()
                    .filter(|l| s.labels.contains_key(*l))
                    .collect();
                if attached.is_empty() {
                    return default_put;
                }
                let label = attached[rng.gen_range(0..attached.len())];
                Op::Stage {
                    label: label.to_owned(),
                    to: None,
                    from: s.labels.get(label).cloned(),
                }
            }
            75..=86 => {
                let current = s.labels.get(AWSCURRENT);
                let candidates = others(current);
                if candidates.is_empty() {
                    return default_put;
                }
                Op::Stage {
                    label: AWSCURRENT.to_owned(),
                    to: Some(candidates[rng.gen_range(0..candidates.len())].clone()),
                    from: current.cloned(),
                }
            }
            87..=94 => Op::Delete {
                days: rng.gen_range(7..=30),
            },
            95..=99 => Op::ForceDelete,
            _ => default_put,
        }
    }

    /// Sends one write and folds its answer into the model. `Err` is a missing answer: the
    /// write is then in doubt and the worker stops.
    async fn step(&mut self, c: &Client) -> Result<(), String> {
        let i = self.rng.gen_range(0..self.slots.len());
        let op = self.choose(i);
        let name = self.slots[i].name.clone();
        let before = self.slots[i].state.clone();
        if matches!(op, Op::ForceDelete) {
            self.force_deleted.insert(name.clone());
        }
        match send(c, &name, &op).await {
            Ok(answer) => {
                self.accept(i, &op, before, answer);
                Ok(())
            }
            Err(Failure::Answer {
                code,
                message,
                request_id,
            }) => {
                assert!(
                    matches!(op, Op::PutWhileDeleted { .. }) && code == "InvalidRequestException",
                    "worker {}: {op:?} on {name} was refused: {code}: {message} (request {request_id:?})",
                    self.id
                );
                assert!(
                    message.contains("marked for deletion"),
                    "refusal message: {message}"
                );
                self.acks.push(Ack {
                    request_id: request_id.expect("an error answer carries x-amzn-RequestId"),
                    operation: op.operation(),
                    error: Some("InvalidRequestException"),
                    name,
                    version: None,
                });
                Ok(())
            }
            Err(Failure::Transport(e)) => {
                let after = op.apply(before.as_ref(), op.token().unwrap_or(UNNAMED));
                self.in_doubt = Some(InDoubt {
                    slot: i,
                    name,
                    op,
                    before,
                    after,
                });
                Err(e)
            }
        }
    }

    /// Checks an answer against the model and records its effect.
    fn accept(&mut self, i: usize, op: &Op, before: Option<State>, a: Answer) {
        let slot = &mut self.slots[i];
        let name = slot.name.clone();
        assert_eq!(a.name.as_deref(), Some(name.as_str()), "{op:?}: Name");
        let version_id = match op {
            Op::Create { .. } | Op::Put { .. } | Op::Replay { .. } => {
                let id = a
                    .version_id
                    .clone()
                    .unwrap_or_else(|| panic!("{op:?} on {name}: no VersionId"));
                match op.token() {
                    Some(token) => assert_eq!(id, token, "{op:?}: VersionId is the token"),
                    // The SDK fills ClientRequestToken with a UUID when none is given.
                    None => assert_eq!(id.len(), 36, "{op:?}: VersionId {id} is a UUID"),
                }
                id
            }
            Op::PutWhileDeleted { .. } => {
                panic!("{name} is scheduled for deletion, yet PutSecretValue was accepted")
            }
            _ => String::new(),
        };
        let after = op.apply(before.as_ref(), &version_id);
        match op {
            Op::Put { .. } | Op::Replay { .. } => {
                let got: BTreeSet<String> = a.stages.iter().cloned().collect();
                let want = after.as_ref().expect("exists").stages_of(&version_id);
                assert_eq!(got, want, "{op:?} on {name}: VersionStages of the answer");
            }
            Op::Delete { days } => {
                let at = a.deletion_secs.expect("DeletionDate");
                let want = now_secs() + days * 86_400;
                assert!(
                    (at - want).abs() <= 300,
                    "{name}: DeletionDate {at}, expected about {want} ({days} days)"
                );
            }
            Op::ForceDelete => {
                let at = a.deletion_secs.expect("DeletionDate");
                assert!((at - now_secs()).abs() <= 300, "{name}: DeletionDate {at}");
            }
            _ => {}
        }
        if let (Some(token), Some(value)) = (op.token(), op.new_value()) {
            slot.tokens.push((token.to_owned(), value.to_owned()));
        }
        if after.is_none() {
            slot.tokens.clear();
        }
        slot.state = after;
        self.acks.push(Ack {
            request_id: a.request_id,
            operation: op.operation(),
            error: None,
            name,
            version: op.new_value().map(|v| (version_id.clone(), v.to_owned())),
        });
    }

    /// Writes until a write goes unanswered (the server was killed); returns the worker, when
    /// the write failed and how.
    async fn run(mut self, c: Client) -> (Self, Instant, String) {
        loop {
            if let Err(e) = self.step(&c).await {
                return (self, Instant::now(), e);
            }
        }
    }
}

/// Runs `workers` against `c` until the server is SIGKILLed after `delay`; returns them and
/// asserts that each stopped because of the kill, not before it.
async fn run_until_killed(
    workers: Vec<Worker>,
    c: &Client,
    srv: &mut Server,
    delay: Duration,
) -> Vec<Worker> {
    let handles: Vec<_> = workers
        .into_iter()
        .map(|w| tokio::spawn(w.run(c.clone())))
        .collect();
    tokio::time::sleep(delay).await;
    let killed_at = Instant::now();
    srv.kill();
    let mut out = Vec::new();
    for h in handles {
        let (w, failed_at, error) = h.await.expect("worker task");
        assert!(
            failed_at >= killed_at,
            "worker {} lost its answer before the kill: {error}",
            w.id
        );
        assert!(
            error.contains("DispatchFailure")
                || error.contains("ResponseError")
                || error.contains("Io"),
            "worker {} stopped on something other than the kill: {error}",
            w.id
        );
        out.push(w);
    }
    out
}

// ---------------------------------------------------------------------------------------
// What the server shows
// ---------------------------------------------------------------------------------------

/// A secret as the API shows it. Values are `None` while it is scheduled for deletion (they
/// cannot be read then).
#[derive(Clone, Debug)]
struct Observed {
    versions: BTreeMap<String, Option<String>>,
    labels: BTreeMap<String, String>,
    deleted: bool,
}

impl Observed {
    fn stages(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out: BTreeMap<String, BTreeSet<String>> = self
            .versions
            .keys()
            .map(|id| (id.clone(), BTreeSet::new()))
            .collect();
        for (label, id) in &self.labels {
            out.entry(id.clone()).or_default().insert(label.clone());
        }
        out
    }
}

/// Reads everything about `name` through the API and checks the invariants that hold for
/// any secret, whatever was written: labels unique and on listed versions, exactly one
/// AWSCURRENT, AWSPREVIOUS elsewhere, ListSecretVersionIds agreeing with DescribeSecret,
/// every listed version readable with the labels listed. `None`: the secret does not exist.
async fn observe(c: &Client, name: &str) -> Option<Observed> {
    let d = match c.describe_secret().secret_id(name).send().await {
        Ok(d) => d,
        Err(e) if common::code(&e) == "ResourceNotFoundException" => {
            // Gone for every operation, not only for DescribeSecret.
            let e = c
                .list_secret_version_ids()
                .secret_id(name)
                .send()
                .await
                .expect_err("no versions of a missing secret");
            assert_eq!(common::code(&e), "ResourceNotFoundException", "{name}");
            let e = c
                .get_secret_value()
                .secret_id(name)
                .send()
                .await
                .expect_err("no value of a missing secret");
            assert_eq!(common::code(&e), "ResourceNotFoundException", "{name}");
            return None;
        }
        Err(e) => panic!("DescribeSecret {name}: {e:?}"),
    };
    assert_eq!(d.name(), Some(name));
    let deleted = d.deleted_date().is_some();
    let described: BTreeMap<String, BTreeSet<String>> = d
        .version_ids_to_stages()
        .map(|m| {
            m.iter()
                .map(|(id, s)| (id.clone(), s.iter().cloned().collect()))
                .collect()
        })
        .unwrap_or_default();
    let l = c
        .list_secret_version_ids()
        .secret_id(name)
        .include_deprecated(true)
        .max_results(100)
        .send()
        .await
        .unwrap_or_else(|e| panic!("ListSecretVersionIds {name}: {e:?}"));
    assert_eq!(l.next_token(), None, "{name}: fewer than 100 versions");
    assert_eq!(l.arn(), d.arn(), "{name}: one ARN");
    let mut listed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for v in l.versions() {
        let id = v.version_id().expect("VersionId").to_owned();
        let stages: BTreeSet<String> = v.version_stages().iter().cloned().collect();
        assert_eq!(
            stages.len(),
            v.version_stages().len(),
            "{name}: version {id} lists a label twice: {:?}",
            v.version_stages()
        );
        for s in &stages {
            if let Some(other) = labels.insert(s.clone(), id.clone()) {
                panic!("{name}: label {s} is on versions {other} and {id}");
            }
        }
        assert!(
            listed.insert(id.clone(), stages).is_none(),
            "{name}: version {id} listed twice"
        );
    }
    let labelled: BTreeMap<String, BTreeSet<String>> = listed
        .iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(id, s)| (id.clone(), s.clone()))
        .collect();
    assert_eq!(
        labelled, described,
        "{name}: ListSecretVersionIds and DescribeSecret disagree"
    );
    let current = labels
        .get(AWSCURRENT)
        .unwrap_or_else(|| panic!("{name}: no version is AWSCURRENT: {listed:?}"))
        .clone();
    if let Some(previous) = labels.get(AWSPREVIOUS) {
        assert_ne!(
            previous, &current,
            "{name}: AWSPREVIOUS and AWSCURRENT on one version"
        );
    }
    let mut versions = BTreeMap::new();
    if deleted {
        let e = c
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .expect_err("a secret scheduled for deletion cannot be read");
        assert_eq!(common::code(&e), "InvalidRequestException", "{name}");
        versions.extend(listed.keys().map(|id| (id.clone(), None)));
    } else {
        for (id, stages) in &listed {
            let g = c
                .get_secret_value()
                .secret_id(name)
                .version_id(id)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name}: version {id} is listed but unreadable: {e:?}"));
            assert_eq!(g.version_id(), Some(id.as_str()));
            assert_eq!(g.name(), Some(name));
            let got: BTreeSet<String> = g.version_stages().iter().cloned().collect();
            assert_eq!(
                &got, stages,
                "{name}: labels of {id} as GetSecretValue shows them"
            );
            let value = g
                .secret_string()
                .unwrap_or_else(|| panic!("{name}: version {id} has no SecretString"));
            versions.insert(id.clone(), Some(value.to_owned()));
        }
        for (label, id) in &labels {
            let g = c
                .get_secret_value()
                .secret_id(name)
                .version_stage(label)
                .send()
                .await
                .unwrap_or_else(|e| panic!("{name}: label {label} unreadable: {e:?}"));
            assert_eq!(g.version_id(), Some(id.as_str()), "{name}: label {label}");
        }
        let g = c
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: unreadable: {e:?}"));
        assert_eq!(
            g.version_id(),
            Some(current.as_str()),
            "{name}: default read"
        );
    }
    Some(Observed {
        versions,
        labels,
        deleted,
    })
}

/// Every secret ListSecrets shows (scheduled deletions included): name → (deleted, labels
/// by version).
async fn list_all(c: &Client) -> BTreeMap<String, (bool, BTreeMap<String, BTreeSet<String>>)> {
    let mut out = BTreeMap::new();
    let mut next = None;
    loop {
        let page = c
            .list_secrets()
            .include_planned_deletion(true)
            .max_results(100)
            .set_next_token(next)
            .send()
            .await
            .expect("ListSecrets");
        for e in page.secret_list() {
            let name = e.name().expect("Name").to_owned();
            let stages = e
                .secret_versions_to_stages()
                .map(|m| {
                    m.iter()
                        .map(|(id, s)| (id.clone(), s.iter().cloned().collect()))
                        .collect()
                })
                .unwrap_or_default();
            assert!(
                out.insert(name.clone(), (e.deleted_date().is_some(), stages))
                    .is_none(),
                "ListSecrets shows {name} twice"
            );
        }
        match page.next_token() {
            Some(t) => next = Some(t.to_owned()),
            None => return out,
        }
    }
}

/// Observes many secrets concurrently.
async fn observe_all(c: &Client, names: &[String]) -> BTreeMap<String, Option<Observed>> {
    let handles: Vec<_> = names
        .iter()
        .map(|n| {
            let (c, n) = (c.clone(), n.clone());
            tokio::spawn(async move { observe(&c, &n).await })
        })
        .collect();
    let mut out = BTreeMap::new();
    for (n, h) in names.iter().zip(handles) {
        out.insert(n.clone(), h.await.expect("observe task"));
    }
    out
}

/// Whether the model and the observation agree exactly (values only where readable).
fn agrees(model: Option<&State>, seen: Option<&Observed>) -> bool {
    match (model, seen) {
        (None, None) => true,
        (Some(m), Some(o)) => {
            m.deleted == o.deleted
                && m.labels == o.labels
                && m.versions.keys().eq(o.versions.keys())
                && m.versions
                    .iter()
                    .all(|(id, v)| o.versions[id].as_ref().is_none_or(|seen| seen == v))
        }
        _ => false,
    }
}

/// `after` with its [`UNNAMED`] version given the id the server gave it, if exactly one
/// version the model does not know is visible.
fn name_unnamed(after: Option<State>, seen: Option<&Observed>) -> Option<State> {
    let (Some(mut s), Some(o)) = (after.clone(), seen) else {
        return after;
    };
    let Some(value) = s.versions.remove(UNNAMED) else {
        return after;
    };
    let new: Vec<&String> = o
        .versions
        .keys()
        .filter(|id| !s.versions.contains_key(*id))
        .collect();
    let [id] = new[..] else { return after };
    s.versions.insert(id.clone(), value);
    for holder in s.labels.values_mut() {
        if holder == UNNAMED {
            *holder = id.clone();
        }
    }
    Some(s)
}

/// Tallies of a run.
#[derive(Debug, Default)]
struct Stats {
    acked: usize,
    refused: usize,
    in_doubt: usize,
    applied: usize,
    not_applied: usize,
    no_visible_effect: usize,
    /// Applied in-doubt writes with an explicit token, whose audit record could be looked for.
    applied_traceable: usize,
    /// Of those, the ones the crash image's trail has no record of: the write committed, the
    /// kill came before its record was appended (the trail guarantees records only for
    /// answered writes).
    applied_unrecorded: usize,
    restarts: usize,
    versions_read: usize,
}

/// After a restart: resolves each worker's in-doubt write (all or nothing; applied if the
/// audit trail witnessed its success), then checks every secret against its model and the
/// secret list against the set of secrets the models say exist. Returns what it saw.
async fn settle(
    c: &Client,
    workers: &mut [Worker],
    witnessed: &BTreeSet<(String, String)>,
    stats: &mut Stats,
) -> BTreeMap<String, Option<Observed>> {
    let names: Vec<String> = workers
        .iter()
        .flat_map(|w| w.slots.iter().map(|s| s.name.clone()))
        .filter(|n| !n.is_empty())
        .collect();
    let seen = observe_all(c, &names).await;
    for w in workers.iter_mut() {
        if let Some(d) = w.in_doubt.take() {
            stats.in_doubt += 1;
            let o = seen[&d.name].as_ref();
            let after = name_unnamed(d.after.clone(), o);
            let is_after = agrees(after.as_ref(), o);
            let is_before = agrees(d.before.as_ref(), o);
            let witness =
                d.op.token()
                    .map(|t| (d.op.operation().to_owned(), t.to_owned()));
            let recorded = witness.as_ref().is_some_and(|w| witnessed.contains(w));
            if recorded {
                assert!(
                    is_after,
                    "{}: the audit trail records {:?} as done, but it is not: {o:?}",
                    d.name, d.op
                );
            }
            let slot = &mut w.slots[d.slot];
            if is_after && is_before {
                stats.no_visible_effect += 1;
            } else if is_after {
                stats.applied += 1;
                if witness.is_some() {
                    stats.applied_traceable += 1;
                    stats.applied_unrecorded += usize::from(!recorded);
                }
                if let (Some(token), Some(value)) = (d.op.token(), d.op.new_value()) {
                    slot.tokens.push((token.to_owned(), value.to_owned()));
                }
                if after.is_none() {
                    slot.tokens.clear();
                }
                slot.state = after;
            } else if is_before {
                stats.not_applied += 1;
            } else {
                panic!(
                    "{}: partial effect of the unanswered {:?}\n before: {:?}\n after: {:?}\n seen: {o:?}",
                    d.name, d.op, d.before, after
                );
            }
        }
        for slot in &w.slots {
            if slot.name.is_empty() {
                continue;
            }
            let o = seen[&slot.name].as_ref();
            assert!(
                agrees(slot.state.as_ref(), o),
                "{}: not as the acknowledged writes left it\n model: {:?}\n seen: {o:?}",
                slot.name,
                slot.state
            );
            stats.versions_read += o.map_or(0, |o| o.versions.len());
        }
    }
    // No secret the models say is gone (or never was) exists, and ListSecrets agrees.
    let listed = list_all(c).await;
    let expected: BTreeMap<&str, &State> = workers
        .iter()
        .flat_map(|w| w.slots.iter())
        .filter_map(|s| s.state.as_ref().map(|st| (s.name.as_str(), st)))
        .collect();
    let prefix = workers
        .first()
        .map_or(String::new(), |w| format!("{}/", w.prefix));
    let listed_ours: BTreeSet<&str> = listed
        .keys()
        .map(String::as_str)
        .filter(|n| n.starts_with(prefix.as_str()))
        .collect();
    assert_eq!(
        listed_ours,
        expected.keys().copied().collect(),
        "ListSecrets shows exactly the secrets that exist"
    );
    for (name, state) in expected {
        let (deleted, stages) = &listed[name];
        assert_eq!(
            *deleted, state.deleted,
            "{name}: DeletedDate in ListSecrets"
        );
        let o = seen[name].as_ref().expect("exists");
        let labelled: BTreeMap<String, BTreeSet<String>> = o
            .stages()
            .into_iter()
            .filter(|(_, s)| !s.is_empty())
            .collect();
        assert_eq!(stages, &labelled, "{name}: labels in ListSecrets");
    }
    seen
}

// ---------------------------------------------------------------------------------------
// The data dir, read directly
// ---------------------------------------------------------------------------------------

/// A copy of the data dir's files (the store, its WAL and shared-memory index, the root key,
/// ...), so a crash image can be examined without touching the original.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

fn open_db(dir: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(dir.join(DB)).expect("open the store");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    conn
}

/// A secret as stored: its versions' labels, and whether it is scheduled for deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Stored {
    deleted: bool,
    versions: BTreeMap<String, BTreeSet<String>>,
}

/// Checks the store file itself: SQLite's integrity and foreign keys, each secret's metadata
/// against its stored version blobs (no version without a value, no value without a
/// version), deletion fields set together, labels unique. Returns the secrets by name.
fn check_storage(conn: &rusqlite::Connection) -> BTreeMap<String, Stored> {
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(integrity, "ok", "SQLite integrity check");
    let fk: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .expect("foreign_key_check");
    assert_eq!(fk, 0, "foreign key violations");
    let orphans: i64 = conn
        .query_row(
            "SELECT count(*) FROM secret_versions
             WHERE secret_uid NOT IN (SELECT uid FROM secrets)",
            [],
            |r| r.get(0),
        )
        .expect("orphans");
    assert_eq!(orphans, 0, "version blobs without a secret");
    let mut stmt = conn
        .prepare("SELECT uid, name, purge_at_ms, meta FROM secrets")
        .expect("prepare");
    let rows: Vec<(String, String, Option<i64>, Vec<u8>)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    let mut out = BTreeMap::new();
    for (uid, name, purge_at, meta) in rows {
        let meta: Value = serde_json::from_slice(&meta).expect("meta is JSON");
        assert_eq!(
            purge_at.is_some(),
            !meta["deleted_ms"].is_null(),
            "{name}: purge time and deletion date set together"
        );
        let mut versions = BTreeMap::new();
        let mut labels = BTreeSet::new();
        for v in meta["versions"].as_array().expect("versions") {
            let id = v["id"].as_str().expect("id").to_owned();
            let stages: BTreeSet<String> = v["stages"]
                .as_array()
                .expect("stages")
                .iter()
                .map(|s| s.as_str().expect("stage").to_owned())
                .collect();
            for s in &stages {
                assert!(labels.insert(s.clone()), "{name}: label {s} stored twice");
            }
            assert_eq!(v.get("empty"), None, "{name}: no empty versions here");
            versions.insert(id, stages);
        }
        if !versions.is_empty() {
            assert!(labels.contains(AWSCURRENT), "{name}: no AWSCURRENT stored");
        }
        let mut stmt = conn
            .prepare_cached("SELECT version_id FROM secret_versions WHERE secret_uid = ?1")
            .expect("prepare");
        let blobs: BTreeSet<String> = stmt
            .query_map([&uid], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(
            blobs,
            versions.keys().cloned().collect(),
            "{name}: versions in the metadata and stored values differ"
        );
        let deleted = purge_at.is_some();
        assert!(
            out.insert(name.clone(), Stored { deleted, versions })
                .is_none(),
            "{name} stored twice"
        );
    }
    out
}

/// One audit record: sequence number, chain hash, the CloudTrail record.
#[derive(Clone, Debug)]
struct Audited {
    seq: u64,
    hash: Vec<u8>,
    record: Value,
}

fn read_trail(conn: &rusqlite::Connection) -> Vec<Audited> {
    let mut stmt = conn
        .prepare("SELECT seq, hash, record FROM audit_events ORDER BY seq")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, u64>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Vec<u8>>(2)?,
            ))
        })
        .expect("query")
        .map(|r| {
            let (seq, hash, record) = r.expect("row");
            Audited {
                seq,
                hash,
                record: serde_json::from_slice(&record).expect("record is JSON"),
            }
        })
        .collect();
    rows
}

/// `cofre audit verify` on a stopped server's data dir: it must pass and have checked
/// `records` records.
fn verify_trail(dir: &Path, records: usize) {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_cofre"))
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .env_remove("COFRE_ROOT_KEY")
        .env("COFRE_LOG", "error")
        .output()
        .expect("run cofre audit verify");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "audit verify failed: {text}");
    assert!(text.contains("audit trail OK"), "{text}");
    assert!(
        text.contains(&format!("checked {records} records")),
        "expected {records} records: {text}"
    );
}

/// The successful writes the trail records, as (operation, ClientRequestToken).
fn witnessed_tokens(trail: &[Audited]) -> BTreeSet<(String, String)> {
    trail
        .iter()
        .filter(|a| a.record.get("errorCode").is_none())
        .filter_map(|a| {
            let token = a.record["requestParameters"]["clientRequestToken"].as_str()?;
            let op = a.record["eventName"].as_str()?;
            Some((op.to_owned(), token.to_owned()))
        })
        .collect()
}

fn by_request_id(trail: &[Audited]) -> BTreeMap<&str, &Value> {
    trail
        .iter()
        .filter_map(|a| Some((a.record["requestID"].as_str()?, &a.record)))
        .collect()
}

/// Every answered write has its record, with its outcome: a write is answered only once its
/// record is durable.
fn check_acks_recorded(acks: &[Ack], trail: &[Audited]) {
    let index = by_request_id(trail);
    for ack in acks {
        let record = index.get(ack.request_id.as_str()).unwrap_or_else(|| {
            panic!(
                "answered {} on {} (request {}) is not in the audit trail",
                ack.operation, ack.name, ack.request_id
            )
        });
        assert_eq!(record["eventName"], ack.operation, "{ack:?}");
        assert_eq!(
            record.get("errorCode").and_then(Value::as_str),
            ack.error,
            "{ack:?}"
        );
    }
}

/// Every table's rows, hashed: equal for equal logical contents.
fn fingerprint(conn: &rusqlite::Connection) -> String {
    let mut stmt = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare");
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("tables");
    let mut h = Sha256::new();
    for t in tables {
        let mut stmt = conn
            .prepare(&format!("SELECT * FROM \"{t}\""))
            .expect("prepare");
        let n = stmt.column_count();
        let mut rows: Vec<String> = stmt
            .query_map([], |r| {
                (0..n)
                    .map(|i| r.get::<_, rusqlite::types::Value>(i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|v| format!("{v:?}"))
            })
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        rows.sort();
        h.update(t.as_bytes());
        for r in rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
    }
    hex(&h.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// SIGKILL at random points
// ---------------------------------------------------------------------------------------

/// Cycles of: four workers writing (CreateSecret, PutSecretValue with and without token and
/// VersionStages, idempotent replays, UpdateSecretVersionStage moving custom labels and
/// AWSCURRENT, DeleteSecret with a window, RestoreSecret, force DeleteSecret, a refused
/// PutSecretValue on a deleted secret), a SIGKILL after a random delay, then, on a copy of the
/// crash image, SQLite's integrity, the stored metadata against the stored values, the audit
/// chain (`cofre audit verify`) and a record for every answered write; then a restart on
/// the same data dir and every secret compared with its model through the API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_points_loses_no_acknowledged_write() {
    const WORKERS: usize = 4;
    const SLOTS: usize = 2;
    let seed = seed();
    let cycles = cycles();
    println!("crash: seed {seed} (COFRE_CRASH_SEED={seed} to replay), {cycles} cycles");
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(seed);
    let dir = TempDir::new("crash");
    let mut workers: Vec<Worker> = (0..WORKERS)
        .map(|i| Worker::new(i, SLOTS, seed, "crash"))
        .collect();
    let mut stats = Stats::default();
    let mut srv = Server::start(&dir);
    let mut c = client(&srv.endpoint());
    for cycle in 1..=cycles {
        let delay = Duration::from_millis(rng.gen_range(20..=400));
        workers = run_until_killed(workers, &c, &mut srv, delay).await;
        let acked: usize = workers.iter().map(|w| w.acks.len()).sum();

        // The crash image, examined on a copy so the restart recovers the original.
        let image = TempDir::new("crash-image");
        copy_dir(dir.path(), image.path());
        let (stored, trail) = {
            let conn = open_db(image.path());
            (check_storage(&conn), read_trail(&conn))
        };
        verify_trail(image.path(), trail.len());
        for w in &mut workers {
            check_acks_recorded(&w.acks, &trail);
            stats.acked += w.acks.iter().filter(|a| a.error.is_none()).count();
            stats.refused += w.acks.iter().filter(|a| a.error.is_some()).count();
            w.acks.clear();
        }

        srv = Server::start(&dir);
        stats.restarts += 1;
        c = client(&srv.endpoint());
        let doubt_before = (stats.applied, stats.not_applied, stats.no_visible_effect);
        let seen = settle(&c, &mut workers, &witnessed_tokens(&trail), &mut stats).await;

        // The store file as SQLite recovered it is what the server shows.
        let ours: BTreeMap<&String, &Stored> = stored
            .iter()
            .filter(|(n, _)| n.starts_with("crash/"))
            .collect();
        let shown: BTreeMap<&String, Stored> = seen
            .iter()
            .filter_map(|(n, o)| {
                o.as_ref().map(|o| {
                    let stored = Stored {
                        deleted: o.deleted,
                        versions: o.stages(),
                    };
                    (n, stored)
                })
            })
            .collect();
        assert_eq!(
            ours,
            shown.iter().map(|(n, s)| (*n, s)).collect(),
            "the crash image and the restarted server disagree"
        );
        println!(
            "cycle {cycle}: killed after {} ms, {acked} answers, in doubt resolved as \
             (applied, not applied, no visible effect) += ({}, {}, {}), {} audit records",
            delay.as_millis(),
            stats.applied - doubt_before.0,
            stats.not_applied - doubt_before.1,
            stats.no_visible_effect - doubt_before.2,
            trail.len()
        );
    }
    assert!(stats.acked > cycles, "the workload wrote: {stats:?}");
    println!(
        "crash: seed {seed}: {cycles} cycles, {} restarts, {} writes acknowledged \
         (+{} refused as expected), {} in doubt ({} applied, {} not applied, {} without \
         visible effect; of {} applied with a known token, {} had no audit record), {} version \
         reads checked, {:.1} s",
        stats.restarts,
        stats.acked,
        stats.refused,
        stats.in_doubt,
        stats.applied,
        stats.not_applied,
        stats.no_visible_effect,
        stats.applied_traceable,
        stats.applied_unrecorded,
        stats.versions_read,
        started.elapsed().as_secs_f64()
    );
}

// ---------------------------------------------------------------------------------------
// A torn WAL tail
// ---------------------------------------------------------------------------------------

const WAL_HEADER: u64 = 32;
const FRAME_HEADER: u64 = 24;

/// The frames of a WAL file that SQLite's recovery accepts (see sqlite.org/fileformat2.html,
/// "WAL file format"): after a valid header, frames whose salt matches the header's and whose
/// cumulative checksum holds, up to the first one that does not.
#[derive(Debug)]
struct Wal {
    len: u64,
    page_size: u64,
    /// End offsets of the valid commit frames (a transaction's last frame), in order.
    commit_ends: Vec<u64>,
    /// End of the last valid frame.
    valid_end: u64,
}

impl Wal {
    fn parse(b: &[u8]) -> Wal {
        assert!(b.len() as u64 >= WAL_HEADER, "a WAL with a header");
        let be = |o: usize| u32::from_be_bytes(b[o..o + 4].try_into().expect("4 bytes"));
        let magic = be(0);
        assert!(magic & !1 == 0x377f_0682, "WAL magic {magic:#x}");
        // The checksum reads big-endian words if the magic's low bit is set.
        let big = magic & 1 == 1;
        let checksum = |data: &[u8], (mut s1, mut s2): (u32, u32)| {
            for w in data.chunks_exact(8) {
                let word = |x: &[u8]| {
                    let x: [u8; 4] = x.try_into().expect("4 bytes");
                    if big {
                        u32::from_be_bytes(x)
                    } else {
                        u32::from_le_bytes(x)
                    }
                };
                s1 = s1.wrapping_add(word(&w[..4])).wrapping_add(s2);
                s2 = s2.wrapping_add(word(&w[4..])).wrapping_add(s1);
            }
            (s1, s2)
        };
        let page_size = u64::from(be(8));
        let mut sum = checksum(&b[..24], (0, 0));
        assert_eq!(sum, (be(24), be(28)), "WAL header checksum");
        let salt = &b[16..24];
        let frame = FRAME_HEADER + page_size;
        let mut off = WAL_HEADER;
        let mut commit_ends = vec![];
        while off + frame <= b.len() as u64 {
            let o = off as usize;
            if &b[o + 8..o + 16] != salt {
                break;
            }
            sum = checksum(&b[o..o + 8], sum);
            sum = checksum(&b[o + FRAME_HEADER as usize..o + frame as usize], sum);
            if sum != (be(o + 16), be(o + 20)) {
                break;
            }
            off += frame;
            if be(o + 4) != 0 {
                commit_ends.push(off);
            }
        }
        Wal {
            len: b.len() as u64,
            page_size,
            commit_ends,
            valid_end: off,
        }
    }

    fn frame_size(&self) -> u64 {
        FRAME_HEADER + self.page_size
    }

    /// How many transactions survive a cut at `len` bytes.
    fn commits_within(&self, len: u64) -> usize {
        self.commit_ends.iter().filter(|e| **e <= len).count()
    }
}

/// The lowest cut that models a power loss. A checkpoint copies frames into the database
/// file only after they were fsynced, so frames up to the checkpoint's mark (`nBackfill`, or
/// `nBackfillAttempted` for one in progress, in the wal-index's checkpoint info at byte 96 of
/// the `-shm` file) can no longer be lost: cutting below them would pair an old WAL with a
/// newer database file, a state no crash produces.
fn backfill_bound(shm: &Path, wal: &Wal) -> u64 {
    let Ok(b) = std::fs::read(shm) else { return 0 };
    if b.len() < 136 {
        return 0;
    }
    let ne = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("4 bytes"));
    let frames = u64::from(ne(96).max(ne(128)));
    if frames == 0 {
        0
    } else {
        WAL_HEADER + frames * wal.frame_size()
    }
}

/// How a case damages the copy's WAL.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Cut {
    /// The WAL file is gone.
    NoWal,
    /// The WAL file is cut to this many bytes.
    At(u64),
}

/// What a damaged copy holds, read with SQLite directly.
struct Probe {
    stored: BTreeMap<String, Stored>,
    trail: Vec<Audited>,
    fingerprint: String,
}

fn probe(dir: &Path) -> Probe {
    let copy = TempDir::new("torn-probe");
    copy_dir(dir, copy.path());
    let conn = open_db(copy.path());
    Probe {
        stored: check_storage(&conn),
        trail: read_trail(&conn),
        fingerprint: fingerprint(&conn),
    }
}

fn same_chain(a: &[Audited], b: &[Audited]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.seq == y.seq && x.hash == y.hash && x.record == y.record)
}

const BASE_NAME: &str = "base-secret";
const BASE_TOKEN: &str = "torn-base-token-0000000000000000000001";
const BASE_VALUE: &str = "torn-base-value";

/// Power loss, simulated: the WAL of a SIGKILLed server is cut at chosen and random offsets
/// (inside the header, at commit boundaries, inside a frame's header, inside its page, one
/// byte short of a commit, past the valid frames), and a server is started on each copy.
///
/// SQLite validates each WAL frame by salt and cumulative checksum and ignores everything
/// from the first invalid or incomplete frame on, so a torn tail must open as the state after
/// the last whole transaction before the cut: the server starts (refusing would be wrong),
/// SQLite's integrity check passes, every secret is internally consistent, and the audit
/// chain is a prefix of the uncut one and verifies.
///
/// Durability is not expected here: the cut frames were fsynced before their writes were
/// answered, so losing them is a simulated disk loss, not a crash. What is checked instead
/// is that the state is a consistent prefix: equal cuts of the same transactions give
/// identical databases, nothing a client did not send appears, and a write whose audit
/// record survived (records are appended after the write commits) is present.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_wal_tail_opens_consistent() {
    const WORKERS: usize = 3;
    const SLOTS: usize = 2;
    let seed = seed();
    println!("torn: seed {seed} (COFRE_CRASH_SEED={seed} to replay)");
    let mut rng = StdRng::seed_from_u64(seed ^ 0x7402_4e57_414c_0001);
    let dir = TempDir::new("torn");

    // Bootstrap, one secret, then everything checkpointed into the database file: the
    // workload's transactions are then the only ones in the WAL.
    let mut srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    c.create_secret()
        .name(BASE_NAME)
        .secret_string(BASE_VALUE)
        .client_request_token(BASE_TOKEN)
        .send()
        .await
        .expect("create the base secret");
    srv.kill();
    {
        let conn = open_db(dir.path());
        let (busy, _log, _done): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .expect("checkpoint");
        assert_eq!(busy, 0, "checkpoint completed");
    }
    let wal_len = std::fs::metadata(dir.path().join(WAL)).map_or(0, |m| m.len());
    assert_eq!(wal_len, 0, "the WAL is empty after the checkpoint");

    // The workload, killed at a random moment.
    let mut srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    let workers: Vec<Worker> = (0..WORKERS)
        .map(|i| Worker::new(i, SLOTS, seed ^ 0x7402, "torn"))
        .collect();
    let delay = Duration::from_millis(rng.gen_range(150..=350));
    let workers = run_until_killed(workers, &c, &mut srv, delay).await;
    drop(srv);
    let acks: Vec<Ack> = workers.iter().flat_map(|w| w.acks.clone()).collect();
    assert!(
        acks.len() > 5,
        "the workload wrote ({} answers)",
        acks.len()
    );

    // Every version any write sent: id → value, and the values of in-doubt writes whose id
    // the client never learned.
    let mut sent: BTreeMap<String, String> = BTreeMap::new();
    let mut unnamed: BTreeSet<String> = BTreeSet::new();
    sent.insert(BASE_TOKEN.to_owned(), BASE_VALUE.to_owned());
    for a in &acks {
        if let Some((id, v)) = &a.version {
            sent.insert(id.clone(), v.clone());
        }
    }
    for d in workers.iter().filter_map(|w| w.in_doubt.as_ref()) {
        if let Some(v) = d.op.new_value() {
            match d.op.token() {
                Some(t) => {
                    sent.insert(t.to_owned(), v.to_owned());
                }
                None => {
                    unnamed.insert(v.to_owned());
                }
            }
        }
    }
    let names: BTreeSet<String> = workers
        .iter()
        .flat_map(|w| w.names.iter().cloned())
        .chain([BASE_NAME.to_owned()])
        .collect();
    let force_deleted: BTreeSet<String> = workers
        .iter()
        .flat_map(|w| w.force_deleted.iter().cloned())
        .collect();

    let wal = Wal::parse(&std::fs::read(dir.path().join(WAL)).expect("the crash left a WAL"));
    let bound = backfill_bound(&dir.path().join(SHM), &wal);
    println!(
        "torn: killed after {} ms, {} answers; WAL {} bytes, page {}, {} transactions in \
         {} valid bytes; checkpointed up to byte {bound}",
        delay.as_millis(),
        acks.len(),
        wal.len,
        wal.page_size,
        wal.commit_ends.len(),
        wal.valid_end
    );
    assert!(
        wal.commit_ends.len() >= 4,
        "the workload's transactions are in the WAL: {wal:?}"
    );
    let reference = probe(dir.path());
    check_acks_recorded(&acks, &reference.trail);

    // The cuts.
    let mut cases: Vec<(String, Cut)> = vec![];
    if bound == 0 {
        cases.push(("no WAL file".into(), Cut::NoWal));
        cases.push(("empty WAL".into(), Cut::At(0)));
        cases.push(("inside the WAL header".into(), Cut::At(13)));
        cases.push(("the WAL header alone".into(), Cut::At(WAL_HEADER)));
        cases.push((
            "inside the first frame's header".into(),
            Cut::At(WAL_HEADER + 10),
        ));
    }
    let frame = wal.frame_size();
    let inner: Vec<usize> = (0..wal.commit_ends.len() - 1)
        .filter(|i| wal.commit_ends[*i] >= bound)
        .collect();
    let mut picked = BTreeSet::new();
    for _ in 0..3 {
        if let Some(i) = inner.get(rng.gen_range(0..inner.len().max(1))) {
            picked.insert(*i);
        }
    }
    for i in picked {
        let end = wal.commit_ends[i];
        let next = wal.commit_ends[i + 1];
        cases.push((format!("at the end of transaction {}", i + 1), Cut::At(end)));
        cases.push((
            format!("inside the frame header after transaction {}", i + 1),
            Cut::At(end + 7),
        ));
        cases.push((
            format!("inside the page after transaction {}", i + 1),
            Cut::At((end + FRAME_HEADER + wal.page_size / 2).min(next - 1)),
        ));
        cases.push((
            format!("one frame after transaction {}", i + 1),
            Cut::At((end + frame).min(next)),
        ));
        cases.push((
            format!("one byte short of transaction {}", i + 2),
            Cut::At(next - 1),
        ));
    }
    for _ in 0..4 {
        let at = rng.gen_range(bound.max(WAL_HEADER)..=wal.len);
        cases.push((format!("at random offset {at}"), Cut::At(at)));
    }
    let last_commit = *wal.commit_ends.last().expect("commits");
    if last_commit < wal.valid_end {
        cases.push((
            "after the last commit, inside an unfinished transaction".into(),
            Cut::At(wal.valid_end),
        ));
    }
    if wal.valid_end < wal.len {
        cases.push((
            "inside frames of an earlier WAL generation".into(),
            Cut::At((wal.valid_end + wal.len) / 2),
        ));
    }
    cases.push(("nowhere (the whole WAL)".into(), Cut::At(wal.len)));

    let mut by_commits: BTreeMap<usize, (String, String)> = BTreeMap::new();
    let mut trail_lens: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (label, cut) in &cases {
        let case = TempDir::new("torn-case");
        copy_dir(dir.path(), case.path());
        let wal_path = case.path().join(WAL);
        let commits = match *cut {
            Cut::NoWal => {
                std::fs::remove_file(&wal_path).expect("remove the WAL");
                0
            }
            Cut::At(n) => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&wal_path)
                    .expect("open the WAL")
                    .set_len(n)
                    .expect("truncate the WAL");
                if n < WAL_HEADER {
                    0
                } else {
                    wal.commits_within(n)
                }
            }
        };
        let p = probe(case.path());
        // The same transactions give the same database, byte for byte in every table.
        match by_commits.get(&commits) {
            Some((other, fp)) => assert_eq!(
                &p.fingerprint, fp,
                "cut {label:?} and cut {other:?} keep {commits} transactions but differ"
            ),
            None => {
                by_commits.insert(commits, (label.clone(), p.fingerprint.clone()));
            }
        }
        // The trail is a prefix of the uncut one.
        let k = p.trail.len();
        assert!(
            k <= reference.trail.len() && same_chain(&p.trail, &reference.trail[..k]),
            "cut {label:?}: the audit trail ({k} records) is not a prefix of the uncut one"
        );
        trail_lens.entry(commits).or_default().insert(k);

        // The server starts on it and shows a consistent state.
        let mut srv = Server::start_with(case.path(), Default::default());
        let c = client(&srv.endpoint());
        let listed = list_all(&c).await;
        assert_eq!(
            listed.keys().collect::<Vec<_>>(),
            p.stored.keys().collect::<Vec<_>>(),
            "cut {label:?}: the server lists what the store holds"
        );
        for name in listed.keys() {
            assert!(
                names.contains(name),
                "cut {label:?}: {name} was never created"
            );
        }
        let shown = observe_all(&c, &listed.keys().cloned().collect::<Vec<_>>()).await;
        for (name, o) in &shown {
            let o = o
                .as_ref()
                .unwrap_or_else(|| panic!("{name} listed but missing"));
            let stored = &p.stored[name];
            assert_eq!(o.deleted, stored.deleted, "cut {label:?}: {name} deleted");
            assert_eq!(
                o.stages(),
                stored.versions,
                "cut {label:?}: {name} versions"
            );
            for (id, value) in &o.versions {
                let Some(value) = value else { continue };
                match sent.get(id) {
                    Some(v) => assert_eq!(v, value, "cut {label:?}: {name} version {id}"),
                    None => assert!(
                        unnamed.contains(value),
                        "cut {label:?}: {name} version {id} holds {value:?}, which no write sent"
                    ),
                }
            }
        }
        let base = shown[BASE_NAME].as_ref().expect("the base secret survives");
        assert_eq!(base.versions[BASE_TOKEN].as_deref(), Some(BASE_VALUE));
        assert_eq!(base.labels[AWSCURRENT], BASE_TOKEN);
        // A write whose record survived had committed before it: its version is there
        // (unless a force delete, which may also have committed, removed the secret).
        let recorded = by_request_id(&p.trail);
        for a in &acks {
            let Some((id, value)) = &a.version else {
                continue;
            };
            if !recorded.contains_key(a.request_id.as_str()) {
                continue;
            }
            match shown.get(&a.name).and_then(Option::as_ref) {
                Some(o) => {
                    let got = o.versions.get(id).unwrap_or_else(|| {
                        panic!(
                            "cut {label:?}: recorded {} of {}/{id} lost",
                            a.operation, a.name
                        )
                    });
                    if let Some(got) = got {
                        assert_eq!(got, value, "cut {label:?}: {}/{id}", a.name);
                    }
                }
                None => assert!(
                    force_deleted.contains(&a.name),
                    "cut {label:?}: {} is gone, yet its {} is recorded and nothing deleted it",
                    a.name,
                    a.operation
                ),
            }
        }
        if *cut == Cut::At(wal.len) {
            // Nothing lost: the same checks as after a SIGKILL.
            assert!(same_chain(&p.trail, &reference.trail));
            let mut workers = workers.clone();
            let mut stats = Stats::default();
            settle(&c, &mut workers, &witnessed_tokens(&p.trail), &mut stats).await;
            println!("torn: uncut WAL: in-doubt writes resolved: {stats:?}");
        }
        srv.kill();
        // The restarted server continued the chain; it verifies, its start unchanged.
        let trail = read_trail(&open_db(case.path()));
        assert!(trail.len() > k, "the server recorded the reads");
        assert!(
            same_chain(&trail[..k], &p.trail),
            "cut {label:?}: history kept"
        );
        verify_trail(case.path(), trail.len());
        println!(
            "torn: cut {label} ({cut:?}): {commits} transactions, {} secrets, {k} audit records",
            shown.len()
        );
    }
    // More transactions never mean fewer records.
    let mut floor = 0;
    for (commits, lens) in &trail_lens {
        assert_eq!(
            lens.len(),
            1,
            "{commits} transactions, trail lengths {lens:?}"
        );
        let k = *lens.first().expect("one");
        assert!(
            k >= floor,
            "{commits} transactions keep {k} records, fewer cuts kept {floor}"
        );
        floor = k;
    }
    println!(
        "torn: {} cuts, {} distinct transaction counts",
        cases.len(),
        by_commits.len()
    );
}
