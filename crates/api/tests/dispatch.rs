//! `Operation` routing, body decoding errors, output encoding, and AWS's documented
//! examples.

#![allow(clippy::unwrap_used)] // Tests may panic on unexpected results.

mod common;

use cofre_api::*;
use common::{assert_valid, block_on, call, ctx, examples};
use serde_json::{json, Value};

/// A service that answers `GetSecretValue` and `ListSecrets` from their inputs.
struct Echo;

#[async_trait::async_trait]
impl SecretsManager for Echo {
    async fn get_secret_value(
        &self,
        ctx: &Context,
        input: GetSecretValueRequest,
    ) -> Result<GetSecretValueResponse, ApiError> {
        Ok(GetSecretValueResponse {
            arn: Some(format!(
                "arn:aws:secretsmanager:{}:{}:secret:{}",
                ctx.region,
                ctx.account_id,
                input.secret_id.unwrap_or_default()
            )),
            secret_string: Some(SensitiveString::from("s3cr3t")),
            version_stages: input.version_stage.map(|s| vec![s]),
            created_date: Some(Timestamp::from_millis(1_523_477_145_713)),
            ..Default::default()
        })
    }

    async fn list_secrets(
        &self,
        _ctx: &Context,
        input: ListSecretsRequest,
    ) -> Result<ListSecretsResponse, ApiError> {
        Ok(ListSecretsResponse {
            next_token: input.max_results.map(|n| n.to_string()),
            ..Default::default()
        })
    }

    async fn tag_resource(
        &self,
        _ctx: &Context,
        _input: TagResourceRequest,
    ) -> Result<TagResourceResponse, ApiError> {
        Ok(TagResourceResponse {})
    }
}

fn body_json(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON body")
}

fn serialization_error(op: Operation, body: &str) -> ApiError {
    let err = call(&Echo, op, body).expect_err("expected an error");
    assert_eq!(err.code, ErrorCode::SerializationException, "{body}: {err}");
    assert_eq!(err.status(), 400);
    err
}

#[test]
fn operations_route_by_target() {
    assert_eq!(Operation::ALL.len(), 26);
    for op in Operation::ALL {
        assert_eq!(
            Operation::from_target(&format!("secretsmanager.{}", op.name())),
            Some(op)
        );
        assert_eq!(Operation::from_name(op.name()), Some(op));
        assert_eq!(op.to_string(), op.name());
        assert!(!op.errors().is_empty());
    }
    for bad in [
        "secretsmanager.createSecret",
        "CreateSecret",
        "secretsmanager.",
        "secretsmanagerCreateSecret",
        "TrentService.CreateSecret",
        "secretsmanager.CreateSecret ",
        "",
    ] {
        assert_eq!(Operation::from_target(bad), None, "{bad:?}");
    }
    assert_eq!(
        Operation::GetSecretValue.errors(),
        &[
            "ResourceNotFoundException",
            "InvalidParameterException",
            "InvalidRequestException",
            "DecryptionFailure",
            "InternalServiceError"
        ]
    );
}

#[test]
fn unknown_members_are_ignored() {
    let out = call(
        &Echo,
        Operation::GetSecretValue,
        r#"{"SecretId":"app","Bogus":{"deep":[1,{"x":null}]},"VersionStage":"AWSCURRENT","secretid":5}"#,
    )
    .unwrap();
    assert_eq!(
        body_json(&out),
        json!({
            "ARN": "arn:aws:secretsmanager:us-west-2:123456789012:secret:app",
            "SecretString": "s3cr3t",
            "VersionStages": ["AWSCURRENT"],
            "CreatedDate": 1523477145.713
        })
    );
}

#[test]
fn wrong_types_are_serialization_exceptions() {
    let err = serialization_error(Operation::GetSecretValue, r#"{"SecretId":1}"#);
    assert_eq!(
        String::from_utf8(err.to_body()).unwrap(),
        r#"{"__type":"SerializationException","Message":"NUMBER_VALUE can not be converted to a String"}"#
    );
    assert_eq!(
        serialization_error(Operation::ListSecrets, r#"{"MaxResults":"1"}"#).message,
        "STRING_VALUE can not be converted to an Integer"
    );
    assert_eq!(
        serialization_error(Operation::ListSecrets, r#"{"Filters":{"Key":"name"}}"#).message,
        "Start of structure or map found where not expected."
    );
    assert_eq!(
        serialization_error(
            Operation::TagResource,
            r#"{"SecretId":"s","Tags":[["k","v"]]}"#
        )
        .message,
        "Start of list found where not expected"
    );
    assert_eq!(
        serialization_error(
            Operation::DeleteSecret,
            r#"{"SecretId":"s","ForceDeleteWithoutRecovery":"yes"}"#
        )
        .message,
        "STRING_VALUE can not be converted to a Boolean"
    );
    // Type errors are reported before validation errors (here: SecretId is missing).
    assert_eq!(
        serialization_error(Operation::ListSecretVersionIds, r#"{"MaxResults":true}"#).message,
        "TRUE_VALUE can not be converted to an Integer"
    );
}

#[test]
fn malformed_bodies() {
    for body in [
        "{",
        "null",
        "\"x\"",
        "1",
        "{\"SecretId\":\"s\",}",
        "\u{0}",
        "{} {}",
    ] {
        let err = serialization_error(Operation::GetSecretValue, body);
        assert_eq!(err.message, "", "{body:?}");
        assert_eq!(
            String::from_utf8(err.to_body()).unwrap(),
            r#"{"__type":"SerializationException"}"#
        );
    }
    assert_eq!(
        serialization_error(Operation::GetSecretValue, "[]").message,
        "Start of list found where not expected"
    );
    let invalid_utf8: &[u8] = b"{\"SecretId\":\"\xff\"}";
    let err = block_on(dispatch(
        &Echo,
        &ctx(),
        Operation::GetSecretValue,
        invalid_utf8,
    ))
    .unwrap_err();
    assert_eq!(err.code, ErrorCode::SerializationException);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let err = serialization_error(Operation::GetSecretValue, &format!(r#"{{"X":{deep}}}"#));
    assert_eq!(err.message, "");
}

#[test]
fn serialization_errors_never_quote_input() {
    let err = serialization_error(
        Operation::CreateSecret,
        r#"{"Name":"n","SecretBinary":"TOPSECRET!!"}"#,
    );
    assert!(!err.message.contains("TOPSECRET"));
    assert_eq!(
        err.message,
        "Base64 encoded length is expected a multiple of 4 bytes but found: 11"
    );
    let err = serialization_error(
        Operation::CreateSecret,
        r#"{"Name":"n","SecretBinary":"TOP*SECRET=="}"#,
    );
    assert!(!err.message.contains("TOP"));
}

#[test]
fn empty_body_counts_as_empty_object() {
    let out = call(&Echo, Operation::ListSecrets, "").unwrap();
    assert_eq!(out, b"{}");
    let out = call(&Echo, Operation::ListSecrets, r#"{"MaxResults":1.9}"#).unwrap();
    assert_eq!(body_json(&out), json!({"NextToken": "1"}));
}

#[test]
fn operations_without_output_answer_an_empty_object() {
    let out = call(
        &Echo,
        Operation::TagResource,
        r#"{"SecretId":"s","Tags":[]}"#,
    )
    .unwrap();
    assert_eq!(out, b"{}");
}

#[test]
fn unimplemented_operations_say_so() {
    let err = call(&Echo, Operation::RotateSecret, r#"{"SecretId":"s"}"#).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidRequestException);
    assert_eq!(err.status(), 400);
    assert_eq!(
        String::from_utf8(err.to_body()).unwrap(),
        r#"{"__type":"InvalidRequestException","Message":"Cofre does not support RotateSecret yet."}"#
    );
    // Validation still comes first.
    let err = call(&Echo, Operation::RotateSecret, "{}").unwrap_err();
    assert_eq!(err.code, ErrorCode::ValidationException);
}

#[test]
fn decoded_requests_debug_without_secrets() {
    let req: PutSecretValueRequest = decode_input(
        br#"{"SecretId":"s","SecretString":"TOPSECRET","SecretBinary":"VE9QU0VDUkVU","RotationToken":"TOPSECRET-0000-0000-0000-000000000000"}"#,
    )
    .unwrap();
    let debug = format!("{req:?}");
    assert!(
        !debug.contains("TOPSECRET") && !debug.contains("VE9QU0VDUkVU"),
        "{debug}"
    );
    assert_eq!(
        req.secret_string.as_ref().map(|s| s.expose()),
        Some("TOPSECRET")
    );
    assert_eq!(
        req.secret_binary.as_ref().map(|b| b.expose()),
        Some(&b"TOPSECRET"[..])
    );
}

/// Every example AWS documents for the API decodes and validates.
#[test]
fn documented_example_inputs_are_valid() {
    let examples = examples();
    let mut checked = 0;
    for (op_name, list) in examples["examples"].as_object().expect("examples object") {
        let op = Operation::from_name(op_name).unwrap_or_else(|| panic!("unknown op {op_name}"));
        for example in list.as_array().expect("example list") {
            assert_valid(op, &example["input"].to_string());
            checked += 1;
        }
    }
    assert_eq!(checked, 24);
}

/// Compares JSON, treating numbers (and the examples' occasional timestamp-as-string) by
/// numeric value.
fn same_json(ours: &Value, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Number(a), Value::String(b)) => b.parse::<f64>().ok() == a.as_f64(),
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_json(x, y))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, v)| b.get(k).is_some_and(|w| same_json(v, w)))
        }
        _ => ours == theirs,
    }
}

fn example_output(op: &str, index: usize) -> Value {
    examples()["examples"][op][index]["output"].clone()
}

fn assert_matches_example<T: serde::Serialize>(ours: &T, op: &str, index: usize) {
    let ours = serde_json::to_value(ours).unwrap();
    let theirs = example_output(op, index);
    assert!(
        same_json(&ours, &theirs),
        "{op}:\n ours:   {ours}\n theirs: {theirs}"
    );
}

#[test]
fn outputs_serialize_like_the_documented_examples() {
    let arn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret-a1b2c3";
    assert_matches_example(
        &GetSecretValueResponse {
            arn: Some(arn.into()),
            created_date: Some(Timestamp::from_millis(1_523_477_145_713)),
            name: Some("MyTestDatabaseSecret".into()),
            secret_string: Some(SensitiveString::from(
                "{\n  \"username\":\"david\",\n  \"password\":\"EXAMPLE-PASSWORD\"\n}\n",
            )),
            version_id: Some("EXAMPLE1-90ab-cdef-fedc-ba987SECRET1".into()),
            version_stages: Some(vec!["AWSPREVIOUS".into()]),
            ..Default::default()
        },
        "GetSecretValue",
        0,
    );

    assert_matches_example(
        &DeleteSecretResponse {
            arn: Some(arn.into()),
            deletion_date: Some(Timestamp::from_millis(1_524_085_349_095)),
            name: Some("MyTestDatabaseSecret".into()),
        },
        "DeleteSecret",
        0,
    );

    let versions = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(id, stage)| ((*id).to_owned(), vec![(*stage).to_owned()]))
            .collect()
    };
    assert_matches_example(
        &DescribeSecretResponse {
            arn: Some(arn.into()),
            description: Some("My test database secret".into()),
            kms_key_id: Some(
                "arn:aws:kms:us-west-2:123456789012:key/EXAMPLE1-90ab-cdef-fedc-ba987KMSKEY1"
                    .into(),
            ),
            last_accessed_date: Some(Timestamp::from_secs(1_523_923_200.0)),
            last_changed_date: Some(Timestamp::from_millis(1_523_477_145_729)),
            last_rotated_date: Some(Timestamp::from_millis(1_525_747_253_720)),
            name: Some("MyTestDatabaseSecret".into()),
            rotation_enabled: Some(true),
            rotation_lambda_arn: Some(
                "arn:aws:lambda:us-west-2:123456789012:function:MyTestRotationLambda".into(),
            ),
            rotation_rules: Some(RotationRulesType {
                automatically_after_days: Some(14),
                duration: Some("2h".into()),
                schedule_expression: Some("cron(0 16 1,15 * ? *)".into()),
            }),
            tags: Some(vec![
                Tag {
                    key: Some("SecondTag".into()),
                    value: Some("AnotherValue".into()),
                },
                Tag {
                    key: Some("FirstTag".into()),
                    value: Some("SomeValue".into()),
                },
            ]),
            version_ids_to_stages: Some(versions(&[
                ("EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE", "AWSPREVIOUS"),
                ("EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE", "AWSCURRENT"),
            ])),
            ..Default::default()
        },
        "DescribeSecret",
        0,
    );

    let entry = |id: &str, stage: Option<&str>, created: i64| SecretVersionsListEntry {
        version_id: Some(id.into()),
        version_stages: stage.map(|s| vec![s.to_owned()]),
        created_date: Some(Timestamp::from_millis(created)),
        ..Default::default()
    };
    assert_matches_example(
        &ListSecretVersionIdsResponse {
            arn: Some(arn.into()),
            name: Some("MyTestDatabaseSecret".into()),
            versions: Some(vec![
                entry(
                    "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE",
                    Some("AWSPREVIOUS"),
                    1_523_477_145_713,
                ),
                entry(
                    "EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE",
                    Some("AWSCURRENT"),
                    1_523_486_221_391,
                ),
                entry(
                    "EXAMPLE3-90ab-cdef-fedc-ba987EXAMPLE;",
                    None,
                    1_511_974_462_360,
                ),
            ]),
            next_token: None,
        },
        "ListSecretVersionIds",
        0,
    );

    let listed = |arn: &str, desc: &str, changed: i64, name: &str, version: &str| SecretListEntry {
        arn: Some(arn.into()),
        description: Some(desc.into()),
        last_changed_date: Some(Timestamp::from_millis(changed)),
        name: Some(name.into()),
        secret_versions_to_stages: Some(versions(&[(version, "AWSCURRENT")])),
        ..Default::default()
    };
    assert_matches_example(
        &ListSecretsResponse {
            secret_list: Some(vec![
                listed(arn, "My test database secret", 1_523_477_145_729, "MyTestDatabaseSecret", "EXAMPLE1-90ab-cdef-fedc-ba987EXAMPLE"),
                listed(
                    "arn:aws:secretsmanager:us-west-2:123456789012:secret:MyTestDatabaseSecret1-d4e5f6",
                    "Another secret created for a different database",
                    1_523_482_025_685,
                    "MyTestDatabaseSecret1",
                    "EXAMPLE2-90ab-cdef-fedc-ba987EXAMPLE",
                ),
            ]),
            next_token: None,
        },
        "ListSecrets",
        0,
    );

    assert_matches_example(
        &ValidateResourcePolicyResponse {
            policy_validation_passed: Some(true),
            validation_errors: Some(vec![]),
        },
        "ValidateResourcePolicy",
        0,
    );
}

#[test]
fn nested_structures_round_trip() {
    let json = json!({"Key": "env", "Value": "prod"});
    let tag: Tag = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(serde_json::to_value(&tag).unwrap(), json);
    let entry: SecretValueEntry = serde_json::from_value(json!({
        "ARN": "a", "SecretBinary": "AAE=", "CreatedDate": 1523477145.713, "VersionStages": ["AWSCURRENT"]
    }))
    .unwrap();
    assert_eq!(
        entry.secret_binary.as_ref().map(|b| b.expose()),
        Some(&[0u8, 1][..])
    );
    assert_eq!(
        serde_json::to_value(&entry).unwrap(),
        json!({"ARN": "a", "SecretBinary": "AAE=", "CreatedDate": 1523477145.713, "VersionStages": ["AWSCURRENT"]})
    );
}
