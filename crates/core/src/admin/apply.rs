//! `Apply {Document, DryRun}`: converges the identities of the accounts a document names to
//! exactly what it says (see [`super::document`] for the format and [`super::plan`] for the
//! order of the changes), and answers `{Changes: ["created user alice in 111122223333", ...]}`.
//!
//! The whole document is validated before anything is read or changed: a bad policy, an
//! unknown key or a dangling reference changes nothing. With `DryRun` the plan is answered
//! and nothing changes. Applying the same document twice answers no changes the second time.
//!
//! A failure half-way (a store error, or a concurrent IAM call that got in the way) stops at
//! the failing step; the error says how far it got, and applying again carries on from
//! there, since every run plans from what the store holds at that moment.

use cofre_api::{ApiError, Context};
use serde::{Deserialize, Serialize};

use super::document::{validate, Document};
use super::plan::plan;
use super::{authorize, encode, iam_error, state};
use crate::Service;

/// Apply's input.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub(super) struct Input {
    /// The document, parsed by the operation itself so its errors are validation errors
    /// naming the offending key.
    document: serde_json::Value,
    #[serde(default)]
    dry_run: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    changes: Vec<String>,
    dry_run: bool,
}

/// Runs Apply.
pub(super) async fn run(svc: &Service, ctx: &Context, input: Input) -> Result<Vec<u8>, ApiError> {
    authorize(svc, ctx, "Apply", "*").await?;
    let doc: Document = serde_json::from_value(input.document)
        .map_err(|e| ApiError::validation(format!("Invalid document: {e}")))?;
    let desired = validate(&doc)?;

    let mut steps = Vec::new();
    for want in &desired {
        let have = state::read(svc.iam(), &want.id)
            .await
            .map_err(|e| iam_error(&format!("reading account {}", want.id), e))?;
        steps.extend(plan(want, &have));
    }
    let mut changes = Vec::with_capacity(steps.len());
    for (done, step) in steps.iter().enumerate() {
        let change = step.describe();
        if !input.dry_run {
            step.run(svc).await.map_err(|e| {
                let e = iam_error(&format!("could not make the change \"{change}\""), e);
                let message = format!(
                    "{} ({done} of {} changes were made before it; apply again to carry on)",
                    e.message,
                    steps.len()
                );
                ApiError::new(e.code, message)
            })?;
            tracing::info!(account_id = %step.account, change = %change, "admin: apply");
        }
        changes.push(change);
    }
    encode(&Output {
        changes,
        dry_run: input.dry_run,
    })
}
