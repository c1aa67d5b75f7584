//! Helpers shared by the integration tests.
#![allow(dead_code)]

use cofre_policy::{ContextKeys, Policy, PolicyKind, Principal, RequestContext};

pub const ACCOUNT: &str = "111122223333";
pub const OTHER_ACCOUNT: &str = "444455556666";
pub const ALICE: &str = "arn:aws:iam::111122223333:user/alice";
pub const CAROL: &str = "arn:aws:iam::111122223333:user/carol";
pub const ROOT: &str = "arn:aws:iam::111122223333:root";
pub const ROLE: &str = "arn:aws:iam::111122223333:role/AppRole";
pub const SESSION: &str = "arn:aws:sts::111122223333:assumed-role/AppRole/s1";
pub const BOB_EXT: &str = "arn:aws:iam::444455556666:user/bob";
pub const EXT_ROLE_SESSION: &str = "arn:aws:sts::444455556666:assumed-role/Reader/r1";
pub const PROD_SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf";
pub const DEV_SECRET: &str = "arn:aws:secretsmanager:us-east-1:111122223333:secret:dev/db-XyZ123";
pub const GSV: &str = "secretsmanager:GetSecretValue";

/// Parses a policy, panicking with the message on failure.
pub fn parse(json: &str, kind: PolicyKind) -> Policy {
    Policy::parse(json, kind).unwrap_or_else(|e| panic!("{e}: {json}"))
}

/// A principal from its ARN.
pub fn principal(arn: &str) -> Principal {
    Principal::from_arn(arn).unwrap_or_else(|| panic!("bad principal {arn}"))
}

/// A request with the given keys (each key with one or more values).
pub fn request(
    principal_arn: &str,
    action: &str,
    resource: &str,
    resource_account: Option<&str>,
    keys: &[(&str, &[&str])],
) -> RequestContext {
    let mut ctx = ContextKeys::new();
    for (k, vs) in keys {
        ctx.insert_many(k, vs.iter().map(|v| (*v).to_owned()).collect());
    }
    RequestContext {
        principal: principal(principal_arn),
        action: action.to_owned(),
        resource: resource.to_owned(),
        resource_account: resource_account.map(str::to_owned),
        keys: ctx,
    }
}

/// An identity policy with one statement.
pub fn stmt(effect: &str, action: &str, resource: &str, condition: &str) -> String {
    let condition = if condition.is_empty() {
        String::new()
    } else {
        format!(r#","Condition":{condition}"#)
    };
    format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"{effect}","Action":"{action}","Resource":"{resource}"{condition}}}}}"#
    )
}
