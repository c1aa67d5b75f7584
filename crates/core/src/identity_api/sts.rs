//! STS: GetCallerIdentity and AssumeRole.

use cofre_api::sts::{
    AssumeRoleRequest, AssumeRoleResponse, AssumedRoleUser, Credentials, GetCallerIdentityRequest,
    GetCallerIdentityResponse,
};
use cofre_api::{Context, QueryError, Sts};
use cofre_policy::{ContextKeys, PolicyKind};

use super::ts;
use crate::authz::ResourceFacts;
use crate::Service;

#[async_trait::async_trait]
impl Sts for Service {
    async fn get_caller_identity(
        &self,
        ctx: &Context,
        _input: GetCallerIdentityRequest,
    ) -> Result<GetCallerIdentityResponse, QueryError> {
        // AWS answers GetCallerIdentity for any valid credentials; no policy can deny it.
        ctx.authorized.set();
        let p = crate::authz::principal_of(&ctx.caller);
        Ok(GetCallerIdentityResponse {
            user_id: Some(p.user_id()),
            account: Some(p.account_id.clone()),
            arn: Some(p.arn.clone()),
        })
    }

    async fn assume_role(
        &self,
        ctx: &Context,
        input: AssumeRoleRequest,
    ) -> Result<AssumeRoleResponse, QueryError> {
        let role_arn = input.role_arn.unwrap_or_default();
        let session_name = input.role_session_name.unwrap_or_default();
        if input.policy_arns.as_ref().is_some_and(|p| !p.is_empty()) {
            return Err(QueryError::new(
                "InvalidParameterValue",
                400,
                "Cofre does not support PolicyArns session policies yet; pass an inline Policy.",
            ));
        }
        let tags: Vec<(String, String)> = input
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| (t.key.unwrap_or_default(), t.value.unwrap_or_default()))
            .collect();
        let mut keys = ContextKeys::default();
        for (k, v) in &tags {
            keys.insert(&format!("aws:RequestTag/{k}"), v.clone());
        }
        keys.insert_many("aws:TagKeys", tags.iter().map(|(k, _)| k.clone()).collect());
        if let Some(id) = &input.external_id {
            keys.insert("sts:ExternalId", id.clone());
        }
        keys.insert("sts:RoleSessionName", session_name.clone());
        // A missing role is denied exactly like a role the caller may not assume.
        let role = match self.iam.get_role_by_arn(&role_arn).await {
            Ok(r) => Some(r),
            Err(e) if e.code == crate::iam::error::NO_SUCH_ENTITY => None,
            Err(e) => return Err(e.into()),
        };
        let account = role_arn.split(':').nth(4).map(str::to_owned);
        let facts = ResourceFacts {
            arn: role_arn.clone(),
            account,
            tags: role
                .as_ref()
                .map(|r| {
                    r.tags
                        .iter()
                        .map(|t| (t.key.as_str(), t.value.as_str()))
                        .collect()
                })
                .unwrap_or_default(),
            policy: Some((
                role.as_ref()
                    .map(|r| r.assume_role_policy_document.as_str())
                    .unwrap_or(NO_TRUST),
                PolicyKind::Trust,
            )),
        };
        self.decide(ctx, "sts:AssumeRole", &facts, keys).await?;
        let Some(role) = role else {
            return Err(QueryError::access_denied(format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                ctx.caller.arn
            )));
        };
        let creds = self
            .iam
            .create_session(
                self.keys.root(),
                &role,
                &session_name,
                input.duration_seconds,
                input.policy,
                tags,
            )
            .await?;
        Ok(AssumeRoleResponse {
            credentials: Some(Credentials {
                access_key_id: Some(creds.access_key_id.clone()),
                secret_access_key: Some(
                    String::from_utf8_lossy(creds.secret_access_key.expose())
                        .into_owned()
                        .into(),
                ),
                session_token: Some(
                    String::from_utf8_lossy(creds.session_token.expose()).into_owned(),
                ),
                expiration: Some(ts(creds.expiration_ms)),
            }),
            assumed_role_user: Some(AssumedRoleUser {
                assumed_role_id: Some(creds.assumed_role_id.clone()),
                arn: Some(creds.arn.clone()),
            }),
            packed_policy_size: creds.packed_policy_size.map(i64::from),
            ..Default::default()
        })
    }
}

/// A trust policy that trusts nobody, for roles that don't exist.
const NO_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
