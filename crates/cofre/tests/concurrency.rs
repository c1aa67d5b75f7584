//! Concurrency: many AWS SDK clients racing on one secret through the real `cofre` binary.
//!
//! Every write in the domain layer is read → modify → compare-and-swap on the secret row's
//! revision, retried on conflict. These tests make dozens of clients (each its own SDK client
//! and connection pool, with the SDK's retries off so every server answer is seen) collide on
//! one secret, record a history — each operation's request, its answer or error code, and its
//! invocation and response instants — and check it afterwards:
//!
//! * answers: every failure is the one AWS documents for the situation, and none is a 5xx
//!   (5xx answers are reported apart, after the invariants, which treat those requests as
//!   indeterminate);
//! * snapshots: every DescribeSecret (a reader task takes them continuously) shows exactly one
//!   AWSCURRENT, each label on at most one version, and the AWSCURRENT version reads back;
//! * versions: every acknowledged PutSecretValue is listed (IncludeDeprecated) and reads back
//!   its exact value by VersionId; a ClientRequestToken names one version with one value;
//! * labels: each label's placement in every snapshot and at the end is explained by
//!   acknowledged moves, and each label's history (with the secret's deleted flag), and the
//!   deleted flag's alone, is linearizable against a model of the server's rules. The check
//!   is Wing & Gong's search with Lowe's memoization, made tractable on tens of thousands of
//!   operations by linearizing state-preserving operations eagerly and pruning positions from
//!   which a later read can no longer be satisfied (see [`linearize`]). A projection per label
//!   is a necessary condition for the secret's whole history to be linearizable.
//!
//! Runs stay below 100 versions per secret: nothing is pruned (Cofre, like AWS, only drops
//! deprecated versions older than a day), so every acknowledged version must still be there.
//!
//! Sizes: `COFRE_CONC_OPS` operations per client (default 40: each test takes seconds; the
//! long run used 400), `COFRE_CONC_CLIENTS` clients (default 32), `COFRE_CONC_SEED` seeds the
//! clients' choices, `COFRE_CONC_LIN_SECS` bounds each linearizability search (default 60).
//! A failed check writes the whole history next to the tests' temporary files and names it.
//! `contention_sweep` tabulates 5xx answers and latencies by number of clients (2 to 64) and
//! fails on any 5xx (`--no-capture` prints the table).

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::Client;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use common::{Options, Server, TempDir};
use tokio::sync::Barrier;

const CURRENT: &str = "AWSCURRENT";
const PREVIOUS: &str = "AWSPREVIOUS";
/// Versions a secret may hold (AWS's quota, Cofre's `labels::MAX_VERSIONS`).
const MAX_VERSIONS: usize = 100;
/// What the server logs (never sends) when a write lost every compare-and-swap round.
const EXHAUSTED_LOG: &str = "write retries exhausted under contention";
/// The projection that models only whether the secret is deleted.
const DELETED_ONLY: &str = "(deleted flag)";
const MARKED_FOR_DELETION: &str =
    "You can't perform this operation on the secret because it was marked for deletion.";
const EXISTING_VERSION: &str =
    "You can't modify an existing version, you can only create a new version.";

// ---------------------------------------------------------------------------------------------
// Configuration, clients, randomness
// ---------------------------------------------------------------------------------------------

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&v| v > 0)
        .unwrap_or(default)
}

/// Operations per client.
fn ops_per_client() -> usize {
    env_usize("COFRE_CONC_OPS", 40)
}

/// Concurrent clients.
fn client_count() -> usize {
    env_usize("COFRE_CONC_CLIENTS", 32)
}

/// How long one label's linearizability search may take (`COFRE_CONC_LIN_SECS`).
fn lin_budget() -> Duration {
    Duration::from_secs(env_usize("COFRE_CONC_LIN_SECS", 60) as u64)
}

fn seed() -> u64 {
    env_usize("COFRE_CONC_SEED", 1) as u64
}

/// A Secrets Manager client with the SDK's retries off: a retried request would hide the
/// server's first answer (a 500 or a throttle) and blur the history's timing.
fn sdk_client(endpoint: &str) -> Client {
    use aws_sdk_secretsmanager::config::retry::RetryConfig;
    use aws_sdk_secretsmanager::config::timeout::TimeoutConfig;
    use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
    let http = aws_smithy_http_client::Builder::new().build_http();
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .credentials_provider(Credentials::new(
            common::ACCESS_KEY_ID,
            common::SECRET_ACCESS_KEY,
            None,
            None,
            "cofre-concurrency",
        ))
        .endpoint_url(endpoint)
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(
            TimeoutConfig::builder()
                .operation_timeout(Duration::from_secs(120))
                .build(),
        )
        .build();
    Client::from_conf(conf)
}

/// SplitMix64: small, seedable, and good enough to pick operations.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    fn percent(&mut self, p: u64) -> bool {
        self.next_u64() % 100 < p
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A ClientRequestToken (32–64 characters) that says what it is in the history.
fn token(kind: &str, a: usize, b: usize) -> String {
    format!("{kind}-{a:03}-{b:05}-cofre-concurrency-test")
}

// ---------------------------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------------------------

/// One request against the secret under test.
#[derive(Clone, Debug)]
enum Req {
    Put {
        token: String,
        value: String,
        /// `None`: the default, AWSCURRENT.
        stages: Option<Vec<String>>,
    },
    /// UpdateSecretVersionStage.
    Move {
        label: String,
        from: Option<String>,
        to: Option<String>,
    },
    /// DeleteSecret with a 7-day recovery window.
    Delete,
    Restore,
    Describe,
    /// GetSecretValue of AWSCURRENT.
    GetCurrent,
    /// GetSecretValue by VersionId.
    GetVersion {
        id: String,
    },
}

impl Req {
    fn kind(&self) -> &'static str {
        match self {
            Req::Put { stages: None, .. } => "PutSecretValue",
            Req::Put { .. } => "PutSecretValue(VersionStages)",
            Req::Move { to: None, .. } => "UpdateSecretVersionStage(remove)",
            Req::Move { label, .. } if label == CURRENT => "UpdateSecretVersionStage(AWSCURRENT)",
            Req::Move { .. } => "UpdateSecretVersionStage(custom)",
            Req::Delete => "DeleteSecret",
            Req::Restore => "RestoreSecret",
            Req::Describe => "DescribeSecret",
            Req::GetCurrent => "GetSecretValue(AWSCURRENT)",
            Req::GetVersion { .. } => "GetSecretValue(VersionId)",
        }
    }
}

/// DescribeSecret's view of the labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Snapshot {
    deleted: bool,
    stages: BTreeMap<String, Vec<String>>,
}

impl Snapshot {
    fn of(o: &aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput) -> Self {
        Snapshot {
            deleted: o.deleted_date().is_some(),
            stages: o
                .version_ids_to_stages()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        }
    }
    /// The versions holding `label`.
    fn holders(&self, label: &str) -> Vec<&str> {
        self.stages
            .iter()
            .filter(|(_, st)| st.iter().any(|s| s == label))
            .map(|(v, _)| v.as_str())
            .collect()
    }
    fn holder(&self, label: &str) -> Option<&str> {
        self.holders(label).first().copied()
    }
}

#[derive(Clone, Debug)]
enum Answer {
    Put {
        version_id: String,
    },
    Done,
    Snapshot(Snapshot),
    Value {
        version_id: String,
        value: Option<String>,
        stages: Vec<String>,
    },
}

#[derive(Clone, Debug)]
enum Outcome {
    Ok(Answer),
    /// An AWS error answer.
    Failed {
        code: String,
        status: u16,
        message: String,
    },
    /// No answer at all (connection or timeout): the request may or may not have happened.
    NoAnswer(String),
}

impl Outcome {
    fn code(&self) -> Option<&str> {
        match self {
            Outcome::Failed { code, .. } => Some(code),
            _ => None,
        }
    }
    fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }
    /// Whether the client can't know if the request took effect.
    fn indeterminate(&self) -> bool {
        match self {
            Outcome::Ok(_) => false,
            Outcome::Failed { status, .. } => *status >= 500,
            Outcome::NoAnswer(_) => true,
        }
    }
    fn label(&self) -> String {
        match self {
            Outcome::Ok(_) => "ok".into(),
            Outcome::Failed { code, status, .. } => format!("{code} ({status})"),
            Outcome::NoAnswer(_) => "no answer".into(),
        }
    }
}

/// One operation of the history; times are nanoseconds since the run's origin.
#[derive(Clone, Debug)]
struct Op {
    client: usize,
    req: Req,
    inv: u64,
    ret: u64,
    outcome: Outcome,
}

/// The history's time origin, shared by every task.
#[derive(Debug)]
struct Clock(Instant);

impl Clock {
    fn now(&self) -> u64 {
        self.0.elapsed().as_nanos() as u64
    }
}

fn outcome<T, E>(r: Result<T, SdkError<E, HttpResponse>>, ok: impl FnOnce(T) -> Answer) -> Outcome
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match r {
        Ok(v) => Outcome::Ok(ok(v)),
        Err(e) => {
            let status = e.raw_response().map(|r| r.status().as_u16());
            match (e.code(), status) {
                (Some(code), Some(status)) => Outcome::Failed {
                    code: code.to_owned(),
                    status,
                    message: e.message().unwrap_or_default().to_owned(),
                },
                _ => Outcome::NoAnswer(DisplayErrorContext(&e).to_string()),
            }
        }
    }
}

fn value_of(
    o: aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput,
) -> Answer {
    Answer::Value {
        version_id: o.version_id().unwrap_or_default().to_owned(),
        value: o.secret_string().map(str::to_owned),
        stages: o.version_stages().to_vec(),
    }
}

async fn exec(c: &Client, secret: &str, req: &Req) -> Outcome {
    match req {
        Req::Put {
            token,
            value,
            stages,
        } => outcome(
            c.put_secret_value()
                .secret_id(secret)
                .client_request_token(token)
                .secret_string(value)
                .set_version_stages(stages.clone())
                .send()
                .await,
            |o| Answer::Put {
                version_id: o.version_id().unwrap_or_default().to_owned(),
            },
        ),
        Req::Move { label, from, to } => outcome(
            c.update_secret_version_stage()
                .secret_id(secret)
                .version_stage(label)
                .set_remove_from_version_id(from.clone())
                .set_move_to_version_id(to.clone())
                .send()
                .await,
            |_| Answer::Done,
        ),
        Req::Delete => outcome(
            c.delete_secret()
                .secret_id(secret)
                .recovery_window_in_days(7)
                .send()
                .await,
            |_| Answer::Done,
        ),
        Req::Restore => outcome(c.restore_secret().secret_id(secret).send().await, |_| {
            Answer::Done
        }),
        Req::Describe => outcome(c.describe_secret().secret_id(secret).send().await, |o| {
            Answer::Snapshot(Snapshot::of(&o))
        }),
        Req::GetCurrent => outcome(
            c.get_secret_value()
                .secret_id(secret)
                .version_stage(CURRENT)
                .send()
                .await,
            value_of,
        ),
        Req::GetVersion { id } => outcome(
            c.get_secret_value()
                .secret_id(secret)
                .version_id(id)
                .send()
                .await,
            value_of,
        ),
    }
}

/// Sends `req` and records it with its invocation and response instants.
async fn perform(c: &Client, clock: &Clock, client: usize, secret: &str, req: Req) -> Op {
    let inv = clock.now();
    let outcome = exec(c, secret, &req).await;
    let ret = clock.now();
    Op {
        client,
        req,
        inv,
        ret,
        outcome,
    }
}

/// Snapshots the secret continuously until `stop`, and reads back each snapshot's
/// AWSCURRENT version by id.
async fn reader(
    c: Client,
    clock: Arc<Clock>,
    id: usize,
    secret: String,
    stop: Arc<AtomicBool>,
) -> Vec<Op> {
    let mut history = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        let op = perform(&c, &clock, id, &secret, Req::Describe).await;
        let current = match &op.outcome {
            Outcome::Ok(Answer::Snapshot(s)) => s.holder(CURRENT).map(str::to_owned),
            _ => None,
        };
        history.push(op);
        if let Some(v) = current {
            history.push(perform(&c, &clock, id, &secret, Req::GetVersion { id: v }).await);
        }
    }
    history
}

/// A server whose log goes to a file, so lost-contention 500s can be counted.
struct Harness {
    _dir: TempDir,
    server: Server,
    log: PathBuf,
}

impl Harness {
    fn start(tag: &str) -> Self {
        let dir = TempDir::new(tag);
        let log = dir.path().join("server.log");
        let server = Server::start_with(
            &dir.path().join("data"),
            Options {
                stderr_file: Some(log.clone()),
                ..Options::default()
            },
        );
        Harness {
            _dir: dir,
            server,
            log,
        }
    }
    fn client(&self) -> Client {
        sdk_client(&self.server.endpoint())
    }
    /// How many writes the server gave up on after losing every compare-and-swap round.
    fn exhausted_writes(&self) -> usize {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .matches(EXHAUSTED_LOG)
            .count()
    }
}

/// Everything a checker needs about one run on one secret.
#[derive(Clone, Debug, Default)]
struct Run {
    test: &'static str,
    clients: usize,
    /// The whole history, ordered by invocation.
    ops: Vec<Op>,
    /// The label placement when the race began.
    initial: Snapshot,
    /// Values of the versions that existed when the race began.
    initial_values: HashMap<String, String>,
    /// Custom labels in play (AWSCURRENT is always checked).
    labels: Vec<String>,
    /// ListSecretVersionIds (IncludeDeprecated) after the race.
    final_versions: Vec<String>,
    /// GetSecretValue by VersionId of each of `final_versions`.
    final_values: HashMap<String, String>,
    wall: Duration,
    /// Lost-contention 500s in the server's log.
    exhausted: usize,
}

/// Creates `name` with version `init-000` and `versions - 1` more (AWSCURRENT moving each
/// time), then puts `labels[i]` on `init-i`. Returns the placement and the values.
async fn setup_secret(
    c: &Client,
    name: &str,
    versions: usize,
    labels: &[String],
) -> (Snapshot, HashMap<String, String>) {
    let mut values = HashMap::new();
    for i in 0..versions {
        let t = token("init", i, 0);
        let value = format!("initial:{i}");
        if i == 0 {
            c.create_secret()
                .name(name)
                .client_request_token(&t)
                .secret_string(&value)
                .send()
                .await
                .expect("create the secret");
        } else {
            c.put_secret_value()
                .secret_id(name)
                .client_request_token(&t)
                .secret_string(&value)
                .send()
                .await
                .expect("put an initial version");
        }
        values.insert(t, value);
    }
    for (i, label) in labels.iter().enumerate() {
        c.update_secret_version_stage()
            .secret_id(name)
            .version_stage(label)
            .move_to_version_id(token("init", i % versions, 0))
            .send()
            .await
            .expect("place a label");
    }
    let d = c
        .describe_secret()
        .secret_id(name)
        .send()
        .await
        .expect("describe");
    (Snapshot::of(&d), values)
}

/// After the race: restores the secret (a delete may have been last), snapshots it, and reads
/// every version back. The restore and the snapshot join the history.
async fn finish(c: &Client, clock: &Clock, id: usize, name: &str, run: &mut Run) {
    run.ops
        .push(perform(c, clock, id, name, Req::Restore).await);
    run.ops
        .push(perform(c, clock, id, name, Req::Describe).await);
    let mut next: Option<String> = None;
    loop {
        let page = c
            .list_secret_version_ids()
            .secret_id(name)
            .include_deprecated(true)
            .max_results(100)
            .set_next_token(next.clone())
            .send()
            .await
            .expect("list versions");
        for v in page.versions() {
            run.final_versions
                .push(v.version_id().expect("version id").to_owned());
        }
        next = page.next_token().map(str::to_owned);
        if next.is_none() {
            break;
        }
    }
    for v in run.final_versions.clone() {
        let out = c
            .get_secret_value()
            .secret_id(name)
            .version_id(&v)
            .send()
            .await
            .unwrap_or_else(|e| panic!("read back {v}: {}", DisplayErrorContext(&e)));
        assert_eq!(out.version_id(), Some(v.as_str()));
        run.final_values
            .insert(v, out.secret_string().expect("a string secret").to_owned());
    }
    run.ops.sort_by_key(|op| (op.inv, op.ret));
}

// ---------------------------------------------------------------------------------------------
// Checker
// ---------------------------------------------------------------------------------------------

/// Everything wrong with a run, and what was learned.
#[derive(Debug, Default)]
struct Findings {
    /// Broken invariants (the first 60).
    violations: Vec<String>,
    count: usize,
    /// 5xx answers, kept apart: the server failing under contention is a bug of its own,
    /// and the invariants are still checked (treating those requests as indeterminate).
    five_xx: Vec<String>,
    lin: Vec<String>,
}

impl Findings {
    fn bad(&mut self, msg: String) {
        self.count += 1;
        if self.violations.len() < 60 {
            self.violations.push(msg);
        }
    }
}

fn show(i: usize, op: &Op) -> String {
    let detail = match &op.outcome {
        Outcome::Ok(Answer::Snapshot(s)) => format!("ok {s:?}"),
        Outcome::Ok(a) => format!("ok {a:?}"),
        Outcome::Failed {
            code,
            status,
            message,
        } => format!("{code} ({status}) {message:?}"),
        Outcome::NoAnswer(e) => format!("no answer: {e}"),
    };
    format!(
        "#{i} client {} [{:.6}s, {:.6}s] {:?} -> {detail}",
        op.client,
        op.inv as f64 / 1e9,
        op.ret as f64 / 1e9,
        op.req
    )
}

/// The value a version must read back as, from what was written.
fn expected_value<'a>(run: &'a Run, version: &str) -> Option<&'a String> {
    run.initial_values
        .get(version)
        .or_else(|| run.final_values.get(version))
}

/// Runs every check on `run`.
fn check(run: &Run) -> Findings {
    let mut f = Findings::default();
    check_answers(run, &mut f);
    check_snapshots(run, &mut f);
    check_reads(run, &mut f);
    check_versions(run, &mut f);
    for label in std::iter::once(CURRENT.to_owned()).chain(run.labels.iter().cloned()) {
        check_explained(run, &label, &mut f);
        check_linearizable(run, &label, &mut f);
    }
    // The deleted flag on its own (no label is called this, so only the flag is modelled).
    check_linearizable(run, DELETED_ONLY, &mut f);
    f
}

/// Every answer is one the operation may give: no 5xx, no unexpected code, and the right
/// shape with the right ids.
fn check_answers(run: &Run, f: &mut Findings) {
    for (i, op) in run.ops.iter().enumerate() {
        match &op.outcome {
            Outcome::NoAnswer(_) => f.bad(format!("no answer: {}", show(i, op))),
            Outcome::Failed { status, .. } if *status >= 500 => f.five_xx.push(show(i, op)),
            Outcome::Failed { code, message, .. } => {
                let ok = match (&op.req, code.as_str()) {
                    (_, "InvalidRequestException") => {
                        !matches!(op.req, Req::Describe | Req::Delete | Req::Restore)
                            && message == MARKED_FOR_DELETION
                    }
                    (Req::Put { .. }, "ResourceExistsException") => message == EXISTING_VERSION,
                    // The one way a move fails on a live secret: the label isn't where
                    // RemoveFromVersionId (or the absence of one) says it is.
                    (Req::Move { label, from, .. }, "InvalidParameterException") => {
                        message.contains(&format!("staging label {label} "))
                            && from.as_ref().is_none_or(|f| message.contains(f.as_str()))
                    }
                    _ => false,
                };
                if !ok {
                    f.bad(format!("unexpected error: {}", show(i, op)));
                }
            }
            Outcome::Ok(a) => {
                let ok = match (&op.req, a) {
                    (Req::Put { token, .. }, Answer::Put { version_id }) => version_id == token,
                    (Req::Move { .. } | Req::Delete | Req::Restore, Answer::Done) => true,
                    (Req::Describe, Answer::Snapshot(_)) => true,
                    (Req::GetCurrent, Answer::Value { stages, .. }) => {
                        stages.iter().any(|s| s == CURRENT)
                    }
                    (Req::GetVersion { id }, Answer::Value { version_id, .. }) => version_id == id,
                    _ => false,
                };
                if !ok {
                    f.bad(format!("wrong answer: {}", show(i, op)));
                }
            }
        }
    }
}

fn requested_tokens(run: &Run) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut tokens: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for op in &run.ops {
        if let Req::Put { token, value, .. } = &op.req {
            tokens.entry(token).or_default().insert(value);
        }
    }
    tokens
}

/// Each snapshot: exactly one AWSCURRENT, AWSPREVIOUS elsewhere, each label on at most one
/// version and once per version, and only versions someone asked for.
fn check_snapshots(run: &Run, f: &mut Findings) {
    let tokens = requested_tokens(run);
    for (i, op) in run.ops.iter().enumerate() {
        let Outcome::Ok(Answer::Snapshot(s)) = &op.outcome else {
            continue;
        };
        if s.holders(CURRENT).len() != 1 {
            f.bad(format!("not exactly one AWSCURRENT: {}", show(i, op)));
        }
        if s.holder(PREVIOUS).is_some() && s.holder(PREVIOUS) == s.holder(CURRENT) {
            f.bad(format!(
                "AWSPREVIOUS on the AWSCURRENT version: {}",
                show(i, op)
            ));
        }
        let mut seen = BTreeSet::new();
        for (v, stages) in &s.stages {
            if !run.initial_values.contains_key(v) && !tokens.contains_key(v.as_str()) {
                f.bad(format!("a version nobody created, {v}: {}", show(i, op)));
            }
            let distinct: BTreeSet<&String> = stages.iter().collect();
            if distinct.len() != stages.len() || stages.is_empty() {
                f.bad(format!("labels repeated or empty on {v}: {}", show(i, op)));
            }
            for l in stages {
                if !seen.insert(l) {
                    f.bad(format!("label {l} on two versions: {}", show(i, op)));
                }
            }
        }
    }
}

/// Every value read during the run is the one written under that version id.
fn check_reads(run: &Run, f: &mut Findings) {
    for (i, op) in run.ops.iter().enumerate() {
        if let Outcome::Ok(Answer::Value {
            version_id, value, ..
        }) = &op.outcome
        {
            match expected_value(run, version_id) {
                Some(want) if value.as_ref() == Some(want) => {}
                Some(want) => f.bad(format!("read {value:?}, wrote {want:?}: {}", show(i, op))),
                None => f.bad(format!("read a version that is gone: {}", show(i, op))),
            }
        }
        // A snapshot's AWSCURRENT version must be readable: the reader reads it right after.
        if let (Req::GetVersion { .. }, Outcome::Failed { code, .. }) = (&op.req, &op.outcome) {
            if code != "InvalidRequestException" {
                f.bad(format!(
                    "a snapshot's AWSCURRENT unreadable: {}",
                    show(i, op)
                ));
            }
        }
    }
}

/// Acknowledged versions exist and hold their value; a token is one version with one value;
/// nothing exists that every request for it was told failed.
fn check_versions(run: &Run, f: &mut Findings) {
    let listed: BTreeSet<&str> = run.final_versions.iter().map(String::as_str).collect();
    if listed.len() != run.final_versions.len() {
        f.bad(format!(
            "ListSecretVersionIds repeats a version: {:?}",
            run.final_versions
        ));
    }
    if run.final_versions.len() > MAX_VERSIONS {
        f.bad(format!("{} versions listed", run.final_versions.len()));
    }
    for v in run.initial_values.keys() {
        if !listed.contains(v.as_str()) {
            f.bad(format!("initial version {v} is gone"));
        }
    }
    let tokens = requested_tokens(run);
    for v in &listed {
        if !run.initial_values.contains_key(*v) && !tokens.contains_key(v) {
            f.bad(format!("listed version {v} was never requested"));
        }
    }
    for (token, values) in &tokens {
        let puts: Vec<(usize, &Op)> = run
            .ops
            .iter()
            .enumerate()
            .filter(|(_, op)| matches!(&op.req, Req::Put { token: t, .. } if t == token))
            .collect();
        let stored = run.final_values.get(*token);
        if let Some(stored) = stored {
            if !values.contains(stored.as_str()) {
                f.bad(format!("{token} holds {stored:?}, never written"));
            }
            if !puts
                .iter()
                .any(|(_, op)| op.outcome.is_ok() || op.outcome.indeterminate())
            {
                f.bad(format!("{token} exists though every put of it failed"));
            }
        }
        for (i, op) in &puts {
            let Req::Put { value, .. } = &op.req else {
                continue;
            };
            let wins = stored == Some(value);
            match (&op.outcome, stored) {
                (Outcome::Ok(_), None) => {
                    f.bad(format!("acknowledged version missing: {}", show(*i, op)))
                }
                (Outcome::Ok(_), Some(_)) if !wins => f.bad(format!(
                    "acknowledged a value the version doesn't hold ({stored:?}): {}",
                    show(*i, op)
                )),
                (Outcome::Failed { code, .. }, _)
                    if code == "ResourceExistsException" && (wins || stored.is_none()) =>
                {
                    f.bad(format!(
                        "refused the value the version holds ({stored:?}): {}",
                        show(*i, op)
                    ))
                }
                _ => {}
            }
        }
    }
}

/// Ops that may change `label`'s holder, with the version they move it to (`None`: removal).
fn changers(run: &Run, label: &str) -> Vec<(usize, Option<String>)> {
    run.ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.outcome.is_ok() || op.outcome.indeterminate())
        .filter_map(|(i, op)| match &op.req {
            Req::Move { label: l, to, .. } if l == label => Some((i, to.clone())),
            Req::Put { token, stages, .. }
                if stages
                    .as_ref()
                    .map_or(label == CURRENT, |s| s.iter().any(|x| x == label)) =>
            {
                Some((i, Some(token.clone())))
            }
            _ => None,
        })
        .collect()
}

/// Without a model: every acknowledged move (or version-creating put) stands in every later
/// snapshot unless some other change to the label overlaps the interval between them; the
/// final holder is the initial one or an acknowledged target; AWSPREVIOUS only ever lands on
/// a version that held AWSCURRENT.
fn check_explained(run: &Run, label: &str, f: &mut Findings) {
    let puts_per_token: HashMap<&str, usize> = run
        .ops
        .iter()
        .filter_map(|op| match &op.req {
            Req::Put { token, .. } => Some(token.as_str()),
            _ => None,
        })
        .fold(HashMap::new(), |mut m, t| {
            *m.entry(t).or_default() += 1;
            m
        });
    let all = changers(run, label);
    // Setters: acknowledged, with a definite effect. A put's effect is definite only when it
    // was the one request for its token (otherwise another request may have created it).
    let setters: Vec<&(usize, Option<String>)> = all
        .iter()
        .filter(|(i, _)| {
            let op = &run.ops[*i];
            op.outcome.is_ok()
                && match &op.req {
                    Req::Put { token, .. } => puts_per_token.get(token.as_str()) == Some(&1),
                    _ => true,
                }
        })
        .collect();
    let mut by_inv: Vec<&(usize, Option<String>)> = all.iter().collect();
    by_inv.sort_by_key(|(i, _)| run.ops[*i].inv);
    let snapshots: Vec<(usize, &Snapshot)> = run
        .ops
        .iter()
        .enumerate()
        .filter_map(|(i, op)| match &op.outcome {
            Outcome::Ok(Answer::Snapshot(s)) => Some((i, s)),
            _ => None,
        })
        .collect();
    // For each snapshot, the two latest-returning changers invoked before it returned.
    let mut top2: Vec<[Option<(u64, usize)>; 2]> = Vec::with_capacity(snapshots.len());
    {
        let mut order: Vec<usize> = (0..snapshots.len()).collect();
        order.sort_by_key(|&k| run.ops[snapshots[k].0].ret);
        top2.resize(snapshots.len(), [None, None]);
        let mut best: [Option<(u64, usize)>; 2] = [None, None];
        let mut next = 0;
        for k in order {
            let s_ret = run.ops[snapshots[k].0].ret;
            while next < by_inv.len() && run.ops[by_inv[next].0].inv < s_ret {
                let (ci, _) = by_inv[next];
                let r = if run.ops[*ci].outcome.indeterminate() {
                    u64::MAX
                } else {
                    run.ops[*ci].ret
                };
                let cand = Some((r, *ci));
                if cand > best[0] {
                    best = [cand, best[0]];
                } else if cand > best[1] {
                    best[1] = cand;
                }
                next += 1;
            }
            top2[k] = best;
        }
    }
    for (m, target) in setters {
        let mop = &run.ops[*m];
        for (k, (si, s)) in snapshots.iter().enumerate() {
            let sop = &run.ops[*si];
            if sop.inv <= mop.ret || s.holder(label) == target.as_deref() {
                continue;
            }
            let other = top2[k].iter().flatten().find(|(_, ci)| ci != m);
            if other.is_none_or(|(r, _)| *r <= mop.inv) {
                f.bad(format!(
                    "{label}: acknowledged change contradicted by a later snapshot with no \
                     later change:\n    {}\n    {}",
                    show(*m, mop),
                    show(*si, sop)
                ));
                break;
            }
        }
    }
    // The final holder: the initial one or the target of an acknowledged change.
    if let Some((_, last)) = snapshots.last() {
        let held = last.holder(label);
        let explained = held == run.initial.holder(label)
            || all
                .iter()
                .any(|(i, t)| run.ops[*i].outcome.is_ok() && t.as_deref() == held);
        if !explained {
            f.bad(format!(
                "{label} ends on {held:?}: neither its initial holder nor an acknowledged target"
            ));
        }
    }
    if label == CURRENT {
        let mut was_current: HashSet<Option<&str>> = all
            .iter()
            .map(|(_, t)| t.as_deref())
            .chain([run.initial.holder(CURRENT), run.initial.holder(PREVIOUS)])
            .collect();
        was_current.insert(None);
        for (si, s) in &snapshots {
            if !was_current.contains(&s.holder(PREVIOUS)) {
                f.bad(format!(
                    "AWSPREVIOUS on a version that never held AWSCURRENT: {}",
                    show(*si, &run.ops[*si])
                ));
            }
        }
    }
}

// ----- the model and the linearizability search -----

/// The state of one label (and the secret's deleted flag) in the model of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct MState {
    deleted: bool,
    /// The label's holder (for AWSCURRENT, the current version).
    holder: Option<u16>,
    /// AWSPREVIOUS's holder, in AWSCURRENT's projection.
    previous: Option<u16>,
    /// Which requested tokens exist as versions (bit per token).
    created: u128,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Res {
    Ok,
    InvalidParameter,
    InvalidRequest,
    ResourceExists,
    /// No answer or a 5xx: it may have taken effect or not.
    Unknown,
}

impl Res {
    fn of(o: &Outcome) -> Res {
        match o {
            Outcome::Ok(_) => Res::Ok,
            Outcome::Failed { code, status, .. } if *status < 500 => match code.as_str() {
                "InvalidParameterException" => Res::InvalidParameter,
                "InvalidRequestException" => Res::InvalidRequest,
                "ResourceExistsException" => Res::ResourceExists,
                _ => Res::Unknown,
            },
            _ => Res::Unknown,
        }
    }
}

/// One operation as the projection on one label sees it.
#[derive(Clone, Debug)]
enum MOp {
    Put {
        bit: u32,
        version: u16,
        /// Whether the value is the one the version holds at the end.
        winner: bool,
        /// Whether the put attaches this projection's label.
        here: bool,
        res: Res,
    },
    Move {
        here: bool,
        from: Option<u16>,
        to: Option<u16>,
        res: Res,
    },
    Delete(Res),
    Restore(Res),
    Snapshot {
        deleted: bool,
        holder: Option<u16>,
        previous: Option<u16>,
    },
    /// GetSecretValue of AWSCURRENT: `Some` the version answered, `None` refused (deleted).
    GetCurrent(Option<u16>),
    /// A read that only tells whether the secret was deleted.
    Deleted(bool),
}

#[derive(Clone, Debug)]
struct MEvent {
    inv: u64,
    /// `u64::MAX` for an operation that may or may not have taken effect.
    ret: u64,
    op: MOp,
    /// Index in the run's history.
    at: usize,
}

/// The server's rules, restricted to one label. `None`: `op` can't happen in state `s`.
fn step(s: MState, op: &MOp, current: bool) -> Option<MState> {
    let set = |mut n: MState, v: Option<u16>| {
        if current {
            // AWSCURRENT moving to another version leaves AWSPREVIOUS on the one it left.
            if n.holder != v {
                n.previous = n.holder;
                n.holder = v;
            }
        } else {
            n.holder = v;
        }
        n
    };
    match *op {
        MOp::Put {
            bit,
            version,
            winner,
            here,
            res,
        } => {
            let created = s.created & (1u128 << bit) != 0;
            let create = || {
                let mut n = s;
                n.created |= 1u128 << bit;
                if here {
                    n = set(n, Some(version));
                }
                n
            };
            match res {
                // A value that isn't the version's final one can't have been stored.
                Res::Ok if s.deleted || !winner => None,
                Res::Ok if created => Some(s),
                Res::Ok => Some(create()),
                Res::ResourceExists => (!s.deleted && created && !winner).then_some(s),
                Res::InvalidRequest => s.deleted.then_some(s),
                Res::InvalidParameter => None,
                Res::Unknown => (!s.deleted && !created && winner).then(create),
            }
        }
        MOp::Move {
            here,
            from,
            to,
            res,
        } => {
            if !here {
                return match res {
                    Res::Ok | Res::InvalidParameter => (!s.deleted).then_some(s),
                    Res::InvalidRequest => s.deleted.then_some(s),
                    _ => None,
                };
            }
            let holds = match (from, to) {
                (_, None) if current => false,
                (Some(f), _) => s.holder == Some(f),
                (None, to) => s.holder.is_none() || s.holder == to,
            };
            match res {
                Res::Ok => (!s.deleted && holds).then(|| set(s, to)),
                Res::InvalidParameter => (!s.deleted && !holds).then_some(s),
                Res::InvalidRequest => s.deleted.then_some(s),
                Res::ResourceExists => None,
                Res::Unknown => {
                    let n = set(s, to);
                    (!s.deleted && holds && n != s).then_some(n)
                }
            }
        }
        MOp::Delete(res) | MOp::Restore(res) => {
            let deleted = matches!(op, MOp::Delete(_));
            match res {
                Res::Ok => Some(MState { deleted, ..s }),
                Res::Unknown => (s.deleted != deleted).then_some(MState { deleted, ..s }),
                _ => None,
            }
        }
        MOp::Snapshot {
            deleted,
            holder,
            previous,
        } => (s.deleted == deleted && s.holder == holder && (!current || s.previous == previous))
            .then_some(s),
        MOp::GetCurrent(Some(v)) => (!s.deleted && (!current || s.holder == Some(v))).then_some(s),
        MOp::GetCurrent(None) | MOp::Deleted(true) => s.deleted.then_some(s),
        MOp::Deleted(false) => (!s.deleted).then_some(s),
    }
}

/// Whether `op` leaves every state in which it is legal unchanged, from `s` on (the state
/// only gains versions, so a put of an existing version stays a no-op). Such an operation,
/// when legal, may be linearized at once: moving it earlier never invalidates an order.
/// (A DeleteSecret on a deleted secret is a no-op now, but not after a restore.)
fn pure(op: &MOp, s: MState) -> bool {
    match *op {
        MOp::Put {
            res: Res::Ok, bit, ..
        } => s.created & (1u128 << bit) != 0,
        MOp::Put { res, .. }
        | MOp::Move {
            res, here: true, ..
        } if res == Res::Unknown => false,
        MOp::Move {
            res: Res::Ok,
            here: true,
            from,
            to,
        } => from.is_some() && from == to,
        MOp::Put { .. } | MOp::Move { .. } => true,
        MOp::Delete(_) | MOp::Restore(_) => false,
        MOp::Snapshot { .. } | MOp::GetCurrent(_) | MOp::Deleted(_) => true,
    }
}

/// How a linearizability search ended.
#[derive(Debug)]
enum Lin {
    Ok {
        states: usize,
    },
    /// No order exists: the longest linearizable prefix, and what could not follow it.
    Violation {
        linearized: usize,
        stuck: Vec<usize>,
        state: MState,
    },
    GaveUp {
        states: usize,
    },
}

/// The search's position: which operations are linearized, and what that implies.
struct Search<'a> {
    events: &'a [MEvent],
    /// Whether each operation has a response (the others may never take effect).
    det: Vec<bool>,
    zobrist: Vec<u128>,
    unknown: Vec<usize>,
    /// Responses of determinate operations not yet linearized.
    pending: BTreeSet<(u64, usize)>,
    done: Vec<bool>,
    /// The first determinate operation not yet linearized.
    lo: usize,
    hash: u128,
    linearized: usize,
    /// Reads still to linearize, with what they require (see [`requirement`]).
    reads: Vec<(usize, Requirement)>,
    /// For each holder (`None`: detached), how many operations not yet linearized could
    /// still put the label there; then the same for deleting and for restoring.
    can_hold: HashMap<Option<u16>, u32>,
    can_delete: u32,
    can_restore: u32,
}

/// What a read needs of the state: a holder, and in AWSCURRENT's projection a previous.
#[derive(Clone, Copy, Debug)]
struct Requirement {
    deleted: Option<bool>,
    holder: Option<Option<u16>>,
    previous: Option<Option<u16>>,
}

/// What `op` requires when it reads, if it does.
fn requirement(op: &MOp, current: bool) -> Option<Requirement> {
    let none = Requirement {
        deleted: None,
        holder: None,
        previous: None,
    };
    Some(match *op {
        MOp::Snapshot {
            deleted,
            holder,
            previous,
        } => Requirement {
            deleted: Some(deleted),
            holder: Some(holder),
            previous: current.then_some(previous),
        },
        MOp::GetCurrent(Some(v)) => Requirement {
            deleted: Some(false),
            holder: current.then_some(Some(v)),
            ..none
        },
        MOp::GetCurrent(None) => Requirement {
            deleted: Some(true),
            ..none
        },
        MOp::Deleted(d) => Requirement {
            deleted: Some(d),
            ..none
        },
        _ => return None,
    })
}

/// The holder `op` may yet set (a move or a put that attaches the label and may succeed).
fn sets(op: &MOp) -> Option<Option<u16>> {
    match *op {
        MOp::Move {
            here: true,
            to,
            res: Res::Ok | Res::Unknown,
            ..
        } => Some(to),
        MOp::Put {
            here: true,
            version,
            winner: true,
            res: Res::Ok | Res::Unknown,
            ..
        } => Some(Some(version)),
        _ => None,
    }
}

impl Search<'_> {
    fn count(&mut self, c: usize, delta: i32) {
        let op = &self.events[c].op;
        if let Some(h) = sets(op) {
            let n = self.can_hold.entry(h).or_default();
            *n = n.wrapping_add_signed(delta);
        }
        match op {
            MOp::Delete(Res::Ok | Res::Unknown) => {
                self.can_delete = self.can_delete.wrapping_add_signed(delta)
            }
            MOp::Restore(Res::Ok | Res::Unknown) => {
                self.can_restore = self.can_restore.wrapping_add_signed(delta)
            }
            _ => {}
        }
    }
    /// Whether some read still to linearize can never be: what it saw is gone for good.
    /// (Sound pruning: it only looks at what operations not yet linearized could set.)
    fn dead(&self, s: MState) -> bool {
        let can = |h: Option<u16>| s.holder == h || self.can_hold.get(&h).is_some_and(|n| *n > 0);
        self.reads.iter().any(|(r, req)| {
            if self.done[*r] {
                return false;
            }
            if let Some(d) = req.deleted {
                if s.deleted != d
                    && if d {
                        self.can_delete == 0
                    } else {
                        self.can_restore == 0
                    }
                {
                    return true;
                }
            }
            let Some(x) = req.holder else {
                return false;
            };
            if !can(x) {
                return true;
            }
            match req.previous {
                // AWSPREVIOUS = y next to AWSCURRENT = x needs y current at some point first.
                Some(y) => !(can(y) || (s.holder == x && s.previous == y)),
                None => false,
            }
        })
    }
    fn apply(&mut self, c: usize) {
        self.count(c, -1);
        self.done[c] = true;
        self.hash ^= self.zobrist[c];
        if self.det[c] {
            self.pending.remove(&(self.events[c].ret, c));
            self.linearized += 1;
            while self.lo < self.events.len() && (self.done[self.lo] || !self.det[self.lo]) {
                self.lo += 1;
            }
        }
    }
    fn undo(&mut self, c: usize) {
        self.count(c, 1);
        self.done[c] = false;
        self.hash ^= self.zobrist[c];
        if self.det[c] {
            self.pending.insert((self.events[c].ret, c));
            self.lo = self.lo.min(c);
            self.linearized -= 1;
        }
    }
    /// Operations that may go next: invoked before the earliest pending response.
    fn candidates(&self) -> Vec<usize> {
        let Some(&(min_ret, _)) = self.pending.first() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut i = self.lo;
        while i < self.events.len() && self.events[i].inv <= min_ret {
            if self.det[i] && !self.done[i] {
                out.push(i);
            }
            i += 1;
        }
        out.extend(
            self.unknown
                .iter()
                .copied()
                .take_while(|&u| self.events[u].inv <= min_ret)
                .filter(|&u| !self.done[u]),
        );
        out
    }
}

/// Wing & Gong's search with Lowe's memoization: extend a linearization by an operation
/// invoked before the earliest response still pending, depth first, never revisiting a
/// (set of linearized operations, model state) pair; sets are compared by a 128-bit Zobrist
/// hash. Operations with `ret == u64::MAX` may be linearized anywhere after their invocation
/// or not at all.
///
/// Two refinements keep it tractable on thousands of operations:
/// * an operation that is legal and can't change any state (a read that matches, a move
///   refused because the label is elsewhere, a put of an existing version; see [`pure`]) is
///   linearized at once without branching;
/// * the state-changing candidates are tried by earliest response;
/// * a position where some read still to come can no longer be satisfied (it needs a holder
///   that nothing left can restore) is abandoned at once, instead of after every ordering of
///   the writes in between.
fn linearize(events: &[MEvent], init: MState, current: bool, budget: Duration) -> Lin {
    let n = events.len();
    let det: Vec<bool> = events.iter().map(|e| e.ret != u64::MAX).collect();
    let mut rng = Rng::new(0x11AE_A21E);
    let zobrist: Vec<u128> = (0..n)
        .map(|_| (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64()))
        .collect();
    let mut s = Search {
        events,
        unknown: (0..n).filter(|&i| !det[i]).collect(),
        pending: (0..n)
            .filter(|&i| det[i])
            .map(|i| (events[i].ret, i))
            .collect(),
        done: vec![false; n],
        lo: (0..n).find(|&i| det[i]).unwrap_or(n),
        det,
        zobrist,
        hash: 0,
        linearized: 0,
        reads: (0..n)
            .filter(|&i| events[i].ret != u64::MAX)
            .filter_map(|i| requirement(&events[i].op, current).map(|r| (i, r)))
            .collect(),
        can_hold: HashMap::new(),
        can_delete: 0,
        can_restore: 0,
    };
    for c in 0..n {
        s.count(c, 1);
    }
    let started = Instant::now();
    let step = |st: MState, c: usize| step(st, &events[c].op, current);
    let mut state = init;
    let mut visited: HashSet<(u128, MState)> = HashSet::new();
    struct Frame {
        /// State-preserving operations linearized on entry, undone on exit.
        forced: Vec<usize>,
        cands: Vec<usize>,
        next: usize,
        /// The candidate this frame applied, and the state before it.
        chosen: Option<(usize, MState)>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut best: (usize, Vec<usize>, MState) = (0, Vec::new(), init);
    loop {
        let mut forced = Vec::new();
        loop {
            let before = forced.len();
            for c in s.candidates() {
                if pure(&events[c].op, state) && step(state, c) == Some(state) {
                    s.apply(c);
                    forced.push(c);
                }
            }
            if forced.len() == before {
                break;
            }
        }
        if s.pending.is_empty() {
            return Lin::Ok {
                states: visited.len(),
            };
        }
        let mut waiting = Vec::new();
        let mut moves = Vec::new();
        let dead = s.dead(state);
        for c in s.candidates().into_iter().filter(|_| !dead) {
            match step(state, c) {
                Some(next) => moves.push((c, next)),
                None if s.det[c] => waiting.push(c),
                None => {}
            }
        }
        waiting.sort_by_key(|&w| events[w].ret);
        // Earliest response first: a write's response follows its commit closely, so this
        // is usually the server's own order, and backtracking repairs the rest.
        let mut scored: Vec<(u64, usize)> =
            moves.iter().map(|&(c, _)| (events[c].ret, c)).collect();
        scored.sort_unstable();
        if s.linearized >= best.0 {
            best = (
                s.linearized,
                waiting
                    .iter()
                    .copied()
                    .chain(moves.iter().map(|m| m.0))
                    .collect(),
                state,
            );
        }
        stack.push(Frame {
            forced,
            cands: scored.into_iter().map(|(_, c)| c).collect(),
            next: 0,
            chosen: None,
        });
        // Advance: apply the next workable candidate, backtracking through exhausted frames.
        loop {
            let Some(top) = stack.last_mut() else {
                return Lin::Violation {
                    linearized: best.0,
                    stuck: best.1,
                    state: best.2,
                };
            };
            if let Some((c, before)) = top.chosen.take() {
                s.undo(c);
                state = before;
            }
            if top.next == top.cands.len() {
                for &c in top.forced.iter().rev() {
                    s.undo(c);
                }
                stack.pop();
                continue;
            }
            let c = top.cands[top.next];
            top.next += 1;
            let Some(next) = step(state, c) else {
                continue;
            };
            if !visited.insert((s.hash ^ s.zobrist[c], next)) {
                continue;
            }
            if visited.len() % 1024 == 0 && started.elapsed() > budget {
                return Lin::GaveUp {
                    states: visited.len(),
                };
            }
            top.chosen = Some((c, state));
            s.apply(c);
            state = next;
            break;
        }
    }
}

/// Projects the run onto `label` and searches for a linearization.
fn check_linearizable(run: &Run, label: &str, f: &mut Findings) {
    let current = label == CURRENT;
    let mut ids: HashMap<String, u16> = HashMap::new();
    let mut id = |v: &str| -> u16 {
        let next = ids.len() as u16;
        *ids.entry(v.to_owned()).or_insert(next)
    };
    let tokens: Vec<&str> = requested_tokens(run).into_keys().collect();
    if tokens.len() > 128 {
        f.bad(format!("{} tokens: too many for the model", tokens.len()));
        return;
    }
    let bit = |t: &str| tokens.iter().position(|x| *x == t).expect("a token") as u32;
    let mut events = Vec::new();
    for (at, op) in run.ops.iter().enumerate() {
        let res = Res::of(&op.outcome);
        let mop = match (&op.req, &op.outcome) {
            (
                Req::Put {
                    token,
                    value,
                    stages,
                },
                _,
            ) => MOp::Put {
                bit: bit(token),
                version: id(token),
                winner: run.final_values.get(token) == Some(value),
                here: stages
                    .as_ref()
                    .map_or(current, |s| s.iter().any(|x| x == label)),
                res,
            },
            (Req::Move { label: l, from, to }, _) => MOp::Move {
                here: l == label,
                from: from.as_deref().map(&mut id),
                to: to.as_deref().map(&mut id),
                res,
            },
            (Req::Delete, _) => MOp::Delete(res),
            (Req::Restore, _) => MOp::Restore(res),
            (Req::Describe, Outcome::Ok(Answer::Snapshot(s))) => MOp::Snapshot {
                deleted: s.deleted,
                holder: s.holder(label).map(&mut id),
                previous: if current {
                    s.holder(PREVIOUS).map(&mut id)
                } else {
                    None
                },
            },
            (Req::GetCurrent, Outcome::Ok(Answer::Value { version_id, .. })) if current => {
                MOp::GetCurrent(Some(id(version_id)))
            }
            (Req::GetCurrent | Req::GetVersion { .. }, Outcome::Ok(_)) => MOp::Deleted(false),
            (Req::GetCurrent | Req::GetVersion { .. }, _) if res == Res::InvalidRequest => {
                MOp::Deleted(true)
            }
            // Reads without an answer tell nothing.
            _ => continue,
        };
        let ret = if res == Res::Unknown && !matches!(mop, MOp::Snapshot { .. }) {
            u64::MAX
        } else {
            op.ret
        };
        events.push(MEvent {
            inv: op.inv,
            ret,
            op: mop,
            at,
        });
    }
    events.sort_by_key(|e| (e.inv, e.at));
    let init = MState {
        deleted: run.initial.deleted,
        holder: run.initial.holder(label).map(&mut id),
        previous: if current {
            run.initial.holder(PREVIOUS).map(&mut id)
        } else {
            None
        },
        created: 0,
    };
    let names: HashMap<u16, String> = ids.iter().map(|(k, v)| (*v, k.clone())).collect();
    let started = Instant::now();
    match linearize(&events, init, current, lin_budget()) {
        Lin::Ok { states } => f.lin.push(format!(
            "{label}: linearizable ({} operations, {states} states, {:.2?})",
            events.len(),
            started.elapsed()
        )),
        Lin::GaveUp { states } => f.bad(format!(
            "{label}: linearizability search gave up after {states} states, {:.0?}, over {} \
             operations",
            started.elapsed(),
            events.len()
        )),
        Lin::Violation {
            linearized,
            stuck,
            state,
        } => {
            let name = |v: Option<u16>| v.map(|v| names[&v].clone());
            let mut msg = format!(
                "{label}: NOT linearizable. {linearized} of {} operations linearize; then, in \
                 state deleted={} holder={:?} previous={:?}, none of these can go next:",
                events.len(),
                state.deleted,
                name(state.holder),
                name(state.previous)
            );
            for c in stuck.iter().take(12) {
                let at = events[*c].at;
                let _ = write!(msg, "\n    {}", show(at, &run.ops[at]));
            }
            f.bad(msg);
        }
    }
}

/// A summary of outcomes by operation, for the report.
fn summary(run: &Run, findings: &Findings) -> String {
    let mut by: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for op in &run.ops {
        *by.entry((op.req.kind(), op.outcome.label())).or_default() += 1;
    }
    let secs = run.wall.as_secs_f64();
    let mut s = format!(
        "{}: {} operations by {} clients + a reader in {:.2} s ({:.0} ops/s); {} writes the \
         server gave up on under contention\n",
        run.test,
        run.ops.len(),
        run.clients,
        secs,
        run.ops.len() as f64 / secs.max(1e-9),
        run.exhausted
    );
    for ((kind, outcome), n) in by {
        let _ = writeln!(s, "  {kind:<38} {outcome:<40} {n:>7}");
    }
    for l in &findings.lin {
        let _ = writeln!(s, "  {l}");
    }
    s
}

/// Writes the history next to the tests' temporary files; returns where.
fn dump(run: &Run) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "concurrency-{}-{}.history",
        run.test,
        std::process::id()
    ));
    let mut text = format!(
        "initial {:?}\ninitial values {:?}\nfinal versions {:?}\nfinal values {:?}\n",
        run.initial, run.initial_values, run.final_versions, run.final_values
    );
    for (i, op) in run.ops.iter().enumerate() {
        let _ = writeln!(text, "{}", show(i, op));
    }
    std::fs::write(&path, text).expect("write the history");
    path
}

/// Checks `run` and fails the test with every violation found (and the history's path);
/// then, if the invariants held, with the 5xx answers if there were any.
fn assert_clean(run: &Run) -> Findings {
    let findings = assert_invariants(run);
    assert_no_5xx(run, &findings);
    findings
}

/// Checks `run` and fails the test with every broken invariant (and the history's path).
fn assert_invariants(run: &Run) -> Findings {
    let findings = check(run);
    println!("{}", summary(run, &findings));
    if findings.count > 0 {
        let path = dump(run);
        panic!(
            "{} violations in {} (history: {}):\n{}\n(and {} 5xx answers)",
            findings.count,
            run.test,
            path.display(),
            findings.violations.join("\n"),
            findings.five_xx.len()
        );
    }
    findings
}

/// Fails the test if the server answered any request of `run` with a 5xx.
fn assert_no_5xx(run: &Run, findings: &Findings) {
    if findings.five_xx.is_empty() {
        return;
    }
    let path = dump(run);
    let writes = run
        .ops
        .iter()
        .filter(|op| {
            !matches!(
                op.req,
                Req::Describe | Req::GetCurrent | Req::GetVersion { .. }
            )
        })
        .count();
    panic!(
        "{}: the invariants held, but the server answered {} of {} writes by {} clients with a \
         5xx ({} logged as \"{EXHAUSTED_LOG}\"; history: {}):\n{}",
        run.test,
        findings.five_xx.len(),
        writes,
        run.clients,
        run.exhausted,
        path.display(),
        findings
            .five_xx
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Workloads on one secret
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A token from a shared pool, with the token's one value: idempotent retries.
    PutShared,
    /// A token from a contested pool, with a value per client: one wins.
    PutContested,
    /// A fresh token (from a budget, to stay under 100 versions).
    PutUnique,
    /// A fresh token staged with a custom label instead of AWSCURRENT.
    PutLabel,
    MoveLabel,
    RemoveLabel,
    MoveCurrent,
    Describe,
    GetCurrent,
    Delete,
    Restore,
}

/// What every client of a race shares.
#[derive(Debug)]
struct Plan {
    secret: String,
    labels: Vec<String>,
    shared: Vec<String>,
    contested: Vec<String>,
    unique_left: AtomicIsize,
    label_puts_left: AtomicIsize,
    mix: Vec<(Kind, u32)>,
    initial: Snapshot,
    /// The versions that existed before the race.
    versions: Vec<String>,
    /// Percent of moves preceded by a DescribeSecret to learn where the label is.
    refresh: u64,
    /// Percent of moves naming a random RemoveFromVersionId rather than the believed holder.
    stale: u64,
}

/// One client: `ops` operations chosen from the plan's mix, moving labels to versions it
/// knows exist and naming where it last saw them as RemoveFromVersionId.
async fn worker(
    c: Client,
    clock: Arc<Clock>,
    id: usize,
    plan: Arc<Plan>,
    ops: usize,
    seed: u64,
) -> Vec<Op> {
    let mut rng = Rng::new(seed.wrapping_mul(1000).wrapping_add(id as u64));
    let mut known: Vec<String> = plan.versions.clone();
    let mut belief: HashMap<String, Option<String>> = plan
        .labels
        .iter()
        .chain(std::iter::once(&CURRENT.to_owned()))
        .map(|l| (l.clone(), plan.initial.holder(l).map(str::to_owned)))
        .collect();
    let total: u32 = plan.mix.iter().map(|(_, w)| w).sum();
    let mut history = Vec::with_capacity(ops * 2);
    for n in 0..ops {
        let mut roll = (rng.next_u64() % u64::from(total)) as u32;
        let mut kind = Kind::Describe;
        for (k, w) in &plan.mix {
            if roll < *w {
                kind = *k;
                break;
            }
            roll -= w;
        }
        if kind == Kind::PutUnique && plan.unique_left.fetch_sub(1, Ordering::SeqCst) <= 0 {
            kind = Kind::PutShared;
        }
        if kind == Kind::PutLabel && plan.label_puts_left.fetch_sub(1, Ordering::SeqCst) <= 0 {
            kind = Kind::MoveLabel;
        }
        if kind == Kind::PutShared && plan.shared.is_empty() {
            kind = Kind::Describe;
        }
        if matches!(
            kind,
            Kind::MoveLabel | Kind::RemoveLabel | Kind::MoveCurrent
        ) && rng.percent(plan.refresh)
        {
            let op = perform(&c, &clock, id, &plan.secret, Req::Describe).await;
            learn(&op, &mut known, &mut belief);
            history.push(op);
        }
        let label = rng.pick(&plan.labels).clone();
        let req = match kind {
            Kind::PutShared => {
                let t = rng.pick(&plan.shared).clone();
                Req::Put {
                    value: format!("shared:{t}"),
                    token: t,
                    stages: None,
                }
            }
            Kind::PutContested => {
                let t = rng.pick(&plan.contested).clone();
                Req::Put {
                    value: format!("contested:{t}:client-{id}"),
                    token: t,
                    stages: None,
                }
            }
            Kind::PutUnique => {
                let t = token("unique", id, n);
                Req::Put {
                    value: format!("unique:{t}"),
                    token: t,
                    stages: None,
                }
            }
            Kind::PutLabel => {
                let t = token("labelput", id, n);
                Req::Put {
                    value: format!("labelput:{t}"),
                    token: t,
                    stages: Some(vec![label]),
                }
            }
            Kind::MoveLabel | Kind::MoveCurrent => {
                let label = if kind == Kind::MoveCurrent {
                    CURRENT.to_owned()
                } else {
                    label
                };
                let from = if rng.percent(plan.stale) {
                    Some(rng.pick(&known).clone())
                } else {
                    belief[&label].clone()
                };
                Req::Move {
                    to: Some(rng.pick(&known).clone()),
                    from,
                    label,
                }
            }
            Kind::RemoveLabel => match belief[&label].clone() {
                Some(from) => Req::Move {
                    label,
                    from: Some(from),
                    to: None,
                },
                // Believed detached: attach it without RemoveFromVersionId.
                None => Req::Move {
                    label,
                    from: None,
                    to: Some(rng.pick(&known).clone()),
                },
            },
            Kind::Describe => Req::Describe,
            Kind::GetCurrent => Req::GetCurrent,
            Kind::Delete => Req::Delete,
            Kind::Restore => Req::Restore,
        };
        let op = perform(&c, &clock, id, &plan.secret, req).await;
        learn(&op, &mut known, &mut belief);
        history.push(op);
    }
    history
}

/// What a client learns from an answer: versions that exist, and where labels are.
fn learn(op: &Op, known: &mut Vec<String>, belief: &mut HashMap<String, Option<String>>) {
    match (&op.req, &op.outcome) {
        (_, Outcome::Ok(Answer::Snapshot(s))) => {
            for (label, holder) in belief.iter_mut() {
                *holder = s.holder(label).map(str::to_owned);
            }
            for v in s.stages.keys() {
                if !known.contains(v) {
                    known.push(v.clone());
                }
            }
        }
        (Req::Put { token, .. }, Outcome::Ok(_)) if !known.contains(token) => {
            known.push(token.clone());
        }
        (Req::Move { label, to, .. }, Outcome::Ok(_)) => {
            belief.insert(label.clone(), to.clone());
        }
        _ => {}
    }
}

/// Runs `clients` workers and a reader on one secret prepared with `versions` versions and
/// `labels`, then collects the final state.
#[allow(clippy::too_many_arguments)]
async fn race(
    test: &'static str,
    versions: usize,
    labels: &[&str],
    shared: usize,
    contested: usize,
    label_puts: usize,
    mix: Vec<(Kind, u32)>,
    refresh: u64,
    stale: u64,
) -> (Harness, Run) {
    let h = Harness::start(test);
    let clients = client_count();
    let ops = ops_per_client();
    let admin = h.client();
    let secret = format!("conc/{test}");
    let labels: Vec<String> = labels.iter().map(|s| (*s).to_owned()).collect();
    let (initial, initial_values) = setup_secret(&admin, &secret, versions, &labels).await;
    // Stay below the version quota: nothing may be pruned, so everything acknowledged stays.
    let uses_unique = mix.iter().any(|(k, w)| *k == Kind::PutUnique && *w > 0);
    let unique = if uses_unique {
        (MAX_VERSIONS - 4).saturating_sub(versions + shared + contested + label_puts)
    } else {
        0
    };
    let plan = Arc::new(Plan {
        secret: secret.clone(),
        labels: labels.clone(),
        shared: (0..shared).map(|i| token("shared", i, 0)).collect(),
        contested: (0..contested).map(|i| token("contested", i, 0)).collect(),
        unique_left: AtomicIsize::new(unique as isize),
        label_puts_left: AtomicIsize::new(label_puts as isize),
        mix,
        initial: initial.clone(),
        versions: {
            let mut v: Vec<String> = initial_values.keys().cloned().collect();
            v.sort();
            v
        },
        refresh,
        stale,
    });
    let clock = Arc::new(Clock(Instant::now()));
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let reader = tokio::spawn(reader(
        h.client(),
        clock.clone(),
        clients,
        secret.clone(),
        stop.clone(),
    ));
    let mut tasks = Vec::new();
    for id in 0..clients {
        tasks.push(tokio::spawn(worker(
            h.client(),
            clock.clone(),
            id,
            plan.clone(),
            ops,
            seed(),
        )));
    }
    let mut run = Run {
        test,
        clients,
        initial,
        initial_values,
        labels,
        ..Run::default()
    };
    for t in tasks {
        run.ops.extend(t.await.expect("a client task"));
    }
    stop.store(true, Ordering::Relaxed);
    run.ops.extend(reader.await.expect("the reader"));
    run.wall = started.elapsed();
    finish(&admin, &clock, clients + 1, &secret, &mut run).await;
    run.exhausted = h.exhausted_writes();
    (h, run)
}

/// UpdateSecretVersionStage races: custom labels and AWSCURRENT moving among 8 versions, with
/// RemoveFromVersionId naming where each client last saw the label. A move whose
/// RemoveFromVersionId no longer holds the label must fail with InvalidParameterException;
/// every snapshot must be consistent and each label's history linearizable.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn label_moves_race() {
    let (_h, run) = race(
        "label_moves",
        8,
        &["blue", "green", "red"],
        0,
        0,
        0,
        vec![
            (Kind::MoveLabel, 45),
            (Kind::RemoveLabel, 5),
            (Kind::MoveCurrent, 30),
            (Kind::Describe, 12),
            (Kind::GetCurrent, 8),
        ],
        50,
        10,
    )
    .await;
    assert_clean(&run);
    let count = |kind: &str, outcome: &str| {
        run.ops
            .iter()
            .filter(|op| op.req.kind() == kind && op.outcome.label().starts_with(outcome))
            .count()
    };
    // The race really raced: moves both succeeded and lost to a concurrent move.
    for kind in [
        "UpdateSecretVersionStage(custom)",
        "UpdateSecretVersionStage(AWSCURRENT)",
    ] {
        assert!(count(kind, "ok") > 0, "no {kind} succeeded");
        assert!(
            count(kind, "InvalidParameterException") > 0,
            "no {kind} lost a race"
        );
    }
    // No versions were added or lost.
    let mut listed = run.final_versions.clone();
    listed.sort();
    let mut initial: Vec<String> = run.initial_values.keys().cloned().collect();
    initial.sort();
    assert_eq!(listed, initial);
    checker_sees_corruptions_of(&run, &initial);
}

/// The checker, on a real history corrupted twice: a move the server acknowledged turned
/// into a refusal, and the final snapshot showing blue elsewhere. A label's successful moves
/// form a path from its initial holder to its final one (a move succeeds only from where the
/// label is), so either corruption leaves no valid order: the search must say so.
fn checker_sees_corruptions_of(run: &Run, versions: &[String]) {
    let moves: Vec<usize> = run
        .ops
        .iter()
        .enumerate()
        .filter(|(_, op)| op.outcome.is_ok())
        .filter(|(_, op)| {
            matches!(&op.req, Req::Move { label, from: Some(f), to: Some(t) }
                if label == "blue" && f != t)
        })
        .map(|(i, _)| i)
        .collect();
    assert!(!moves.is_empty(), "blue never moved");
    let mut lost = run.clone();
    let i = moves[moves.len() / 2];
    let Req::Move {
        from: Some(from), ..
    } = &lost.ops[i].req
    else {
        unreachable!()
    };
    lost.ops[i].outcome = invalid_parameter("blue", from);
    let f = check(&lost);
    assert!(
        f.violations
            .iter()
            .any(|v| v.starts_with("blue: NOT linearizable")),
        "an acknowledged move turned into a refusal went unnoticed: {:?}",
        f.violations
    );

    let mut elsewhere = run.clone();
    let last = elsewhere.ops.last_mut().expect("the final snapshot");
    let Outcome::Ok(Answer::Snapshot(snapshot)) = &mut last.outcome else {
        panic!("the last operation is the final DescribeSecret: {last:?}")
    };
    let holder = snapshot.holder("blue").map(str::to_owned);
    let other = versions
        .iter()
        .find(|v| Some(*v) != holder.as_ref())
        .expect("another version");
    for stages in snapshot.stages.values_mut() {
        stages.retain(|s| s != "blue");
    }
    snapshot.stages.retain(|_, st| !st.is_empty());
    snapshot
        .stages
        .entry(other.clone())
        .or_default()
        .push("blue".into());
    let f = check(&elsewhere);
    assert!(
        f.violations
            .iter()
            .any(|v| v.starts_with("blue: NOT linearizable")),
        "a final snapshot with blue moved went unnoticed: {:?}",
        f.violations
    );
}

/// Everything at once on one secret: idempotent puts, contested tokens, fresh versions, label
/// moves, reads, and DeleteSecret/RestoreSecret interleaved. While the secret is deleted every
/// write and read fails with InvalidRequestException, and nothing else does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_writes_with_delete_restore_race() {
    let (_h, run) = race(
        "mixed",
        4,
        &["blue", "green", "red"],
        12,
        12,
        12,
        vec![
            (Kind::PutShared, 10),
            (Kind::PutContested, 10),
            (Kind::PutUnique, 4),
            (Kind::PutLabel, 2),
            (Kind::MoveLabel, 20),
            (Kind::RemoveLabel, 4),
            (Kind::MoveCurrent, 14),
            (Kind::Describe, 10),
            (Kind::GetCurrent, 8),
            (Kind::Delete, 2),
            (Kind::Restore, 5),
        ],
        50,
        10,
    )
    .await;
    assert_clean(&run);
    let n = |f: &dyn Fn(&Op) -> bool| run.ops.iter().filter(|op| f(op)).count();
    assert!(
        n(&|op| matches!(op.req, Req::Delete) && op.outcome.is_ok()) > 0,
        "the secret was never deleted"
    );
    assert!(
        n(&|op| op.outcome.code() == Some("InvalidRequestException")) > 0,
        "no write met a deleted secret"
    );
    assert!(
        n(&|op| op.outcome.code() == Some("ResourceExistsException")) > 0,
        "no contested token was refused"
    );
    // Each contested token that was created holds exactly one client's value.
    for t in (0..12).map(|i| token("contested", i, 0)) {
        if let Some(v) = run.final_values.get(&t) {
            assert!(
                v.starts_with(&format!("contested:{t}:client-")),
                "{t} holds {v:?}"
            );
        }
    }
    assert!(run.final_versions.len() < MAX_VERSIONS);
}

// ---------------------------------------------------------------------------------------------
// PutSecretValue rounds: every client puts the same token at once
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TokenMode {
    /// Same token, same value: all succeed with one version.
    SameValue,
    /// Same token, a value per client: one client wins.
    DifferentValues,
}

/// Rounds in which all clients put one token `reps` times each, all starting together (a
/// barrier); the next round starts when every put of this one has been answered.
async fn put_rounds(test: &'static str, mode: TokenMode) -> (Run, usize, usize) {
    let h = Harness::start(test);
    let clients = client_count();
    let ops = ops_per_client();
    let rounds = (ops / 4).clamp(1, MAX_VERSIONS - 10);
    let reps = (ops / rounds).max(1);
    let admin = h.client();
    let secret = format!("conc/{test}");
    let (initial, initial_values) = setup_secret(&admin, &secret, 1, &[]).await;
    let clock = Arc::new(Clock(Instant::now()));
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(clients));
    let started = Instant::now();
    let reader = tokio::spawn(reader(
        h.client(),
        clock.clone(),
        clients,
        secret.clone(),
        stop.clone(),
    ));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, clock, barrier, secret) =
            (h.client(), clock.clone(), barrier.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            let mut history = Vec::new();
            for r in 0..rounds {
                barrier.wait().await;
                let t = token("round", r, 0);
                let value = match mode {
                    TokenMode::SameValue => format!("round:{r}"),
                    TokenMode::DifferentValues => format!("round:{r}:client-{id}"),
                };
                for _ in 0..reps {
                    let req = Req::Put {
                        token: t.clone(),
                        value: value.clone(),
                        stages: None,
                    };
                    history.push(perform(&c, &clock, id, &secret, req).await);
                }
            }
            history
        }));
    }
    let mut run = Run {
        test,
        clients,
        initial,
        initial_values,
        ..Run::default()
    };
    for t in tasks {
        run.ops.extend(t.await.expect("a client task"));
    }
    stop.store(true, Ordering::Relaxed);
    run.ops.extend(reader.await.expect("the reader"));
    run.wall = started.elapsed();
    finish(&admin, &clock, clients + 1, &secret, &mut run).await;
    run.exhausted = h.exhausted_writes();
    (run, rounds, reps)
}

/// The label placement after the last round: AWSCURRENT on the last round's version,
/// AWSPREVIOUS on the one before (rounds are sequential, so this is determined).
fn assert_final_rounds(run: &Run, rounds: usize) {
    let last = run
        .ops
        .iter()
        .rev()
        .find_map(|op| match &op.outcome {
            Outcome::Ok(Answer::Snapshot(s)) => Some(s),
            _ => None,
        })
        .expect("a final snapshot");
    let previous = if rounds >= 2 {
        token("round", rounds - 2, 0)
    } else {
        token("init", 0, 0)
    };
    assert_eq!(
        last.holder(CURRENT),
        Some(token("round", rounds - 1, 0).as_str())
    );
    assert_eq!(last.holder(PREVIOUS), Some(previous.as_str()));
    let mut listed = run.final_versions.clone();
    listed.sort();
    let mut want: Vec<String> = (0..rounds)
        .map(|r| token("round", r, 0))
        .chain([token("init", 0, 0)])
        .collect();
    want.sort();
    assert_eq!(listed, want, "exactly one version per token");
}

/// Same ClientRequestToken, same value, from every client at once: every put succeeds with
/// that VersionId, and exactly one version is created per token.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn put_same_token_same_value_race() {
    let (run, rounds, reps) = put_rounds("put_same_value", TokenMode::SameValue).await;
    assert_clean(&run);
    let puts: Vec<&Op> = run
        .ops
        .iter()
        .filter(|op| matches!(op.req, Req::Put { .. }))
        .collect();
    assert_eq!(puts.len(), run.clients * rounds * reps);
    for op in &puts {
        let Req::Put { token, .. } = &op.req else {
            unreachable!()
        };
        match &op.outcome {
            Outcome::Ok(Answer::Put { version_id }) => assert_eq!(version_id, token),
            other => panic!("an idempotent put failed: {other:?}"),
        }
    }
    for r in 0..rounds {
        assert_eq!(
            run.final_values.get(&token("round", r, 0)),
            Some(&format!("round:{r}"))
        );
    }
    assert_final_rounds(&run, rounds);
}

/// Same ClientRequestToken, a different value from each client at once: exactly one client's
/// puts succeed (every one of them, with that VersionId), every other put is refused with
/// ResourceExistsException, and the version holds the winner's value.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn put_same_token_different_values_race() {
    let (run, rounds, reps) = put_rounds("put_different_values", TokenMode::DifferentValues).await;
    assert_clean(&run);
    for r in 0..rounds {
        let t = token("round", r, 0);
        let puts: Vec<&Op> = run
            .ops
            .iter()
            .filter(|op| matches!(&op.req, Req::Put { token, .. } if *token == t))
            .collect();
        assert_eq!(puts.len(), run.clients * reps);
        let winners: BTreeSet<usize> = puts
            .iter()
            .filter(|op| op.outcome.is_ok())
            .map(|op| op.client)
            .collect();
        assert_eq!(winners.len(), 1, "round {r}: winners {winners:?}");
        let winner = *winners.first().expect("a winner");
        for op in &puts {
            if op.client == winner {
                assert!(
                    matches!(&op.outcome, Outcome::Ok(Answer::Put { version_id }) if *version_id == t),
                    "the winner's put: {:?}",
                    op.outcome
                );
            } else {
                assert_eq!(op.outcome.code(), Some("ResourceExistsException"));
            }
        }
        assert_eq!(
            run.final_values.get(&t),
            Some(&format!("round:{r}:client-{winner}"))
        );
    }
    assert_final_rounds(&run, rounds);
}

/// Distinct tokens from every client at once: all succeed, every version exists with its
/// value, and AWSCURRENT ends on a version whose put no other put followed in real time.
/// Then the version quota under the same race: with 100 versions allowed, exactly as many
/// further puts succeed as fit, and the rest get LimitExceededException.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn put_distinct_tokens_race() {
    let h = Harness::start("put_distinct");
    let clients = client_count();
    let per_client = ((MAX_VERSIONS - 4) / clients).clamp(1, 3);
    let admin = h.client();
    let secret = "conc/put_distinct".to_owned();
    let (initial, initial_values) = setup_secret(&admin, &secret, 1, &[]).await;
    let clock = Arc::new(Clock(Instant::now()));
    let stop = Arc::new(AtomicBool::new(false));
    let barrier = Arc::new(Barrier::new(clients));
    let started = Instant::now();
    let reader = tokio::spawn(reader(
        h.client(),
        clock.clone(),
        clients,
        secret.clone(),
        stop.clone(),
    ));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, clock, barrier, secret) =
            (h.client(), clock.clone(), barrier.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut history = Vec::new();
            for k in 0..per_client {
                let t = token("distinct", id, k);
                let req = Req::Put {
                    value: format!("distinct:{t}"),
                    token: t,
                    stages: None,
                };
                history.push(perform(&c, &clock, id, &secret, req).await);
            }
            history
        }));
    }
    let mut run = Run {
        test: "put_distinct",
        clients,
        initial,
        initial_values,
        ..Run::default()
    };
    for t in tasks {
        run.ops.extend(t.await.expect("a client task"));
    }
    stop.store(true, Ordering::Relaxed);
    run.ops.extend(reader.await.expect("the reader"));
    run.wall = started.elapsed();
    finish(&admin, &clock, clients + 1, &secret, &mut run).await;
    run.exhausted = h.exhausted_writes();
    // The invariants first; the 5xx (the server giving up under contention) at the end, so
    // the quota race below runs either way.
    let findings = assert_invariants(&run);

    let puts: Vec<&Op> = run
        .ops
        .iter()
        .filter(|op| matches!(op.req, Req::Put { .. }))
        .collect();
    assert_eq!(puts.len(), clients * per_client);
    let acknowledged: Vec<&&Op> = puts.iter().filter(|op| op.outcome.is_ok()).collect();
    assert_eq!(run.final_versions.len(), 1 + acknowledged.len());
    for op in &acknowledged {
        let Req::Put { token, value, .. } = &op.req else {
            unreachable!()
        };
        assert_eq!(run.final_values.get(token), Some(value));
    }
    let last = match &run.ops.last().expect("the final snapshot").outcome {
        Outcome::Ok(Answer::Snapshot(s)) => s.clone(),
        other => panic!("final snapshot: {other:?}"),
    };
    let holder = last.holder(CURRENT).expect("AWSCURRENT").to_owned();
    let held_by = acknowledged
        .iter()
        .find(|op| matches!(&op.req, Req::Put { token, .. } if *token == holder))
        .expect("AWSCURRENT on one of the race's versions");
    assert!(
        !acknowledged.iter().any(|op| op.inv > held_by.ret),
        "AWSCURRENT on {holder}, but a put started after it was acknowledged"
    );

    // The quota, raced: fill the secret to exactly 100 versions and not one more.
    let have = run.final_versions.len();
    let room = MAX_VERSIONS - have;
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, barrier, secret) = (h.client(), barrier.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let t = token("quota", id, 0);
            c.put_secret_value()
                .secret_id(&secret)
                .client_request_token(&t)
                .secret_string(format!("quota:{t}"))
                .send()
                .await
                .map(|o| o.version_id().map(str::to_owned))
                .map_err(|e| {
                    (
                        common::code(&e),
                        e.raw_response().map(|r| r.status().as_u16()),
                    )
                })
        }));
    }
    let (mut ok, mut limit, mut five) = (0, 0, 0);
    for t in tasks {
        match t.await.expect("a quota task") {
            Ok(_) => ok += 1,
            Err((code, _)) if code == "LimitExceededException" => limit += 1,
            Err((_, Some(status))) if status >= 500 => five += 1,
            Err(other) => panic!("a quota put: {other:?}"),
        }
    }
    let listed = admin
        .list_secret_version_ids()
        .secret_id(&secret)
        .include_deprecated(true)
        .max_results(100)
        .send()
        .await
        .expect("list");
    assert_eq!(
        listed.versions().len(),
        have + ok,
        "versions after the quota race"
    );
    assert!(listed.next_token().is_none());
    if five == 0 {
        assert_eq!(ok, room.min(clients), "puts that fit under the quota");
        assert_eq!(limit, clients - ok);
    } else {
        assert!(ok <= room, "{ok} puts past the quota ({room} fit)");
    }

    // Distinct tokens: all succeed.
    assert_no_5xx(&run, &findings);
    assert_eq!(five, 0, "quota race: {five} puts answered 5xx");
    assert_eq!(acknowledged.len(), puts.len());
}

/// GetSecretValue records the day a version was last read (LastAccessedDate). Reads racing
/// with writes must not lose that record: each client puts a version and reads it back by
/// VersionId once, all at the same time; afterwards every version that was read shows a
/// LastAccessedDate.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reads_record_access_dates_under_contention() {
    let h = Harness::start("accessed");
    let clients = client_count();
    let per_client = ((MAX_VERSIONS - 4) / clients).clamp(1, 2);
    let admin = h.client();
    let secret = "conc/accessed".to_owned();
    setup_secret(&admin, &secret, 1, &[]).await;
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, barrier, secret) = (h.client(), barrier.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let mut read = Vec::new();
            for k in 0..per_client {
                let t = token("accessed", id, k);
                let put = c
                    .put_secret_value()
                    .secret_id(&secret)
                    .client_request_token(&t)
                    .secret_string(&t)
                    .send()
                    .await;
                if put.is_err() {
                    continue;
                }
                let got = c
                    .get_secret_value()
                    .secret_id(&secret)
                    .version_id(&t)
                    .send()
                    .await;
                if let Ok(got) = got {
                    assert_eq!(got.secret_string(), Some(t.as_str()));
                    read.push(t);
                }
            }
            read
        }));
    }
    let mut read = BTreeSet::new();
    for t in tasks {
        read.extend(t.await.expect("a client task"));
    }
    assert!(!read.is_empty(), "nothing was read");
    let listed = admin
        .list_secret_version_ids()
        .secret_id(&secret)
        .include_deprecated(true)
        .max_results(100)
        .send()
        .await
        .expect("list versions");
    let unrecorded: Vec<&str> = listed
        .versions()
        .iter()
        .filter(|v| read.contains(v.version_id().unwrap_or_default()))
        .filter(|v| v.last_accessed_date().is_none())
        .filter_map(|v| v.version_id())
        .collect();
    assert!(
        unrecorded.is_empty(),
        "{} of {} versions read by GetSecretValue show no LastAccessedDate: {unrecorded:?}",
        unrecorded.len(),
        read.len()
    );
}

// ---------------------------------------------------------------------------------------------
// How often writes give up under contention
// ---------------------------------------------------------------------------------------------

/// What [`contend`] saw.
#[derive(Debug)]
struct Level {
    clients: usize,
    puts: usize,
    put_5xx: usize,
    /// Median and 99th percentile latency, in ms.
    put_ms: (u128, u128),
    moves: usize,
    move_5xx: usize,
    move_ms: (u128, u128),
    /// Writes the server logged as having lost every compare-and-swap round.
    logged: usize,
}

/// `clients` clients write one secret without any logical conflict: PutSecretValue with their
/// own tokens (`puts` each), then UpdateSecretVersionStage moving their own label back and
/// forth `moves` times, always from where it is. Any failure is the server's.
async fn contend(clients: usize, puts: usize, moves: usize) -> Level {
    let h = Harness::start("contend");
    let admin = h.client();
    let secret = format!("conc/contend-{clients}");
    let labels: Vec<String> = (0..clients).map(|i| format!("own-{i}")).collect();
    setup_secret(&admin, &secret, 2, &labels).await;
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, barrier, secret) = (h.client(), barrier.clone(), secret.clone());
        tasks.push(tokio::spawn(async move {
            // (is a put, latency, HTTP status of a failure)
            let mut out: Vec<(bool, Duration, Option<u16>)> = Vec::new();
            barrier.wait().await;
            for k in 0..puts {
                let t = token("contend", id, k);
                let started = Instant::now();
                let r = c
                    .put_secret_value()
                    .secret_id(&secret)
                    .client_request_token(&t)
                    .secret_string(&t)
                    .send()
                    .await;
                let status = r
                    .err()
                    .map(|e| e.raw_response().map_or(0, |r| r.status().as_u16()));
                out.push((true, started.elapsed(), status));
            }
            // Label own-{id} sits on init-{id % 2}; move it to the other and back.
            let mut at = id % 2;
            for _ in 0..moves {
                let started = Instant::now();
                let r = c
                    .update_secret_version_stage()
                    .secret_id(&secret)
                    .version_stage(format!("own-{id}"))
                    .remove_from_version_id(token("init", at, 0))
                    .move_to_version_id(token("init", 1 - at, 0))
                    .send()
                    .await;
                let status = match r {
                    Ok(_) => {
                        at = 1 - at;
                        None
                    }
                    Err(e) => Some(e.raw_response().map_or(0, |r| r.status().as_u16())),
                };
                out.push((false, started.elapsed(), status));
            }
            out
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("a contending client"));
    }
    let stats = |put: bool| {
        let mut lat: Vec<Duration> = all.iter().filter(|o| o.0 == put).map(|o| o.1).collect();
        lat.sort();
        let n = lat.len();
        let failed = |five: bool| {
            all.iter()
                .filter(|o| o.0 == put && o.2.is_some_and(|s| (s >= 500) == five))
                .count()
        };
        assert_eq!(
            failed(false),
            0,
            "{clients} clients: a 4xx on a write without conflicts"
        );
        let pct = |p: usize| {
            lat.get((n * p / 100).min(n.saturating_sub(1)))
                .map_or(0, |d| d.as_millis())
        };
        (n, failed(true), (pct(50), pct(99)))
    };
    let (puts, put_5xx, put_ms) = stats(true);
    let (moves, move_5xx, move_ms) = stats(false);
    Level {
        clients,
        puts,
        put_5xx,
        put_ms,
        moves,
        move_5xx,
        move_ms,
        logged: h.exhausted_writes(),
    }
}

/// Writes that don't conflict (each of 64 clients moves its own label) all succeed however
/// many clients write the secret at once: contention may slow a write down, never fail it.
/// (The server gives up after 16 lost compare-and-swap rounds and answers 500.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn conflict_free_writes_never_fail_under_contention() {
    let l = contend(2 * client_count(), 0, 25).await;
    println!("{l:?}");
    assert_eq!(
        l.move_5xx, 0,
        "{} of {} UpdateSecretVersionStage by {} clients, none conflicting, answered 5xx ({} \
         logged as \"{EXHAUSTED_LOG}\"); latency p50/p99 {:?} ms",
        l.move_5xx, l.moves, l.clients, l.logged, l.move_ms
    );
}

/// A measurement, run on demand (`--run-ignored only`): [`contend`] at 2 to 64 clients, with
/// 96 versions put in all and 25 label moves per client; the table shows how many writes the
/// server answered with a 5xx because they lost every compare-and-swap round. Fails if any
/// did.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn contention_sweep() {
    let mut table = String::from(
        "clients  puts  put 5xx  put p50/p99 ms   moves  move 5xx  move p50/p99 ms  logged\n",
    );
    let mut failures = 0;
    for clients in [2usize, 4, 8, 16, 32, 64] {
        let l = contend(clients, (MAX_VERSIONS - 4) / clients, 25).await;
        failures += l.put_5xx + l.move_5xx;
        let _ = writeln!(
            table,
            "{:>7} {:>5} {:>8} {:>14} {:>7} {:>9} {:>16} {:>7}",
            l.clients,
            l.puts,
            l.put_5xx,
            format!("{}/{}", l.put_ms.0, l.put_ms.1),
            l.moves,
            l.move_5xx,
            format!("{}/{}", l.move_ms.0, l.move_ms.1),
            l.logged
        );
    }
    println!("{table}");
    assert_eq!(
        failures, 0,
        "writes answered 5xx under contention:\n{table}"
    );
}

// ---------------------------------------------------------------------------------------------
// CreateSecret races on one name
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CreateMode {
    /// Each client its own token and value.
    Distinct,
    /// One token and one value for all.
    SameTokenSameValue,
    /// One token, a value per client.
    SameTokenDifferentValues,
}

/// A client's CreateSecret answer (`Ok((arn, version id))` or the error code and message),
/// with the value it sent.
type CreateAnswer = (Result<(String, String), String>, String);

/// Rounds of every client creating the same name at once; returns, per round, each client's
/// answer (`Ok((arn, version id))` or the error code) and the value it sent.
async fn create_race(mode: CreateMode) -> Vec<Vec<CreateAnswer>> {
    let h = Harness::start("create");
    let clients = client_count();
    let rounds = (ops_per_client() / 4).clamp(2, 50);
    let barrier = Arc::new(Barrier::new(clients));
    let mut tasks = Vec::new();
    for id in 0..clients {
        let (c, barrier) = (h.client(), barrier.clone());
        tasks.push(tokio::spawn(async move {
            let mut answers = Vec::new();
            for r in 0..rounds {
                let (t, value) = match mode {
                    CreateMode::Distinct => (token("create", r, id), format!("round:{r}:{id}")),
                    CreateMode::SameTokenSameValue => (token("create", r, 0), format!("round:{r}")),
                    CreateMode::SameTokenDifferentValues => {
                        (token("create", r, 0), format!("round:{r}:{id}"))
                    }
                };
                barrier.wait().await;
                let out = c
                    .create_secret()
                    .name(format!("conc/create-{r:03}"))
                    .client_request_token(t)
                    .secret_string(&value)
                    .send()
                    .await;
                let answer = match out {
                    Ok(o) => Ok((
                        o.arn().expect("arn").to_owned(),
                        o.version_id().expect("version id").to_owned(),
                    )),
                    Err(e) => Err(format!("{} {}", common::code(&e), common::message(&e))),
                };
                answers.push((answer, value));
            }
            answers
        }));
    }
    let mut per_client = Vec::new();
    for t in tasks {
        per_client.push(t.await.expect("a create task"));
    }
    let mut per_round = vec![Vec::new(); rounds];
    for answers in per_client {
        for (r, a) in answers.into_iter().enumerate() {
            per_round[r].push(a);
        }
    }
    // Each name holds what its winner (or, for a shared token, everyone) sent.
    let admin = h.client();
    for (r, answers) in per_round.iter().enumerate() {
        let name = format!("conc/create-{r:03}");
        let got = admin
            .get_secret_value()
            .secret_id(&name)
            .send()
            .await
            .expect("get the created secret");
        let winners: Vec<&CreateAnswer> = answers.iter().filter(|(a, _)| a.is_ok()).collect();
        let (Ok((arn, version)), value) = winners.first().expect("someone created it") else {
            unreachable!()
        };
        assert_eq!(got.arn(), Some(arn.as_str()));
        assert_eq!(got.version_id(), Some(version.as_str()));
        assert_eq!(got.secret_string(), Some(value.as_str()));
        let versions = admin
            .list_secret_version_ids()
            .secret_id(&name)
            .include_deprecated(true)
            .send()
            .await
            .expect("list versions");
        assert_eq!(versions.versions().len(), 1, "{name}: one version");
    }
    let listed = admin
        .list_secrets()
        .max_results(100)
        .send()
        .await
        .expect("list secrets");
    assert_eq!(listed.secret_list().len(), rounds, "one secret per name");
    per_round
}

/// Every client creates the same name with its own token: exactly one succeeds, all others
/// get ResourceExistsException naming the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_same_name_race() {
    for (r, answers) in create_race(CreateMode::Distinct).await.iter().enumerate() {
        let ok = answers.iter().filter(|(a, _)| a.is_ok()).count();
        assert_eq!(ok, 1, "round {r}: {answers:?}");
        for (a, _) in answers.iter().filter(|(a, _)| a.is_err()) {
            assert_eq!(
                a.as_ref().expect_err("refused"),
                &format!(
                    "ResourceExistsException The operation failed because the secret \
                     conc/create-{r:03} already exists."
                )
            );
        }
    }
}

/// Every client creates the same name with the same token and value: all succeed, with the
/// same ARN and VersionId (the losers of the insert see an idempotent retry).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_same_name_same_token_race() {
    for (r, answers) in create_race(CreateMode::SameTokenSameValue)
        .await
        .iter()
        .enumerate()
    {
        let oks: BTreeSet<&(String, String)> = answers
            .iter()
            .filter_map(|(a, _)| a.as_ref().ok())
            .collect();
        assert_eq!(
            answers.iter().filter(|(a, _)| a.is_ok()).count(),
            answers.len(),
            "round {r}: {answers:?}"
        );
        assert_eq!(oks.len(), 1, "round {r}: one ARN and VersionId: {oks:?}");
        let (_, version) = oks.first().expect("an answer");
        assert_eq!(version, &token("create", r, 0));
    }
}

/// Same name, same token, a value per client: one succeeds, the others are told the version
/// exists (ResourceExistsException).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn create_same_name_same_token_different_values_race() {
    for (r, answers) in create_race(CreateMode::SameTokenDifferentValues)
        .await
        .iter()
        .enumerate()
    {
        assert_eq!(
            answers.iter().filter(|(a, _)| a.is_ok()).count(),
            1,
            "round {r}: {answers:?}"
        );
        for (a, _) in answers.iter().filter(|(a, _)| a.is_err()) {
            let e = a.as_ref().expect_err("refused");
            assert!(e.starts_with("ResourceExistsException "), "{e}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The checker, on histories with known answers
// ---------------------------------------------------------------------------------------------

fn op(client: usize, inv: u64, ret: u64, req: Req, outcome: Outcome) -> Op {
    Op {
        client,
        req,
        inv,
        ret,
        outcome,
    }
}

fn snap(pairs: &[(&str, &[&str])]) -> Outcome {
    Outcome::Ok(Answer::Snapshot(Snapshot {
        deleted: false,
        stages: pairs
            .iter()
            .map(|(v, s)| ((*v).to_owned(), s.iter().map(|x| (*x).to_owned()).collect()))
            .collect(),
    }))
}

fn mv(label: &str, from: &str, to: &str) -> Req {
    Req::Move {
        label: label.into(),
        from: Some(from.into()),
        to: Some(to.into()),
    }
}

fn invalid_parameter(label: &str, from: &str) -> Outcome {
    Outcome::Failed {
        code: "InvalidParameterException".into(),
        status: 400,
        message: format!("The staging label {label} is not attached to version {from}."),
    }
}

/// Versions a, b, c; AWSCURRENT on b, AWSPREVIOUS on a, blue on a.
fn synthetic(ops: Vec<Op>) -> Run {
    let initial = match snap(&[("a", &["AWSPREVIOUS", "blue"]), ("b", &["AWSCURRENT"])]) {
        Outcome::Ok(Answer::Snapshot(s)) => s,
        _ => unreachable!(),
    };
    let values: HashMap<String, String> = ["a", "b", "c"]
        .iter()
        .map(|v| ((*v).to_owned(), format!("value-{v}")))
        .collect();
    Run {
        test: "synthetic",
        clients: 2,
        ops,
        initial,
        initial_values: values,
        labels: vec!["blue".into()],
        final_versions: vec!["a".into(), "b".into(), "c".into()],
        final_values: HashMap::new(),
        ..Run::default()
    }
}

#[test]
fn checker_accepts_a_race_lost_correctly() {
    // Two clients move blue from a at once; one wins, the other is refused; AWSCURRENT moves
    // to c, leaving AWSPREVIOUS on b.
    let run = synthetic(vec![
        op(0, 10, 40, mv("blue", "a", "b"), Outcome::Ok(Answer::Done)),
        op(
            1,
            20,
            50,
            mv("blue", "a", "c"),
            invalid_parameter("blue", "a"),
        ),
        op(0, 60, 70, mv(CURRENT, "b", "c"), Outcome::Ok(Answer::Done)),
        op(
            1,
            80,
            90,
            Req::Describe,
            snap(&[("b", &["blue", "AWSPREVIOUS"]), ("c", &["AWSCURRENT"])]),
        ),
    ]);
    let f = check(&run);
    assert_eq!(f.count, 0, "{:?}", f.violations);
    assert_eq!(f.lin.len(), 3);
}

#[test]
fn checker_rejects_two_winners_of_one_compare_and_swap() {
    // Both moves of blue from a succeed: a lost update (one must have seen blue elsewhere).
    let run = synthetic(vec![
        op(0, 10, 40, mv("blue", "a", "b"), Outcome::Ok(Answer::Done)),
        op(1, 20, 50, mv("blue", "a", "c"), Outcome::Ok(Answer::Done)),
        op(
            1,
            80,
            90,
            Req::Describe,
            snap(&[
                ("a", &["AWSPREVIOUS"]),
                ("b", &["AWSCURRENT"]),
                ("c", &["blue"]),
            ]),
        ),
    ]);
    let f = check(&run);
    assert!(
        f.violations
            .iter()
            .any(|v| v.contains("blue: NOT linearizable")),
        "{:?}",
        f.violations
    );
}

#[test]
fn checker_rejects_a_stale_snapshot_and_a_wrong_previous() {
    // blue moved to b and acknowledged, then a snapshot still shows it on a; and AWSPREVIOUS
    // isn't where the AWSCURRENT move left it.
    let run = synthetic(vec![
        op(0, 10, 20, mv("blue", "a", "b"), Outcome::Ok(Answer::Done)),
        op(0, 30, 40, mv(CURRENT, "b", "c"), Outcome::Ok(Answer::Done)),
        op(
            1,
            50,
            60,
            Req::Describe,
            snap(&[("a", &["blue", "AWSPREVIOUS"]), ("c", &["AWSCURRENT"])]),
        ),
    ]);
    let f = check(&run);
    let all = f.violations.join("\n");
    assert!(
        all.contains("blue: acknowledged change contradicted"),
        "{all}"
    );
    assert!(all.contains("blue: NOT linearizable"), "{all}");
    assert!(all.contains("AWSCURRENT: NOT linearizable"), "{all}");
}

#[test]
fn checker_rejects_two_currents_and_a_refused_winner() {
    let mut run = synthetic(vec![
        op(
            0,
            10,
            20,
            Req::Put {
                token: "t".into(),
                value: "one".into(),
                stages: None,
            },
            Outcome::Failed {
                code: "ResourceExistsException".into(),
                status: 400,
                message: EXISTING_VERSION.into(),
            },
        ),
        op(
            1,
            30,
            40,
            Req::Describe,
            snap(&[("a", &["AWSCURRENT"]), ("b", &["AWSCURRENT"])]),
        ),
    ]);
    run.final_versions.push("t".into());
    run.final_values.insert("t".into(), "one".into());
    let all = check(&run).violations.join("\n");
    assert!(all.contains("not exactly one AWSCURRENT"), "{all}");
    assert!(all.contains("refused the value the version holds"), "{all}");
    assert!(
        all.contains("exists though every put of it failed"),
        "{all}"
    );
}
