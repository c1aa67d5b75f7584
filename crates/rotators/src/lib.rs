//! Cofre's built-in rotation functions: ports of AWS's published RDS rotation Lambdas
//! (aws-samples/aws-secrets-manager-rotation-lambdas), run step by step through the
//! four-step protocol (createSecret → setSecret → testSecret → finishSecret).
//!
//! | [`Builtin`] (function name) | AWS template |
//! |---|---|
//! | `cofre-postgres-single-user` | `SecretsManagerRDSPostgreSQLRotationSingleUser` |
//! | `cofre-postgres-alternating-users` | `SecretsManagerRDSPostgreSQLRotationMultiUser` |
//! | `cofre-mysql-single-user` | `SecretsManagerRDSMySQLRotationSingleUser` |
//! | `cofre-mysql-alternating-users` | `SecretsManagerRDSMySQLRotationMultiUser` |
//!
//! Layout:
//! - [`run_step`] (here): the templates' `lambda_handler`: staging check, then one step;
//! - [`api`]: [`SecretsApi`], the Secrets Manager calls a function makes, and `get_secret_dict`;
//! - `steps`: createSecret, testSecret and finishSecret, shared by all four templates;
//! - `single_user` / `alternating`: setSecret of the SingleUser and MultiUser templates;
//! - `engine`: what differs between PostgreSQL and MySQL (validation, user-name limits,
//!   connections), with the SQL in `postgres` and `mysql`;
//! - [`secret`]: [`SecretString`] and the parsed secret JSON; [`error`]: [`RotatorError`].
//!
//! Messages of the errors the templates raise are kept word for word, so a failed
//! rotation reads as it would on AWS.
//!
//! Deviations from the templates (each noted where it happens):
//! - no TLS: a secret with `"ssl": true` is refused instead of downgraded; without `ssl`
//!   the templates' "try TLS, fall back to plain" connects plainly at once;
//! - no RDS API: the read-replica exception to the master-host check, and RDS-made master
//!   secrets holding only `username`/`password`, are not supported;
//! - `RotationEnabled` is not checked (the runner decides when to call a step);
//! - the PostgreSQL SingleUser `create_user_if_not_exists` quotes its identifiers properly;
//! - MySQL 9+ is given the password without `PASSWORD()`, as MySQL 8 is.
//!
//! Security notes: passwords live in [`SecretString`] (zeroized on drop, redacted `Debug`);
//! the parsed secret JSON keeps `password` apart so printing it can't show one. Connections
//! are built field by field (no URL), with sqlx's statement logging off, and statements that
//! hold a password are quoted by the server (PostgreSQL `format('%L')`) or for the session's
//! `sql_mode` (MySQL), run unprepared, and reported by error code only if they fail. Copies
//! that sqlx makes internally (connect options, wire buffers) are outside our control.

pub mod api;
pub mod error;
pub mod secret;

mod alternating;
mod engine;
mod mysql;
mod postgres;
mod single_user;
mod steps;

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

pub use api::{SecretsApi, AWSCURRENT, AWSPENDING, AWSPREVIOUS};
pub use error::RotatorError;
pub use secret::SecretString;

use engine::Engine;
use tracing::Instrument as _;

/// A step of the rotation protocol, named as in the Lambda event's `Step`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// Put a new version labelled AWSPENDING.
    CreateSecret,
    /// Make the database accept the pending credentials.
    SetSecret,
    /// Log in with the pending credentials.
    TestSecret,
    /// Move AWSCURRENT to the pending version.
    FinishSecret,
}

impl Step {
    /// The four steps, in order.
    pub const ALL: [Step; 4] = [
        Step::CreateSecret,
        Step::SetSecret,
        Step::TestSecret,
        Step::FinishSecret,
    ];

    /// `"createSecret"`, `"setSecret"`, `"testSecret"` or `"finishSecret"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CreateSecret => "createSecret",
            Step::SetSecret => "setSecret",
            Step::TestSecret => "testSecret",
            Step::FinishSecret => "finishSecret",
        }
    }

    /// The step named `name` (case-sensitive, as the templates compare it).
    pub fn parse(name: &str) -> Option<Step> {
        Step::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Step {
    type Err = RotatorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Step::parse(s).ok_or_else(|| RotatorError::Invalid(format!("Invalid step parameter {s}")))
    }
}

/// A built-in rotation function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `SecretsManagerRDSPostgreSQLRotationSingleUser`.
    PostgresSingleUser,
    /// `SecretsManagerRDSPostgreSQLRotationMultiUser`.
    PostgresAlternatingUsers,
    /// `SecretsManagerRDSMySQLRotationSingleUser`.
    MysqlSingleUser,
    /// `SecretsManagerRDSMySQLRotationMultiUser`.
    MysqlAlternatingUsers,
}

impl Builtin {
    /// All built-in functions.
    pub const ALL: [Builtin; 4] = [
        Builtin::PostgresSingleUser,
        Builtin::PostgresAlternatingUsers,
        Builtin::MysqlSingleUser,
        Builtin::MysqlAlternatingUsers,
    ];

    /// The function name a secret's rotation configuration uses for it.
    pub fn function_name(self) -> &'static str {
        match self {
            Builtin::PostgresSingleUser => "cofre-postgres-single-user",
            Builtin::PostgresAlternatingUsers => "cofre-postgres-alternating-users",
            Builtin::MysqlSingleUser => "cofre-mysql-single-user",
            Builtin::MysqlAlternatingUsers => "cofre-mysql-alternating-users",
        }
    }

    /// The built-in function called `name`, if any.
    pub fn from_function_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.function_name() == name)
    }

    /// The template's default `EXCLUDE_CHARACTERS`: the PostgreSQL templates also exclude `:`.
    pub fn default_exclude_characters(self) -> &'static str {
        match self.engine() {
            Engine::Postgres => ":/@\"'\\",
            Engine::Mysql => "/@\"'\\",
        }
    }

    fn engine(self) -> Engine {
        match self {
            Builtin::PostgresSingleUser | Builtin::PostgresAlternatingUsers => Engine::Postgres,
            Builtin::MysqlSingleUser | Builtin::MysqlAlternatingUsers => Engine::Mysql,
        }
    }

    fn alternating(self) -> bool {
        matches!(
            self,
            Builtin::PostgresAlternatingUsers | Builtin::MysqlAlternatingUsers
        )
    }
}

impl fmt::Display for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.function_name())
    }
}

/// Settings the templates read from their environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// GetRandomPassword's ExcludeCharacters (`EXCLUDE_CHARACTERS`). The default,
    /// `:/@"'\`, is the PostgreSQL templates' and a superset of the MySQL ones' (`/@"'\`);
    /// [`Options::for_builtin`] gives each template's own.
    pub exclude_characters: String,
    /// How long a login may take before it counts as failed (the templates'
    /// `connect_timeout=5`).
    pub connect_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            exclude_characters: Builtin::PostgresSingleUser
                .default_exclude_characters()
                .to_owned(),
            connect_timeout: Duration::from_secs(5),
        }
    }
}

impl Options {
    /// The defaults of `builtin`'s template.
    pub fn for_builtin(builtin: Builtin) -> Self {
        Self {
            exclude_characters: builtin.default_exclude_characters().to_owned(),
            ..Self::default()
        }
    }
}

/// Runs one step of `builtin` for the version `token` of `secret_id`, as the template's
/// `lambda_handler` does: first check that `token` is labelled AWSPENDING (a version
/// already AWSCURRENT makes every step a no-op), then run the step.
///
/// Every step is idempotent: re-running one after it succeeded changes nothing.
pub async fn run_step(
    builtin: Builtin,
    api: &dyn SecretsApi,
    step: Step,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    let span = tracing::info_span!(
        "rotation_step",
        function = builtin.function_name(),
        step = step.as_str(),
        secret_id,
        token
    );
    dispatch(builtin, api, step, secret_id, token, opts)
        .instrument(span)
        .await
}

async fn dispatch(
    builtin: Builtin,
    api: &dyn SecretsApi,
    step: Step,
    secret_id: &str,
    token: &str,
    opts: &Options,
) -> Result<(), RotatorError> {
    if !steps::check_staging(api, secret_id, token).await? {
        return Ok(());
    }
    let engine = builtin.engine();
    match step {
        Step::CreateSecret => {
            steps::create_secret(api, engine, builtin.alternating(), secret_id, token, opts).await
        }
        Step::SetSecret if builtin.alternating() => {
            alternating::set_secret(api, engine, secret_id, token, opts).await
        }
        Step::SetSecret => single_user::set_secret(api, engine, secret_id, token, opts).await,
        Step::TestSecret => steps::test_secret(api, engine, secret_id, token, opts).await,
        Step::FinishSecret => steps::finish_secret(api, secret_id, token).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for step in Step::ALL {
            assert_eq!(Step::parse(step.as_str()), Some(step));
            assert_eq!(step.as_str().parse::<Step>().unwrap(), step);
        }
        assert_eq!(Step::parse("CreateSecret"), None);
        assert_eq!(
            "nope".parse::<Step>().unwrap_err().to_string(),
            "Invalid step parameter nope"
        );
        for builtin in Builtin::ALL {
            assert_eq!(
                Builtin::from_function_name(builtin.function_name()),
                Some(builtin)
            );
        }
        assert_eq!(
            Builtin::from_function_name("cofre-mysql-alternating-users"),
            Some(Builtin::MysqlAlternatingUsers)
        );
        assert_eq!(
            Builtin::from_function_name("SecretsManagerRDSMySQLRotationMultiUser"),
            None
        );
    }

    #[test]
    fn option_defaults_follow_the_templates() {
        let opts = Options::default();
        assert_eq!(opts.exclude_characters, ":/@\"'\\");
        assert_eq!(opts.connect_timeout, Duration::from_secs(5));
        assert_eq!(
            Options::for_builtin(Builtin::MysqlSingleUser).exclude_characters,
            "/@\"'\\"
        );
    }
}
