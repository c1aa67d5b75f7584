//! The credentials a rotation step runs with.
//!
//! In AWS a rotation Lambda runs as its execution role. In Cofre every account gets a service
//! role, `/service-role/CofreSecretsRotation` ([`ROLE_NAME`]), made the first time a rotation
//! runs in that account: its inline policy allows Secrets Manager and the KMS calls values
//! need. Each step runs in a session of that role whose session policy names the one secret
//! being rotated (and the superuser secret its value's `masterarn` names, which the
//! alternating-users rotators read), so a step can touch nothing else. The role is an
//! ordinary IAM role: an operator may narrow it further, or deny it, with IAM.
//!
//! - Built-in functions run in-process with a [`Context`] for that session.
//! - `exec` functions receive real temporary credentials for it (an STS session, `ASIA…`),
//!   valid for the step's timeout (at least 15 minutes, STS's minimum).

use std::collections::BTreeMap;

use cofre_api::{CallerKind, Context};

use crate::iam::CreateRole;
use crate::iam::{error::ENTITY_ALREADY_EXISTS, model::Role, model::SessionCredentials};
use crate::secrets::Service;

/// The rotation role's name.
pub const ROLE_NAME: &str = "CofreSecretsRotation";
const ROLE_PATH: &str = "/service-role/";
const ROLE_POLICY_NAME: &str = "CofreSecretsRotation";
const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"secretsmanager.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const ROLE_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue","secretsmanager:PutSecretValue","secretsmanager:UpdateSecretVersionStage","secretsmanager:ListSecretVersionIds","secretsmanager:GetRandomPassword"],"Resource":"*"},{"Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey","kms:DescribeKey"],"Resource":"*"}]}"#;

/// The session a step of the rotation of `secret_arn` runs in.
#[derive(Debug, Clone)]
pub struct StepScope {
    /// The role.
    pub role: Role,
    /// The session name (`rotation-<secret name prefix>`).
    pub session_name: String,
    /// The session policy.
    pub policy: String,
}

impl StepScope {
    /// A request context for in-process calls made in this session.
    pub fn context(&self, account: &str, region: &str, request_id: &str) -> Context {
        Context {
            account_id: account.to_owned(),
            region: region.to_owned(),
            request_id: request_id.to_owned(),
            access_key_id: String::new(),
            principal_arn: self.session_arn(),
            source_ip: None,
            secure_transport: false,
            caller: cofre_api::Caller {
                account_id: account.to_owned(),
                arn: self.session_arn(),
                kind: CallerKind::AssumedRole {
                    role_arn: self.role.arn.clone(),
                    user_id: format!("{}:{}", self.role.role_id, self.session_name),
                    session_policy: Some(self.policy.clone()),
                },
                tags: BTreeMap::new(),
            },
            authorized: Default::default(),
        }
    }

    fn session_arn(&self) -> String {
        format!(
            "arn:aws:sts::{}:assumed-role/{}/{}",
            self.role.account_id, self.role.role_name, self.session_name
        )
    }
}

/// The session policy for rotating `secret_arn`, with read access to `master_arn` too.
pub fn session_policy(secret_arn: &str, master_arn: Option<&str>) -> String {
    let mut read = vec![serde_json::Value::from(secret_arn)];
    if let Some(m) = master_arn {
        read.push(m.into());
    }
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": [
                "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage",
                "secretsmanager:ListSecretVersionIds"], "Resource": secret_arn},
            {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], "Resource": read},
            {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
            {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], "Resource": "*"}
        ]
    })
    .to_string()
}

/// A session name from a secret name: `rotation-` and the name's allowed characters, at most
/// 64 in all.
fn session_name(secret_name: &str) -> String {
    let mut s = String::from("rotation-");
    s.extend(
        secret_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(*c))
            .take(64 - s.len()),
    );
    s
}

impl Service {
    /// The account's rotation role, made on first use.
    pub async fn rotation_role(&self, account: &str) -> Result<Role, String> {
        match self.iam.get_role(account, ROLE_NAME).await {
            Ok(r) => return Ok(r),
            Err(e) if e.code == crate::iam::error::NO_SUCH_ENTITY => {}
            Err(e) => return Err(e.message),
        }
        let created = self
            .iam
            .create_role(
                account,
                CreateRole {
                    role_name: ROLE_NAME.to_owned(),
                    path: Some(ROLE_PATH.to_owned()),
                    assume_role_policy_document: TRUST_POLICY.to_owned(),
                    description: Some(
                        "Made by Cofre: rotation functions run in sessions of this role, each bounded to one secret.".to_owned(),
                    ),
                    max_session_duration: None,
                    tags: vec![],
                },
            )
            .await;
        match created {
            Ok(_) => {}
            // Another node made it first.
            Err(e) if e.code == ENTITY_ALREADY_EXISTS => {}
            Err(e) => return Err(e.message),
        }
        self.iam
            .put_role_policy(account, ROLE_NAME, ROLE_POLICY_NAME, ROLE_POLICY)
            .await
            .map_err(|e| e.message)?;
        self.iam
            .get_role(account, ROLE_NAME)
            .await
            .map_err(|e| e.message)
    }

    /// The scope of a step rotating `secret_arn` (named `secret_name`).
    pub async fn step_scope(
        &self,
        account: &str,
        secret_arn: &str,
        secret_name: &str,
        master_arn: Option<&str>,
    ) -> Result<StepScope, String> {
        Ok(StepScope {
            role: self.rotation_role(account).await?,
            session_name: session_name(secret_name),
            policy: session_policy(secret_arn, master_arn),
        })
    }

    /// Temporary credentials for `scope`, valid `secs` (at least 900).
    pub async fn step_credentials(
        &self,
        scope: &StepScope,
        secs: u64,
    ) -> Result<SessionCredentials, String> {
        let secs = i64::try_from(secs.clamp(900, 3600)).unwrap_or(900);
        self.iam
            .create_session(
                self.keys.root(),
                &scope.role,
                &scope.session_name,
                Some(secs),
                Some(scope.policy.clone()),
                vec![],
            )
            .await
            .map_err(|e| e.message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_fit_sts_rules() {
        assert_eq!(session_name("db/prod pass"), "rotation-dbprodpass");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }
}
