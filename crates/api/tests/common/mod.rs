//! Helpers shared by the integration tests.

#![allow(dead_code)]

use std::future::Future;
use std::pin::pin;
use std::task::{Context as TaskContext, Poll, Waker};

use cofre_api::{dispatch, ApiError, Context, Operation, SecretsManager};

/// Runs a future to completion on this thread. The futures under test never wait on I/O,
/// so polling in a loop is enough (and keeps an async runtime out of the dependencies).
pub fn block_on<F: Future>(fut: F) -> F::Output {
    let mut fut = pin!(fut);
    let mut cx = TaskContext::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = fut.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

/// A service that implements nothing: every operation answers "not supported yet".
pub struct Unimplemented;

impl SecretsManager for Unimplemented {}

/// A request context for tests.
pub fn ctx() -> Context {
    Context {
        account_id: "123456789012".into(),
        region: "us-west-2".into(),
        request_id: "req-1".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        principal_arn: "arn:aws:iam::123456789012:root".into(),
        source_ip: None,
        ..Default::default()
    }
}

/// Dispatches `body` to `op` on `svc`.
pub fn call<S: SecretsManager>(svc: &S, op: Operation, body: &str) -> Result<Vec<u8>, ApiError> {
    block_on(dispatch(svc, &ctx(), op, body.as_bytes()))
}

/// The `ValidationException` message for `body` sent to `op` (panics on anything else).
pub fn validation_message(op: Operation, body: &str) -> String {
    let err = call(&Unimplemented, op, body).expect_err("expected an error");
    assert_eq!(err.code_str(), "ValidationException", "{err}");
    assert_eq!(err.status(), 400);
    err.message
}

/// Asserts that `body` passes decoding and validation for `op` (the unimplemented service
/// then answers its placeholder error).
pub fn assert_valid(op: Operation, body: &str) {
    let err = call(&Unimplemented, op, body).expect_err("Unimplemented never succeeds");
    assert_eq!(err, ApiError::not_implemented(op), "{op} rejected {body}");
}

/// The AWS examples file (`shared/` sits beside the repository).
pub fn examples() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/api-models/secretsmanager.examples.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    serde_json::from_str(&text).expect("examples are JSON")
}
