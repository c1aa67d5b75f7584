//! Cofre's fuzz targets (cargo-fuzz / libFuzzer), one module each; `fuzz_targets/<name>.rs`
//! only hands libFuzzer's bytes to `<name>::run`.
//!
//! | target | what it reaches |
//! |---|---|
//! | [`request_decoding`] | every operation's request decoding and validation: awsJson (Secrets Manager, KMS, CloudTrail) and awsQuery (IAM, STS) |
//! | [`sigv4`] | the `Authorization` header parser, query-auth detection, canonicalisation, `prepare` and `verify` |
//! | [`policy`] | IAM policy parsing and validation for every kind, and evaluation against fixed requests |
//! | [`schedule`] | rotation rules (`rate()`, `cron()`, `Duration`, `AutomaticallyAfterDays`) and their windows |
//! | [`store_records`] | decoding of everything the store keeps: secret metadata and sealed values, KMS keys, aliases and ciphertexts, access keys, IAM records, audit records, SQLite rows |
//!
//! Every target must never panic, hang or run out of memory, whatever its input; errors
//! are the expected outcome for most inputs. Where a decoder has an encoder, the target also
//! checks that what decodes re-encodes to something that decodes to the same thing (a
//! failed check is a panic, hence a finding).
//!
//! Each module's doc gives its input format; the seed corpora are under `corpus/<name>/`
//! (see `corpus/README.md`), `smoke.sh` runs every target over its corpus, and
//! `tests/corpus.rs` replays the corpora under `cargo test`.

use std::future::Future;

pub mod policy;
pub mod request_decoding;
pub mod schedule;
pub mod sigv4;
pub mod store_records;

thread_local! {
    /// One single-threaded runtime per fuzzing thread: the decoders under test are async only
    /// because their callers are.
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime for the fuzz targets");
}

/// Runs `fut` to completion on this thread's runtime.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(fut))
}
