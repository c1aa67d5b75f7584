//! SecretId resolution: a name, a full ARN, or a partial ARN (an ARN without the `-xxxxxx`
//! suffix), always within the caller's account and region.

use cofre_api::{ApiError, Context};
use cofre_store::Scope;

use super::model::Secret;
use super::Service;
use crate::error::{internal, not_found};

impl Service {
    /// Finds the secret `secret_id` names in the caller's account and region.
    pub(crate) async fn resolve(&self, ctx: &Context, secret_id: &str) -> Result<Secret, ApiError> {
        self.try_resolve(ctx, secret_id)
            .await?
            .ok_or_else(not_found)
    }

    /// Like [`Service::resolve`], but `Ok(None)` when nothing matches.
    pub(crate) async fn try_resolve(
        &self,
        ctx: &Context,
        secret_id: &str,
    ) -> Result<Option<Secret>, ApiError> {
        let scope = Scope {
            account_id: ctx.account_id.clone(),
            region: ctx.region.clone(),
        };
        let name = if let Some(rest) = secret_id.strip_prefix("arn:") {
            // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[-xxxxxx]
            let parts: Vec<&str> = rest.splitn(6, ':').collect();
            let [_partition, service, region, account, kind, resource] = parts[..] else {
                return Ok(None);
            };
            if service != "secretsmanager"
                || kind != "secret"
                || region != ctx.region
                || account != ctx.account_id
            {
                return Ok(None);
            }
            if let Some(row) = self
                .store
                .get_secret_by_arn(secret_id)
                .await
                .map_err(internal)?
            {
                if row.account_id == ctx.account_id && row.region == ctx.region {
                    return Secret::from_row(row).map(Some);
                }
            }
            resource
        } else {
            secret_id
        };
        match self
            .store
            .get_secret(&scope, name)
            .await
            .map_err(internal)?
        {
            Some(row) => Secret::from_row(row).map(Some),
            None => Ok(None),
        }
    }
}
