//! Known-answer tests: example policies from the IAM user guide and the Secrets Manager user
//! guide, evaluated against the outcomes those pages describe.

mod common;

use cofre_policy::{evaluate, Decision, DenyReason, Policy, PolicyKind, RequestContext};
use common::*;

fn decide(
    req: &RequestContext,
    identity: &[&Policy],
    resource: Option<&Policy>,
) -> (Decision, Option<DenyReason>) {
    let e = evaluate(req, identity, resource, None);
    (e.decision, e.reason)
}

const ALLOW: (Decision, Option<DenyReason>) = (Decision::Allow, None);
const NO_IDENTITY: (Decision, Option<DenyReason>) =
    (Decision::ImplicitDeny, Some(DenyReason::NoIdentityAllow));

const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#;

/// IAM user guide, "AWS: Allows access based on date and time"
/// (reference_policies_examples_aws-dates): access between April 1, 2020 and June 30, 2020.
#[test]
fn iam_allows_access_based_on_date_and_time() {
    let policy = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "service-prefix:action-name",
                    "Resource": "*",
                    "Condition": {
                        "DateGreaterThan": {"aws:CurrentTime": "2020-04-01T00:00:00Z"},
                        "DateLessThan": {"aws:CurrentTime": "2020-06-30T23:59:59Z"}
                    }
                }
            ]
        }"#,
        PolicyKind::Identity,
    );
    let at = |time: &str| {
        request(
            ALICE,
            "service-prefix:action-name",
            "*",
            None,
            &[("aws:CurrentTime", &[time])],
        )
    };
    for (time, want) in [
        ("2020-05-15T12:00:00Z", ALLOW),
        ("2020-04-01T00:00:01Z", ALLOW),
        ("2020-06-30T23:59:58Z", ALLOW),
        // The operators are strict.
        ("2020-04-01T00:00:00Z", NO_IDENTITY),
        ("2020-06-30T23:59:59Z", NO_IDENTITY),
        ("2020-03-31T23:59:59Z", NO_IDENTITY),
        ("2020-07-01T00:00:00Z", NO_IDENTITY),
        // Same instant in another zone.
        ("2020-05-15T14:00:00+02:00", ALLOW),
    ] {
        assert_eq!(decide(&at(time), &[&policy], None), want, "{time}");
    }
    // No time in the request context: the condition is false.
    let bare = request(ALICE, "service-prefix:action-name", "*", None, &[]);
    assert_eq!(decide(&bare, &[&policy], None), NO_IDENTITY);
}

/// IAM user guide, "AWS: Denies access to AWS based on the source IP"
/// (reference_policies_examples_aws_deny-ip): deny unless from 192.0.2.0/24 or
/// 203.0.113.0/24, except calls AWS services make on the principal's behalf.
#[test]
fn iam_denies_access_based_on_source_ip() {
    let deny = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": {
                "Effect": "Deny",
                "Action": "*",
                "Resource": "*",
                "Condition": {
                    "NotIpAddress": {
                        "aws:SourceIp": [
                            "192.0.2.0/24",
                            "203.0.113.0/24"
                        ]
                    },
                    "Bool": {"aws:ViaAWSService": "false"}
                }
            }
        }"#,
        PolicyKind::Identity,
    );
    let allow = parse(ALLOW_ALL, PolicyKind::Identity);
    let from = |ip: &str, via: &str| {
        request(
            ALICE,
            GSV,
            PROD_SECRET,
            None,
            &[("aws:SourceIp", &[ip]), ("aws:ViaAWSService", &[via])],
        )
    };
    let denied = (
        Decision::ExplicitDeny,
        Some(DenyReason::ExplicitDenyIdentity),
    );
    assert_eq!(
        decide(&from("192.0.2.7", "false"), &[&allow, &deny], None),
        ALLOW
    );
    assert_eq!(
        decide(&from("203.0.113.200", "false"), &[&allow, &deny], None),
        ALLOW
    );
    assert_eq!(
        decide(&from("198.51.100.1", "false"), &[&allow, &deny], None),
        denied
    );
    // "The policy does not deny requests made by AWS services ... as the original requester's
    // IP address is preserved."
    assert_eq!(
        decide(&from("198.51.100.1", "true"), &[&allow, &deny], None),
        ALLOW
    );
    // "This policy does not allow any actions."
    assert_eq!(
        decide(&from("192.0.2.7", "false"), &[&deny], None),
        NO_IDENTITY
    );
}

/// IAM user guide, "AWS: Allows MFA-authenticated IAM users to manage their own credentials
/// on the Security credentials page" (reference_policies_examples_aws_my-sec-creds-self-manage),
/// abridged to the statements exercised here.
#[test]
fn iam_users_manage_their_own_credentials() {
    let policy = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowViewAccountInfo",
                    "Effect": "Allow",
                    "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
                    "Resource": "*"
                },
                {
                    "Sid": "AllowManageOwnPasswords",
                    "Effect": "Allow",
                    "Action": ["iam:ChangePassword", "iam:GetUser"],
                    "Resource": "arn:aws:iam::*:user/${aws:username}"
                },
                {
                    "Sid": "AllowManageOwnAccessKeys",
                    "Effect": "Allow",
                    "Action": [
                        "iam:CreateAccessKey",
                        "iam:DeleteAccessKey",
                        "iam:ListAccessKeys",
                        "iam:UpdateAccessKey",
                        "iam:GetAccessKeyLastUsed"
                    ],
                    "Resource": "arn:aws:iam::*:user/${aws:username}"
                },
                {
                    "Sid": "AllowManageOwnVirtualMFADevice",
                    "Effect": "Allow",
                    "Action": ["iam:CreateVirtualMFADevice"],
                    "Resource": "arn:aws:iam::*:mfa/*"
                },
                {
                    "Sid": "DenyAllExceptListedIfNoMFA",
                    "Effect": "Deny",
                    "NotAction": [
                        "iam:CreateVirtualMFADevice",
                        "iam:EnableMFADevice",
                        "iam:GetUser",
                        "iam:GetMFADevice",
                        "iam:ListMFADevices",
                        "iam:ListVirtualMFADevices",
                        "iam:ResyncMFADevice",
                        "sts:GetSessionToken"
                    ],
                    "Resource": "*",
                    "Condition": {
                        "BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}
                    }
                }
            ]
        }"#,
        PolicyKind::Identity,
    );
    let mfa: &[(&str, &[&str])] = &[("aws:MultiFactorAuthPresent", &["true"])];
    let own = "arn:aws:iam::111122223333:user/alice";
    let other = "arn:aws:iam::111122223333:user/carol";
    let req = |action: &str, resource: &str, keys| request(ALICE, action, resource, None, keys);
    let mfa_deny = (
        Decision::ExplicitDeny,
        Some(DenyReason::ExplicitDenyIdentity),
    );

    assert_eq!(
        decide(&req("iam:ListAccessKeys", own, mfa), &[&policy], None),
        ALLOW
    );
    assert_eq!(
        decide(&req("iam:ChangePassword", own, mfa), &[&policy], None),
        ALLOW
    );
    assert_eq!(
        decide(&req("iam:ListAccessKeys", other, mfa), &[&policy], None),
        NO_IDENTITY,
        "another user's keys"
    );
    // Long-term credentials carry no aws:MultiFactorAuthPresent: BoolIfExists is true.
    assert_eq!(
        decide(&req("iam:ListAccessKeys", own, &[]), &[&policy], None),
        mfa_deny
    );
    assert_eq!(
        decide(
            &req(
                "iam:ListAccessKeys",
                own,
                &[("aws:MultiFactorAuthPresent", &["false"])]
            ),
            &[&policy],
            None
        ),
        mfa_deny
    );
    // ...except for the actions needed to set MFA up.
    assert_eq!(
        decide(&req("iam:GetUser", own, &[]), &[&policy], None),
        ALLOW
    );
    // A role session has no aws:username: the ${aws:username} resources match nothing.
    let session = request(SESSION, "iam:ListAccessKeys", own, None, mfa);
    assert_eq!(decide(&session, &[&policy], None), NO_IDENTITY);
}

/// Secrets Manager user guide, "Control access to secrets using tags": allow
/// GetSecretValue / DescribeSecret on secrets tagged `ServerName=ServerABC`, written with
/// both the global and the service-specific tag key.
#[test]
fn secrets_manager_access_by_tag() {
    for key in [
        "aws:ResourceTag/ServerName",
        "secretsmanager:ResourceTag/ServerName",
    ] {
        let policy = parse(
            &format!(
                r#"{{
                    "Version": "2012-10-17",
                    "Statement": [
                        {{
                            "Effect": "Allow",
                            "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
                            "Resource": "*",
                            "Condition": {{"StringEquals": {{"{key}": "ServerABC"}}}}
                        }},
                        {{
                            "Effect": "Allow",
                            "Action": "secretsmanager:ListSecrets",
                            "Resource": "*"
                        }}
                    ]
                }}"#
            ),
            PolicyKind::Identity,
        );
        let tagged = |value: &str| request(ALICE, GSV, PROD_SECRET, None, &[(key, &[value])]);
        assert_eq!(
            decide(&tagged("ServerABC"), &[&policy], None),
            ALLOW,
            "{key}"
        );
        assert_eq!(decide(&tagged("ServerXYZ"), &[&policy], None), NO_IDENTITY);
        assert_eq!(decide(&tagged("serverabc"), &[&policy], None), NO_IDENTITY);
        let untagged = request(ALICE, GSV, PROD_SECRET, None, &[]);
        assert_eq!(decide(&untagged, &[&policy], None), NO_IDENTITY);
        let list = request(ALICE, "secretsmanager:ListSecrets", "*", None, &[]);
        assert_eq!(decide(&list, &[&policy], None), ALLOW);
    }
}

/// Secrets Manager user guide, attribute-based access control: a principal reads the secrets
/// whose `AccessProject` tag equals its own `AccessProject` tag.
#[test]
fn secrets_manager_abac_with_principal_tags() {
    let policy = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            "aws:ResourceTag/AccessProject": "${aws:PrincipalTag/AccessProject}"
                        }
                    }
                }
            ]
        }"#,
        PolicyKind::Identity,
    );
    let secret_tag: (&str, &[&str]) = ("aws:ResourceTag/AccessProject", &["Apollo"]);
    let same = request(
        SESSION,
        GSV,
        PROD_SECRET,
        None,
        &[secret_tag, ("aws:PrincipalTag/AccessProject", &["Apollo"])],
    );
    let different = request(
        SESSION,
        GSV,
        PROD_SECRET,
        None,
        &[secret_tag, ("aws:PrincipalTag/AccessProject", &["Gemini"])],
    );
    let untagged = request(SESSION, GSV, PROD_SECRET, None, &[secret_tag]);
    assert_eq!(decide(&same, &[&policy], None), ALLOW);
    assert_eq!(decide(&different, &[&policy], None), NO_IDENTITY);
    // An untagged principal's variable does not resolve: nothing matches.
    assert_eq!(decide(&untagged, &[&policy], None), NO_IDENTITY);
}

/// IAM user guide, "Controlling access based on tag keys": `ForAllValues:StringEquals` on
/// `aws:TagKeys` allows only the listed keys — and, as the guide warns, also allows a request
/// with no tags at all.
#[test]
fn iam_tag_keys_with_for_all_values() {
    let policy = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:TagResource",
                    "Resource": "*",
                    "Condition": {
                        "ForAllValues:StringEquals": {"aws:TagKeys": ["Environment", "CostCenter"]}
                    }
                }
            ]
        }"#,
        PolicyKind::Identity,
    );
    let tag = |keys: &'static [&'static str]| {
        request(
            ALICE,
            "secretsmanager:TagResource",
            PROD_SECRET,
            None,
            &[("aws:TagKeys", keys)],
        )
    };
    assert_eq!(decide(&tag(&["Environment"]), &[&policy], None), ALLOW);
    assert_eq!(
        decide(&tag(&["Environment", "CostCenter"]), &[&policy], None),
        ALLOW
    );
    assert_eq!(
        decide(&tag(&["Environment", "Owner"]), &[&policy], None),
        NO_IDENTITY
    );
    assert_eq!(decide(&tag(&[]), &[&policy], None), ALLOW);
}

/// Secrets Manager user guide, "Access AWS Secrets Manager secrets from a different
/// account": the secret's resource policy names a role of account 444455556666, whose
/// identity policy allows GetSecretValue on the secret.
#[test]
fn secrets_manager_cross_account_access() {
    let secret = "arn:aws:secretsmanager:us-east-1:111122223333:secret:SecretName-AbCdEf";
    let resource = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:role/ApplicationRole"},
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*"
                }
            ]
        }"#,
        PolicyKind::Resource,
    );
    let identity = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:SecretName-AbCdEf"
                },
                {
                    "Effect": "Allow",
                    "Action": "kms:Decrypt",
                    "Resource": "arn:aws:kms:us-east-1:111122223333:key/EncryptionKey"
                }
            ]
        }"#,
        PolicyKind::Identity,
    );
    let app = "arn:aws:sts::444455556666:assumed-role/ApplicationRole/app";
    let other = "arn:aws:sts::444455556666:assumed-role/OtherRole/app";
    let req = |who: &str| request(who, GSV, secret, Some(ACCOUNT), &[]);
    assert_eq!(decide(&req(app), &[&identity], Some(&resource)), ALLOW);
    assert_eq!(
        decide(&req(other), &[&identity], Some(&resource)),
        (Decision::ImplicitDeny, Some(DenyReason::NoResourceAllow))
    );
    assert_eq!(decide(&req(app), &[], Some(&resource)), NO_IDENTITY);
    assert_eq!(
        decide(&req(app), &[&identity], None),
        (Decision::ImplicitDeny, Some(DenyReason::NoResourceAllow))
    );
}

/// Secrets Manager user guide, VPC endpoint example: a resource policy denying
/// GetSecretValue to requests that do not come through one VPC endpoint.
#[test]
fn secrets_manager_deny_outside_vpc_endpoint() {
    let resource = parse(
        r#"{
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "RestrictGetSecretValueoperation",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "secretsmanager:GetSecretValue",
                    "Resource": "*",
                    "Condition": {"StringNotEquals": {"aws:sourceVpce": "vpce-1234a5678b9012c"}}
                }
            ]
        }"#,
        PolicyKind::Resource,
    );
    let allow = parse(ALLOW_ALL, PolicyKind::Identity);
    let via = |vpce: Option<&'static str>| match vpce {
        Some("vpce-1234a5678b9012c") => request(
            ALICE,
            GSV,
            PROD_SECRET,
            None,
            &[("aws:SourceVpce", &["vpce-1234a5678b9012c"])],
        ),
        Some(_) => request(
            ALICE,
            GSV,
            PROD_SECRET,
            None,
            &[("aws:SourceVpce", &["vpce-0000000000000000"])],
        ),
        None => request(ALICE, GSV, PROD_SECRET, None, &[]),
    };
    let denied = (
        Decision::ExplicitDeny,
        Some(DenyReason::ExplicitDenyResource),
    );
    assert_eq!(
        decide(
            &via(Some("vpce-1234a5678b9012c")),
            &[&allow],
            Some(&resource)
        ),
        ALLOW
    );
    assert_eq!(
        decide(&via(Some("other")), &[&allow], Some(&resource)),
        denied
    );
    // Not through any endpoint: the key is absent and StringNotEquals is then true.
    assert_eq!(decide(&via(None), &[&allow], Some(&resource)), denied);
    // Other actions are untouched.
    let mut describe = via(None);
    describe.action = "secretsmanager:DescribeSecret".into();
    assert_eq!(decide(&describe, &[&allow], Some(&resource)), ALLOW);
}
