//! TagResource.

use cofre_api::{ApiError, Context, TagResourceRequest, TagResourceResponse};

use super::rules::{check_tags, merge_tags, tag_keys};
use super::{Committed, Service, MAX_WRITE_ATTEMPTS};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: TagResourceRequest,
) -> Result<TagResourceResponse, ApiError> {
    let new = check_tags(input.tags.as_deref().unwrap_or_default())?;
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(
                ctx,
                &secret_id,
                "secretsmanager:TagResource",
                tag_keys(&new),
            )
            .await?;
        merge_tags(&mut secret.meta.tags, new.clone())?;
        secret.meta.last_changed_ms = svc.now_ms();
        if matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done) {
            return Ok(TagResourceResponse {});
        }
    }
    Err(super::too_much_contention())
}
