//! Tags: TagResource, UntagResource, ListResourceTags.

use cofre_api::kms::{
    ListResourceTagsRequest, ListResourceTagsResponse, Tag, TagResourceRequest,
    TagResourceResponse, UntagResourceRequest, UntagResourceResponse,
};
use cofre_api::{ApiError, Context};

use super::{add_tag_keys, domain_tags, kms_err, request_keys, required};
use crate::kms::Page;
use crate::Service;

pub(super) async fn tag_resource(
    svc: &Service,
    ctx: &Context,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let tags = domain_tags(input.tags);
    let mut keys = request_keys(ctx, Some(&key_ref));
    add_tag_keys(&mut keys, &tags);
    let key = svc
        .resolve_key(ctx, &key_ref, "kms:TagResource", keys)
        .await?;
    svc.kms
        .tag_resource(&key.account_id, &key.region, &key.arn, tags)
        .await
        .map_err(kms_err)?;
    Ok(TagResourceResponse {})
}

pub(super) async fn untag_resource(
    svc: &Service,
    ctx: &Context,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let tag_keys = input.tag_keys.unwrap_or_default();
    let mut keys = request_keys(ctx, Some(&key_ref));
    if !tag_keys.is_empty() {
        keys.insert_many("aws:TagKeys", tag_keys.clone());
    }
    let key = svc
        .resolve_key(ctx, &key_ref, "kms:UntagResource", keys)
        .await?;
    svc.kms
        .untag_resource(&key.account_id, &key.region, &key.arn, &tag_keys)
        .await
        .map_err(kms_err)?;
    Ok(UntagResourceResponse {})
}

pub(super) async fn list_resource_tags(
    svc: &Service,
    ctx: &Context,
    input: ListResourceTagsRequest,
) -> Result<ListResourceTagsResponse, ApiError> {
    let key_ref = required(input.key_id, "keyId")?;
    let key = svc
        .resolve_key(
            ctx,
            &key_ref,
            "kms:ListResourceTags",
            request_keys(ctx, Some(&key_ref)),
        )
        .await?;
    let page = Page {
        marker: input.marker,
        limit: input.limit,
    };
    let listed = svc
        .kms
        .list_resource_tags(&key.account_id, &key.region, &key.arn, &page)
        .await
        .map_err(kms_err)?;
    Ok(ListResourceTagsResponse {
        tags: Some(
            listed
                .items
                .into_iter()
                .map(|(k, v)| Tag {
                    tag_key: Some(k),
                    tag_value: Some(v),
                })
                .collect(),
        ),
        next_marker: listed.next_marker.filter(|_| listed.truncated),
        truncated: Some(listed.truncated),
    })
}
