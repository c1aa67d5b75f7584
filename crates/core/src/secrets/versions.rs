//! Adding a version to a secret: the shared path of CreateSecret, PutSecretValue and
//! UpdateSecret, with ClientRequestToken idempotency.

use cofre_api::{ApiError, Context, ErrorCode};

use super::labels;
use super::model::{Secret, VersionMeta};
use super::value::SecretValue;
use super::Service;

/// A version staged in memory, ready to commit.
pub(crate) struct Staged {
    /// The version id (the request token).
    pub version_id: String,
    /// Sealed blobs to write (empty when the token named an identical existing version).
    pub put: Vec<(String, Vec<u8>)>,
    /// Deprecated versions pruned to stay within the version quota.
    pub dropped: Vec<String>,
    /// Whether a new version was added (false for an idempotent retry).
    pub created: bool,
}

impl Service {
    /// Adds version `token` holding `value` with `stages` to `secret` in memory.
    ///
    /// The same token with the same value is an idempotent retry: nothing changes. The same
    /// token with another value is AWS's ResourceExistsException.
    pub(crate) async fn stage_version(
        &self,
        ctx: &Context,
        secret: &mut Secret,
        token: &str,
        value: &SecretValue,
        stages: &[String],
    ) -> Result<Staged, ApiError> {
        let placeholder = secret.version(token).is_some_and(|v| v.empty);
        if secret.version(token).is_some() && !placeholder {
            let existing = self.read_value(ctx, secret, token).await?;
            if existing.same_as(value) {
                return Ok(Staged {
                    version_id: token.to_owned(),
                    put: vec![],
                    dropped: vec![],
                    created: false,
                });
            }
            return Err(ApiError::new(
                ErrorCode::ResourceExistsException,
                "You can't modify an existing version, you can only create a new version.",
            ));
        }
        let now = self.now_ms();
        let key = self.secret_key(secret).await?;
        let sealed = self.seal_version(ctx, secret, &key, token, value).await?;
        // A rotation's empty AWSPENDING version gets its value: same id, same place.
        secret.meta.versions.retain(|v| v.id != token);
        secret.meta.versions.push(VersionMeta {
            id: token.to_owned(),
            stages: vec![],
            created_ms: now,
            last_accessed_day_ms: None,
            kms_key_arn: key.arn,
            previous_kms_key_arns: vec![],
            binary: value.is_binary(),
            empty: false,
        });
        labels::attach(&mut secret.meta, token, stages);
        let dropped = labels::prune(&mut secret.meta, now).map_err(|()| {
            ApiError::new(
                ErrorCode::LimitExceededException,
                format!(
                    "You can't create more versions of this secret: it already has {} versions, none of them deprecated for more than a day.",
                    labels::MAX_VERSIONS
                ),
            )
        })?;
        secret.meta.last_changed_ms = now;
        Ok(Staged {
            version_id: token.to_owned(),
            put: vec![(token.to_owned(), sealed)],
            dropped,
            created: true,
        })
    }
}
