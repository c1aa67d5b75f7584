//! BatchGetSecretValue: up to 20 secrets by id, or a filtered page of them.

use cofre_api::{
    APIErrorType, ApiError, BatchGetSecretValueRequest, BatchGetSecretValueResponse, Context,
    GetSecretValueResponse, SecretValueEntry,
};

use super::filters::SortBy;
use super::get_secret_value::read;
use super::list_secrets::{scan, Scan};
use super::Service;
use crate::authz::Target;
use crate::error::invalid_parameter;

const GET: &str = "secretsmanager:GetSecretValue";

fn secret_id_key(s: &super::model::Secret) -> cofre_policy::ContextKeys {
    let mut k = cofre_policy::ContextKeys::default();
    k.insert("secretsmanager:SecretId", s.row.arn.clone());
    k
}

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: BatchGetSecretValueRequest,
) -> Result<BatchGetSecretValueResponse, ApiError> {
    svc.authorize(
        ctx,
        "secretsmanager:BatchGetSecretValue",
        Target::Any,
        Default::default(),
    )
    .await?;
    let mut values = Vec::new();
    let mut errors = Vec::new();
    let mut next_token = None;
    match (input.secret_id_list, input.filters) {
        (Some(ids), None) => {
            if input.max_results.is_some() {
                return Err(invalid_parameter(
                    "'MaxResults' is only valid together with 'Filters'.",
                ));
            }
            for id in ids {
                // AWS authorizes secretsmanager:GetSecretValue on each secret as well.
                let got = match svc.resolve(ctx, &id, GET, Default::default()).await {
                    Ok(s) => read(svc, ctx, s, None, None).await,
                    Err(e) => Err(e),
                };
                push(got, id, &mut values, &mut errors);
            }
        }
        (None, Some(filters)) => {
            let page = scan(
                svc,
                ctx,
                Scan {
                    filters: &filters,
                    sort_by: SortBy::Created,
                    descending: false,
                    include_deleted: false,
                    max: input.max_results.unwrap_or(20).clamp(1, 20) as usize,
                    next_token: input.next_token.as_deref(),
                },
            )
            .await?;
            next_token = page.next_token;
            for s in page.items {
                let id = s.row.arn.clone();
                let got = match svc
                    .authorize(ctx, GET, Target::Secret(&s), secret_id_key(&s))
                    .await
                {
                    Ok(()) => read(svc, ctx, s, None, None).await,
                    Err(e) => Err(e),
                };
                push(got, id, &mut values, &mut errors);
            }
        }
        _ => {
            return Err(invalid_parameter(
                "Either 'SecretIdList' or 'Filters' must be provided, but not both.",
            ))
        }
    }
    Ok(BatchGetSecretValueResponse {
        secret_values: Some(values),
        next_token,
        errors: Some(errors),
    })
}

fn push(
    got: Result<GetSecretValueResponse, ApiError>,
    id: String,
    values: &mut Vec<SecretValueEntry>,
    errors: &mut Vec<APIErrorType>,
) {
    match got {
        Ok(v) => values.push(SecretValueEntry {
            arn: v.arn,
            name: v.name,
            version_id: v.version_id,
            secret_binary: v.secret_binary,
            secret_string: v.secret_string,
            version_stages: v.version_stages,
            created_date: v.created_date,
        }),
        Err(e) => errors.push(APIErrorType {
            secret_id: Some(id),
            error_code: Some(e.code_str().to_owned()),
            message: Some(e.message),
        }),
    }
}
