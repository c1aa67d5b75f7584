//! SecretId resolution and authorization, together: a name, a full ARN, or a partial ARN
//! (an ARN without the `-xxxxxx` suffix). Names resolve in the caller's account and region;
//! ARNs may name another account's secret in the same region (cross-account access).
//!
//! Every operation on an existing secret goes through [`Service::resolve`], so none can skip
//! authorization. A caller who may not act on the secret gets AccessDeniedException whether
//! or not it exists; only an authorized caller learns that it doesn't.

use cofre_api::{ApiError, Context};
use cofre_policy::ContextKeys;
use cofre_store::Scope;

use super::model::Secret;
use super::Service;
use crate::authz::Target;
use crate::error::{internal, not_found};

impl Service {
    /// Finds the secret `secret_id` names and authorizes `action` on it, with the request's
    /// condition keys in `keys` (`secretsmanager:SecretId` is added here).
    pub(crate) async fn resolve(
        &self,
        ctx: &Context,
        secret_id: &str,
        action: &str,
        mut keys: ContextKeys,
    ) -> Result<Secret, ApiError> {
        // A SecretId that is not an ARN is a name, and must look like one (AWS checks this
        // before anything else).
        if !secret_id.starts_with("arn:") {
            super::rules::check_name(secret_id)?;
        }
        match self.find(ctx, secret_id).await? {
            Some(secret) => {
                let mut secret_keys = keys.clone();
                secret_keys.insert("secretsmanager:SecretId", secret.row.arn.clone());
                match self
                    .authorize(ctx, action, Target::Secret(&secret), secret_keys)
                    .await
                {
                    Ok(()) => Ok(secret),
                    // Another account's secret: a denial must not differ from the answer
                    // for a secret that doesn't exist, so give exactly that answer.
                    Err(_) if secret.row.account_id != ctx.account_id => {
                        let arn = requested_arn(ctx, secret_id);
                        keys.insert("secretsmanager:SecretId", arn.clone());
                        self.authorize(ctx, action, Target::Arn(&arn), keys).await?;
                        Err(crate::error::internal(
                            "cross-account target allowed without its policy",
                        ))
                    }
                    Err(e) => Err(e),
                }
            }
            None => {
                let arn = requested_arn(ctx, secret_id);
                keys.insert("secretsmanager:SecretId", arn.clone());
                self.authorize(ctx, action, Target::Arn(&arn), keys).await?;
                Err(not_found())
            }
        }
    }

    /// Looks `secret_id` up without authorizing; `Ok(None)` when nothing matches.
    pub(crate) async fn find(
        &self,
        ctx: &Context,
        secret_id: &str,
    ) -> Result<Option<Secret>, ApiError> {
        let (scope, name) = if let Some(rest) = secret_id.strip_prefix("arn:") {
            // arn:<partition>:secretsmanager:<region>:<account>:secret:<name>[-xxxxxx]
            let parts: Vec<&str> = rest.splitn(6, ':').collect();
            let [_partition, service, region, account, kind, resource] = parts[..] else {
                return Ok(None);
            };
            if service != "secretsmanager" || kind != "secret" || region != ctx.region {
                return Ok(None);
            }
            if let Some(row) = self
                .store
                .get_secret_by_arn(secret_id)
                .await
                .map_err(internal)?
            {
                if row.account_id == account && row.region == region {
                    return Secret::from_row(row).map(Some);
                }
            }
            (
                Scope {
                    account_id: account.to_owned(),
                    region: region.to_owned(),
                },
                resource,
            )
        } else {
            (
                Scope {
                    account_id: ctx.account_id.clone(),
                    region: ctx.region.clone(),
                },
                secret_id,
            )
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

/// The ARN a request names: the SecretId if it is an ARN, else the partial ARN of the name
/// in the caller's account and region.
fn requested_arn(ctx: &Context, secret_id: &str) -> String {
    if secret_id.starts_with("arn:") {
        secret_id.to_owned()
    } else {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:{}",
            ctx.region, ctx.account_id, secret_id
        )
    }
}

/// Condition keys with one value each, for an operation's request.
pub(crate) fn keys(pairs: &[(&str, Option<String>)]) -> ContextKeys {
    let mut k = ContextKeys::default();
    for (name, value) in pairs {
        if let Some(v) = value {
            k.insert(name, v.clone());
        }
    }
    k
}
