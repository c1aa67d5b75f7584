//! Secret rotation: RotateSecret's configuration, AWS's four-step protocol, rotation
//! functions and the scheduler.
//!
//! | file | what |
//! |---|---|
//! | `schedule.rs` | `RotationRules`: `rate()`, `cron()`, `Duration`, windows, NextRotationDate |
//! | `functions.rs` | rotation functions: the built-ins, and `exec`/`webhook` functions registered with the admin API, by Lambda ARN |
//! | `invoke.rs` | running one step of one function: in-process built-ins, a child process, a signed POST |
//! | `scope.rs` | the credentials a step runs with: a session of the account's rotation role, bounded by a policy naming the one secret |
//! | `engine.rs` | a rotation run as a state machine stored in the secret's row: claim (lease), step, retry with backoff, finish |
//! | `scheduler.rs` | which secrets are due, and the loop that drives the engine |
//!
//! The API operations RotateSecret and CancelRotateSecret live with the other operations in
//! `secrets/`.
//!
//! # State
//!
//! Everything lives in the secret's row ([`RotationState`] in its metadata), so every change
//! is a compare-and-swap on the row's revision, and the state survives restarts and is shared
//! by every node on one store. A run records the next step to perform; a node claims a run
//! with a lease (owner and expiry) written by compare-and-swap, renews it while a step runs,
//! and records each finished step before starting the next. Another node takes a run over
//! only when the lease has expired, and then repeats at most the one step that was in flight,
//! which AWS's protocol makes idempotent. A small index namespace lists the secrets with
//! rotation configured, so the scheduler reads only those.

pub mod engine;
pub mod functions;
pub mod invoke;
pub mod schedule;
pub mod scheduler;
pub mod scope;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use cofre_rotators::Step;
pub use schedule::RulesInput;

/// Rotation configuration and progress of one secret, kept in its metadata.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationState {
    /// Whether automatic rotation is on (CancelRotateSecret turns it off).
    pub enabled: bool,
    /// The rotation function's Lambda ARN.
    pub lambda_arn: Option<String>,
    /// The rules as given to RotateSecret.
    pub rules: Option<RulesInput>,
    /// When the last rotation finished successfully, ms.
    pub last_rotated_ms: Option<i64>,
    /// When rotation was last configured (or turned back on), ms.
    pub configured_ms: i64,
    /// The start of the scheduled window in which a run was last started, ms, so one
    /// window starts at most one run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_window_start_ms: Option<i64>,
    /// The rotation in progress, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<Run>,
    /// The last failure of a step, kept until a rotation succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<Failure>,
}

/// A rotation in progress.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Run {
    /// The ClientRequestToken: the id of the version being created.
    pub token: String,
    /// The next step to perform.
    pub step: StepName,
    /// Only testSecret is run (RotateSecret with RotateImmediately=false).
    pub test_only: bool,
    /// When the run started, ms.
    pub started_ms: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time, ms (backoff after a failure).
    pub next_attempt_ms: i64,
    /// After this time a failed run is abandoned, ms.
    pub give_up_ms: i64,
    /// Who is performing the run, and until when the claim holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

/// A node's claim on a run.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The claiming node's id.
    pub owner: String,
    /// The claim lapses at this time, ms.
    pub until_ms: i64,
}

/// The last failed step.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// When, ms.
    pub at_ms: i64,
    /// Which step.
    pub step: StepName,
    /// What went wrong; never a secret value.
    pub message: String,
    /// Whether the run was abandoned after it.
    pub abandoned: bool,
}

/// A step's name as stored and as the Lambda event spells it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepName {
    /// `createSecret`
    #[serde(rename = "createSecret")]
    CreateSecret,
    /// `setSecret`
    #[serde(rename = "setSecret")]
    SetSecret,
    /// `testSecret`
    #[serde(rename = "testSecret")]
    TestSecret,
    /// `finishSecret`
    #[serde(rename = "finishSecret")]
    FinishSecret,
}

impl StepName {
    /// The Lambda event's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreateSecret => "createSecret",
            Self::SetSecret => "setSecret",
            Self::TestSecret => "testSecret",
            Self::FinishSecret => "finishSecret",
        }
    }

    /// The step after this one, `None` after finishSecret.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::CreateSecret => Some(Self::SetSecret),
            Self::SetSecret => Some(Self::TestSecret),
            Self::TestSecret => Some(Self::FinishSecret),
            Self::FinishSecret => None,
        }
    }

    /// The built-in rotators' step.
    pub fn to_step(self) -> Step {
        match self {
            Self::CreateSecret => Step::CreateSecret,
            Self::SetSecret => Step::SetSecret,
            Self::TestSecret => Step::TestSecret,
            Self::FinishSecret => Step::FinishSecret,
        }
    }
}

/// The index namespace of secrets with rotation configured: key = the secret's uid, value =
/// its ARN. An entry may be stale (the secret gone or rotation off); the scheduler drops it.
pub const NS_ROTATING: &str = "rotation-secrets";
