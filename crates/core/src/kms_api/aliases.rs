//! Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.
//!
//! As on AWS, changing an alias needs the action on the alias itself (decided on its ARN by
//! the caller's policies) and on each key involved (by its key policy): CreateAlias on the
//! target key, UpdateAlias on the key it leaves and the key it moves to, DeleteAlias on the
//! key it points at. Aliases are always the caller's own account's.

use cofre_api::kms::{
    AliasListEntry, CreateAliasRequest, CreateAliasResponse, DeleteAliasRequest,
    DeleteAliasResponse, ListAliasesRequest, ListAliasesResponse, UpdateAliasRequest,
    UpdateAliasResponse,
};
use cofre_api::{ApiError, Context};

use super::{alias_arn, authz_err, kms_err, request_keys, required, ts};
use crate::authz::ResourceFacts;
use crate::kms::Page;
use crate::Service;

impl Service {
    /// Decides `action` on the alias `alias_name` of the caller's account.
    async fn authorize_alias(
        &self,
        ctx: &Context,
        action: &str,
        alias_name: &str,
    ) -> Result<(), ApiError> {
        let facts = ResourceFacts {
            arn: alias_arn(ctx, alias_name),
            account: Some(ctx.account_id.clone()),
            ..Default::default()
        };
        self.decide(ctx, action, &facts, request_keys(ctx, None))
            .await
            .map_err(authz_err)
    }
}

pub(super) async fn create_alias(
    svc: &Service,
    ctx: &Context,
    input: CreateAliasRequest,
) -> Result<CreateAliasResponse, ApiError> {
    let alias_name = required(input.alias_name, "aliasName")?;
    let target = required(input.target_key_id, "targetKeyId")?;
    svc.authorize_alias(ctx, "kms:CreateAlias", &alias_name)
        .await?;
    let key = svc
        .resolve_key(
            ctx,
            &target,
            "kms:CreateAlias",
            request_keys(ctx, Some(&target)),
        )
        .await?;
    svc.kms
        .create_alias(&ctx.account_id, &ctx.region, &alias_name, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(CreateAliasResponse {})
}

pub(super) async fn update_alias(
    svc: &Service,
    ctx: &Context,
    input: UpdateAliasRequest,
) -> Result<UpdateAliasResponse, ApiError> {
    let alias_name = required(input.alias_name, "aliasName")?;
    let target = required(input.target_key_id, "targetKeyId")?;
    svc.authorize_alias(ctx, "kms:UpdateAlias", &alias_name)
        .await?;
    // The key the alias points at now (an alias name resolves to its key).
    svc.resolve_key(
        ctx,
        &alias_name,
        "kms:UpdateAlias",
        request_keys(ctx, Some(&alias_name)),
    )
    .await?;
    let key = svc
        .resolve_key(
            ctx,
            &target,
            "kms:UpdateAlias",
            request_keys(ctx, Some(&target)),
        )
        .await?;
    svc.kms
        .update_alias(&ctx.account_id, &ctx.region, &alias_name, &key.arn)
        .await
        .map_err(kms_err)?;
    Ok(UpdateAliasResponse {})
}

pub(super) async fn delete_alias(
    svc: &Service,
    ctx: &Context,
    input: DeleteAliasRequest,
) -> Result<DeleteAliasResponse, ApiError> {
    let alias_name = required(input.alias_name, "aliasName")?;
    svc.authorize_alias(ctx, "kms:DeleteAlias", &alias_name)
        .await?;
    svc.resolve_key(
        ctx,
        &alias_name,
        "kms:DeleteAlias",
        request_keys(ctx, Some(&alias_name)),
    )
    .await?;
    svc.kms
        .delete_alias(&ctx.account_id, &ctx.region, &alias_name)
        .await
        .map_err(kms_err)?;
    Ok(DeleteAliasResponse {})
}

pub(super) async fn list_aliases(
    svc: &Service,
    ctx: &Context,
    input: ListAliasesRequest,
) -> Result<ListAliasesResponse, ApiError> {
    svc.authorize_any_key(ctx, "kms:ListAliases", request_keys(ctx, None))
        .await?;
    let page = Page {
        marker: input.marker,
        limit: input.limit,
    };
    let listed = svc
        .kms
        .list_aliases(&ctx.account_id, &ctx.region, input.key_id.as_deref(), &page)
        .await
        .map_err(kms_err)?;
    Ok(ListAliasesResponse {
        aliases: Some(
            listed
                .items
                .into_iter()
                .map(|a| AliasListEntry {
                    alias_name: Some(a.alias_name),
                    alias_arn: Some(a.alias_arn),
                    target_key_id: a.target_key_id,
                    // AWS-managed aliases not yet in use have no key and no dates.
                    creation_date: (a.creation_ms > 0).then(|| ts(a.creation_ms)),
                    last_updated_date: (a.last_updated_ms > 0).then(|| ts(a.last_updated_ms)),
                })
                .collect(),
        ),
        next_marker: listed.next_marker.filter(|_| listed.truncated),
        truncated: Some(listed.truncated),
    })
}
