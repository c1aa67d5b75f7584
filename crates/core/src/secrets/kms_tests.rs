//! Secrets under KMS keys, through the Secrets Manager operations: customer keys by every
//! kind of reference, key states, UpdateSecret's re-encryption, `kms:Decrypt` /
//! `kms:GenerateDataKey` as the caller, the AWS managed key, and values sealed before KMS keys
//! existed.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use cofre_api::*;
use cofre_crypto::{aad, envelope_seal, seal, Key256, RootKey};
use cofre_store::{MemoryStore, Store};

use super::encryption::{ACCESS_TO_KMS_DENIED, ENCRYPTION_FAILURE};
use super::model::Secret;
use super::value::{self, SecretValue, DECRYPTION_FAILURE};
use crate::clock::ManualClock;
use crate::kms::{KeyMetadata, KeyState, SECRETSMANAGER_ALIAS};
use crate::Service;

const ACCT: &str = "123456789012";
const REGION: &str = "us-east-1";
const T0: i64 = 1_700_000_000_000;
const GET_ONLY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const GET_AND_DECRYPT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:GetSecretValue","kms:Decrypt"],"Resource":"*"}]}"#;

struct Fx {
    svc: Service,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
    root: Context,
}

fn fx() -> Fx {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(T0));
    Fx {
        svc: Service::new(store.clone(), RootKey::generate().0, clock.clone()),
        clock,
        store,
        root: context(format!("arn:aws:iam::{ACCT}:root"), CallerKind::Root),
    }
}

fn context(arn: String, kind: CallerKind) -> Context {
    Context {
        account_id: ACCT.into(),
        region: REGION.into(),
        principal_arn: arn.clone(),
        caller: Caller {
            account_id: ACCT.into(),
            arn,
            kind,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

impl Fx {
    async fn key(&self) -> KeyMetadata {
        self.svc
            .kms()
            .create_key(self.svc.keys().root(), ACCT, REGION, None, None, vec![])
            .await
            .expect("key")
    }

    async fn user(&self, name: &str, policy: &str) -> Context {
        let u = self
            .svc
            .iam()
            .create_user(ACCT, name, None, vec![])
            .await
            .expect("user");
        self.svc
            .iam()
            .put_user_policy(ACCT, name, "p", policy)
            .await
            .expect("policy");
        context(
            u.arn,
            CallerKind::User {
                name: name.into(),
                user_id: u.user_id,
            },
        )
    }

    async fn create(
        &self,
        name: &str,
        kms_key_id: Option<&str>,
        value: &str,
    ) -> Result<String, ApiError> {
        self.svc
            .create_secret(
                &self.root,
                CreateSecretRequest {
                    name: Some(name.into()),
                    kms_key_id: kms_key_id.map(str::to_owned),
                    secret_string: Some(value.into()),
                    ..Default::default()
                },
            )
            .await
            .map(|r| r.arn.unwrap_or_default())
    }

    async fn get_as(
        &self,
        ctx: &Context,
        id: &str,
        stage: Option<&str>,
    ) -> Result<String, ApiError> {
        self.svc
            .get_secret_value(
                ctx,
                GetSecretValueRequest {
                    secret_id: Some(id.into()),
                    version_stage: stage.map(str::to_owned),
                    ..Default::default()
                },
            )
            .await
            .map(|r| {
                r.secret_string
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default()
            })
    }

    async fn get(&self, id: &str) -> Result<String, ApiError> {
        self.get_as(&self.root, id, None).await
    }

    async fn put(&self, id: &str, value: &str) -> Result<String, ApiError> {
        self.svc
            .put_secret_value(
                &self.root,
                PutSecretValueRequest {
                    secret_id: Some(id.into()),
                    secret_string: Some(value.into()),
                    ..Default::default()
                },
            )
            .await
            .map(|r| r.version_id.unwrap_or_default())
    }

    async fn update_key(&self, id: &str, kms_key_id: &str) -> Result<(), ApiError> {
        self.svc
            .update_secret(
                &self.root,
                UpdateSecretRequest {
                    secret_id: Some(id.into()),
                    kms_key_id: Some(kms_key_id.into()),
                    ..Default::default()
                },
            )
            .await
            .map(|_| ())
    }

    async fn secret(&self, name: &str) -> Secret {
        self.svc
            .find(&self.root, name)
            .await
            .expect("find")
            .expect("exists")
    }

    async fn version_keys(&self, name: &str) -> Vec<Vec<String>> {
        self.svc
            .list_secret_version_ids(
                &self.root,
                ListSecretVersionIdsRequest {
                    secret_id: Some(name.into()),
                    include_deprecated: Some(true),
                    ..Default::default()
                },
            )
            .await
            .expect("list versions")
            .versions
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.kms_key_ids.unwrap_or_default())
            .collect()
    }
}

fn assert_code(r: Result<impl std::fmt::Debug, ApiError>, code: ErrorCode, message: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!((e.code, e.message.as_str()), (code, message));
}

#[tokio::test]
async fn customer_key_by_every_kind_of_reference() {
    let f = fx();
    let key = f.key().await;
    let kms = f.svc.kms();
    kms.create_alias(ACCT, REGION, "alias/app", &key.key_id)
        .await
        .expect("alias");
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCT}:alias/app");
    for (i, r) in [key.key_id.as_str(), &key.arn, "alias/app", &alias_arn]
        .into_iter()
        .enumerate()
    {
        let name = format!("s{i}");
        f.create(&name, Some(r), "v").await.expect("create");
        assert_eq!(f.get(&name).await.expect("get"), "v");
        let d = f
            .svc
            .describe_secret(
                &f.root,
                DescribeSecretRequest {
                    secret_id: Some(name.clone()),
                },
            )
            .await
            .expect("describe");
        assert_eq!(d.kms_key_id.as_deref(), Some(r), "reported as given");
        let s = f.secret(&name).await;
        assert_eq!(
            s.meta.versions[0].kms_key_arn, key.arn,
            "resolved ARN recorded"
        );
        assert_eq!(f.version_keys(&name).await, vec![vec![key.arn.clone()]]);
    }
    // The stored blob names the key and holds no plaintext.
    let s = f.secret("s0").await;
    let blob = f
        .store
        .get_version(&s.row.uid, &s.meta.versions[0].id)
        .await
        .expect("get")
        .expect("blob");
    assert_eq!(blob[0], value::SEALED_V2);
    assert!(blob
        .windows(key.key_id.len())
        .any(|w| w == key.key_id.as_bytes()));

    // The default key is not reported, whether implicit or named.
    f.create("d1", None, "v").await.expect("default");
    f.create("d2", Some(SECRETSMANAGER_ALIAS), "v")
        .await
        .expect("named default");
    for name in ["d1", "d2"] {
        let d = f
            .svc
            .describe_secret(
                &f.root,
                DescribeSecretRequest {
                    secret_id: Some(name.into()),
                },
            )
            .await
            .expect("describe");
        assert_eq!(d.kms_key_id, None);
        assert_eq!(
            f.version_keys(name).await,
            vec![vec!["DefaultEncryptionKey".to_owned()]]
        );
        assert_eq!(f.get(name).await.expect("get"), "v");
    }
    // The AWS managed key is now visible through KMS.
    let managed = kms
        .describe_key(ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("managed");
    assert_eq!(
        f.secret("d1").await.meta.versions[0].kms_key_arn,
        managed.arn
    );
    let aliases = kms
        .list_aliases(ACCT, REGION, None, &Default::default())
        .await
        .expect("aliases");
    assert!(aliases
        .items
        .iter()
        .any(|a| a.alias_name == SECRETSMANAGER_ALIAS));
}

#[tokio::test]
async fn unknown_keys_are_invalid_parameters() {
    let f = fx();
    let missing = "11111111-2222-3333-4444-555555555555";
    assert_code(
        f.create("a", Some("alias/someone-else"), "v").await,
        ErrorCode::InvalidParameterException,
        &format!("The operation failed because of an invalid KMS key: Alias arn:aws:kms:{REGION}:{ACCT}:alias/someone-else is not found."),
    );
    assert_code(
        f.create("b", Some(missing), "v").await,
        ErrorCode::InvalidParameterException,
        &format!("The operation failed because of an invalid KMS key: Key 'arn:aws:kms:{REGION}:{ACCT}:key/{missing}' does not exist"),
    );
    assert_code(
        f.create("c", Some("not-a-key"), "v").await,
        ErrorCode::InvalidParameterException,
        "The operation failed because of an invalid KMS key: Invalid keyId not-a-key",
    );
    f.create("d", None, "v").await.expect("create");
    assert_code(
        f.update_key("d", "alias/nope").await,
        ErrorCode::InvalidParameterException,
        &format!("The operation failed because of an invalid KMS key: Alias arn:aws:kms:{REGION}:{ACCT}:alias/nope is not found."),
    );
    // Nothing was created.
    assert!(f.svc.find(&f.root, "a").await.expect("find").is_none());
}

#[tokio::test]
async fn key_states_gate_reads_and_writes() {
    let f = fx();
    let key = f.key().await;
    let kms = f.svc.kms();
    f.create("s", Some(&key.arn), "v1").await.expect("create");

    kms.disable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("disable");
    assert_code(
        f.get("s").await,
        ErrorCode::DecryptionFailure,
        DECRYPTION_FAILURE,
    );
    assert_code(
        f.put("s", "v2").await,
        ErrorCode::EncryptionFailure,
        ENCRYPTION_FAILURE,
    );
    assert_code(
        f.create("t", Some(&key.arn), "v").await,
        ErrorCode::EncryptionFailure,
        ENCRYPTION_FAILURE,
    );
    kms.enable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("enable");
    assert_eq!(f.get("s").await.expect("readable again"), "v1");
    f.put("s", "v2").await.expect("writable again");

    kms.schedule_key_deletion(ACCT, REGION, &key.key_id, Some(7))
        .await
        .expect("schedule");
    assert_code(
        f.get("s").await,
        ErrorCode::DecryptionFailure,
        DECRYPTION_FAILURE,
    );
    assert_code(
        f.put("s", "v3").await,
        ErrorCode::EncryptionFailure,
        ENCRYPTION_FAILURE,
    );
    f.clock.advance(Duration::from_secs(6 * 86_400));
    f.svc.sweep_once().await.expect("sweep");
    kms.cancel_key_deletion(ACCT, REGION, &key.key_id)
        .await
        .expect("cancel");
    assert_code(
        f.get("s").await,
        ErrorCode::DecryptionFailure,
        DECRYPTION_FAILURE,
    );
    kms.enable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("enable");
    assert_eq!(
        f.get("s").await.expect("nothing lost before the purge"),
        "v2"
    );
    assert_eq!(
        f.get_as(&f.root, "s", Some("AWSPREVIOUS"))
            .await
            .expect("previous"),
        "v1"
    );

    // After the purge the values are gone for good.
    kms.schedule_key_deletion(ACCT, REGION, &key.key_id, Some(7))
        .await
        .expect("schedule");
    f.clock.advance(Duration::from_secs(7 * 86_400 + 60));
    assert_eq!(f.svc.sweep_kms_once().await.expect("sweep"), (1, 0));
    assert!(
        kms.describe_key(ACCT, REGION, &key.key_id).await.is_err(),
        "purged"
    );
    assert_code(
        f.get("s").await,
        ErrorCode::DecryptionFailure,
        DECRYPTION_FAILURE,
    );
    assert_code(
        f.put("s", "v4").await,
        ErrorCode::EncryptionFailure,
        ENCRYPTION_FAILURE,
    );
}

#[tokio::test]
async fn rotation_keeps_secret_versions_readable() {
    let f = fx();
    let key = f.key().await;
    let kms = f.svc.kms();
    kms.enable_key_rotation(ACCT, REGION, &key.key_id, Some(90))
        .await
        .expect("rotation");
    f.create("s", Some(&key.key_id), "v1")
        .await
        .expect("create");
    kms.rotate_key_on_demand(f.svc.keys().root(), ACCT, REGION, &key.key_id)
        .await
        .expect("rotate");
    f.put("s", "v2").await.expect("put");
    f.clock.advance(Duration::from_secs(91 * 86_400));
    assert_eq!(f.svc.sweep_kms_once().await.expect("sweep rotates"), (0, 1));
    f.put("s", "v3").await.expect("put");
    let s = f.secret("s").await;
    let mut versions = vec![];
    for v in &s.meta.versions {
        let blob = f
            .store
            .get_version(&s.row.uid, &v.id)
            .await
            .expect("get")
            .expect("blob");
        let value::Sealed::Wrapped { wraps, .. } = value::parse_sealed(&blob).expect("parse")
        else {
            panic!("new values are KMS-wrapped");
        };
        versions.push(u32::from_be_bytes(
            wraps[0][2 + key.arn.len()..6 + key.arn.len()]
                .try_into()
                .expect("4 bytes"),
        ));
    }
    assert_eq!(versions, [1, 2, 3], "each write used the newest material");
    assert_eq!(f.get("s").await.expect("current"), "v3");
    assert_eq!(
        f.get_as(&f.root, "s", Some("AWSPREVIOUS"))
            .await
            .expect("previous"),
        "v2"
    );
    let first = &s.meta.versions[0].id;
    let v1 = f
        .svc
        .get_secret_value(
            &f.root,
            GetSecretValueRequest {
                secret_id: Some("s".into()),
                version_id: Some(first.clone()),
                ..Default::default()
            },
        )
        .await
        .expect("oldest");
    assert_eq!(v1.secret_string.expect("string").expose(), "v1");
}

#[tokio::test]
async fn update_secret_kms_key_id_reencrypts_labeled_versions() {
    let f = fx();
    let a = f.key().await;
    let b = f.key().await;
    let kms = f.svc.kms();
    f.create("s", Some(&a.key_id), "v1").await.expect("create");
    f.put("s", "v2").await.expect("v2");
    let deprecated = f
        .svc
        .put_secret_value(
            &f.root,
            PutSecretValueRequest {
                secret_id: Some("s".into()),
                secret_string: Some("staged".into()),
                version_stages: Some(vec!["custom".into()]),
                ..Default::default()
            },
        )
        .await
        .expect("labelled custom")
        .version_id
        .expect("id");
    f.put("s", "v3").await.expect("v3");
    // v1: deprecated; v2: AWSPREVIOUS; v3: AWSCURRENT; "staged": custom label only.
    f.update_key("s", &b.arn).await.expect("update key");
    let s = f.secret("s").await;
    assert_eq!(s.meta.kms_key_id.as_deref(), Some(b.arn.as_str()));
    for v in &s.meta.versions {
        let labelled = v
            .stages
            .iter()
            .any(|st| st == "AWSCURRENT" || st == "AWSPREVIOUS");
        let expected = if labelled { &b.arn } else { &a.arn };
        assert_eq!(&v.kms_key_arn, expected, "version {} {:?}", v.id, v.stages);
        if labelled {
            assert_eq!(v.previous_kms_key_arns, vec![a.arn.clone()]);
        }
    }
    assert!(s
        .version(&deprecated)
        .is_some_and(|v| v.kms_key_arn == a.arn));
    let listed = f.version_keys("s").await;
    assert_eq!(
        listed[0],
        vec![b.arn.clone(), a.arn.clone()],
        "newest version first"
    );

    // Readable through the new key alone...
    kms.disable_key(ACCT, REGION, &a.key_id)
        .await
        .expect("disable a");
    assert_eq!(f.get("s").await.expect("via b"), "v3");
    assert_eq!(
        f.get_as(&f.root, "s", Some("AWSPREVIOUS"))
            .await
            .expect("via b"),
        "v2"
    );
    assert_code(
        f.get_as(&f.root, "s", Some("custom")).await,
        ErrorCode::DecryptionFailure,
        DECRYPTION_FAILURE,
    );
    // ... and still through the previous key, which AWS keeps so nobody is locked out.
    kms.enable_key(ACCT, REGION, &a.key_id)
        .await
        .expect("enable a");
    kms.disable_key(ACCT, REGION, &b.key_id)
        .await
        .expect("disable b");
    assert_eq!(f.get("s").await.expect("via a"), "v3");
    kms.enable_key(ACCT, REGION, &b.key_id)
        .await
        .expect("enable b");

    // New versions use the new key; back to the default with an empty KmsKeyId.
    f.put("s", "v4").await.expect("v4");
    assert_eq!(
        f.secret("s")
            .await
            .meta
            .versions
            .last()
            .expect("v")
            .kms_key_arn,
        b.arn
    );
    f.update_key("s", "").await.expect("default");
    let s = f.secret("s").await;
    assert_eq!(s.meta.kms_key_id, None);
    let managed = kms
        .describe_key(ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("managed");
    let current = s.version_with_stage("AWSCURRENT").expect("current");
    assert_eq!(current.kms_key_arn, managed.arn);
    assert_eq!(current.previous_kms_key_arns, vec![b.arn.clone()]);
    assert_eq!(f.get("s").await.expect("current"), "v4");

    // A disabled new key is refused before anything changes.
    kms.disable_key(ACCT, REGION, &a.key_id)
        .await
        .expect("disable a");
    assert_code(
        f.update_key("s", &a.key_id).await,
        ErrorCode::EncryptionFailure,
        ENCRYPTION_FAILURE,
    );
    assert_eq!(f.secret("s").await.meta.kms_key_id, None);
}

#[tokio::test]
async fn callers_need_kms_permissions_on_customer_keys() {
    let f = fx();
    let key = f.key().await;
    f.create("cmk", Some(&key.key_id), "secret")
        .await
        .expect("create");
    f.create("default", None, "plain").await.expect("create");

    // GetSecretValue alone reads a secret under the AWS managed key, not under a customer key.
    let reader = f.user("reader", GET_ONLY).await;
    assert_eq!(
        f.get_as(&reader, "default", None)
            .await
            .expect("managed key"),
        "plain"
    );
    assert_code(
        f.get_as(&reader, "cmk", None).await,
        ErrorCode::AccessDeniedException,
        ACCESS_TO_KMS_DENIED,
    );
    // With kms:Decrypt in IAM (the default key policy delegates to IAM), it can.
    let decrypter = f.user("decrypter", GET_AND_DECRYPT).await;
    assert_eq!(
        f.get_as(&decrypter, "cmk", None).await.expect("allowed"),
        "secret"
    );
    // A key policy that does not delegate to IAM refuses even the IAM-allowed user...
    let only_reader = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:user/reader"}},"Action":"kms:Decrypt","Resource":"*","Condition":{{"StringEquals":{{"kms:EncryptionContext:SecretARN":"{}"}}}}}}]}}"#,
        f.secret("cmk").await.row.arn
    );
    f.svc
        .kms()
        .put_key_policy(ACCT, REGION, &key.key_id, &only_reader)
        .await
        .expect("policy");
    assert_code(
        f.get_as(&decrypter, "cmk", None).await,
        ErrorCode::AccessDeniedException,
        ACCESS_TO_KMS_DENIED,
    );
    // ... and lets the user it names read, conditions on the encryption context included.
    assert_eq!(
        f.get_as(&reader, "cmk", None).await.expect("named"),
        "secret"
    );

    // Writing needs kms:GenerateDataKey.
    let writer_doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["secretsmanager:PutSecretValue","secretsmanager:CreateSecret"],"Resource":"*"}]}"#;
    let writer = f.user("writer", writer_doc).await;
    f.svc
        .kms()
        .put_key_policy(
            ACCT,
            REGION,
            &key.key_id,
            &crate::kms::default_key_policy(ACCT),
        )
        .await
        .expect("policy");
    let e = f
        .svc
        .put_secret_value(
            &writer,
            PutSecretValueRequest {
                secret_id: Some("cmk".into()),
                secret_string: Some("x".into()),
                ..Default::default()
            },
        )
        .await
        .expect_err("no kms:GenerateDataKey");
    assert_eq!(
        (e.code, e.message.as_str()),
        (ErrorCode::AccessDeniedException, ACCESS_TO_KMS_DENIED)
    );
    let e = f
        .svc
        .create_secret(
            &writer,
            CreateSecretRequest {
                name: Some("new".into()),
                kms_key_id: Some(key.key_id.clone()),
                ..Default::default()
            },
        )
        .await
        .expect_err("choosing a key validates access to it");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);
    assert!(f.svc.find(&f.root, "new").await.expect("find").is_none());
    f.svc
        .put_secret_value(
            &writer,
            PutSecretValueRequest {
                secret_id: Some("default".into()),
                secret_string: Some("x".into()),
                ..Default::default()
            },
        )
        .await
        .expect("the managed key needs no permission");
}

#[tokio::test]
async fn values_sealed_before_kms_keys_stay_readable() {
    // A secret whose version was sealed the pre-KMS way: an envelope under the account's
    // default key, recorded in `kms-default-keys`.
    let f = fx();
    let root_key = f.svc.keys().root().clone();
    let key_id = "0f6b5c2e-8a44-4a63-9d39-3f9a0e8f2b11";
    let key_arn = format!("arn:aws:kms:{REGION}:{ACCT}:key/{key_id}");
    let material = Key256::generate();
    let wrapped = seal(
        root_key.key(),
        material.expose(),
        &aad(&["kms-key", &key_arn]),
    );
    let record = serde_json::json!({
        "format": 1, "key_id": key_id, "arn": key_arn, "created_ms": T0,
        "wrapped": base64::engine::general_purpose::STANDARD.encode(wrapped),
    });
    f.store
        .kv_put(
            crate::keys::LEGACY_DEFAULT_KEYS_NS,
            &format!("{ACCT}/{REGION}"),
            record.to_string().into_bytes(),
        )
        .await
        .expect("legacy key");
    // Create the secret through the API (which now adopts that key), then overwrite its
    // version with a pre-KMS envelope.
    let arn = f.create("old", None, "new-style").await.expect("create");
    let s = f.secret("old").await;
    let version = s.meta.versions[0].id.clone();
    assert_eq!(
        s.meta.versions[0].kms_key_arn, key_arn,
        "the managed key is the old default key"
    );
    let frame = SecretValue::String("legacy value".into()).frame();
    let legacy_blob = envelope_seal(
        &material,
        frame.expose(),
        &aad(&["secret-value", ACCT, REGION, &arn, &version]),
    );
    f.store
        .write_secret(cofre_store::SecretWrite {
            row: {
                let mut r = s.to_row().expect("row");
                r.revision = s.row.revision + 1;
                r
            },
            expected_revision: Some(s.row.revision),
            put_versions: vec![(version.clone(), legacy_blob)],
            drop_versions: vec![],
        })
        .await
        .expect("write legacy");
    assert_eq!(f.get("old").await.expect("legacy read"), "legacy value");

    // Changing the key re-seals it under the new key and the managed key.
    let key = f.key().await;
    f.update_key("old", &key.key_id).await.expect("update");
    let s = f.secret("old").await;
    assert_eq!(s.meta.versions[0].kms_key_arn, key.arn);
    assert_eq!(
        s.meta.versions[0].previous_kms_key_arns,
        vec![key_arn.clone()]
    );
    assert_eq!(f.get("old").await.expect("re-sealed"), "legacy value");
    f.svc
        .kms()
        .disable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("disable");
    assert_eq!(
        f.get("old").await.expect("via the managed key"),
        "legacy value"
    );
    let state = f
        .svc
        .kms()
        .describe_key(ACCT, REGION, &key.key_id)
        .await
        .expect("d")
        .state;
    assert_eq!(state, KeyState::Disabled);
}
