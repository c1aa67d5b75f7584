//! CreateSecret.

use cofre_api::{ApiError, Context, CreateSecretRequest, CreateSecretResponse, ErrorCode};
use cofre_crypto::random_alnum;
use cofre_store::{Scope, SecretRow, SecretWrite, StoreError};

use super::model::{Secret, SecretMeta, AWSCURRENT, META_FORMAT};
use super::rules::{check_name, check_tags, merge_tags, tag_keys, token_or_new};
use crate::authz::Target;

const ACTION: &str = "secretsmanager:CreateSecret";
use super::value::SecretValue;
use super::Service;
use crate::error::{internal, invalid_request};

pub(super) async fn run(
    svc: &Service,
    ctx: &Context,
    input: CreateSecretRequest,
) -> Result<CreateSecretResponse, ApiError> {
    let name = input.name.unwrap_or_default();
    check_name(&name)?;
    if input
        .add_replica_regions
        .as_ref()
        .is_some_and(|r| !r.is_empty())
    {
        return Err(invalid_request(
            "Cofre does not support replication to other regions yet.",
        ));
    }
    let mut tags = Vec::new();
    merge_tags(
        &mut tags,
        check_tags(input.tags.as_deref().unwrap_or_default())?,
    )?;
    let chosen_key = svc
        .check_kms_key_id(ctx, input.kms_key_id.as_deref())
        .await?;
    let value = SecretValue::from_request(input.secret_string, input.secret_binary)?;
    let token = token_or_new(input.client_request_token);
    let mut request_keys = tag_keys(&tags);
    for (k, v) in [
        ("secretsmanager:Name", Some(name.clone())),
        ("secretsmanager:Description", input.description.clone()),
        ("secretsmanager:KmsKeyId", input.kms_key_id.clone()),
    ] {
        if let Some(v) = v {
            request_keys.insert(k, v);
        }
    }
    let scope = Scope {
        account_id: ctx.account_id.clone(),
        region: ctx.region.clone(),
    };

    for _ in 0..2 {
        if let Some(row) = svc
            .store
            .get_secret(&scope, &name)
            .await
            .map_err(internal)?
        {
            let secret = Secret::from_row(row)?;
            svc.authorize(ctx, ACTION, Target::Secret(&secret), request_keys.clone())
                .await?;
            return existing(svc, ctx, secret, &name, &token, value.as_ref()).await;
        }
        let now = svc.now_ms();
        let row = SecretRow {
            uid: uuid::Uuid::new_v4().to_string(),
            account_id: ctx.account_id.clone(),
            region: ctx.region.clone(),
            name: name.clone(),
            arn: format!(
                "arn:aws:secretsmanager:{}:{}:secret:{}-{}",
                ctx.region,
                ctx.account_id,
                name,
                random_alnum(6)
            ),
            revision: 0,
            purge_at_ms: None,
            meta: vec![],
        };
        svc.authorize(ctx, ACTION, Target::Arn(&row.arn), request_keys.clone())
            .await?;
        // Establishing a customer key validates the caller's access to it, as AWS does.
        if let Some(chosen) = &chosen_key {
            svc.validate_key_access(ctx, &chosen.key, &row.arn).await?;
        }
        let mut secret = Secret {
            row,
            meta: SecretMeta {
                format: META_FORMAT,
                description: input.description.clone(),
                kms_key_id: chosen_key.as_ref().map(|c| c.given.clone()),
                tags: tags.clone(),
                created_ms: now,
                last_changed_ms: now,
                last_accessed_day_ms: None,
                deleted_ms: None,
                versions: vec![],
                resource_policy: None,
                rotation: None,
            },
        };
        let mut put = vec![];
        let mut version_id = None;
        if let Some(v) = &value {
            let staged = svc
                .stage_version(ctx, &mut secret, &token, v, &[AWSCURRENT.to_owned()])
                .await?;
            put = staged.put;
            version_id = Some(staged.version_id);
        }
        let mut row = secret.to_row()?;
        row.revision = 1;
        match svc
            .store
            .write_secret(SecretWrite {
                row,
                expected_revision: None,
                put_versions: put,
                drop_versions: vec![],
            })
            .await
        {
            Ok(()) => {
                return Ok(CreateSecretResponse {
                    arn: Some(secret.row.arn),
                    name: Some(name),
                    version_id,
                    ..Default::default()
                })
            }
            // Lost a race with another CreateSecret of the same name: answer as if it came first.
            Err(StoreError::NameTaken) => continue,
            Err(e) => return Err(internal(e)),
        }
    }
    Err(super::too_much_contention())
}

/// CreateSecret on a name that exists: an idempotent retry, or an error.
async fn existing(
    svc: &Service,
    ctx: &Context,
    secret: Secret,
    name: &str,
    token: &str,
    value: Option<&SecretValue>,
) -> Result<CreateSecretResponse, ApiError> {
    if secret.is_deleted() {
        return Err(invalid_request(
            "You can't create this secret because a secret with this name is already scheduled for deletion.",
        ));
    }
    if let (Some(_), Some(value)) = (secret.version(token), value) {
        let stored = svc.read_value(ctx, &secret, token).await?;
        if stored.same_as(value) {
            return Ok(CreateSecretResponse {
                arn: Some(secret.row.arn.clone()),
                name: Some(secret.row.name.clone()),
                version_id: Some(token.to_owned()),
                ..Default::default()
            });
        }
        return Err(ApiError::new(
            ErrorCode::ResourceExistsException,
            "You can't modify an existing version, you can only create a new version.",
        ));
    }
    Err(ApiError::new(
        ErrorCode::ResourceExistsException,
        format!("The operation failed because the secret {name} already exists."),
    ))
}
