//! The AWS IAM policy language for Cofre: parsing, validation and evaluation, exactly as AWS
//! documents it. Pure functions, no I/O.
//!
//! ```
//! use cofre_policy::{evaluate, Decision, Policy, PolicyKind, Principal, RequestContext};
//!
//! let identity = Policy::parse(
//!     r#"{"Version": "2012-10-17", "Statement": {"Effect": "Allow",
//!         "Action": "secretsmanager:GetSecretValue",
//!         "Resource": "arn:aws:secretsmanager:*:111122223333:secret:prod/*"}}"#,
//!     PolicyKind::Identity,
//! )?;
//! let alice = Principal::from_arn("arn:aws:iam::111122223333:user/alice").unwrap();
//! let req = RequestContext::new(
//!     alice,
//!     "secretsmanager:GetSecretValue",
//!     "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
//! );
//! assert_eq!(evaluate(&req, &[&identity], None, None).decision, Decision::Allow);
//! # Ok::<(), cofre_policy::PolicyError>(())
//! ```
//!
//! # Layout
//!
//! * `document.rs`: [`Policy::parse`] — grammar, then IAM's validation stages in IAM's order,
//!   then compilation; [`PolicyKind`], [`PolicyVersion`].
//! * `error.rs`: [`PolicyError`] and [`messages`], AWS's `MalformedPolicyDocument` texts with
//!   their sources.
//! * `wildcard.rs`: `*` / `?` patterns and `${...}` policy variables, matched without regular
//!   expressions.
//! * `condition.rs`: condition operators, `...IfExists`, `ForAnyValue:` / `ForAllValues:`,
//!   missing-key rules. `scalar.rs`: numbers, ISO 8601 / epoch dates, CIDR ranges.
//! * `principal.rs`: `Principal` / `NotPrincipal` elements and how a caller matches them.
//! * `context.rs`: the request — [`Principal`], [`RequestContext`], [`ContextKeys`].
//! * `evaluate.rs`: [`evaluate`] (AWS's same-account and cross-account logic),
//!   [`trust_allows`] / [`trust_grant`], [`DenyReason::message_tail`],
//!   [`access_denied_message`].
//! * `public.rs`: [`Policy::is_public`] (`BlockPublicPolicy`) and [`validate`]
//!   (`ValidateResourcePolicy`).
//! * `cache.rs`: [`PolicyCache`], compiled policies keyed by document text.
//!
//! Tests: table-driven evaluation cases in `tests/evaluation.rs`, IAM's documented example
//! policies as known-answer tests in `tests/known_answers.rs`, exact parse-error texts in
//! `tests/parse_errors.rs`, `BlockPublicPolicy` / `ValidateResourcePolicy` in
//! `tests/public_policy.rs`, "deny always wins" over generated combinations in
//! `tests/deny_wins.rs`, mangled and hostile documents in `tests/robustness.rs`; a criterion
//! benchmark in `benches/evaluate.rs`.
//!
//! # Security notes
//!
//! * **Parse fully before acting.** A document is validated in full and compiled before it can
//!   be evaluated; a [`Policy`] cannot exist in a half-checked state. Typed condition values
//!   (dates, numbers, CIDR ranges) are parsed at that point, so a broken value is a
//!   `MalformedPolicyDocument` when the policy is stored, never a surprise at request time.
//! * **Default deny; deny wins.** Nothing is allowed unless a statement allows it, and one
//!   applicable `Deny` in any policy denies, whatever else allows. Ambiguous cases fail
//!   towards denial: a request value of the wrong type satisfies neither an operator nor its
//!   negation; an unresolvable policy variable makes that element match nothing; a
//!   resource-slot statement without a principal can deny but never allow; `NotPrincipal`
//!   with `Deny` exempts a session only if its account, role and session are all named.
//! * **No regular expressions, no exponential matching.** Wildcards are matched by a greedy
//!   matcher that backtracks only to the last `*`: O(pattern × text) at worst, so a hostile
//!   document cannot stall a request. JSON nesting is bounded by `serde_json`'s recursion limit;
//!   callers bound document size (Secrets Manager: 20 480 characters).
//! * **Substituted values are literal.** A policy variable's value never acts as a wildcard
//!   (`${aws:username}` = `a*` matches only `a*`); `${*}`, `${?}`, `${$}` are literal too.
//!   Variables are substituted only under `"Version": "2012-10-17"`.
//! * **Principals are exact.** No wildcards inside principal ARNs (IAM refuses them); a role
//!   ARN matches the role's sessions; an account matches its principals only as a delegation
//!   (see [`evaluate`]).
//! * **No panics on input.** Parsers reject malformed input with an error; there is no
//!   `unwrap` outside tests. `unsafe` is forbidden workspace-wide.

#![warn(missing_docs)]

mod cache;
mod condition;
mod context;
mod document;
mod error;
mod evaluate;
mod principal;
mod public;
mod scalar;
mod wildcard;

pub use cache::{PolicyCache, DEFAULT_CACHE_BYTES, DEFAULT_CACHE_ENTRIES};
pub use context::{ContextKeys, Principal, RequestContext};
pub use document::{Policy, PolicyKind, PolicyVersion};
pub use error::{messages, PolicyError};
pub use evaluate::{
    access_denied_message, evaluate, trust_allows, trust_grant, Decision, DenyReason, Evaluation,
    TrustGrant,
};
pub use public::{checks, validate, Finding};
