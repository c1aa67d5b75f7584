//! Table-driven evaluation cases: every operator family, set qualifiers, `IfExists`,
//! `Not*` elements, variables, wildcards, same- and cross-account, session policies.

mod common;

use cofre_policy::{
    access_denied_message, evaluate, trust_allows, trust_grant, Decision, DenyReason, Policy,
    PolicyKind, TrustGrant,
};
use common::*;
use DenyReason::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Want {
    Allow,
    Deny(DenyReason),
}

#[derive(Debug, Clone, Copy)]
struct Case {
    name: &'static str,
    who: &'static str,
    action: &'static str,
    resource: &'static str,
    resource_account: Option<&'static str>,
    keys: &'static [(&'static str, &'static [&'static str])],
    identity: &'static [&'static str],
    resource_policy: Option<&'static str>,
    session: Option<&'static str>,
    want: Want,
}

const BASE: Case = Case {
    name: "",
    who: ALICE,
    action: GSV,
    resource: PROD_SECRET,
    resource_account: None,
    keys: &[],
    identity: &[],
    resource_policy: None,
    session: None,
    want: Want::Allow,
};

const ALLOW_GSV: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;
const DENY_GSV: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const ALLOW_PROD: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:*","Resource":"arn:aws:secretsmanager:*:111122223333:secret:prod/*"}}"#;
const ALLOW_DESCRIBE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*"}}"#;

const RP_ALICE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_ROOT: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_ACCOUNT_ID: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_STAR: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_ROLE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/AppRole"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_SESSION: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/AppRole/s1"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_EXT_ROOT: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_EXT_BOB: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:user/bob"]},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_THIRD_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"777788889999"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_DENY_ALICE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const RP_DENY_EXT_ACCOUNT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"*","Resource":"*"},{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const RP_DENY_NOT_ALICE_FULL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","arn:aws:iam::111122223333:root"]},"Action":"secretsmanager:*","Resource":"*"}}"#;
const RP_DENY_NOT_ALICE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"secretsmanager:*","Resource":"*"}}"#;
const RP_DENY_NOT_SESSION_FULL: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:sts::111122223333:assumed-role/AppRole/s1","arn:aws:iam::111122223333:role/AppRole","111122223333"]},"Action":"secretsmanager:*","Resource":"*"}}"#;
const RP_ALLOW_NOT_ALICE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const RP_SERVICE_ONLY: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;

const SESSION_GSV: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#;
const SESSION_DESCRIBE: &str = r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:DescribeSecret","Resource":"*"}}"#;
const SESSION_DENY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:Get*","Resource":"*"}]}"#;

const CASES: &[Case] = &[
    // ---- identity policies: actions and resources ----
    Case {
        name: "no policy at all",
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "exact action, any resource",
        identity: &[ALLOW_GSV],
        ..BASE
    },
    Case {
        name: "action matching is case-insensitive",
        action: "SecretsManager:getsecretVALUE",
        identity: &[ALLOW_GSV],
        ..BASE
    },
    Case {
        name: "action prefix wildcard",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:Get*","Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "action prefix wildcard misses other actions",
        action: "secretsmanager:DescribeSecret",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:Get*","Resource":"*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "action *",
        identity: &[ALLOW_ALL],
        ..BASE
    },
    Case {
        name: "action ? wildcard",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:?etSecretValue","Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "other service does not match",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"kms:*","Resource":"*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "action list",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["secretsmanager:DescribeSecret","secretsmanager:GetSecretValue"],"Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "resource prefix wildcard",
        identity: &[ALLOW_PROD],
        ..BASE
    },
    Case {
        name: "resource prefix wildcard misses other secret",
        resource: DEV_SECRET,
        identity: &[ALLOW_PROD],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "resource matching is case-sensitive",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:PROD/*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "resource ? wildcards for the random suffix",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-??????"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "resource list, one matches",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":["arn:aws:secretsmanager:*:*:secret:dev/*","arn:aws:secretsmanager:*:*:secret:prod/*"]}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ListSecrets on * with Resource *",
        action: "secretsmanager:ListSecrets",
        resource: "*",
        identity: &[ALLOW_ALL],
        ..BASE
    },
    Case {
        name: "ListSecrets on * with an ARN resource",
        action: "secretsmanager:ListSecrets",
        resource: "*",
        identity: &[ALLOW_PROD],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "single statement object and no Version",
        identity: &[
            r#"{"Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
        ],
        ..BASE
    },
    // ---- explicit deny ----
    Case {
        name: "deny beats allow in the same policy",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "deny in another identity policy",
        identity: &[ALLOW_ALL, DENY_GSV],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "deny of another action leaves the allow",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"secretsmanager:DeleteSecret","Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "deny on another resource leaves the allow",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"}}"#,
        ],
        ..BASE
    },
    // ---- NotAction / NotResource ----
    Case {
        name: "Allow NotAction covers other actions",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"secretsmanager:DeleteSecret","Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Allow NotAction excludes the listed action",
        action: "secretsmanager:DeleteSecret",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"secretsmanager:DeleteSecret","Resource":"*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Deny NotAction denies everything else",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["secretsmanager:Describe*","secretsmanager:List*"],"Resource":"*"}}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "Deny NotAction spares the listed actions",
        action: "secretsmanager:DescribeSecret",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["secretsmanager:Describe*","secretsmanager:List*"],"Resource":"*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Allow NotResource covers other secrets",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:dev/*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Allow NotResource excludes the listed secrets",
        resource: DEV_SECRET,
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:dev/*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Deny NotResource denies outside prod",
        resource: DEV_SECRET,
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:prod/*"}}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "Deny NotResource spares prod",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","NotResource":"arn:aws:secretsmanager:*:*:secret:prod/*"}}"#,
        ],
        ..BASE
    },
    // ---- string conditions ----
    Case {
        name: "StringEquals on a resource tag",
        keys: &[("secretsmanager:ResourceTag/Env", &["prod"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringEquals mismatch",
        keys: &[("secretsmanager:ResourceTag/Env", &["dev"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringEquals is case-sensitive",
        keys: &[("secretsmanager:ResourceTag/Env", &["PROD"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringEquals with the key missing is false",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringNotEquals with the key missing is true (AWS rule for negated operators)",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringNotEquals: no policy value matches (NOR)",
        keys: &[("secretsmanager:ResourceTag/Env", &["dev"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"secretsmanager:ResourceTag/Env":["prod","staging"]}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringNotEquals: one policy value matches",
        keys: &[("secretsmanager:ResourceTag/Env", &["staging"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"secretsmanager:ResourceTag/Env":["prod","staging"]}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringEqualsIgnoreCase",
        keys: &[("secretsmanager:ResourceTag/Env", &["PROD"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIgnoreCase":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringNotEqualsIgnoreCase",
        keys: &[("secretsmanager:ResourceTag/Env", &["PROD"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEqualsIgnoreCase":{"secretsmanager:ResourceTag/Env":"prod"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringLike with wildcards",
        keys: &[("secretsmanager:Name", &["prod/db"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"secretsmanager:Name":["dev/*","prod/*"]}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringEquals does not expand wildcards",
        keys: &[("secretsmanager:Name", &["prod/db"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:Name":"prod/*"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "StringNotLike",
        keys: &[("secretsmanager:Name", &["prod/db"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotLike":{"secretsmanager:Name":"prod/*"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "condition key names are case-insensitive",
        keys: &[("SECRETSMANAGER:name", &["prod/db"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringLike":{"SecretsManager:Name":"prod/*"}}}}"#,
        ],
        ..BASE
    },
    // ---- numeric, date, bool, binary ----
    Case {
        name: "NumericLessThan holds",
        keys: &[("aws:MultiFactorAuthAge", &["3600"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":"7200"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "NumericLessThan fails",
        keys: &[("aws:MultiFactorAuthAge", &["9000"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"aws:MultiFactorAuthAge":7200}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "NumericGreaterThanEquals at the boundary",
        keys: &[("secretsmanager:RecoveryWindowInDays", &["30"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericGreaterThanEquals":{"secretsmanager:RecoveryWindowInDays":"30"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "NumericEquals with decimals",
        keys: &[("x:n", &["2.50"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericEquals":{"x:n":2.5}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "NumericNotEquals with a non-numeric request value is false",
        keys: &[("x:n", &["abc"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericNotEquals":{"x:n":"5"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "DateGreaterThan with ISO 8601",
        keys: &[("aws:CurrentTime", &["2024-06-01T12:00:00Z"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "DateLessThan fails after the date",
        keys: &[("aws:CurrentTime", &["2024-06-01T12:00:00Z"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:CurrentTime":"2024-01-01"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "DateLessThan against epoch seconds",
        keys: &[("aws:EpochTime", &["1700000000"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateLessThan":{"aws:EpochTime":"2024-01-01T00:00:00Z"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "DateEquals across time zones",
        keys: &[("aws:CurrentTime", &["2024-01-01T01:00:00+01:00"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateEquals":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Bool true",
        keys: &[("aws:SecureTransport", &["true"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Bool false does not match true",
        keys: &[("aws:SecureTransport", &["false"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Deny on insecure transport",
        keys: &[("aws:SecureTransport", &["false"])],
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "BinaryEquals",
        keys: &[("x:blob", &["QmluYXJ5VmFsdWU="])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"BinaryEquals":{"x:blob":"QmluYXJ5VmFsdWU="}}}}"#,
        ],
        ..BASE
    },
    // ---- IP addresses ----
    Case {
        name: "IpAddress inside the range",
        keys: &[("aws:SourceIp", &["203.0.113.45"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "IpAddress outside the range",
        keys: &[("aws:SourceIp", &["198.51.100.7"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "IpAddress with IPv6",
        keys: &[("aws:SourceIp", &["2001:db8:1234:5678::42"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"2001:DB8:1234:5678::/64"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Deny NotIpAddress from outside",
        keys: &[("aws:SourceIp", &["198.51.100.7"])],
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "Deny NotIpAddress spares inside",
        keys: &[("aws:SourceIp", &["203.0.113.9"])],
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
        ],
        ..BASE
    },
    // ---- ARNs ----
    Case {
        name: "ArnLike per component",
        keys: &[(
            "aws:SourceArn",
            &["arn:aws:lambda:us-east-1:111122223333:function:rotate"],
        )],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:111122223333:function:*"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ArnEquals also honours wildcards",
        keys: &[(
            "aws:PrincipalArn",
            &["arn:aws:iam::111122223333:role/Admin"],
        )],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ArnLike wildcard stays inside its component",
        keys: &[(
            "aws:SourceArn",
            &["arn:aws:lambda:us-east-1:999999999999:function:x"],
        )],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:lambda:us-east-1*:111122223333:function:*"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "ArnNotLike",
        keys: &[(
            "aws:SourceArn",
            &["arn:aws:lambda:us-east-1:111122223333:function:rotate"],
        )],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:lambda:*:*:function:rot*"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "aws:PrincipalArn derived from the caller when not supplied",
        who: SESSION,
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/AppRole"}}}}"#,
        ],
        ..BASE
    },
    // ---- Null, IfExists ----
    Case {
        name: "Null true: key absent",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "Null true: key present",
        keys: &[("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Null false: key present",
        keys: &[("aws:TokenIssueTime", &["2024-01-01T00:00:00Z"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":false}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringEqualsIfExists with the key missing",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "StringEqualsIfExists with the key present and different",
        keys: &[("aws:RequestedRegion", &["eu-west-1"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "NumericLessThanIfExists with the key present",
        keys: &[("aws:MultiFactorAuthAge", &["100"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThanIfExists":{"aws:MultiFactorAuthAge":"3600"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "BoolIfExists deny fires without the key (long-term credentials)",
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
        ],
        want: Want::Deny(ExplicitDenyIdentity),
        ..BASE
    },
    Case {
        name: "BoolIfExists deny spares MFA sessions",
        keys: &[("aws:MultiFactorAuthPresent", &["true"])],
        identity: &[
            ALLOW_ALL,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}}"#,
        ],
        ..BASE
    },
    // ---- set qualifiers ----
    Case {
        name: "ForAnyValue: one request value matches",
        keys: &[("aws:TagKeys", &["Owner", "Env"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"Env"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ForAnyValue: key missing is false",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"Env"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "ForAllValues: every request value allowed",
        keys: &[("aws:TagKeys", &["Owner", "Env"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Env","Owner","Team"]}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ForAllValues: one request value not allowed",
        keys: &[("aws:TagKeys", &["Owner", "Secret"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Env","Owner"]}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "ForAllValues: key missing is true",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["Env","Owner"]}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ForAllValues:StringLike",
        keys: &[("aws:TagKeys", &["app:a", "app:b"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAllValues:StringLike":{"aws:TagKeys":"app:*"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "ForAnyValue:StringNotEquals: some value differs",
        keys: &[("aws:TagKeys", &["Env", "Owner"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"ForAnyValue:StringNotEquals":{"aws:TagKeys":"Env"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "negated operator on a multi-valued key: no value may match",
        keys: &[("aws:TagKeys", &["Env", "Owner"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringNotEquals":{"aws:TagKeys":"Env"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    // ---- AND / OR structure ----
    Case {
        name: "two keys in a block: both hold",
        keys: &[
            ("aws:SecureTransport", &["true"]),
            ("aws:RequestedRegion", &["us-east-1"]),
        ],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:SecureTransport":"true"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "two keys in a block: one fails",
        keys: &[
            ("aws:SecureTransport", &["true"]),
            ("aws:RequestedRegion", &["eu-west-1"]),
        ],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1","aws:SecureTransport":"true"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "two operators: one fails",
        keys: &[
            ("aws:SecureTransport", &["true"]),
            ("aws:SourceIp", &["198.51.100.1"]),
        ],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    // ---- policy variables ----
    Case {
        name: "${aws:username} in Resource",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/token-AbCdEf",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "${aws:username} names another user's secret",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/carol/token-AbCdEf",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "unresolvable variable: role sessions have no aws:username",
        who: SESSION,
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/-AbCdEf",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Version 2008: ${...} is literal",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/token-AbCdEf",
        identity: &[
            r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "variable in a condition value",
        keys: &[("secretsmanager:ResourceTag/Owner", &["alice"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"secretsmanager:ResourceTag/Owner":"${aws:username}"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "principal tag variable (ABAC)",
        keys: &[
            ("aws:PrincipalTag/Project", &["Apollo"]),
            ("aws:ResourceTag/Project", &["Apollo"]),
        ],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Project":"${aws:PrincipalTag/Project}"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "variable default value",
        keys: &[("aws:ResourceTag/Team", &["shared"])],
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/Team":"${aws:PrincipalTag/Team, 'shared'}"}}}}"#,
        ],
        ..BASE
    },
    Case {
        name: "${*} is a literal asterisk",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:odd*name",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:odd${*}name"}}"#,
        ],
        ..BASE
    },
    Case {
        name: "${*} does not act as a wildcard",
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:oddXname",
        identity: &[
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:us-east-1:111122223333:secret:odd${*}name"}}"#,
        ],
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    // ---- resource policies, same account ----
    Case {
        name: "resource policy naming the user allows alone",
        resource_policy: Some(RP_ALICE),
        ..BASE
    },
    Case {
        name: "resource policy naming another user",
        who: CAROL,
        resource_policy: Some(RP_ALICE),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "account root principal delegates to identity policies",
        resource_policy: Some(RP_ROOT),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "account id principal delegates too",
        resource_policy: Some(RP_ACCOUNT_ID),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "account principal plus identity allow",
        identity: &[ALLOW_GSV],
        resource_policy: Some(RP_ROOT),
        ..BASE
    },
    Case {
        name: "Principal * allows in the same account",
        resource_policy: Some(RP_STAR),
        ..BASE
    },
    Case {
        name: "role ARN principal covers its sessions",
        who: SESSION,
        resource_policy: Some(RP_ROLE),
        ..BASE
    },
    Case {
        name: "exact session ARN principal",
        who: SESSION,
        resource_policy: Some(RP_SESSION),
        ..BASE
    },
    Case {
        name: "service principal never matches a user",
        resource_policy: Some(RP_SERVICE_ONLY),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "resource policy deny beats identity allow",
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_ALICE),
        want: Want::Deny(ExplicitDenyResource),
        ..BASE
    },
    Case {
        name: "Deny NotPrincipal exempts a fully listed user",
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_NOT_ALICE_FULL),
        ..BASE
    },
    Case {
        name: "Deny NotPrincipal denies others",
        who: CAROL,
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_NOT_ALICE_FULL),
        want: Want::Deny(ExplicitDenyResource),
        ..BASE
    },
    Case {
        name: "Deny NotPrincipal without the account still denies the user",
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_NOT_ALICE_ONLY),
        want: Want::Deny(ExplicitDenyResource),
        ..BASE
    },
    Case {
        name: "Deny NotPrincipal exempts a session only with session, role and account",
        who: SESSION,
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_NOT_SESSION_FULL),
        ..BASE
    },
    Case {
        name: "Allow NotPrincipal excludes the listed user",
        resource_policy: Some(RP_ALLOW_NOT_ALICE),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "Allow NotPrincipal covers the others",
        who: CAROL,
        resource_policy: Some(RP_ALLOW_NOT_ALICE),
        ..BASE
    },
    // ---- cross account ----
    Case {
        name: "cross-account without a resource policy",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_GSV],
        want: Want::Deny(NoResourceAllow),
        ..BASE
    },
    Case {
        name: "cross-account: account root grant counts",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_GSV],
        resource_policy: Some(RP_EXT_ROOT),
        ..BASE
    },
    Case {
        name: "cross-account: named user grant",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_GSV],
        resource_policy: Some(RP_EXT_BOB),
        ..BASE
    },
    Case {
        name: "cross-account: resource grant without identity allow",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        resource_policy: Some(RP_EXT_BOB),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "cross-account: grant to a third account",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_GSV],
        resource_policy: Some(RP_THIRD_ACCOUNT),
        want: Want::Deny(NoResourceAllow),
        ..BASE
    },
    Case {
        name: "cross-account: Principal *",
        who: EXT_ROLE_SESSION,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_GSV],
        resource_policy: Some(RP_STAR),
        ..BASE
    },
    Case {
        name: "cross-account: explicit deny of the account",
        who: BOB_EXT,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_DENY_EXT_ACCOUNT),
        want: Want::Deny(ExplicitDenyResource),
        ..BASE
    },
    Case {
        name: "resource_account equal to the caller's is same-account",
        resource_account: Some(ACCOUNT),
        resource_policy: Some(RP_ALICE),
        ..BASE
    },
    // ---- session policies ----
    Case {
        name: "session policy and identity both allow",
        who: SESSION,
        identity: &[ALLOW_ALL],
        session: Some(SESSION_GSV),
        ..BASE
    },
    Case {
        name: "session policy does not allow",
        who: SESSION,
        identity: &[ALLOW_ALL],
        session: Some(SESSION_DESCRIBE),
        want: Want::Deny(NoSessionAllow),
        ..BASE
    },
    Case {
        name: "session policy denies",
        who: SESSION,
        identity: &[ALLOW_ALL],
        session: Some(SESSION_DENY),
        want: Want::Deny(ExplicitDenySession),
        ..BASE
    },
    Case {
        name: "session policy alone grants nothing",
        who: SESSION,
        identity: &[ALLOW_DESCRIBE],
        session: Some(SESSION_GSV),
        want: Want::Deny(NoIdentityAllow),
        ..BASE
    },
    Case {
        name: "role-ARN resource grant is limited by the session policy",
        who: SESSION,
        resource_policy: Some(RP_ROLE),
        session: Some(SESSION_DESCRIBE),
        want: Want::Deny(NoSessionAllow),
        ..BASE
    },
    Case {
        name: "session-ARN resource grant is not limited by the session policy",
        who: SESSION,
        resource_policy: Some(RP_SESSION),
        session: Some(SESSION_DESCRIBE),
        ..BASE
    },
    Case {
        name: "cross-account session: identity, session and resource allow",
        who: EXT_ROLE_SESSION,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_EXT_ROOT),
        session: Some(SESSION_GSV),
        ..BASE
    },
    Case {
        name: "cross-account session: session policy does not allow",
        who: EXT_ROLE_SESSION,
        resource_account: Some(ACCOUNT),
        identity: &[ALLOW_ALL],
        resource_policy: Some(RP_EXT_ROOT),
        session: Some(SESSION_DESCRIBE),
        want: Want::Deny(NoSessionAllow),
        ..BASE
    },
    // ---- root ----
    Case {
        name: "root with the caller-supplied allow-all policy",
        who: ROOT,
        identity: &[ALLOW_ALL],
        ..BASE
    },
    Case {
        name: "root is still subject to a resource-policy deny",
        who: ROOT,
        identity: &[ALLOW_ALL],
        resource_policy: Some(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"111122223333"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
        ),
        want: Want::Deny(ExplicitDenyResource),
        ..BASE
    },
];

fn run(case: &Case) -> Want {
    let req = request(
        case.who,
        case.action,
        case.resource,
        case.resource_account,
        case.keys,
    );
    let identity: Vec<Policy> = case
        .identity
        .iter()
        .map(|j| parse(j, PolicyKind::Identity))
        .collect();
    let identity_refs: Vec<&Policy> = identity.iter().collect();
    let resource = case.resource_policy.map(|j| parse(j, PolicyKind::Resource));
    let session = case.session.map(|j| parse(j, PolicyKind::Session));
    let e = evaluate(&req, &identity_refs, resource.as_ref(), session.as_ref());
    match (e.decision, e.reason) {
        (Decision::Allow, None) => Want::Allow,
        (d, Some(r)) => {
            assert_eq!(d, r.decision(), "{}: decision/reason mismatch", case.name);
            Want::Deny(r)
        }
        other => panic!("{}: inconsistent evaluation {other:?}", case.name),
    }
}

#[test]
fn evaluation_table() {
    assert!(CASES.len() >= 60, "only {} cases", CASES.len());
    let mut failures = Vec::new();
    for case in CASES {
        let got = run(case);
        if got != case.want {
            failures.push(format!("{}: want {:?}, got {got:?}", case.name, case.want));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn access_denied_messages() {
    let req = request(
        "arn:aws:sts::763606934258:assumed-role/Atlantis/aws-go-sdk-1",
        "secretsmanager:GetResourcePolicy",
        "arn:aws:secretsmanager:us-east-1:763606934258:secret:/devops/x-2jm5Pa",
        None,
        &[],
    );
    // The shape of real messages quoted in public issue reports.
    assert_eq!(
        access_denied_message(&req, DenyReason::NoIdentityAllow),
        "User: arn:aws:sts::763606934258:assumed-role/Atlantis/aws-go-sdk-1 is not authorized to \
         perform: secretsmanager:GetResourcePolicy on resource: \
         arn:aws:secretsmanager:us-east-1:763606934258:secret:/devops/x-2jm5Pa because no \
         identity-based policy allows the secretsmanager:GetResourcePolicy action"
    );
    let list = request(ALICE, "secretsmanager:ListSecrets", "*", None, &[]);
    assert_eq!(
        access_denied_message(&list, DenyReason::NoIdentityAllow),
        "User: arn:aws:iam::111122223333:user/alice is not authorized to perform: \
         secretsmanager:ListSecrets because no identity-based policy allows the \
         secretsmanager:ListSecrets action"
    );
    let tails = [
        (
            DenyReason::ExplicitDenyIdentity,
            "with an explicit deny in an identity-based policy",
        ),
        (
            DenyReason::ExplicitDenyResource,
            "with an explicit deny in a resource-based policy",
        ),
        (
            DenyReason::ExplicitDenySession,
            "with an explicit deny in a session policy",
        ),
        (
            DenyReason::NoIdentityAllow,
            "because no identity-based policy allows the secretsmanager:GetSecretValue action",
        ),
        (
            DenyReason::NoResourceAllow,
            "because no resource-based policy allows the secretsmanager:GetSecretValue action",
        ),
        (
            DenyReason::NoSessionAllow,
            "because no session policy allows the secretsmanager:GetSecretValue action",
        ),
    ];
    for (reason, tail) in tails {
        assert_eq!(reason.message_tail(GSV), tail);
    }
}

#[test]
fn trust_policies() {
    let trust = parse(
        r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"},
            {"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole",
             "Condition":{"StringEquals":{"sts:ExternalId":"Unique-Id-1"}}},
            {"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::444455556666:user/mallory"},"Action":"sts:AssumeRole"}
        ]}"#,
        PolicyKind::Trust,
    );
    let assume = |who: &str, keys: &[(&str, &[&str])]| {
        request(
            who,
            "sts:AssumeRole",
            "arn:aws:iam::111122223333:role/Target",
            None,
            keys,
        )
    };
    assert_eq!(
        trust_grant(&trust, &assume(ALICE, &[])),
        Some(TrustGrant::Principal)
    );
    assert!(!trust_allows(&trust, &assume(CAROL, &[])));
    assert!(
        !trust_allows(&trust, &assume(BOB_EXT, &[])),
        "external id missing"
    );
    assert_eq!(
        trust_grant(
            &trust,
            &assume(BOB_EXT, &[("sts:ExternalId", &["Unique-Id-1"])])
        ),
        Some(TrustGrant::Account)
    );
    assert!(!trust_allows(
        &trust,
        &assume(
            "arn:aws:iam::444455556666:user/mallory",
            &[("sts:ExternalId", &["Unique-Id-1"])]
        )
    ));
    // A different action is not covered.
    let mut tag = assume(ALICE, &[]);
    tag.action = "sts:TagSession".into();
    assert!(!trust_allows(&trust, &tag));
}
