//! Exact `MalformedPolicyDocument` texts for rejected documents.
//!
//! Most cases are IAM's recorded answers (the documents and messages moto's IAM tests record
//! from AWS); the kind-specific ones come from public issue reports (see `messages`).

use cofre_policy::{messages, Policy, PolicyKind};
use PolicyKind::*;

const ID: &str = "Identity";

/// (identity-policy document, expected message)
const IAM_RECORDED: &[(&str, &str)] = &[
    ("This is not a json document", "Syntax errors in policy."),
    (r#"{"Version":"2013-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17"}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":["afd"]}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":[]}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},"Extra field":"value"}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Extra field":"value"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Id":["cd3a324d2343d942772346-34234234423404-4c2242343242349d1642ee"],"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Id":{},"Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"invalid","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":{"a":"arn:aws:s3:::example_bucket"}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"s3:ListBucket","Resource":["adfdf",{}]}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","NotResource":[]}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":[[]],"Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3s:ListBucket","Action":[],"Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":{},"Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":[]}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":"a"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"a":"b"}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":"b"}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":[]}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":{}}}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"x":{"a":"1"}}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"ForAnyValue::StringEqualsIfExists":{"a":"asf"}}}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":[{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}]}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Sid":{},"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Action":"iam:dsf","Resource":"arn:aws:s3:::example_bucket"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","NotResource":"*"}}"#, "Syntax errors in policy."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid","Resource":"arn:aws:s3:::example_bucket"}}"#, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"","Resource":"arn:aws:s3:::example_bucket"}}"#, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"a a:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Vendor a a is not valid"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:List:Bucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "Actions/Condition can contain only one colon."),
    (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3s:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Effect":"Allow","Action":"s:3s:ListBucket","Resource":"arn:aws:s3:::example_bucket"}]}"#, "Actions/Condition can contain only one colon."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"invalid resource"}}"#, "Resource invalid resource must be in ARN format or \"*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s:3:ListBucket","Resource":"sdfsadf"}}"#, "Resource sdfsadf must be in ARN format or \"*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["adf"]}}"#, "Resource adf must be in ARN format or \"*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":""}}"#, "Resource  must be in ARN format or \"*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:bsdfdsafsad"}}"#, "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:cadfsdf"}}"#, "Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3s:ListBucket","Resource":"a:b:c:d:e:f:g:h"}}"#, "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"aws:s3:::example_bucket"}}"#, "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:error:s3:::example_bucket","arn:error:s3::example_bucket"]}}"#, "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\"."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket"}}"#, "Policy statement must contain resources."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":[]}}"#, "Policy statement must contain resources."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"invalid"}}"#, "Policy statement must contain resources."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"arn:aws:s3:::example_bucket"}}"#, "Policy statement must contain actions."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow"}}"#, "Policy statement must contain actions."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":[],"Resource":"arn:aws:s3:::example_bucket"}}"#, "Policy statement must contain actions."),
    (r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny"},{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}]}"#, "Policy statement must contain actions."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::example_bucket"}}"#, "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Resource":"arn:aws:s3::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws"}}"#, "Resource vendor must be fully qualified and cannot contain regexes."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:us-east-1::example_bucket"}}"#, "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:us-east-1::example_bucket"}}"#, "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information."),
    (r#"{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]}"#, "Statement IDs (SID) in a single policy must be unique."),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"denY","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotAction":"s3:ListBucket","Resource":"arn:aws::::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"allow","Resource":"arn:aws:s3:us-east-1::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":[{"Sid":"sdf","Effect":"aLLow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket"},{"Sid":"sdf","Effect":"Allow"}]}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","NotResource":"arn:aws:s3::example_bucket"}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateLessThanEquals":{"a":"234-13"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.593194+1"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateLessThanEquals":{"a":"2016-12-13t2:00:00.1999999999+10:59"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateLessThan":{"a":"9223372036854775808"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:error:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":"sdfdsf"}}}}"#, "The policy failed legacy parsing"),
    (r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws::fdsasf"}}"#, "The policy failed legacy parsing"),
];

/// Documents IAM accepts (same source).
const IAM_VALID: &[&str] = &[
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::example_bucket"]}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam: asdf safdsf af ","Resource":"arn:aws:s3:::example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":["arn:aws:s3:::example_bucket","*"]}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:s3:::example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"service-prefix:action-name","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2017-07-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2017-12-31T23:59:59Z"}}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:iam:::user/example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s33:::example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:fdsasf"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":"Department"}}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:cloudwatch:us-east-1::example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:invalid-service:us-east-1::example_bucket"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{}}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"DateGreaterThan":{"a":[]}}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::example_bucket","Condition":{"a":{}}}}"#,
    // Also accepted here: the 2008 version and no version (Cofre evaluates them without
    // variable substitution), and JSON numbers / booleans as condition values.
    r#"{"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}}"#,
    r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"NumericLessThan":{"s3:max-keys":10}}}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"arn:aws:secretsmanager:${aws:RequestedRegion}:*:secret:${aws:username}/*"}}"#,
    r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"${aws:SecureTransport}"},"ArnLike":{"aws:SourceArn":"arn:aws:lambda:*:${aws:PrincipalAccount}:function:*"}}}}"#,
];

#[test]
fn iam_recorded_messages() {
    let mut failures = Vec::new();
    for (doc, want) in IAM_RECORDED {
        match Policy::parse(doc, Identity) {
            Ok(_) => failures.push(format!("accepted: {doc}")),
            Err(e) if e.message != *want => {
                failures.push(format!("{doc}\n  want: {want}\n  got:  {}", e.message))
            }
            Err(_) => {}
        }
    }
    assert!(failures.is_empty(), "{ID}:\n{}", failures.join("\n"));
}

#[test]
fn iam_valid_documents() {
    for doc in IAM_VALID {
        if let Err(e) = Policy::parse(doc, Identity) {
            panic!("rejected ({e}): {doc}");
        }
    }
}

#[test]
fn kind_specific_messages() {
    let cases: &[(PolicyKind, &str, &str)] = &[
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/a"},"Action":"s3:*","Resource":"*"}}"#,
            messages::PRINCIPAL_NOT_ALLOWED,
        ),
        (
            Session,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","NotPrincipal":"*","Action":"s3:*","Resource":"*"}}"#,
            messages::PRINCIPAL_NOT_ALLOWED,
        ),
        (
            Session,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}}"#,
            "Policy document should not specify a principal.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Missing required field Principal",
        ),
        (
            Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}"#,
            "Missing required field Principal",
        ),
        (
            Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole","Resource":"*"}}"#,
            "Has prohibited field Resource",
        ),
        (
            Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"*"}}"#,
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            Trust,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"secretsmanager:GetSecretValue"}}"#,
            "AssumeRole policy may only specify STS AssumeRole actions.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::*:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::*:root\"",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":["111122223333","alice"]},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Invalid principal in policy: \"AWS\":\"alice\"",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:group/Admins"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::111122223333:group/Admins\"",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Syntax errors in policy.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Users":"x"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Syntax errors in policy.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{},"Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Syntax errors in policy.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}}"#,
            "Syntax errors in policy.",
        ),
        (
            Resource,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue"}}"#,
            "Policy statement must contain resources.",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*:Get*","Resource":"*"}}"#,
            "",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"secrets*:Get","Resource":"*"}}"#,
            "Vendor secrets* is not valid",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":":Get","Resource":"*"}}"#,
            "Vendor  is not valid",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"NumericLessThan":{"x:n":"ten"}}}}"#,
            "The policy failed legacy parsing",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"300.1.2.3/8"}}}}"#,
            "The policy failed legacy parsing",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"x:y":null}}}}"#,
            "Syntax errors in policy.",
        ),
        // AWS: "You cannot use a policy variable with the Date condition operator."
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"${aws:TokenIssueTime}"}}}}"#,
            "The policy failed legacy parsing",
        ),
        (
            Identity,
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"stringequals":{"x:y":"z"}}}}"#,
            "Syntax errors in policy.",
        ),
        (Identity, "[1, 2, 3]", "Syntax errors in policy."),
        (Identity, "", "Syntax errors in policy."),
    ];
    for (kind, doc, want) in cases {
        let got = Policy::parse(doc, *kind);
        if want.is_empty() {
            assert!(got.is_ok(), "{kind:?} rejected {doc}: {:?}", got.err());
            continue;
        }
        match got {
            Ok(_) => panic!("{kind:?} accepted {doc}"),
            Err(e) => assert_eq!(e.message, *want, "{kind:?}: {doc}"),
        }
    }
}

#[test]
fn valid_resource_and_trust_policies() {
    let resource = [
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:role/R","arn:aws:sts::123456789012:assumed-role/R/s","AROA1234567890EXAMPLE"]},"Action":["secretsmanager:Describe*","secretsmanager:Get*"],"Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":"123456789012"},"Action":"*","Resource":"*"}]}"#,
    ];
    for doc in resource {
        Policy::parse(doc, Resource).unwrap_or_else(|e| panic!("{e}: {doc}"));
    }
    let trust = [
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},"Action":["sts:AssumeRoleWithWebIdentity","sts:TagSession"],"Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}}"#,
    ];
    for doc in trust {
        Policy::parse(doc, Trust).unwrap_or_else(|e| panic!("{e}: {doc}"));
    }
}
