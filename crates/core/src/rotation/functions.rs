//! Rotation functions, named by Lambda ARNs (`arn:aws:lambda:<region>:<account>:function:<name>`).
//!
//! - The built-ins (`cofre-postgres-single-user`, `cofre-postgres-alternating-users`,
//!   `cofre-mysql-single-user`, `cofre-mysql-alternating-users`) exist in every account and
//!   region without registration and run in-process (`cofre_rotators`).
//! - `exec` and `webhook` functions are registered by the operator with the admin API
//!   (`CofreAdmin.CreateRotationFunction`, `cofre admin rotation-function create`), per account
//!   and region, in the store namespace [`NS_FUNCTIONS`] under `<account>/<region>/<name>`.
//!   Only the operator may register them: an `exec` function runs a command on the server's
//!   host.
//!
//! A webhook's HMAC key is generated at registration, shown once, and stored sealed under the
//! root key.

use cofre_crypto::SecretBytes;
use cofre_rotators::Builtin;
use serde::{Deserialize, Serialize};

use crate::credentials::{open_b64, seal_b64};
use crate::secrets::Service;

/// Store namespace of registered functions.
pub const NS_FUNCTIONS: &str = "rotation-functions";
/// AAD purpose of sealed webhook keys.
const PURPOSE_WEBHOOK: &str = "rotation-webhook-key";
/// How long a step may run when the registration names no timeout, in seconds.
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;
/// The longest step timeout a registration may ask for, in seconds (Lambda's limit).
pub const MAX_TIMEOUT_SECS: u64 = 900;

/// A URL's shape check: `http://host[:port][/path]` with a host.
struct UriCheck;

impl std::str::FromStr for UriCheck {
    type Err = ();
    fn from_str(url: &str) -> Result<Self, ()> {
        let rest = url.strip_prefix("http://").ok_or(())?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once(':').map_or(authority, |(h, p)| {
            if p.parse::<u16>().is_ok() {
                h
            } else {
                authority
            }
        });
        if host.is_empty() || authority.contains('@') || url.chars().any(char::is_whitespace) {
            return Err(());
        }
        Ok(Self)
    }
}

/// A parsed Lambda function ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionArn {
    /// The region.
    pub region: String,
    /// The account.
    pub account: String,
    /// The function name.
    pub name: String,
}

impl FunctionArn {
    /// Parses `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]`.
    pub fn parse(arn: &str) -> Option<Self> {
        let mut parts = arn.split(':');
        let ok = parts.next() == Some("arn")
            && parts.next() == Some("aws")
            && parts.next() == Some("lambda");
        let region = parts.next()?;
        let account = parts.next()?;
        if !ok || parts.next() != Some("function") {
            return None;
        }
        let name = parts.next()?;
        let _qualifier = parts.next();
        if parts.next().is_some()
            || region.is_empty()
            || account.len() != 12
            || !account.bytes().all(|b| b.is_ascii_digit())
            || !valid_name(name)
        {
            return None;
        }
        Some(Self {
            region: region.to_owned(),
            account: account.to_owned(),
            name: name.to_owned(),
        })
    }

    /// The ARN, without qualifier.
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:lambda:{}:{}:function:{}",
            self.region, self.account, self.name
        )
    }

    fn key(&self) -> String {
        format!("{}/{}/{}", self.account, self.region, self.name)
    }
}

/// Lambda's function-name rule: 1–64 of letters, digits, `-` and `_`.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a function is.
#[derive(Debug, Clone)]
pub enum Function {
    /// A built-in database rotator.
    Builtin(Builtin),
    /// A command run with the event on stdin.
    Exec {
        /// The command line, run by `sh -c`.
        command: String,
        /// How long one step may take.
        timeout_secs: u64,
    },
    /// A URL the event is POSTed to.
    Webhook {
        /// `http://` URL.
        url: String,
        /// The HMAC-SHA256 key of the signature header.
        key: SecretBytes,
        /// How long one step may take.
        timeout_secs: u64,
    },
}

/// A registration as stored.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct StoredFunction {
    /// `exec` or `webhook`.
    pub kind: String,
    /// For `exec`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// For `webhook`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// For `webhook`: the key, sealed under the root key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_key: Option<String>,
    /// Seconds per step.
    pub timeout_secs: u64,
    /// When it was registered, ms.
    pub created_ms: i64,
}

/// Why a function could not be registered or found.
#[derive(Debug, thiserror::Error)]
pub enum FunctionError {
    /// Bad input.
    #[error("{0}")]
    Invalid(String),
    /// The name is taken.
    #[error("A rotation function named {0} already exists.")]
    Exists(String),
    /// No such function.
    #[error("Rotation function {0} not found.")]
    NotFound(String),
    /// The store failed, or a stored record is damaged.
    #[error("{0}")]
    Internal(String),
}

/// A registration request.
#[derive(Debug, Clone)]
pub struct NewFunction {
    /// Where it lives and its name.
    pub arn: FunctionArn,
    /// `exec` or `webhook`.
    pub kind: String,
    /// For `exec`.
    pub command: Option<String>,
    /// For `webhook`.
    pub url: Option<String>,
    /// Seconds per step; default [`DEFAULT_TIMEOUT_SECS`].
    pub timeout_secs: Option<u64>,
}

impl Service {
    /// Finds the function a Lambda ARN names: a built-in, or a registered one.
    pub async fn rotation_function(&self, arn: &FunctionArn) -> Result<Function, FunctionError> {
        if let Some(b) = Builtin::from_function_name(&arn.name) {
            return Ok(Function::Builtin(b));
        }
        let raw = self
            .store
            .kv_get(NS_FUNCTIONS, &arn.key())
            .await
            .map_err(|e| FunctionError::Internal(e.to_string()))?
            .ok_or_else(|| FunctionError::NotFound(arn.arn()))?;
        let f: StoredFunction =
            serde_json::from_slice(&raw).map_err(|e| FunctionError::Internal(e.to_string()))?;
        match f.kind.as_str() {
            "exec" => Ok(Function::Exec {
                command: f.command.unwrap_or_default(),
                timeout_secs: f.timeout_secs,
            }),
            "webhook" => {
                let key = open_b64(
                    self.keys.root(),
                    PURPOSE_WEBHOOK,
                    &arn.key(),
                    f.sealed_key.as_deref().unwrap_or_default(),
                )
                .map_err(|e| FunctionError::Internal(e.to_string()))?;
                Ok(Function::Webhook {
                    url: f.url.unwrap_or_default(),
                    key,
                    timeout_secs: f.timeout_secs,
                })
            }
            other => Err(FunctionError::Internal(format!(
                "unknown rotation function kind {other}"
            ))),
        }
    }

    /// Registers a function. For a webhook, returns its new HMAC key (hex), shown once.
    pub async fn create_rotation_function(
        &self,
        f: NewFunction,
    ) -> Result<Option<SecretBytes>, FunctionError> {
        if Builtin::from_function_name(&f.arn.name).is_some() || f.arn.name.starts_with("cofre-") {
            return Err(FunctionError::Invalid(format!(
                "The function name {} is reserved: names starting with cofre- belong to built-in rotation functions.",
                f.arn.name
            )));
        }
        let timeout_secs = f.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
        if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
            return Err(FunctionError::Invalid(format!(
                "TimeoutSeconds must be between 1 and {MAX_TIMEOUT_SECS}."
            )));
        }
        let mut stored = StoredFunction {
            kind: f.kind.clone(),
            command: None,
            url: None,
            sealed_key: None,
            timeout_secs,
            created_ms: self.now_ms(),
        };
        let mut key_out = None;
        match f.kind.as_str() {
            "exec" => {
                let command = f.command.filter(|c| !c.trim().is_empty()).ok_or_else(|| {
                    FunctionError::Invalid("An exec function needs a Command.".into())
                })?;
                if f.url.is_some() {
                    return Err(FunctionError::Invalid(
                        "An exec function takes no Url.".into(),
                    ));
                }
                stored.command = Some(command);
            }
            "webhook" => {
                let url = f.url.ok_or_else(|| {
                    FunctionError::Invalid("A webhook function needs a Url.".into())
                })?;
                if !url.starts_with("http://") || url.parse::<UriCheck>().is_err() {
                    return Err(FunctionError::Invalid(
                        "A webhook Url must be an http:// URL (Cofre sends webhooks over plain HTTP; put a TLS proxy in front for https).".into(),
                    ));
                }
                if f.command.is_some() {
                    return Err(FunctionError::Invalid(
                        "A webhook function takes no Command.".into(),
                    ));
                }
                let key = hex::encode(rand::random::<[u8; 32]>());
                stored.sealed_key = Some(seal_b64(
                    self.keys.root(),
                    PURPOSE_WEBHOOK,
                    &f.arn.key(),
                    key.as_bytes(),
                ));
                stored.url = Some(url);
                key_out = Some(SecretBytes::from(key));
            }
            other => {
                return Err(FunctionError::Invalid(format!(
                    "Kind must be exec or webhook, not {other}."
                )))
            }
        }
        let bytes =
            serde_json::to_vec(&stored).map_err(|e| FunctionError::Internal(e.to_string()))?;
        let created = self
            .store
            .kv_cas(NS_FUNCTIONS, &f.arn.key(), None, Some(bytes))
            .await
            .map_err(|e| FunctionError::Internal(e.to_string()))?;
        if !created {
            return Err(FunctionError::Exists(f.arn.name));
        }
        Ok(key_out)
    }

    /// Removes a registered function.
    pub async fn delete_rotation_function(&self, arn: &FunctionArn) -> Result<(), FunctionError> {
        let deleted = self
            .store
            .kv_delete(NS_FUNCTIONS, &arn.key())
            .await
            .map_err(|e| FunctionError::Internal(e.to_string()))?;
        if deleted {
            Ok(())
        } else {
            Err(FunctionError::NotFound(arn.arn()))
        }
    }

    /// The functions registered in `account` (every region), as (ARN, registration).
    pub async fn list_rotation_functions(
        &self,
        account: &str,
    ) -> Result<Vec<(String, StoredFunction)>, FunctionError> {
        let rows = self
            .store
            .kv_list(NS_FUNCTIONS)
            .await
            .map_err(|e| FunctionError::Internal(e.to_string()))?;
        let mut out = vec![];
        for (k, v) in rows {
            let mut parts = k.splitn(3, '/');
            let (Some(acct), Some(region), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if acct != account {
                continue;
            }
            let f: StoredFunction =
                serde_json::from_slice(&v).map_err(|e| FunctionError::Internal(e.to_string()))?;
            out.push((format!("arn:aws:lambda:{region}:{acct}:function:{name}"), f));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns() {
        let a = FunctionArn::parse("arn:aws:lambda:us-east-1:000000000000:function:rot")
            .expect("parses");
        assert_eq!(
            (a.region.as_str(), a.account.as_str(), a.name.as_str()),
            ("us-east-1", "000000000000", "rot")
        );
        assert_eq!(
            FunctionArn::parse("arn:aws:lambda:us-east-1:000000000000:function:rot:$LATEST")
                .map(|a| a.arn()),
            Some("arn:aws:lambda:us-east-1:000000000000:function:rot".to_owned())
        );
        for bad in [
            "",
            "rot",
            "arn:aws:lambda:us-east-1:000000000000:layer:rot",
            "arn:aws:lambda:us-east-1:0000:function:rot",
            "arn:aws:lambda::000000000000:function:rot",
            "arn:aws:lambda:us-east-1:000000000000:function:",
            "arn:aws:lambda:us-east-1:000000000000:function:a b",
            "arn:aws:s3:us-east-1:000000000000:function:rot",
            "arn:aws:lambda:us-east-1:000000000000:function:rot:1:2",
        ] {
            assert_eq!(FunctionArn::parse(bad), None, "{bad}");
        }
    }
}
