//! Hostile and mangled input: parsing and evaluation never panic, and never take long.

mod common;

use std::time::{Duration, Instant};

use cofre_policy::{evaluate, validate, Policy, PolicyKind};
use common::*;

const CORPUS: &[(&str, PolicyKind)] = &[
    (
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"A","Effect":"Allow","Action":["secretsmanager:Get*"],"Resource":"arn:aws:secretsmanager:*:*:secret:home/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":["a*","b?"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"IpAddress":{"aws:SourceIp":"203.0.113.0/24"},"NumericLessThanIfExists":{"x:n":10}}}]}"#,
        PolicyKind::Identity,
    ),
    (
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::111122223333:user/alice","111122223333"]},"NotAction":"secretsmanager:Describe*","Resource":"*","Condition":{"ArnNotLike":{"aws:SourceArn":"arn:aws:lambda:*:${aws:PrincipalAccount}:function:*"},"Null":{"aws:userid":"false"}}}]}"#,
        PolicyKind::Resource,
    ),
    (
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}}"#,
        PolicyKind::Trust,
    ),
];

const MUTATIONS: &[char] = &[
    '*', '?', '$', '{', '}', '[', ']', ':', '"', ',', ' ', 'é', '0', '\\',
];

#[test]
fn mangled_documents_never_panic() {
    let req = request(
        ALICE,
        GSV,
        "arn:aws:secretsmanager:us-east-1:111122223333:secret:home/alice/x-AbCdEf",
        None,
        &[
            ("aws:TagKeys", &["ab", "bc"]),
            ("aws:CurrentTime", &["2025-01-01T00:00:00Z"]),
            ("aws:SourceIp", &["203.0.113.5"]),
            ("x:n", &["not a number"]),
        ],
    );
    let mut parsed = 0;
    for (doc, kind) in CORPUS {
        let chars: Vec<char> = doc.chars().collect();
        let mut variants: Vec<String> = Vec::new();
        for cut in 0..chars.len() {
            variants.push(chars[..cut].iter().collect());
        }
        for i in 0..chars.len() {
            for m in MUTATIONS {
                let mut v = chars.clone();
                v[i] = *m;
                variants.push(v.into_iter().collect());
            }
        }
        for v in &variants {
            let _ = validate(v, *kind);
            if let Ok(p) = Policy::parse(v, *kind) {
                parsed += 1;
                let _ = p.is_public();
                match kind {
                    PolicyKind::Identity | PolicyKind::Session => {
                        let _ = evaluate(&req, &[&p], None, None);
                    }
                    PolicyKind::Resource => {
                        let _ = evaluate(&req, &[], Some(&p), None);
                    }
                    PolicyKind::Trust => {
                        let _ = cofre_policy::trust_allows(&p, &req);
                    }
                }
            }
        }
    }
    assert!(
        parsed > 100,
        "mutations should leave many documents valid ({parsed})"
    );
}

#[test]
fn hostile_documents_are_fast() {
    let start = Instant::now();
    // A resource pattern built to make a backtracking matcher explode.
    let pattern = format!("arn:aws:secretsmanager:{}b", "*a".repeat(3000));
    let doc = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"{pattern}","Condition":{{"StringLike":{{"x:k":"{pattern}"}}}}}}}}"#
    );
    let policy = Policy::parse(&doc, PolicyKind::Identity).unwrap();
    let text = format!("arn:aws:secretsmanager:{}", "a".repeat(2000));
    let req = request(ALICE, GSV, &text, None, &[("x:k", &[text.as_str()])]);
    assert!(!evaluate(&req, &[&policy], None, None).is_allowed());

    // Deep nesting is refused, not overflowed.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Policy::parse(&deep, PolicyKind::Identity).is_err());
    let deep_condition = format!(
        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Action":"*","Resource":"*","Condition":{{"StringEquals":{{"k":{}"v"{}}}}}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    assert!(Policy::parse(&deep_condition, PolicyKind::Identity).is_err());

    // Many statements.
    let statements: Vec<String> = (0..2000)
        .map(|i| {
            format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":"secretsmanager:Op{i}*","Resource":"arn:aws:secretsmanager:*:*:secret:p{i}/*"}}"#
            )
        })
        .collect();
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    );
    let policy = Policy::parse(&big, PolicyKind::Identity).unwrap();
    assert_eq!(policy.statement_count(), 2000);
    let req = request(ALICE, GSV, PROD_SECRET, None, &[]);
    assert!(!evaluate(&req, &[&policy], None, None).is_allowed());

    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}
