//! setSecret of the SingleUser templates (`SecretsManagerRDSPostgreSQLRotationSingleUser`,
//! `SecretsManagerRDSMySQLRotationSingleUser`): the user changes its own password, logging
//! in with the pending, then the current, then the previous password.

use crate::api::{get_secret_dict, SecretsApi, AWSCURRENT, AWSPENDING, AWSPREVIOUS};
use crate::engine::{Conn, Engine};
use crate::secret::SecretDict;
use crate::{postgres, Options, RotatorError};

/// setSecret.
pub(crate) async fn set_secret(
    api: &dyn SecretsApi,
    engine: Engine,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    let mut previous = match get_secret_dict(api, engine, secret_id, AWSPREVIOUS, None).await {
        Ok(dict) => Some(dict),
        // `except (ResourceNotFoundException, KeyError)`.
        Err(RotatorError::NotFound(_) | RotatorError::MissingKey(_)) => None,
        Err(e) => return Err(e),
    };
    let current = get_secret_dict(api, engine, secret_id, AWSCURRENT, None).await?;
    let pending = get_secret_dict(api, engine, secret_id, AWSPENDING, Some(token)).await?;

    if engine == Engine::Postgres {
        create_user_if_not_exists(api, &current, opts).await?;
    }

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

    // Make sure the user and host from current and pending match.
    if current.username()? != pending.username()? {
        return Err(RotatorError::Invalid(format!(
            "Attempting to modify user {} other than current user {}",
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

    // Now try the current password; if it does not work, try the previous one.
    let mut conn = engine.connect(&current, opts).await?;
    if conn.is_none() {
        if let Some(previous) = previous.as_mut() {
            // Use the current secret's SSL settings.
            previous.remove("ssl");
            if let Some(ssl) = current.get("ssl") {
                previous.set("ssl", ssl.clone());
            }
            conn = engine.connect(previous, opts).await?;
            if let Err(e) = check_previous(engine, previous, &pending) {
                if let Some(conn) = conn {
                    conn.close().await;
                }
                return Err(e);
            }
        }
    }
    let Some(mut conn) = conn else {
        return Err(RotatorError::Invalid(format!(
            "Unable to log into database with previous, current, or pending secret of secret arn {secret_id}"
        )));
    };

    // Now set the password to the pending password.
    let set = conn.set_own_password(&pending).await;
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

/// The user and host of the previous secret must be the pending ones.
fn check_previous(
    engine: Engine,
    previous: &SecretDict,
    pending: &SecretDict,
) -> Result<(), RotatorError> {
    if previous.username()? != pending.username()? {
        return Err(RotatorError::Invalid(format!(
            "Attempting to modify user {} other than previous valid user {}",
            pending.username()?,
            previous.username()?
        )));
    }
    if previous.host()? != pending.host()? {
        // The two templates word this differently; both are kept.
        let msg = match engine {
            Engine::Postgres => format!(
                "Attempting to modify user for host {} other than current previous valid {}",
                pending.host()?,
                previous.host()?
            ),
            Engine::Mysql => format!(
                "Attempting to modify user for host {} other than previous host {}",
                pending.host()?,
                previous.host()?
            ),
        };
        return Err(RotatorError::Invalid(msg));
    }
    Ok(())
}

/// The PostgreSQL SingleUser template's `create_user_if_not_exists`: when the secret names a
/// master secret (`masterarn`), log in as the master user and create the user if missing.
async fn create_user_if_not_exists(
    api: &dyn SecretsApi,
    current: &SecretDict,
    opts: &Options,
) -> Result<bool, RotatorError> {
    let Some(master_arn) = current.str_field("masterarn")?.filter(|a| !a.is_empty()) else {
        return Ok(false);
    };
    let mut master = get_secret_dict(api, Engine::Postgres, master_arn, AWSCURRENT, None).await?;
    postgres::use_database_of(&mut master, current);
    check_master_host(current, &master)?;
    let Some(Conn::Pg(mut conn)) = Engine::Postgres.connect(&master, opts).await? else {
        return Err(RotatorError::Invalid(format!(
            "Unable to log into database using credentials in master secret {master_arn}"
        )));
    };
    let created = postgres::create_user_if_not_exists(&mut conn, current).await;
    Conn::Pg(conn).close().await;
    let created = created?;
    if created {
        tracing::info!(
            user = current.username()?,
            "create_user_if_not_exists: Successfully created user"
        );
    }
    Ok(created)
}

/// The master secret must be for the same host as the rotated secret.
///
/// Not ported: the templates also accept an RDS read replica of the master's instance
/// (`is_rds_replica_database`, an RDS API call); there is no RDS here.
pub(crate) fn check_master_host(
    current: &SecretDict,
    master: &SecretDict,
) -> Result<(), RotatorError> {
    if current.host()? != master.host()? {
        return Err(RotatorError::Invalid(format!(
            "Current database host {} is not the same host as/rds replica of master {}",
            current.host()?,
            master.host()?
        )));
    }
    Ok(())
}
