//! `ListAccounts {}`: every registered account, ordered by id.

use cofre_api::{ApiError, Context};
use serde::{Deserialize, Serialize};

use super::{authorize, encode, iam_error};
use crate::Service;

/// ListAccounts takes no members.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Input {}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct Output {
    accounts: Vec<AccountEntry>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountEntry {
    account_id: String,
    /// Epoch seconds with a fraction, as Secrets Manager sends dates.
    created_date: f64,
}

/// Answers `{Accounts: [{AccountId, CreatedDate}]}`.
pub(super) async fn run(svc: &Service, ctx: &Context, _input: Input) -> Result<Vec<u8>, ApiError> {
    authorize(svc, ctx, "ListAccounts", "*").await?;
    let accounts = svc
        .iam()
        .list_accounts()
        .await
        .map_err(|e| iam_error("", e))?
        .into_iter()
        .map(|a| AccountEntry {
            account_id: a.account_id,
            created_date: a.create_date_ms as f64 / 1000.0,
        })
        .collect();
    encode(&Output { accounts })
}
