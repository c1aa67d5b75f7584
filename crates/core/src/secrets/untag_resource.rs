//! UntagResource.

use cofre_api::{ApiError, Context, UntagResourceRequest, UntagResourceResponse};

use super::{Committed, Service, MAX_WRITE_ATTEMPTS};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: UntagResourceRequest,
) -> Result<UntagResourceResponse, ApiError> {
    let keys = input.tag_keys.unwrap_or_default();
    let secret_id = input.secret_id.unwrap_or_default();
    for _ in 0..MAX_WRITE_ATTEMPTS {
        let mut secret = svc
            .resolve(ctx, &secret_id, "secretsmanager:UntagResource", {
                let mut k = cofre_policy::ContextKeys::default();
                k.insert_many("aws:TagKeys", keys.clone());
                k
            })
            .await?;
        let before = secret.meta.tags.len();
        secret.meta.tags.retain(|t| !keys.contains(&t.key));
        secret.meta.last_changed_ms = svc.now_ms();
        if secret.meta.tags.len() == before
            || matches!(svc.commit(&secret, vec![], vec![]).await?, Committed::Done)
        {
            return Ok(UntagResourceResponse {});
        }
    }
    Err(super::too_much_contention())
}
