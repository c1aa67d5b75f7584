//! The KMS wire glue over a memory store, called through `cofre_api::dispatch_kms` (JSON in,
//! JSON out, as the HTTP layer calls it) and the `cofre_api::Kms` trait: the wire shapes,
//! what Cofre refuses, and authorization (including that a missing key and a forbidden one
//! look the same across accounts).

use std::sync::Arc;

use base64::Engine as _;
use cofre_api::iam::{CreateUserRequest, PutUserPolicyRequest};
use cofre_api::kms::{self as wire, KmsOperation};
use cofre_api::{dispatch_kms, ApiError, Caller, CallerKind, Context, ErrorCode, Iam};
use cofre_crypto::RootKey;
use cofre_store::MemoryStore;
use serde_json::{json, Value};

use super::{alias_of, arn_parts, requested_arn};
use crate::{ManualClock, Service};

const A: &str = "111111111111";
const B: &str = "222222222222";
const REGION: &str = "us-east-1";
/// AWS's answer to a ciphertext whose key does not exist or may not be used.
const UNKNOWN_CIPHERTEXT_KEY: &str = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn service() -> Service {
    Service::new(
        Arc::new(MemoryStore::new()),
        RootKey::generate().0,
        Arc::new(ManualClock::starting_now()),
    )
}

/// A fresh context for `account`'s root (each has its own authorization flag).
fn root(account: &str) -> Context {
    Context {
        account_id: account.into(),
        region: REGION.into(),
        caller: Caller {
            account_id: account.into(),
            arn: format!("arn:aws:iam::{account}:root"),
            kind: CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

/// Creates IAM user `name` in account A with the inline policy `doc` (if any), and returns a
/// context for it.
async fn user(svc: &Service, name: &str, doc: Option<&str>) -> Context {
    let u = svc
        .create_user(
            &root(A),
            CreateUserRequest {
                user_name: Some(name.into()),
                ..Default::default()
            },
        )
        .await
        .expect("create user")
        .user
        .expect("user");
    if let Some(doc) = doc {
        svc.put_user_policy(
            &root(A),
            PutUserPolicyRequest {
                user_name: Some(name.into()),
                policy_name: Some("p".into()),
                policy_document: Some(doc.into()),
            },
        )
        .await
        .expect("put user policy");
    }
    Context {
        account_id: A.into(),
        region: REGION.into(),
        caller: Caller {
            account_id: A.into(),
            arn: u.arn.unwrap_or_default(),
            kind: CallerKind::User {
                name: name.into(),
                user_id: u.user_id.unwrap_or_default(),
            },
            tags: Default::default(),
        },
        ..Default::default()
    }
}

/// Calls `op` with the JSON `body` as the HTTP layer does.
async fn call(
    svc: &Service,
    ctx: &Context,
    op: KmsOperation,
    body: Value,
) -> Result<Value, ApiError> {
    let out = dispatch_kms(svc, ctx, op, body.to_string().as_bytes()).await?;
    Ok(serde_json::from_slice(&out).expect("JSON output"))
}

/// Like [`call`], expecting success.
async fn ok(svc: &Service, ctx: &Context, op: KmsOperation, body: Value) -> Value {
    match call(svc, ctx, op, body).await {
        Ok(v) => {
            assert!(ctx.authorized.is_set(), "{op} answered without authorizing");
            v
        }
        Err(e) => panic!("{op}: {e}"),
    }
}

/// Like [`call`], expecting the error `code`.
async fn err(svc: &Service, ctx: &Context, op: KmsOperation, body: Value, code: &str) -> ApiError {
    match call(svc, ctx, op, body).await {
        Ok(v) => panic!("{op}: expected {code}, got {v}"),
        Err(e) => {
            assert_eq!(e.code_str(), code, "{op}: {e}");
            e
        }
    }
}

/// The body the client sees.
fn body(e: &ApiError) -> Value {
    serde_json::from_slice(&e.to_body()).expect("JSON error body")
}

async fn create_key(svc: &Service, ctx: &Context) -> Value {
    ok(
        svc,
        ctx,
        KmsOperation::CreateKey,
        json!({"Description": "test key"}),
    )
    .await["KeyMetadata"]
        .clone()
}

#[test]
fn every_model_pattern_compiles() {
    for (shape, rule) in wire::STRING_RULES {
        if let Some(p) = &rule.pattern {
            assert!(
                p.regex().is_some(),
                "{shape}: {} does not compile",
                p.source()
            );
        }
    }
    let alias = wire::STRING_RULES
        .iter()
        .find(|(s, _)| *s == "AliasNameType")
        .and_then(|(_, r)| r.pattern.as_ref())
        .expect("AliasNameType has a pattern");
    assert!(alias.matches("alias/my-key_1"));
    assert!(!alias.matches("alias/with space"));
}

#[test]
fn operations_route_by_target() {
    assert_eq!(KmsOperation::ALL.len(), 56);
    for op in KmsOperation::ALL {
        assert_eq!(
            KmsOperation::from_target(&format!("TrentService.{op}")),
            Some(op)
        );
    }
    assert_eq!(KmsOperation::from_target("TrentService.encrypt"), None);
    assert_eq!(KmsOperation::from_target("secretsmanager.Encrypt"), None);
    assert_eq!(wire::TARGET_PREFIX, "TrentService");
}

#[test]
fn key_references() {
    let arn = "arn:aws:kms:us-east-1:222222222222:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(
        arn_parts(arn),
        Some(("us-east-1", B, "key/1234abcd-12ab-34cd-56ef-1234567890ab"))
    );
    assert_eq!(
        arn_parts("arn:aws:secretsmanager:us-east-1:1:secret:x"),
        None
    );
    assert_eq!(arn_parts("alias/x"), None);
    assert_eq!(alias_of("alias/app"), Some("alias/app"));
    assert_eq!(
        alias_of("arn:aws:kms:us-east-1:111111111111:alias/app"),
        Some("alias/app")
    );
    assert_eq!(alias_of(arn), None);
    assert_eq!(alias_of("1234abcd"), None);
    let ctx = root(A);
    assert_eq!(requested_arn(&ctx, arn), arn);
    assert_eq!(
        requested_arn(&ctx, "alias/app"),
        "arn:aws:kms:us-east-1:111111111111:alias/app"
    );
    assert_eq!(
        requested_arn(&ctx, "1234abcd"),
        "arn:aws:kms:us-east-1:111111111111:key/1234abcd"
    );
}

#[tokio::test]
async fn unimplemented_operations_are_unsupported() {
    let svc = service();
    let ctx = root(A);
    for op in [
        KmsOperation::Sign,
        KmsOperation::CreateGrant,
        KmsOperation::GenerateRandom,
    ] {
        let e = err(&svc, &ctx, op, json!({"KeyId": "k", "Message": "bQ==", "SigningAlgorithm": "RSASSA_PSS_SHA_256", "GranteePrincipal": "p", "Operations": ["Decrypt"], "NumberOfBytes": 8}), "UnsupportedOperationException").await;
        assert_eq!(e.status(), 400);
        assert_eq!(
            body(&e),
            json!({"__type": "UnsupportedOperationException", "message": format!("Cofre does not support {op} yet.")})
        );
    }
}

#[tokio::test]
async fn requests_are_validated_against_the_model() {
    let svc = service();
    let ctx = root(A);
    let e = err(
        &svc,
        &ctx,
        KmsOperation::Encrypt,
        json!({"KeyId": "k"}),
        "ValidationException",
    )
    .await;
    assert!(e.message.contains("'plaintext'"), "{e}");
    err(
        &svc,
        &ctx,
        KmsOperation::Encrypt,
        json!({"KeyId": "k", "Plaintext": 5}),
        "SerializationException",
    )
    .await;
    let e = err(
        &svc,
        &ctx,
        KmsOperation::CreateAlias,
        json!({"AliasName": "alias/bad name", "TargetKeyId": "k"}),
        "ValidationException",
    )
    .await;
    assert!(e.message.contains("aliasName"), "{e}");
    err(
        &svc,
        &ctx,
        KmsOperation::ScheduleKeyDeletion,
        json!({"KeyId": "k", "PendingWindowInDays": 400}),
        "ValidationException",
    )
    .await;
}

#[tokio::test]
async fn create_key_makes_only_symmetric_encryption_keys() {
    let svc = service();
    let ctx = root(A);
    for (body, code) in [
        (
            json!({"KeySpec": "RSA_2048"}),
            "UnsupportedOperationException",
        ),
        (
            json!({"CustomerMasterKeySpec": "HMAC_256"}),
            "UnsupportedOperationException",
        ),
        (
            json!({"KeySpec": "SYMMETRIC_DEFAULT", "CustomerMasterKeySpec": "RSA_2048"}),
            "ValidationException",
        ),
        (json!({"KeyUsage": "SIGN_VERIFY"}), "ValidationException"),
        (
            json!({"Origin": "EXTERNAL"}),
            "UnsupportedOperationException",
        ),
        (
            json!({"MultiRegion": true}),
            "UnsupportedOperationException",
        ),
        (
            json!({"CustomKeyStoreId": "cks-1234567890abcdef0"}),
            "UnsupportedOperationException",
        ),
    ] {
        err(&svc, &ctx, KmsOperation::CreateKey, body, code).await;
    }
}

#[tokio::test]
async fn generate_data_key_needs_exactly_one_length() {
    let svc = service();
    let ctx = root(A);
    for body in [
        json!({"KeyId": "alias/x"}),
        json!({"KeyId": "alias/x", "KeySpec": "AES_256", "NumberOfBytes": 32}),
    ] {
        let e = err(
            &svc,
            &ctx,
            KmsOperation::GenerateDataKey,
            body,
            "ValidationException",
        )
        .await;
        assert_eq!(
            e.message,
            "Please specify either number of bytes or key spec."
        );
    }
}

#[tokio::test]
async fn key_lifecycle_and_wire_shapes() {
    let svc = service();
    let ctx = root(A);
    let md = create_key(&svc, &ctx).await;
    let key_id = md["KeyId"].as_str().expect("KeyId").to_owned();
    let arn = format!("arn:aws:kms:{REGION}:{A}:key/{key_id}");
    assert_eq!(md["Arn"], json!(arn));
    assert_eq!(md["AWSAccountId"], json!(A));
    assert_eq!(md["Description"], json!("test key"));
    assert_eq!(md["Enabled"], json!(true));
    assert_eq!(md["KeyState"], json!("Enabled"));
    assert_eq!(md["KeyUsage"], json!("ENCRYPT_DECRYPT"));
    assert_eq!(md["KeySpec"], json!("SYMMETRIC_DEFAULT"));
    assert_eq!(md["CustomerMasterKeySpec"], json!("SYMMETRIC_DEFAULT"));
    assert_eq!(md["EncryptionAlgorithms"], json!(["SYMMETRIC_DEFAULT"]));
    assert_eq!(md["Origin"], json!("AWS_KMS"));
    assert_eq!(md["KeyManager"], json!("CUSTOMER"));
    assert_eq!(md["MultiRegion"], json!(false));
    assert!(md["CreationDate"].is_number(), "{md}");
    assert!(md.get("DeletionDate").is_none(), "{md}");

    ok(
        &svc,
        &root(A),
        KmsOperation::CreateAlias,
        json!({"AliasName": "alias/app", "TargetKeyId": key_id}),
    )
    .await;
    let described = ok(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(described["KeyMetadata"]["Arn"], json!(arn));
    let aliases = ok(
        &svc,
        &root(A),
        KmsOperation::ListAliases,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(aliases["Truncated"], json!(false));
    let entry = &aliases["Aliases"][0];
    assert_eq!(entry["AliasName"], json!("alias/app"));
    assert_eq!(
        entry["AliasArn"],
        json!(format!("arn:aws:kms:{REGION}:{A}:alias/app"))
    );
    assert_eq!(entry["TargetKeyId"], json!(key_id));
    let keys = ok(&svc, &root(A), KmsOperation::ListKeys, json!({})).await;
    assert!(
        keys["Keys"]
            .as_array()
            .expect("Keys")
            .iter()
            .any(|k| k["KeyId"] == json!(key_id) && k["KeyArn"] == json!(arn)),
        "{keys}"
    );

    // Encrypt/decrypt with an encryption context; the context is bound.
    let ec = json!({"purpose": "test"});
    let enc = ok(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": "alias/app", "Plaintext": B64.encode(b"hello"), "EncryptionContext": ec}),
    )
    .await;
    assert_eq!(enc["KeyId"], json!(arn));
    assert_eq!(enc["EncryptionAlgorithm"], json!("SYMMETRIC_DEFAULT"));
    let blob = enc["CiphertextBlob"]
        .as_str()
        .expect("CiphertextBlob")
        .to_owned();
    let dec = ok(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob, "EncryptionContext": ec}),
    )
    .await;
    assert_eq!(
        B64.decode(dec["Plaintext"].as_str().expect("Plaintext"))
            .expect("b64"),
        b"hello"
    );
    assert_eq!(dec["KeyId"], json!(arn));
    err(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob, "EncryptionContext": {"purpose": "other"}}),
        "InvalidCiphertextException",
    )
    .await;
    err(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob}),
        "InvalidCiphertextException",
    )
    .await;
    err(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": key_id, "Plaintext": "aGk=", "DryRun": true}),
        "DryRunOperationException",
    )
    .await;
    err(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob, "EncryptionContext": ec, "DryRun": true}),
        "DryRunOperationException",
    )
    .await;

    // Data keys decrypt to what GenerateDataKey returned.
    let dk = ok(
        &svc,
        &root(A),
        KmsOperation::GenerateDataKey,
        json!({"KeyId": arn, "KeySpec": "AES_256"}),
    )
    .await;
    let plain = B64
        .decode(dk["Plaintext"].as_str().expect("Plaintext"))
        .expect("b64");
    assert_eq!(plain.len(), 32);
    let dec = ok(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": dk["CiphertextBlob"], "KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(
        B64.decode(dec["Plaintext"].as_str().expect("Plaintext"))
            .expect("b64"),
        plain
    );
    let dk = ok(
        &svc,
        &root(A),
        KmsOperation::GenerateDataKeyWithoutPlaintext,
        json!({"KeyId": key_id, "NumberOfBytes": 64}),
    )
    .await;
    assert!(dk.get("Plaintext").is_none());
    let dec = ok(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": dk["CiphertextBlob"]}),
    )
    .await;
    assert_eq!(
        B64.decode(dec["Plaintext"].as_str().expect("Plaintext"))
            .expect("b64")
            .len(),
        64
    );

    // ReEncrypt to a second key.
    let other = create_key(&svc, &root(A)).await;
    let re = ok(&svc, &root(A), KmsOperation::ReEncrypt, json!({"CiphertextBlob": blob, "SourceEncryptionContext": ec, "DestinationKeyId": other["KeyId"]})).await;
    assert_eq!(re["SourceKeyId"], json!(arn));
    assert_eq!(re["KeyId"], other["Arn"]);
    let dec = ok(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": re["CiphertextBlob"]}),
    )
    .await;
    assert_eq!(
        B64.decode(dec["Plaintext"].as_str().expect("Plaintext"))
            .expect("b64"),
        b"hello"
    );

    // Disabled keys refuse; enabled again they work.
    ok(
        &svc,
        &root(A),
        KmsOperation::DisableKey,
        json!({"KeyId": key_id}),
    )
    .await;
    let md = ok(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(
        (
            &md["KeyMetadata"]["Enabled"],
            &md["KeyMetadata"]["KeyState"]
        ),
        (&json!(false), &json!("Disabled"))
    );
    err(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": key_id, "Plaintext": "aGk="}),
        "DisabledException",
    )
    .await;
    ok(
        &svc,
        &root(A),
        KmsOperation::EnableKey,
        json!({"KeyId": key_id}),
    )
    .await;

    // Rotation.
    ok(
        &svc,
        &root(A),
        KmsOperation::EnableKeyRotation,
        json!({"KeyId": key_id, "RotationPeriodInDays": 90}),
    )
    .await;
    let st = ok(
        &svc,
        &root(A),
        KmsOperation::GetKeyRotationStatus,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(st["KeyRotationEnabled"], json!(true));
    assert_eq!(st["RotationPeriodInDays"], json!(90));
    let rotated = ok(
        &svc,
        &root(A),
        KmsOperation::RotateKeyOnDemand,
        json!({"KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(rotated["KeyId"], json!(key_id));
    let dec = ok(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob, "EncryptionContext": ec}),
    )
    .await;
    assert_eq!(
        B64.decode(dec["Plaintext"].as_str().expect("Plaintext"))
            .expect("b64"),
        b"hello"
    );
    ok(
        &svc,
        &root(A),
        KmsOperation::DisableKeyRotation,
        json!({"KeyId": key_id}),
    )
    .await;
    let st = ok(
        &svc,
        &root(A),
        KmsOperation::GetKeyRotationStatus,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(st["KeyRotationEnabled"], json!(false));

    // Tags and policies.
    ok(&svc, &root(A), KmsOperation::TagResource, json!({"KeyId": key_id, "Tags": [{"TagKey": "team", "TagValue": "a"}, {"TagKey": "env", "TagValue": "prod"}]})).await;
    let tags = ok(
        &svc,
        &root(A),
        KmsOperation::ListResourceTags,
        json!({"KeyId": key_id, "Limit": 1}),
    )
    .await;
    assert_eq!(tags["Truncated"], json!(true));
    assert_eq!(tags["Tags"].as_array().map(Vec::len), Some(1));
    let rest = ok(
        &svc,
        &root(A),
        KmsOperation::ListResourceTags,
        json!({"KeyId": key_id, "Marker": tags["NextMarker"]}),
    )
    .await;
    assert_eq!(rest["Truncated"], json!(false));
    assert_eq!(rest["Tags"].as_array().map(Vec::len), Some(1));
    ok(
        &svc,
        &root(A),
        KmsOperation::UntagResource,
        json!({"KeyId": key_id, "TagKeys": ["team"]}),
    )
    .await;
    let tags = ok(
        &svc,
        &root(A),
        KmsOperation::ListResourceTags,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(tags["Tags"], json!([{"TagKey": "env", "TagValue": "prod"}]));
    let names = ok(
        &svc,
        &root(A),
        KmsOperation::ListKeyPolicies,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(names["PolicyNames"], json!(["default"]));
    let pol = ok(
        &svc,
        &root(A),
        KmsOperation::GetKeyPolicy,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(pol["PolicyName"], json!("default"));
    let doc: Value =
        serde_json::from_str(pol["Policy"].as_str().expect("Policy")).expect("policy JSON");
    assert!(doc["Statement"].is_array(), "{doc}");
    err(
        &svc,
        &root(A),
        KmsOperation::GetKeyPolicy,
        json!({"KeyId": key_id, "PolicyName": "AWS_RAM"}),
        "NotFoundException",
    )
    .await;

    // Deletion: scheduled keys refuse; cancelled ones come back disabled.
    let sched = ok(
        &svc,
        &root(A),
        KmsOperation::ScheduleKeyDeletion,
        json!({"KeyId": key_id, "PendingWindowInDays": 7}),
    )
    .await;
    assert_eq!(sched["KeyId"], json!(arn));
    assert_eq!(sched["KeyState"], json!("PendingDeletion"));
    assert_eq!(sched["PendingWindowInDays"], json!(7));
    assert!(sched["DeletionDate"].is_number(), "{sched}");
    let md = ok(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(md["KeyMetadata"]["KeyState"], json!("PendingDeletion"));
    assert_eq!(md["KeyMetadata"]["PendingDeletionWindowInDays"], json!(7));
    assert!(md["KeyMetadata"]["DeletionDate"].is_number(), "{md}");
    err(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": key_id, "Plaintext": "aGk="}),
        "KMSInvalidStateException",
    )
    .await;
    let cancelled = ok(
        &svc,
        &root(A),
        KmsOperation::CancelKeyDeletion,
        json!({"KeyId": key_id}),
    )
    .await;
    assert_eq!(cancelled["KeyId"], json!(arn));
    ok(
        &svc,
        &root(A),
        KmsOperation::EnableKey,
        json!({"KeyId": key_id}),
    )
    .await;
    ok(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": key_id, "Plaintext": "aGk="}),
    )
    .await;

    // Aliases move and go.
    ok(
        &svc,
        &root(A),
        KmsOperation::UpdateAlias,
        json!({"AliasName": "alias/app", "TargetKeyId": other["KeyId"]}),
    )
    .await;
    let md = ok(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": "alias/app"}),
    )
    .await;
    assert_eq!(md["KeyMetadata"]["KeyId"], other["KeyId"]);
    ok(
        &svc,
        &root(A),
        KmsOperation::DeleteAlias,
        json!({"AliasName": "alias/app"}),
    )
    .await;
    err(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": "alias/app"}),
        "NotFoundException",
    )
    .await;
}

#[tokio::test]
async fn users_need_a_policy_and_learn_nothing_without_one() {
    let svc = service();
    let key = create_key(&svc, &root(A)).await;
    let key_id = key["KeyId"].as_str().expect("KeyId").to_owned();
    let missing = "00000000-0000-4000-8000-000000000000";

    // No policy: denied, for an existing key and a missing one alike.
    let nobody = user(&svc, "nobody", None).await;
    let e = err(
        &svc,
        &nobody,
        KmsOperation::DescribeKey,
        json!({"KeyId": key_id}),
        "AccessDeniedException",
    )
    .await;
    assert!(
        e.message
            .contains("is not authorized to perform: kms:DescribeKey"),
        "{e}"
    );
    err(
        &svc,
        &user_ctx(&nobody),
        KmsOperation::DescribeKey,
        json!({"KeyId": missing}),
        "AccessDeniedException",
    )
    .await;
    err(
        &svc,
        &user_ctx(&nobody),
        KmsOperation::ListKeys,
        json!({}),
        "AccessDeniedException",
    )
    .await;
    err(
        &svc,
        &user_ctx(&nobody),
        KmsOperation::CreateKey,
        json!({}),
        "AccessDeniedException",
    )
    .await;

    // An identity policy allows (the default key policy delegates to the account); a missing
    // key is then NotFoundException.
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:DescribeKey","kms:Encrypt"],"Resource":"*"}]}"#;
    let app = user(&svc, "app", Some(doc)).await;
    ok(
        &svc,
        &app,
        KmsOperation::DescribeKey,
        json!({"KeyId": key_id}),
    )
    .await;
    ok(
        &svc,
        &user_ctx(&app),
        KmsOperation::Encrypt,
        json!({"KeyId": key_id, "Plaintext": "aGk="}),
    )
    .await;
    err(
        &svc,
        &user_ctx(&app),
        KmsOperation::DescribeKey,
        json!({"KeyId": missing}),
        "NotFoundException",
    )
    .await;
    err(
        &svc,
        &user_ctx(&app),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": "aGk=", "KeyId": key_id}),
        "AccessDeniedException",
    )
    .await;
}

#[tokio::test]
async fn another_accounts_key_looks_missing() {
    let svc = service();
    svc.iam().create_account(A).await.expect("account A");
    svc.iam().create_account(B).await.expect("account B");
    let theirs = create_key(&svc, &root(B)).await;
    let their_arn = theirs["Arn"].as_str().expect("Arn").to_owned();
    let missing_arn = format!("arn:aws:kms:{REGION}:{B}:key/00000000-0000-4000-8000-000000000000");
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    let app = user(&svc, "app", Some(doc)).await;
    for op in [
        KmsOperation::DescribeKey,
        KmsOperation::Encrypt,
        KmsOperation::GetKeyPolicy,
    ] {
        let answer = |arn: &str| {
            let svc = &svc;
            let ctx = user_ctx(&app);
            let body = json!({"KeyId": arn, "Plaintext": "aGk="});
            async move { call(svc, &ctx, op, body).await.expect_err("denied") }
        };
        let existing = answer(&their_arn).await;
        let missing = answer(&missing_arn).await;
        assert_eq!(
            existing.code_str(),
            "AccessDeniedException",
            "{op}: {existing}"
        );
        // Same text but for the ARN each names.
        assert_eq!(
            existing.message.replace(&their_arn, "<arn>"),
            missing.message.replace(&missing_arn, "<arn>"),
            "{op}"
        );
        assert_eq!(existing.code, missing.code);
    }
    // A ciphertext under their key reads as one whose key does not exist.
    let blob = ok(
        &svc,
        &root(B),
        KmsOperation::Encrypt,
        json!({"KeyId": their_arn, "Plaintext": "aGk="}),
    )
    .await["CiphertextBlob"]
        .clone();
    let e = err(
        &svc,
        &user_ctx(&app),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob}),
        "AccessDeniedException",
    )
    .await;
    assert_eq!(e.message, UNKNOWN_CIPHERTEXT_KEY);
    // The root of account A is no different.
    let e = err(
        &svc,
        &root(A),
        KmsOperation::DescribeKey,
        json!({"KeyId": their_arn}),
        "AccessDeniedException",
    )
    .await;
    assert!(e.message.contains(&their_arn), "{e}");
    // A key policy that names account A lets A's root use the key.
    let policy = json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{B}:root")}, "Action": "kms:*", "Resource": "*"},
        {"Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{A}:root")}, "Action": ["kms:Encrypt", "kms:DescribeKey"], "Resource": "*"}
    ]});
    ok(
        &svc,
        &root(B),
        KmsOperation::PutKeyPolicy,
        json!({"KeyId": their_arn, "Policy": policy.to_string()}),
    )
    .await;
    ok(
        &svc,
        &root(A),
        KmsOperation::Encrypt,
        json!({"KeyId": their_arn, "Plaintext": "aGk="}),
    )
    .await;
    // ... but not to decrypt, which the policy does not grant.
    let e = err(
        &svc,
        &root(A),
        KmsOperation::Decrypt,
        json!({"CiphertextBlob": blob}),
        "AccessDeniedException",
    )
    .await;
    assert_eq!(e.message, UNKNOWN_CIPHERTEXT_KEY);
    assert_eq!(ErrorCode::AccessDeniedException.status(), 400);
}

/// A fresh context (new authorization flag) for the same caller.
fn user_ctx(ctx: &Context) -> Context {
    Context {
        authorized: Default::default(),
        ..ctx.clone()
    }
}
