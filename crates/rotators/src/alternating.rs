//! setSecret of the MultiUser ("alternating users") templates
//! (`SecretsManagerRDSPostgreSQLRotationMultiUser`, `SecretsManagerRDSMySQLRotationMultiUser`):
//! the master user sets the password of the user that is not current (`user` ↔
//! `user_clone`), creating it with the current user's permissions the first time.

use crate::api::{get_secret_dict, SecretsApi, AWSCURRENT, AWSPENDING};
use crate::engine::Engine;
use crate::single_user::check_master_host;
use crate::{postgres, Options, RotatorError};

/// setSecret.
pub(crate) async fn set_secret(
    api: &dyn SecretsApi,
    engine: Engine,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    let current = get_secret_dict(api, engine, secret_id, AWSCURRENT, None).await?;
    let pending = get_secret_dict(api, engine, secret_id, AWSPENDING, Some(token)).await?;

    // First try to login with the pending secret; if it succeeds, return.
    if let Some(conn) = engine.connect(&pending, opts).await? {
        conn.close().await;
        tracing::info!(
            secret_id,
            "setSecret: AWSPENDING secret is already set as password in {}",
            engine.db_label()
        );
        return Ok(());
    }

    // Make sure the pending user is the current user's alternate, on the same host.
    if engine.alt_username(current.username()?)? != pending.username()? {
        return Err(RotatorError::Invalid(format!(
            "Attempting to modify user {} other than current user or clone {}",
            pending.username()?,
            current.username()?
        )));
    }
    if current.host()? != pending.host()? {
        return Err(RotatorError::Invalid(format!(
            "Attempting to modify user for host {} other than current host {}",
            pending.host()?,
            current.host()?
        )));
    }

    // Before anything else, make sure the AWSCURRENT secret is valid by logging in with it:
    // this protects against a confused deputy.
    let Some(conn) = engine.connect(&current, opts).await? else {
        return Err(RotatorError::Invalid(format!(
            "Unable to log into database using current credentials for secret {secret_id}"
        )));
    };
    conn.close().await;

    // Log in with the master secret named by the current secret.
    let master_arn = current.required_str("masterarn")?;
    let mut master = get_secret_dict(api, engine, master_arn, AWSCURRENT, None).await?;
    if engine == Engine::Postgres {
        postgres::use_database_of(&mut master, &current);
    }
    check_master_host(&current, &master)?;
    let Some(mut conn) = engine.connect(&master, opts).await? else {
        return Err(RotatorError::Invalid(format!(
            "Unable to log into database using credentials in master secret {master_arn}"
        )));
    };

    // Now set the password to the pending password.
    let set = conn.set_alternate_user(&current, &pending).await;
    conn.close().await;
    set?;
    tracing::info!(
        secret_id,
        user = pending.username()?,
        "setSecret: Successfully set password in {}",
        engine.db_label()
    );
    Ok(())
}
