//! The steps all four templates share: the handler's staging check, createSecret,
//! testSecret and finishSecret.

use serde_json::Value;

use crate::api::{get_secret_dict, SecretsApi, AWSCURRENT, AWSPENDING};
use crate::engine::Engine;
use crate::{Options, RotatorError};

/// What `lambda_handler` checks before dispatching: the token is a version of the secret
/// labelled `AWSPENDING`. Returns `false` when the version is already `AWSCURRENT` (the
/// rotation finished; every step is then a no-op).
///
/// Not ported: the templates also refuse a secret whose `RotationEnabled` is false; Cofre's
/// rotation runner decides when to invoke a step.
pub(crate) async fn check_staging(
    api: &dyn SecretsApi,
    secret_id: &str,
    token: &str,
) -> Result<bool, RotatorError> {
    let versions = api.version_stages(secret_id).await?;
    let Some(stages) = versions.get(token) else {
        return Err(RotatorError::Invalid(format!(
            "Secret version {token} has no stage for rotation of secret {secret_id}."
        )));
    };
    if stages.iter().any(|s| s == AWSCURRENT) {
        tracing::info!(secret_id, token, "Secret version already set as AWSCURRENT");
        return Ok(false);
    }
    if !stages.iter().any(|s| s == AWSPENDING) {
        return Err(RotatorError::Invalid(format!(
            "Secret version {token} not set as AWSPENDING for rotation of secret {secret_id}."
        )));
    }
    Ok(true)
}

/// createSecret: unless the pending version already has a value, copy AWSCURRENT, give it
/// a random password (and, alternating, the other user name) and put it as AWSPENDING.
pub(crate) async fn create_secret(
    api: &dyn SecretsApi,
    engine: Engine,
    alternating: bool,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    // Make sure the current secret exists.
    let mut current = get_secret_dict(api, engine, secret_id, AWSCURRENT, None).await?;

    // Now try to get the secret version; if that fails, put a new secret.
    match get_secret_dict(api, engine, secret_id, AWSPENDING, Some(token)).await {
        Ok(_) => {
            tracing::info!(secret_id, "createSecret: Successfully retrieved secret");
            return Ok(());
        }
        Err(RotatorError::NotFound(_)) => {}
        Err(e) => return Err(e),
    }
    if alternating {
        let alt = engine.alt_username(current.username()?)?;
        current.set("username", Value::String(alt));
    }
    let password = api.random_password(&opts.exclude_characters).await?;
    current.set_password(password);
    api.put_pending(secret_id, token, &current.to_secret_string()?)
        .await?;
    tracing::info!(secret_id, token, "createSecret: Successfully put secret");
    Ok(())
}

/// testSecret: log in with the pending secret and run `SELECT NOW()`.
pub(crate) async fn test_secret(
    api: &dyn SecretsApi,
    engine: Engine,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    let pending = get_secret_dict(api, engine, secret_id, AWSPENDING, Some(token)).await?;
    let Some(mut conn) = engine.connect(&pending, opts).await? else {
        return Err(RotatorError::Invalid(format!(
            "Unable to log into database with pending secret of secret ARN {secret_id}"
        )));
    };
    let checked = conn.select_now().await;
    conn.close().await;
    checked?;
    tracing::info!(
        secret_id,
        "testSecret: Successfully signed into {} with AWSPENDING secret",
        engine.db_label()
    );
    Ok(())
}

/// finishSecret: move AWSCURRENT to the token's version, removing it from the old one
/// (Secrets Manager then labels the old one AWSPREVIOUS).
pub(crate) async fn finish_secret(
    api: &dyn SecretsApi,
    secret_id: &str,
    token: &str,
) -> Result<(), RotatorError> {
    let versions = api.version_stages(secret_id).await?;
    let mut current_version = None;
    for (version, stages) in &versions {
        if stages.iter().any(|s| s == AWSCURRENT) {
            if version == token {
                tracing::info!(
                    secret_id,
                    token,
                    "finishSecret: Version already marked as AWSCURRENT"
                );
                return Ok(());
            }
            current_version = Some(version.as_str());
            break;
        }
    }
    api.update_stage(secret_id, AWSCURRENT, Some(token), current_version)
        .await?;
    tracing::info!(
        secret_id,
        token,
        "finishSecret: Successfully set AWSCURRENT stage to version"
    );
    Ok(())
}
