//! `Policy::is_public` (BlockPublicPolicy) and `validate` (ValidateResourcePolicy).

use cofre_policy::{checks, messages, validate, Policy, PolicyKind};

fn resource_policy(statement: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statement}]}}"#)
}

fn is_public(statement: &str) -> bool {
    let doc = resource_policy(statement);
    Policy::parse(&doc, PolicyKind::Resource)
        .unwrap_or_else(|e| panic!("{e}: {doc}"))
        .is_public()
}

const GSV: &str = r#""Action":"secretsmanager:GetSecretValue","Resource":"*""#;

#[test]
fn public_principals() {
    let cases: &[(&str, bool)] = &[
        (r#""Principal":"*""#, true),
        (r#""Principal":{"AWS":"*"}"#, true),
        (r#""Principal":{"AWS":["111122223333","*"]}"#, true),
        (
            r#""NotPrincipal":{"AWS":"arn:aws:iam::111122223333:user/alice"}"#,
            true,
        ),
        (r#""Principal":{"AWS":"111122223333"}"#, false),
        (
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:role/R"}"#,
            false,
        ),
        (r#""Principal":{"Service":"lambda.amazonaws.com"}"#, false),
    ];
    for (principal, want) in cases {
        let st = format!(r#"{{"Effect":"Allow",{principal},{GSV}}}"#);
        assert_eq!(is_public(&st), *want, "{st}");
    }
    // A Deny open to everyone grants nothing.
    assert!(!is_public(&format!(
        r#"{{"Effect":"Deny","Principal":"*",{GSV}}}"#
    )));
}

#[test]
fn restricting_conditions() {
    let cases: &[(&str, bool)] = &[
        (
            r#"{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            false,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalAccount":["111122223333","444455556666"]}}"#,
            false,
        ),
        (
            r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
            false,
        ),
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/*"}}"#,
            false,
        ),
        (
            r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:lambda:us-east-1:111122223333:function:f"}}"#,
            false,
        ),
        (r#"{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}"#, false),
        (r#"{"StringEquals":{"aws:username":"alice"}}"#, false),
        (
            r#"{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111122223333:user/*"}}"#,
            false,
        ),
        // Not restricting:
        (
            r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/Admin"}}"#,
            true,
        ),
        (r#"{"StringLike":{"aws:PrincipalAccount":"*"}}"#, true),
        (
            r#"{"StringLike":{"aws:PrincipalAccount":"1111222233??"}}"#,
            true,
        ),
        (
            r#"{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}"#,
            true,
        ),
        (
            r#"{"ForAllValues:StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}"#,
            true,
        ),
        (
            r#"{"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}"#,
            true,
        ),
        (
            r#"{"StringEquals":{"aws:PrincipalAccount":"${aws:PrincipalAccount}"}}"#,
            true,
        ),
        (r#"{"IpAddress":{"aws:SourceIp":"203.0.113.0/24"}}"#, true),
        (r#"{"Bool":{"aws:SecureTransport":"true"}}"#, true),
        (r#"{"StringEquals":{"aws:PrincipalAccount":[]}}"#, true),
    ];
    for (condition, want) in cases {
        let st = format!(r#"{{"Effect":"Allow","Principal":"*",{GSV},"Condition":{condition}}}"#);
        assert_eq!(is_public(&st), *want, "{condition}");
    }
}

#[test]
fn one_public_statement_makes_the_policy_public() {
    let doc = resource_policy(&format!(
        r#"{{"Effect":"Allow","Principal":{{"AWS":"111122223333"}},{GSV}}},
           {{"Effect":"Allow","Principal":{{"AWS":"*"}},"Action":"secretsmanager:DescribeSecret","Resource":"*"}}"#
    ));
    assert!(Policy::parse(&doc, PolicyKind::Resource)
        .unwrap()
        .is_public());
}

#[test]
fn validate_findings() {
    // The example from the Secrets Manager API reference passes.
    let example = "{\n\"Version\":\"2012-10-17\",\n\"Statement\":[{\n\"Effect\":\"Allow\",\n\"Principal\":{\n\"AWS\":\"arn:aws:iam::123456789012:root\"\n},\n\"Action\":\"secretsmanager:GetSecretValue\",\n\"Resource\":\"*\"\n}]\n}";
    assert_eq!(validate(example, PolicyKind::Resource), vec![]);

    let syntax = validate("{not json", PolicyKind::Resource);
    assert_eq!(syntax.len(), 1);
    assert_eq!(syntax[0].check_name, checks::SYNTAX);
    assert_eq!(syntax[0].error_message, messages::SYNTAX);

    let no_principal = validate(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}}"#,
        PolicyKind::Resource,
    );
    assert_eq!(
        no_principal[0].error_message,
        "Missing required field Principal"
    );

    let public = validate(
        &resource_policy(&format!(
            r#"{{"Sid":"Open","Effect":"Allow","Principal":"*",{GSV}}}"#
        )),
        PolicyKind::Resource,
    );
    assert_eq!(public.len(), 1);
    assert_eq!(public[0].check_name, checks::BROAD_ACCESS);
    assert!(public[0]
        .error_message
        .starts_with("Statement \"Open\" allows access"));

    let lockout = validate(
        &resource_policy(
            r#"{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"secretsmanager:*","Resource":"*"}"#,
        ),
        PolicyKind::Resource,
    );
    assert_eq!(lockout.len(), 1);
    assert_eq!(lockout[0].check_name, checks::LOCKOUT);
    // A conditional deny does not lock everyone out.
    assert_eq!(
        validate(
            &resource_policy(
                r#"{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}"#
            ),
            PolicyKind::Resource,
        ),
        vec![]
    );

    let wrong_resource = validate(
        &resource_policy(
            r#"{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"secretsmanager:GetSecretValue","Resource":["arn:aws:s3:::bucket/*","arn:aws:secretsmanager:*:*:secret:*"]}"#,
        ),
        PolicyKind::Resource,
    );
    assert_eq!(wrong_resource.len(), 1);
    assert_eq!(wrong_resource[0].check_name, checks::RESOURCE);
    assert!(wrong_resource[0]
        .error_message
        .contains("arn:aws:s3:::bucket/*"));

    let federated = validate(
        &resource_policy(
            r#"{"Effect":"Allow","Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}"#,
        ),
        PolicyKind::Resource,
    );
    assert_eq!(federated.len(), 1);
    assert_eq!(federated[0].check_name, checks::PRINCIPAL);

    // Findings serialize as Secrets Manager's ValidationErrorsEntry.
    let json = serde_json::to_value(&public[0]).unwrap();
    assert_eq!(json["CheckName"], "BROAD_ACCESS_CHECK");
    assert!(json["ErrorMessage"].is_string());
}

#[test]
fn public_policy_message() {
    assert_eq!(
        messages::PUBLIC_POLICY,
        "You can't attach a resource-based policy that allows broad access to the secret."
    );
}
