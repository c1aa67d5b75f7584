//! The model's constraints, checked through `dispatch`, with AWS's exact messages.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use cofre_api::{Operation, STRING_RULES};
use common::{assert_valid, validation_message};

#[test]
fn missing_required_member() {
    assert_eq!(
        validation_message(Operation::GetSecretValue, "{}"),
        "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: \
         Member must not be null"
    );
    // JSON null is an absent member.
    assert_eq!(
        validation_message(Operation::GetSecretValue, r#"{"SecretId":null}"#),
        validation_message(Operation::GetSecretValue, "{}")
    );
}

#[test]
fn string_length() {
    assert_eq!(
        validation_message(
            Operation::CreateSecret,
            r#"{"Name":"n","ClientRequestToken":"abc"}"#
        ),
        "1 validation error detected: Value 'abc' at 'clientRequestToken' failed to satisfy \
         constraint: Member must have length greater than or equal to 32"
    );
    let long = "x".repeat(2049);
    assert_eq!(
        validation_message(
            Operation::DescribeSecret,
            &format!(r#"{{"SecretId":"{long}"}}"#)
        ),
        format!(
            "1 validation error detected: Value '{long}' at 'secretId' failed to satisfy \
             constraint: Member must have length less than or equal to 2048"
        )
    );
}

#[test]
fn string_length_counts_code_points() {
    let ok = "é".repeat(512);
    assert_valid(Operation::CreateSecret, &format!(r#"{{"Name":"{ok}"}}"#));
    let too_long = "😀".repeat(513);
    let msg = validation_message(
        Operation::CreateSecret,
        &format!(r#"{{"Name":"{too_long}"}}"#),
    );
    assert!(
        msg.ends_with("Member must have length less than or equal to 512"),
        "{msg}"
    );
}

#[test]
fn numeric_range_and_plural_count() {
    assert_eq!(
        validation_message(Operation::ListSecretVersionIds, r#"{"MaxResults":200}"#),
        "2 validation errors detected: Value null at 'secretId' failed to satisfy constraint: \
         Member must not be null; Value '200' at 'maxResults' failed to satisfy constraint: \
         Member must have value less than or equal to 100"
    );
    assert_eq!(
        validation_message(Operation::ListSecrets, r#"{"MaxResults":0}"#),
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: \
         Member must have value greater than or equal to 1"
    );
    assert_eq!(
        validation_message(Operation::GetRandomPassword, r#"{"PasswordLength":4097}"#),
        "1 validation error detected: Value '4097' at 'passwordLength' failed to satisfy \
         constraint: Member must have value less than or equal to 4096"
    );
}

#[test]
fn enum_membership() {
    assert_eq!(
        validation_message(Operation::ListSecrets, r#"{"SortOrder":"up"}"#),
        "1 validation error detected: Value 'up' at 'sortOrder' failed to satisfy constraint: \
         Member must satisfy enum value set: [asc, desc]"
    );
    assert_valid(
        Operation::ListSecrets,
        r#"{"SortOrder":"desc","SortBy":"name"}"#,
    );
}

#[test]
fn pattern() {
    assert_eq!(
        validation_message(
            Operation::RotateSecret,
            r#"{"SecretId":"s","RotationRules":{"Duration":"2d"}}"#
        ),
        "1 validation error detected: Value '2d' at 'rotationRules.duration' failed to satisfy \
         constraint: Member must satisfy regular expression pattern: [0-9]+h"
    );
    assert_eq!(
        validation_message(
            Operation::ReplicateSecretToRegions,
            r#"{"SecretId":"s","AddReplicaRegions":[{"Region":"us-east-1"},{"Region":"Mars"}]}"#
        ),
        "1 validation error detected: Value 'Mars' at 'addReplicaRegions.2.member.region' failed \
         to satisfy constraint: Member must satisfy regular expression pattern: ^([a-z]+-)+\\d+$"
    );
}

#[test]
fn several_violations_of_one_member() {
    assert_eq!(
        validation_message(
            Operation::RotateSecret,
            r#"{"SecretId":"s","RotationRules":{"Duration":"long"}}"#
        ),
        "2 validation errors detected: Value 'long' at 'rotationRules.duration' failed to satisfy \
         constraint: Member must have length less than or equal to 3; Value 'long' at \
         'rotationRules.duration' failed to satisfy constraint: Member must satisfy regular \
         expression pattern: [0-9]+h"
    );
}

#[test]
fn nested_list_paths() {
    assert_eq!(
        validation_message(
            Operation::TagResource,
            r#"{"SecretId":"s","Tags":[{"Key":"ok","Value":"v"},{"Key":""}]}"#
        ),
        "1 validation error detected: Value '' at 'tags.2.member.key' failed to satisfy \
         constraint: Member must have length greater than or equal to 1"
    );
    assert_eq!(
        validation_message(
            Operation::ListSecrets,
            r#"{"Filters":[{"Key":"invalid","Values":["foo"]}]}"#
        ),
        "1 validation error detected: Value 'invalid' at 'filters.1.member.key' failed to satisfy \
         constraint: Member must satisfy enum value set: [description, name, tag-key, tag-value, \
         primary-region, owning-service, all]"
    );
}

#[test]
fn list_lengths_and_string_list_elements() {
    assert_eq!(
        validation_message(Operation::BatchGetSecretValue, r#"{"SecretIdList":[]}"#),
        "1 validation error detected: Value '[]' at 'secretIdList' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );
    // A list of strings is reported once, on the list, with all of the element's
    // constraints (AWS's "Member must satisfy constraint: [...]" form).
    assert_eq!(
        validation_message(
            Operation::BatchGetSecretValue,
            r#"{"SecretIdList":["a",""]}"#
        ),
        "1 validation error detected: Value '[a, ]' at 'secretIdList' failed to satisfy \
         constraint: Member must satisfy constraint: [Member must have length less than or \
         equal to 2048, Member must have length greater than or equal to 1]"
    );
    assert_eq!(
        validation_message(
            Operation::ListSecrets,
            r#"{"Filters":[{"Key":"name","Values":["ok","bad*"]}]}"#
        ),
        "1 validation error detected: Value '[ok, bad*]' at 'filters.1.member.values' failed to \
         satisfy constraint: Member must satisfy constraint: [Member must have length less than \
         or equal to 512, Member must satisfy regular expression pattern: \
         ^\\!?[a-zA-Z0-9 :_@\\/\\+\\=\\.\\-\\!]*$]"
    );
    let eleven: Vec<_> = (0..11)
        .map(|i| format!(r#"{{"Key":"name","Values":["v{i}"]}}"#))
        .collect();
    let msg = validation_message(
        Operation::ListSecrets,
        &format!(r#"{{"Filters":[{}]}}"#, eleven.join(",")),
    );
    assert!(
        msg.starts_with(
            "1 validation error detected: Value '[{Key: name,Values: [v0]}, {Key: name,"
        ),
        "{msg}"
    );
    assert!(msg.ends_with("at 'filters' failed to satisfy constraint: Member must have length less than or equal to 10"));
}

#[test]
fn sensitive_values_are_never_echoed() {
    let msg = validation_message(Operation::CreateSecret, r#"{"Name":"n","SecretString":""}"#);
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );

    let secret = format!("TOPSECRET{}", "s".repeat(65536));
    let msg = validation_message(
        Operation::PutSecretValue,
        &format!(r#"{{"SecretId":"s","SecretString":"{secret}"}}"#),
    );
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: \
         Member must have length less than or equal to 65536"
    );

    let binary = BASE64.encode(vec![7u8; 65537]);
    let msg = validation_message(
        Operation::UpdateSecret,
        &format!(r#"{{"SecretId":"s","SecretBinary":"{binary}"}}"#),
    );
    assert_eq!(
        msg,
        "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: \
         Member must have length less than or equal to 65536"
    );

    assert_eq!(
        validation_message(Operation::CreateSecret, r#"{"Name":"n","SecretBinary":""}"#),
        "1 validation error detected: Value at 'secretBinary' failed to satisfy constraint: \
         Member must have length greater than or equal to 1"
    );

    let msg = validation_message(
        Operation::PutSecretValue,
        r#"{"SecretId":"s","RotationToken":"TOPSECRET_token!"}"#,
    );
    assert!(!msg.contains("TOPSECRET"), "{msg}");
    assert_eq!(
        msg,
        "2 validation errors detected: Value at 'rotationToken' failed to satisfy constraint: \
         Member must have length greater than or equal to 36; Value at 'rotationToken' failed \
         to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\-]+$"
    );
}

#[test]
fn at_most_ten_violations() {
    let tags: Vec<_> = (0..20).map(|_| r#"{"Key":""}"#).collect();
    let msg = validation_message(
        Operation::TagResource,
        &format!(r#"{{"SecretId":"s","Tags":[{}]}}"#, tags.join(",")),
    );
    assert!(msg.starts_with("10 validation errors detected: Value '' at 'tags.1.member.key'"));
    assert_eq!(msg.matches("failed to satisfy constraint").count(), 10);
    assert!(msg.contains("'tags.10.member.key'") && !msg.contains("'tags.11.member.key'"));
}

#[test]
fn every_model_pattern_compiles_and_matches_whole_values() {
    let patterns: Vec<_> = STRING_RULES
        .iter()
        .filter(|(_, r)| r.pattern.is_some())
        .collect();
    assert_eq!(patterns.len(), 6, "the model has six patterns");
    // (shape, accepted, rejected)
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "DurationType",
            &["2h", "24h"],
            &["h", "2d", "2hh", "x2h", "2h\n"],
        ),
        (
            "FilterValueStringType",
            &["", "prod", "!prod/db-1", "a b:c_d@e/f+g=h.i-j", "a!!"],
            &["x*y", "é", "a\nb", "tab\t"],
        ),
        (
            "RegionType",
            &["us-east-1", "us-gov-west-1", "eu-central-2"],
            &[
                "useast1",
                "US-EAST-1",
                "us-east-",
                "us-east-1\n",
                " us-east-1",
            ],
        ),
        (
            "ResourcePolicyNameType",
            &["my_policy-1", "P"],
            &["my policy", "p.q", ""],
        ),
        (
            "RotationTokenType",
            &["a1b2c3d4-e5f6-7890-abcd-ef1234567890"],
            &["abc_def", "a1b2 c3", ""],
        ),
        (
            "ScheduleExpressionType",
            &[
                "cron(0 16 1,15 * ? *)",
                "rate(10 days)",
                "cron(0 8 1 * ? *)",
            ],
            &["rate(10 days);", "cron(0 16 1,15 * ? *)\n", "ra.te"],
        ),
    ];
    for (shape, rule) in &patterns {
        let pattern = rule.pattern.as_ref().expect("filtered above");
        assert!(
            pattern.regex().is_some(),
            "{shape}: {} does not compile",
            pattern.source()
        );
        let (_, good, bad) = cases
            .iter()
            .find(|(name, _, _)| name == shape)
            .unwrap_or_else(|| panic!("no cases for {shape}"));
        for value in *good {
            assert!(pattern.matches(value), "{shape} should accept {value:?}");
        }
        for value in *bad {
            assert!(!pattern.matches(value), "{shape} should reject {value:?}");
        }
    }
}

#[test]
fn valid_inputs_pass() {
    assert_valid(Operation::ListSecrets, "{}");
    assert_valid(Operation::ListSecrets, "");
    assert_valid(
        Operation::RotateSecret,
        r#"{"SecretId":"s","RotationRules":{"AutomaticallyAfterDays":30,"Duration":"3h","ScheduleExpression":"rate(10 days)"}}"#,
    );
    assert_valid(
        Operation::BatchGetSecretValue,
        r#"{"Filters":[{"Key":"tag-key","Values":["!env"]}],"MaxResults":20}"#,
    );
}
