//! Running one step of one rotation function.
//!
//! - Built-ins run in-process: `cofre_rotators::run_step` over [`InProcessApi`], which calls
//!   this service's own operations with the step's scoped [`Context`], so every call is
//!   authorized (and audited) like a request.
//! - `exec`: `sh -c <command>` with the Lambda event JSON
//!   (`{"Step","SecretId","ClientRequestToken","RotationToken"}`) on stdin and
//!   `SECRETS_MANAGER_ENDPOINT`, `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_DEFAULT_REGION` and the
//!   step's temporary credentials in an otherwise empty environment (but `PATH`, `HOME`,
//!   `LANG`, `LC_ALL`, `TMPDIR`, `USER`, `TZ`): nothing of the server's own environment, such
//!   as `COFRE_ROOT_KEY`, reaches it. A non-zero exit, a timeout (the child is
//!   killed) or a failure to start is a failed step. What it prints is not kept or logged
//!   (it may be anything, secrets included); the failure names the exit status.
//! - `webhook`: a POST of the same event with `X-Cofre-Timestamp` and
//!   `X-Cofre-Signature: v1=<hex HMAC-SHA256(key, "<timestamp>.<body>")>`; any answer but 2xx
//!   within the timeout is a failed step.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use cofre_api::{
    Context, DescribeSecretRequest, GetRandomPasswordRequest, GetSecretValueRequest,
    PutSecretValueRequest, SecretsManager, SensitiveString, UpdateSecretVersionStageRequest,
};
use cofre_rotators::{RotatorError, SecretString, SecretsApi};
use hmac::{Hmac, Mac};
use serde::Serialize;
use tokio::io::AsyncWriteExt;

use super::functions::Function;
use super::scope::StepScope;
use super::StepName;
use crate::secrets::model::AWSPENDING;
use crate::secrets::Service;

/// The variables of the server's environment an exec function inherits; everything else is
/// withheld.
const INHERITED_ENV: [&str; 7] = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "TZ"];

/// The event a rotation function receives.
#[derive(Serialize, Debug)]
pub struct Event<'a> {
    /// `createSecret`, `setSecret`, `testSecret` or `finishSecret`.
    #[serde(rename = "Step")]
    pub step: &'a str,
    /// The secret's ARN.
    #[serde(rename = "SecretId")]
    pub secret_id: &'a str,
    /// The id of the version being made.
    #[serde(rename = "ClientRequestToken")]
    pub client_request_token: &'a str,
    /// Identifies this invocation; PutSecretValue accepts it back.
    #[serde(rename = "RotationToken")]
    pub rotation_token: &'a str,
}

/// Sends a webhook POST; the server crate implements it over hyper.
#[async_trait::async_trait]
pub trait WebhookSender: Send + Sync + std::fmt::Debug {
    /// POSTs `body` with `headers` to `url`; Ok with the HTTP status, Err when there was no
    /// answer within `timeout`.
    async fn post(
        &self,
        url: &str,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<u16, String>;
}

/// Where exec functions reach the server, and how webhooks are sent.
#[derive(Debug, Default)]
pub struct InvokeConfig {
    /// `SECRETS_MANAGER_ENDPOINT` for exec functions.
    pub endpoint_url: String,
    /// The webhook transport (none: webhook steps fail).
    pub webhook: Option<Arc<dyn WebhookSender>>,
    /// Characters the built-ins leave out of new passwords (`None`: the templates' default).
    pub exclude_characters: Option<String>,
    /// Log the end of what a failed exec function printed (for debugging functions: what a
    /// function prints is up to its author and may hold secrets, so this is off by default).
    pub log_function_output: bool,
}

/// What one step needs.
#[derive(Debug)]
pub struct StepCall<'a> {
    /// The function.
    pub function: &'a Function,
    /// The step.
    pub step: StepName,
    /// The secret's ARN.
    pub secret_arn: &'a str,
    /// The secret's account and region.
    pub account: &'a str,
    /// The region.
    pub region: &'a str,
    /// The version token.
    pub token: &'a str,
    /// The credentials' scope.
    pub scope: &'a StepScope,
}

impl Service {
    /// Runs one step; `Err` carries a message fit for logs and DescribeRotation (no values).
    pub async fn invoke_step(&self, call: StepCall<'_>) -> Result<(), String> {
        let rotation_token = uuid::Uuid::new_v4().to_string();
        let event = Event {
            step: call.step.as_str(),
            secret_id: call.secret_arn,
            client_request_token: call.token,
            rotation_token: &rotation_token,
        };
        match call.function {
            Function::Builtin(b) => {
                let ctx = call.scope.context(
                    call.account,
                    call.region,
                    &format!("rotation-{rotation_token}"),
                );
                let api = InProcessApi { svc: self, ctx };
                let mut opts = cofre_rotators::Options::for_builtin(*b);
                if let Some(x) = &self.rotation_settings().invoke.exclude_characters {
                    opts.exclude_characters = x.clone();
                }
                cofre_rotators::run_step(
                    *b,
                    &api,
                    call.step.to_step(),
                    call.secret_arn,
                    call.token,
                    &opts,
                )
                .await
                .map_err(|e| e.to_string())
            }
            Function::Exec {
                command,
                timeout_secs,
            } => {
                let creds = self
                    .step_credentials(call.scope, *timeout_secs)
                    .await
                    .map_err(|e| format!("could not mint the step's credentials: {e}"))?;
                let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
                let endpoint = self.rotation_settings().invoke.endpoint_url.clone();
                let mut cmd = tokio::process::Command::new("sh");
                cmd.arg("-c")
                    .arg(command)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .kill_on_drop(true)
                    // The server's environment may hold its root key or root credentials
                    // (COFRE_ROOT_KEY, ...): the function gets only what it needs.
                    .env_clear()
                    .envs(
                        std::env::vars_os().filter(|(k, _)| {
                            INHERITED_ENV.iter().any(|name| k.as_os_str() == *name)
                        }),
                    )
                    .env("SECRETS_MANAGER_ENDPOINT", &endpoint)
                    .env("AWS_ENDPOINT_URL", &endpoint)
                    .env("AWS_REGION", call.region)
                    .env("AWS_DEFAULT_REGION", call.region)
                    .env("AWS_ACCESS_KEY_ID", &creds.access_key_id)
                    .env(
                        "AWS_SECRET_ACCESS_KEY",
                        String::from_utf8_lossy(creds.secret_access_key.expose()).as_ref(),
                    )
                    .env(
                        "AWS_SESSION_TOKEN",
                        String::from_utf8_lossy(creds.session_token.expose()).as_ref(),
                    );
                let mut child = cmd
                    .spawn()
                    .map_err(|e| format!("could not start the function's command: {e}"))?;
                if let Some(mut stdin) = child.stdin.take() {
                    // A command that ignores its input may close stdin early; that's fine.
                    let _ = stdin.write_all(&body).await;
                    drop(stdin);
                }
                match tokio::time::timeout(
                    Duration::from_secs(*timeout_secs),
                    child.wait_with_output(),
                )
                .await
                {
                    Err(_) => Err(format!(
                        "the function did not finish {} within {timeout_secs} s",
                        call.step.as_str()
                    )),
                    Ok(Err(e)) => Err(format!("the function's command failed: {e}")),
                    Ok(Ok(out)) if out.status.success() => Ok(()),
                    Ok(Ok(out)) => {
                        if self.rotation_settings().invoke.log_function_output {
                            let tail = |b: &[u8]| {
                                let text = String::from_utf8_lossy(b);
                                let start = text.len().saturating_sub(2048);
                                let start = (start..text.len())
                                    .find(|i| text.is_char_boundary(*i))
                                    .unwrap_or(text.len());
                                text[start..].to_owned()
                            };
                            tracing::warn!(
                                secret = call.secret_arn,
                                step = call.step.as_str(),
                                stdout = %tail(&out.stdout),
                                stderr = %tail(&out.stderr),
                                "exec rotation function output (--rotation-log-function-output)"
                            );
                        }
                        Err(format!(
                            "the function failed {} ({})",
                            call.step.as_str(),
                            out.status
                        ))
                    }
                }
            }
            Function::Webhook {
                url,
                key,
                timeout_secs,
            } => {
                let sender = self
                    .rotation_settings()
                    .invoke
                    .webhook
                    .clone()
                    .ok_or("this server sends no webhooks")?;
                let body = serde_json::to_vec(&event).map_err(|e| e.to_string())?;
                let ts = (self.now_ms() / 1000).to_string();
                let headers = vec![
                    ("content-type".to_owned(), "application/json".to_owned()),
                    ("x-cofre-timestamp".to_owned(), ts.clone()),
                    (
                        "x-cofre-signature".to_owned(),
                        format!("v1={}", sign(key.expose(), &ts, &body)),
                    ),
                ];
                let status = sender
                    .post(url, headers, body, Duration::from_secs(*timeout_secs))
                    .await?;
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!(
                        "the webhook answered {} with HTTP {status}",
                        call.step.as_str()
                    ))
                }
            }
        }
    }
}

/// `hex(HMAC-SHA256(key, "<timestamp>.<body>"))`.
pub fn sign(key: &[u8], timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length.
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The Secrets Manager calls of a built-in rotator, made in-process as the step's session.
struct InProcessApi<'a> {
    svc: &'a Service,
    ctx: Context,
}

fn api_error(e: cofre_api::ApiError) -> RotatorError {
    RotatorError::Service {
        code: e.code_str().to_owned(),
        message: e.message,
    }
}

#[async_trait::async_trait]
impl SecretsApi for InProcessApi<'_> {
    async fn get_secret_string(
        &self,
        secret_id: &str,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> Result<Option<SecretString>, RotatorError> {
        let out = self
            .svc
            .get_secret_value(
                &self.ctx,
                GetSecretValueRequest {
                    secret_id: Some(secret_id.to_owned()),
                    version_id: version_id.map(str::to_owned),
                    version_stage: stage.map(str::to_owned),
                },
            )
            .await;
        match out {
            Ok(v) => Ok(v
                .secret_string
                .map(|s| SecretString::new(s.expose().to_owned()))),
            Err(e) if e.code_str() == "ResourceNotFoundException" => Ok(None),
            Err(e) => Err(api_error(e)),
        }
    }

    async fn put_pending(
        &self,
        secret_id: &str,
        token: &str,
        value: &SecretString,
    ) -> Result<(), RotatorError> {
        self.svc
            .put_secret_value(
                &self.ctx,
                PutSecretValueRequest {
                    secret_id: Some(secret_id.to_owned()),
                    client_request_token: Some(token.to_owned()),
                    secret_string: Some(SensitiveString::new(value.expose().to_owned())),
                    version_stages: Some(vec![AWSPENDING.to_owned()]),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
            .map_err(api_error)
    }

    async fn version_stages(
        &self,
        secret_id: &str,
    ) -> Result<BTreeMap<String, Vec<String>>, RotatorError> {
        self.svc
            .describe_secret(
                &self.ctx,
                DescribeSecretRequest {
                    secret_id: Some(secret_id.to_owned()),
                },
            )
            .await
            .map(|d| d.version_ids_to_stages.unwrap_or_default())
            .map_err(api_error)
    }

    async fn update_stage(
        &self,
        secret_id: &str,
        stage: &str,
        move_to: Option<&str>,
        remove_from: Option<&str>,
    ) -> Result<(), RotatorError> {
        self.svc
            .update_secret_version_stage(
                &self.ctx,
                UpdateSecretVersionStageRequest {
                    secret_id: Some(secret_id.to_owned()),
                    version_stage: Some(stage.to_owned()),
                    move_to_version_id: move_to.map(str::to_owned),
                    remove_from_version_id: remove_from.map(str::to_owned),
                },
            )
            .await
            .map(|_| ())
            .map_err(api_error)
    }

    async fn random_password(
        &self,
        exclude_characters: &str,
    ) -> Result<SecretString, RotatorError> {
        let out = self
            .svc
            .get_random_password(
                &self.ctx,
                GetRandomPasswordRequest {
                    exclude_characters: Some(exclude_characters.to_owned()),
                    ..Default::default()
                },
            )
            .await
            .map_err(api_error)?;
        Ok(SecretString::new(
            out.random_password
                .map(|p| p.expose().to_owned())
                .unwrap_or_default(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // printf '1700000000.{"Step":"createSecret"}' | openssl dgst -sha256 -hmac secretkey
        assert_eq!(
            sign(b"secretkey", "1700000000", br#"{"Step":"createSecret"}"#),
            "a2f0980e6c1616c218a361cb3a2d7ab10443bf745fcdbb2ddded6b370ad90f24"
        );
    }
}
