//! [`SecretsApi`]: the Secrets Manager calls a rotation function makes, and the helpers the
//! templates build on them (`get_secret_dict`, staging-label names).

use std::collections::BTreeMap;

use crate::engine::Engine;
use crate::secret::{SecretDict, SecretString};
use crate::RotatorError;

/// The staging label of the version clients use.
pub const AWSCURRENT: &str = "AWSCURRENT";
/// The staging label of the version being rotated in.
pub const AWSPENDING: &str = "AWSPENDING";
/// The staging label of the version rotated out last.
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// The Secrets Manager calls a rotation function makes.
///
/// Cofre implements this in-process over the real service, with credentials scoped to the
/// secret being rotated (and the master secret it names). Implementations must follow
/// Secrets Manager's rules, which the steps rely on:
/// - before `createSecret`, the rotation's token is a version labelled `AWSPENDING` that may
///   have no value yet; reading it then answers `Ok(None)`;
/// - `UpdateSecretVersionStage` moving `AWSCURRENT` puts `AWSPREVIOUS` on the version it was
///   removed from, and leaves `AWSPENDING` where it is.
#[async_trait::async_trait]
pub trait SecretsApi: Send + Sync {
    /// GetSecretValue; `Ok(None)` when that version/stage does not exist, or has no string
    /// value yet (ResourceNotFoundException).
    async fn get_secret_string(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Option<SecretString>, RotatorError>;

    /// PutSecretValue(SecretId, ClientRequestToken=token, SecretString,
    /// VersionStages=["AWSPENDING"]).
    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &SecretString,
    ) -> Result<(), RotatorError>;

    /// DescribeSecret's VersionIdsToStages.
    async fn version_stages(
        &self,
        secret_id: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, RotatorError>;

    /// UpdateSecretVersionStage.
    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), RotatorError>;

    /// GetRandomPassword with ExcludeCharacters (and the templates' other defaults: 32
    /// characters, every character type, each type required).
    async fn random_password(&self, exclude_characters: &str)
        -> Result<SecretString, RotatorError>;
}

/// The templates' `get_secret_dict`: reads a version, parses it and checks it is a secret
/// for `engine`.
pub(crate) async fn get_secret_dict(
    api: &dyn SecretsApi,
    engine: Engine,
    secret_id: &str,
    stage: &str,
    token: Option<&str>,
) -> Result<SecretDict, RotatorError> {
    let text = api
        .get_secret_string(secret_id, token, Some(stage))
        .await?
        .ok_or_else(|| not_found(secret_id, token, stage))?;
    let dict = SecretDict::parse(&text)?;
    engine.validate(&dict)?;
    Ok(dict)
}

/// AWS's ResourceNotFoundException text for GetSecretValue.
fn not_found(secret_id: &str, token: Option<&str>, stage: &str) -> RotatorError {
    RotatorError::NotFound(match token {
        Some(token) => format!(
            "Secrets Manager can't find the specified secret value for VersionId: {token} \
             and staging label: {stage} (secret {secret_id})"
        ),
        None => format!(
            "Secrets Manager can't find the specified secret value for staging label: {stage} \
             (secret {secret_id})"
        ),
    })
}
