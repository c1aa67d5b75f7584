//! Evaluating `secretsmanager:GetSecretValue` against a 10-statement policy set: two identity
//! policies (7 statements) and a resource policy (3 statements), mixing allows and denies,
//! wildcards, conditions of several families and a policy variable.

use std::hint::black_box;

use cofre_policy::{
    evaluate, ContextKeys, Decision, Policy, PolicyKind, Principal, RequestContext,
};
use criterion::{criterion_group, criterion_main, Criterion};

const IDENTITY_A: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadProd", "Effect": "Allow",
     "Action": ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"],
     "Resource": "arn:aws:secretsmanager:*:111122223333:secret:prod/*",
     "Condition": {"StringEquals": {"aws:ResourceTag/Team": "${aws:PrincipalTag/Team}"}}},
    {"Sid": "ListAll", "Effect": "Allow", "Action": "secretsmanager:List*", "Resource": "*"},
    {"Sid": "NoDelete", "Effect": "Deny",
     "Action": ["secretsmanager:DeleteSecret", "secretsmanager:PutResourcePolicy"],
     "Resource": "*"},
    {"Sid": "TlsOnly", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
  ]
}"#;

const IDENTITY_B: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "OfficeOnly", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24", "2001:db8::/32"]}}},
    {"Sid": "UntilEndOfYear", "Effect": "Allow", "Action": "secretsmanager:Get*",
     "Resource": "arn:aws:secretsmanager:us-east-1:111122223333:secret:shared/*-??????",
     "Condition": {"DateLessThan": {"aws:CurrentTime": "2030-12-31T23:59:59Z"}}},
    {"Sid": "NoDevFromHere", "Effect": "Deny", "Action": "secretsmanager:*",
     "Resource": "arn:aws:secretsmanager:*:*:secret:dev/*"}
  ]
}"#;

const RESOURCE: &str = r#"{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AppRole", "Effect": "Allow",
     "Principal": {"AWS": ["arn:aws:iam::111122223333:role/AppRole", "444455556666"]},
     "Action": "secretsmanager:GetSecretValue", "Resource": "*",
     "Condition": {"ForAnyValue:StringEquals": {"secretsmanager:VersionStage": ["AWSCURRENT", "AWSPENDING"]}}},
    {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
     "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}},
    {"Sid": "NoRotationChanges", "Effect": "Deny", "Principal": {"AWS": "*"},
     "Action": ["secretsmanager:RotateSecret", "secretsmanager:CancelRotateSecret"], "Resource": "*"}
  ]
}"#;

fn request() -> RequestContext {
    let mut keys = ContextKeys::new();
    keys.insert("aws:SecureTransport", "true");
    keys.insert("aws:SourceIp", "203.0.113.42");
    keys.insert("aws:CurrentTime", "2025-06-01T12:00:00Z");
    keys.insert("aws:PrincipalOrgID", "o-a1b2c3d4e5");
    keys.insert("aws:PrincipalTag/Team", "payments");
    keys.insert("aws:ResourceTag/Team", "payments");
    keys.insert("secretsmanager:VersionStage", "AWSCURRENT");
    keys.insert(
        "secretsmanager:SecretId",
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/payments/db-AbCdEf",
    );
    RequestContext {
        principal: Principal::from_arn("arn:aws:sts::111122223333:assumed-role/AppRole/i-0abc")
            .expect("valid principal"),
        action: "secretsmanager:GetSecretValue".to_owned(),
        resource: "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/payments/db-AbCdEf"
            .to_owned(),
        resource_account: Some("111122223333".to_owned()),
        keys,
    }
}

fn bench(c: &mut Criterion) {
    let a = Policy::parse(IDENTITY_A, PolicyKind::Identity).expect("identity policy A");
    let b = Policy::parse(IDENTITY_B, PolicyKind::Identity).expect("identity policy B");
    let r = Policy::parse(RESOURCE, PolicyKind::Resource).expect("resource policy");
    assert_eq!(
        a.statement_count() + b.statement_count() + r.statement_count(),
        10
    );
    let req = request();
    let identity = [&a, &b];
    assert_eq!(
        evaluate(&req, &identity, Some(&r), None).decision,
        Decision::Allow
    );

    c.bench_function("evaluate/get_secret_value_10_statements", |bench| {
        bench.iter(|| {
            evaluate(
                black_box(&req),
                black_box(&identity),
                black_box(Some(&r)),
                None,
            )
        })
    });
    c.bench_function("parse/resource_policy_3_statements", |bench| {
        bench.iter(|| Policy::parse(black_box(RESOURCE), PolicyKind::Resource))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
