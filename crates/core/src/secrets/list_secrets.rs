//! ListSecrets, and the filtered, sorted, cursor-paged scan BatchGetSecretValue shares.

use cofre_api::{ApiError, Context, ErrorCode, Filter, ListSecretsRequest, ListSecretsResponse};
use cofre_store::Scope;
use serde::{Deserialize, Serialize};

use super::describe_secret::list_entry;
use super::filters::{compare, compile, matches_all, SortBy, SortKey};
use super::model::Secret;
use super::{paging, Service};
use crate::authz::Target;
use crate::error::internal;

/// Where the previous page ended: its sort settings and last item.
#[derive(Serialize, Deserialize)]
struct Cursor {
    s: SortBy,
    d: bool,
    k: SortKey,
    a: String,
}

/// One page of a scan.
pub(super) struct Page {
    pub items: Vec<Secret>,
    pub next_token: Option<String>,
}

/// What to scan.
pub(super) struct Scan<'a> {
    pub filters: &'a [Filter],
    pub sort_by: SortBy,
    pub descending: bool,
    pub include_deleted: bool,
    pub max: usize,
    pub next_token: Option<&'a str>,
}

pub(super) async fn scan(svc: &Service, ctx: &Context, q: Scan<'_>) -> Result<Page, ApiError> {
    let matchers = compile(q.filters)?;
    let after = match q.next_token {
        Some(t) => {
            let c: Cursor = paging::decode(t)?;
            if c.s != q.sort_by || c.d != q.descending {
                return Err(ApiError::new(
                    ErrorCode::InvalidNextTokenException,
                    "The NextToken value is invalid.",
                ));
            }
            Some((c.k, c.a))
        }
        None => None,
    };
    let scope = Scope {
        account_id: ctx.account_id.clone(),
        region: ctx.region.clone(),
    };
    let rows = svc.store.list_secrets(&scope).await.map_err(internal)?;
    let mut keyed = Vec::new();
    for row in rows {
        let s = Secret::from_row(row)?;
        if (!q.include_deleted && s.is_deleted()) || !matches_all(&matchers, &s) {
            continue;
        }
        let key = (q.sort_by.key(&s), s.row.arn.clone());
        if let Some(a) = &after {
            if compare(&key, a, q.descending) != std::cmp::Ordering::Greater {
                continue;
            }
        }
        keyed.push((key, s));
    }
    keyed.sort_by(|a, b| compare(&a.0, &b.0, q.descending));
    let more = keyed.len() > q.max;
    keyed.truncate(q.max);
    let next_token = match (more, keyed.last()) {
        (true, Some(((k, a), _))) => Some(paging::encode(&Cursor {
            s: q.sort_by,
            d: q.descending,
            k: k.clone(),
            a: a.clone(),
        })?),
        _ => None,
    };
    Ok(Page {
        items: keyed.into_iter().map(|(_, s)| s).collect(),
        next_token,
    })
}

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: ListSecretsRequest,
) -> Result<ListSecretsResponse, ApiError> {
    svc.authorize(
        ctx,
        "secretsmanager:ListSecrets",
        Target::Any,
        Default::default(),
    )
    .await?;
    let page = scan(
        svc,
        ctx,
        Scan {
            filters: input.filters.as_deref().unwrap_or_default(),
            sort_by: SortBy::parse(input.sort_by.as_deref()),
            descending: input.sort_order.as_deref() == Some("desc"),
            include_deleted: input.include_planned_deletion.unwrap_or(false),
            max: input.max_results.unwrap_or(100).clamp(1, 100) as usize,
            next_token: input.next_token.as_deref(),
        },
    )
    .await?;
    let now = svc.now_ms();
    Ok(ListSecretsResponse {
        secret_list: Some(page.items.iter().map(|s| list_entry(s, now)).collect()),
        next_token: page.next_token,
    })
}
