//! Behaviour of the KMS domain on an in-memory store and a manual clock: key states,
//! resolution, aliases, cryptography, rotation, deletion, tags, policies, the AWS managed key
//! (and the pre-KMS default key it adopts), and the key-policy authorization rule.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use cofre_api::{Caller, CallerKind, Context};
use cofre_crypto::{aad, envelope_open, envelope_seal, seal, Key256, RootKey};
use cofre_store::{MemoryStore, Store};

use super::error::{self as codes, KmsError};
use super::*;
use crate::authz::AuthzError;
use crate::clock::ManualClock;
use crate::Service;

const ACCT: &str = "123456789012";
const OTHER: &str = "210987654321";
const REGION: &str = "us-east-1";
const T0: i64 = 1_700_000_000_000;

struct Fixture {
    kms: Kms,
    root: RootKey,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
}

fn fixture() -> Fixture {
    let store: Arc<dyn Store> = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(T0));
    Fixture {
        kms: Kms::new(store.clone(), clock.clone()),
        root: RootKey::generate().0,
        clock,
        store,
    }
}

impl Fixture {
    async fn key(&self) -> KeyMetadata {
        self.kms
            .create_key(&self.root, ACCT, REGION, Some("test".into()), None, vec![])
            .await
            .expect("create key")
    }

    async fn encrypt(&self, key_ref: &str, plain: &[u8], ctx: &Ctx) -> Result<Vec<u8>, KmsError> {
        self.kms
            .encrypt(&self.root, ACCT, REGION, key_ref, plain, ctx)
            .await
            .map(|(blob, _)| blob)
    }

    async fn decrypt(&self, blob: &[u8], ctx: &Ctx) -> Result<Vec<u8>, KmsError> {
        self.kms
            .decrypt(&self.root, ACCT, REGION, blob, None, ctx)
            .await
            .map(|(p, _)| p.expose().to_vec())
    }
}

type Ctx = BTreeMap<String, String>;

fn ctx(pairs: &[(&str, &str)]) -> Ctx {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn err<T: std::fmt::Debug>(r: Result<T, KmsError>) -> KmsError {
    r.expect_err("expected an error")
}

#[tokio::test]
async fn key_lifecycle_and_states() {
    let f = fixture();
    let key = f.key().await;
    assert_eq!(key.state, KeyState::Enabled);
    assert_eq!(key.key_manager, KeyManager::Customer);
    assert_eq!(
        key.arn,
        format!("arn:aws:kms:{REGION}:{ACCT}:key/{}", key.key_id)
    );
    assert_eq!(key.description, "test");
    assert!(!key.rotation_enabled);
    assert_eq!(key.creation_ms, T0);
    assert_eq!(key.policy, default_key_policy(ACCT));
    let c = ctx(&[]);

    // Disabled: refuses cryptography with AWS's text; enabling restores it.
    let disabled = f
        .kms
        .disable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("disable");
    assert_eq!(disabled.state, KeyState::Disabled);
    let e = err(f.encrypt(&key.key_id, b"x", &c).await);
    assert_eq!(
        (e.code, e.message.as_str()),
        (codes::DISABLED, &*format!("{} is disabled.", key.arn))
    );
    assert_eq!(e.status(), 400);
    f.kms
        .enable_key(ACCT, REGION, &key.arn)
        .await
        .expect("enable");
    let blob = f.encrypt(&key.key_id, b"x", &c).await.expect("encrypt");

    // Pending deletion: 7..=30 days, refuses cryptography and EnableKey.
    let e = err(f
        .kms
        .schedule_key_deletion(ACCT, REGION, &key.key_id, Some(6))
        .await);
    assert_eq!(e.code, codes::VALIDATION);
    assert_eq!(
        e.message,
        "PendingWindowInDays should be between 7 and 30, but it is 6"
    );
    let pending = f
        .kms
        .schedule_key_deletion(ACCT, REGION, &key.key_id, Some(7))
        .await
        .expect("schedule");
    assert_eq!(pending.state, KeyState::PendingDeletion);
    assert_eq!(pending.deletion_ms, Some(T0 + 7 * DAY_MS));
    assert_eq!(pending.pending_window_days, Some(7));
    let e = err(f.decrypt(&blob, &c).await);
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            codes::INVALID_STATE,
            &*format!("{} is pending deletion.", key.arn)
        )
    );
    assert_eq!(
        err(f.kms.enable_key(ACCT, REGION, &key.key_id).await).code,
        codes::INVALID_STATE
    );
    assert_eq!(
        err(f.kms.disable_key(ACCT, REGION, &key.key_id).await).code,
        codes::INVALID_STATE
    );
    assert_eq!(
        err(f
            .kms
            .schedule_key_deletion(ACCT, REGION, &key.key_id, None)
            .await)
        .code,
        codes::INVALID_STATE
    );

    // Cancelling leaves the key disabled, as AWS does; nothing was lost.
    let cancelled = f
        .kms
        .cancel_key_deletion(ACCT, REGION, &key.key_id)
        .await
        .expect("cancel");
    assert_eq!(cancelled.state, KeyState::Disabled);
    assert_eq!(cancelled.deletion_ms, None);
    let e = err(f.kms.cancel_key_deletion(ACCT, REGION, &key.key_id).await);
    assert_eq!(e.message, format!("{} is not pending deletion.", key.arn));
    f.kms
        .enable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("enable");
    assert_eq!(f.decrypt(&blob, &c).await.expect("decrypt"), b"x");

    // The default window is 30 days.
    let pending = f
        .kms
        .schedule_key_deletion(ACCT, REGION, &key.key_id, None)
        .await
        .expect("schedule");
    assert_eq!(pending.deletion_ms, Some(T0 + 30 * DAY_MS));
}

#[tokio::test]
async fn key_references_resolve_and_fail_as_aws_says() {
    let f = fixture();
    let key = f.key().await;
    f.kms
        .create_alias(ACCT, REGION, "alias/app", &key.key_id)
        .await
        .expect("alias");
    let alias_arn = format!("arn:aws:kms:{REGION}:{ACCT}:alias/app");
    for r in [key.key_id.as_str(), &key.arn, "alias/app", &alias_arn] {
        assert_eq!(
            f.kms.describe_key(ACCT, REGION, r).await.expect(r).key_id,
            key.key_id
        );
    }
    let missing = "11111111-2222-3333-4444-555555555555";
    let e = err(f.kms.describe_key(ACCT, REGION, missing).await);
    assert_eq!(e.code, codes::NOT_FOUND);
    assert_eq!(
        e.message,
        format!("Key 'arn:aws:kms:{REGION}:{ACCT}:key/{missing}' does not exist")
    );
    let e = err(f.kms.describe_key(ACCT, REGION, "alias/nope").await);
    assert_eq!(
        e.message,
        format!("Alias arn:aws:kms:{REGION}:{ACCT}:alias/nope is not found.")
    );
    let e = err(f.kms.describe_key(ACCT, REGION, "nonsense").await);
    assert_eq!(e.message, "Invalid keyId nonsense");
    let other_region = key.arn.replace(REGION, "eu-west-1");
    let e = err(f.kms.describe_key(ACCT, REGION, &other_region).await);
    assert_eq!(e.message, "Invalid arn eu-west-1");
    // Another account's key: visible by ARN (cross-account use), not manageable.
    assert_eq!(
        f.kms
            .describe_key(OTHER, REGION, &key.arn)
            .await
            .expect("cross")
            .key_id,
        key.key_id
    );
    assert_eq!(
        err(f.kms.disable_key(OTHER, REGION, &key.arn).await).code,
        codes::NOT_FOUND
    );
    assert_eq!(
        err(f.kms.describe_key(OTHER, REGION, &key.key_id).await).code,
        codes::NOT_FOUND
    );
}

#[tokio::test]
async fn aliases() {
    let f = fixture();
    let a = f.key().await;
    let b = f.key().await;
    f.kms
        .create_alias(ACCT, REGION, "alias/app", &a.key_id)
        .await
        .expect("create");
    let e = err(f
        .kms
        .create_alias(ACCT, REGION, "alias/app", &b.key_id)
        .await);
    assert_eq!(e.code, codes::ALREADY_EXISTS);
    assert_eq!(
        e.message,
        format!("An alias with the name arn:aws:kms:{REGION}:{ACCT}:alias/app already exists")
    );
    assert_eq!(
        err(f.kms.create_alias(ACCT, REGION, "app", &a.key_id).await).code,
        codes::VALIDATION
    );
    assert_eq!(
        err(f
            .kms
            .create_alias(ACCT, REGION, "alias/aws/mine", &a.key_id)
            .await)
        .code,
        codes::NOT_AUTHORIZED
    );
    assert_eq!(
        err(f.kms.create_alias(ACCT, REGION, "alias/", &a.key_id).await).code,
        codes::INVALID_ALIAS_NAME
    );
    assert_eq!(
        err(f
            .kms
            .create_alias(ACCT, REGION, "alias/a:b", &a.key_id)
            .await)
        .code,
        codes::VALIDATION
    );
    assert_eq!(
        err(f
            .kms
            .create_alias(ACCT, REGION, "alias/x", "alias/app")
            .await)
        .code,
        codes::VALIDATION
    );
    assert_eq!(
        err(f
            .kms
            .create_alias(
                ACCT,
                REGION,
                "alias/x",
                "11111111-2222-3333-4444-555555555555"
            )
            .await)
        .code,
        codes::NOT_FOUND
    );
    f.kms
        .create_alias(ACCT, REGION, "alias/b-2", &b.arn)
        .await
        .expect("by arn");

    f.clock.advance(Duration::from_secs(60));
    f.kms
        .update_alias(ACCT, REGION, "alias/app", &b.key_id)
        .await
        .expect("update");
    assert_eq!(
        f.kms
            .describe_key(ACCT, REGION, "alias/app")
            .await
            .expect("d")
            .key_id,
        b.key_id
    );
    let all = f
        .kms
        .list_aliases(ACCT, REGION, None, &Page::default())
        .await
        .expect("list");
    let names: Vec<&str> = all.items.iter().map(|e| e.alias_name.as_str()).collect();
    assert_eq!(names, ["alias/app", "alias/b-2"]);
    let app = &all.items[0];
    assert_eq!(app.target_key_id.as_deref(), Some(b.key_id.as_str()));
    assert_eq!((app.creation_ms, app.last_updated_ms), (T0, T0 + 60_000));
    let of_a = f
        .kms
        .list_aliases(ACCT, REGION, Some(&a.key_id), &Page::default())
        .await
        .expect("list a");
    assert!(of_a.items.is_empty());
    let page = f
        .kms
        .list_aliases(
            ACCT,
            REGION,
            None,
            &Page {
                marker: None,
                limit: Some(1),
            },
        )
        .await
        .expect("page");
    assert!(page.truncated);
    let next = f
        .kms
        .list_aliases(
            ACCT,
            REGION,
            None,
            &Page {
                marker: page.next_marker,
                limit: Some(1),
            },
        )
        .await
        .expect("page 2");
    assert_eq!(next.items[0].alias_name, "alias/b-2");
    assert!(!next.truncated);
    // Other accounts and regions have their own alias namespace.
    assert!(f
        .kms
        .list_aliases(OTHER, REGION, None, &Page::default())
        .await
        .expect("other")
        .items
        .is_empty());

    // A key pending deletion cannot receive an alias.
    f.kms
        .schedule_key_deletion(ACCT, REGION, &a.key_id, None)
        .await
        .expect("schedule");
    assert_eq!(
        err(f
            .kms
            .update_alias(ACCT, REGION, "alias/app", &a.key_id)
            .await)
        .code,
        codes::INVALID_STATE
    );

    f.kms
        .delete_alias(ACCT, REGION, "alias/app")
        .await
        .expect("delete");
    let e = err(f.kms.delete_alias(ACCT, REGION, "alias/app").await);
    assert_eq!(
        e.message,
        format!("Alias arn:aws:kms:{REGION}:{ACCT}:alias/app is not found.")
    );
    assert_eq!(
        err(f
            .kms
            .update_alias(ACCT, REGION, "alias/app", &b.key_id)
            .await)
        .code,
        codes::NOT_FOUND
    );
}

#[tokio::test]
async fn encrypt_decrypt_with_context() {
    let f = fixture();
    let key = f.key().await;
    f.kms
        .create_alias(ACCT, REGION, "alias/app", &key.key_id)
        .await
        .expect("alias");
    let c = ctx(&[("purpose", "test"), ("tenant", "a")]);
    let plain = b"attack at dawn";
    let (blob, meta) = f
        .kms
        .encrypt(&f.root, ACCT, REGION, "alias/app", plain, &c)
        .await
        .expect("encrypt");
    assert_eq!(meta.arn, key.arn);
    assert_eq!(blob[0], CIPHERTEXT_VERSION);
    assert!(
        !blob.windows(plain.len()).any(|w| w == plain),
        "no plaintext in the blob"
    );
    assert_eq!(ciphertext_key_arn(&blob), Some(key.arn.as_str()));
    assert_eq!(
        f.kms
            .ciphertext_key(REGION, &blob)
            .await
            .expect("key of")
            .key_id,
        key.key_id
    );

    // Same context (in any insertion order: a map): round trip, with or without KeyId.
    assert_eq!(f.decrypt(&blob, &c).await.expect("decrypt"), plain);
    let (p, meta) = f
        .kms
        .decrypt(&f.root, ACCT, REGION, &blob, Some("alias/app"), &c)
        .await
        .expect("decrypt with key id");
    assert_eq!(
        (p.expose(), meta.key_id.as_str()),
        (&plain[..], key.key_id.as_str())
    );

    // Any other context, a tampered blob, or another key's id fails.
    for wrong in [
        ctx(&[]),
        ctx(&[("purpose", "test")]),
        ctx(&[("purpose", "test"), ("tenant", "b")]),
    ] {
        let e = err(f.decrypt(&blob, &wrong).await);
        assert_eq!(
            (e.code, e.message.as_str()),
            (codes::INVALID_CIPHERTEXT, "")
        );
    }
    for i in [0, 1, 10, blob.len() - 30, blob.len() - 1] {
        let mut bad = blob.clone();
        bad[i] ^= 1;
        assert!(f.decrypt(&bad, &c).await.is_err(), "byte {i}");
    }
    assert_eq!(
        err(f.decrypt(&blob[..20], &c).await).code,
        codes::INVALID_CIPHERTEXT
    );
    assert_eq!(
        err(f.decrypt(b"", &c).await).code,
        codes::INVALID_CIPHERTEXT
    );
    let other = f.key().await;
    let e = err(f
        .kms
        .decrypt(&f.root, ACCT, REGION, &blob, Some(&other.key_id), &c)
        .await);
    assert_eq!(e.code, codes::INCORRECT_KEY);

    // Limits.
    assert_eq!(
        err(f.encrypt(&key.key_id, &[0; 4097], &c).await).code,
        codes::VALIDATION
    );
    assert_eq!(
        err(f.encrypt(&key.key_id, &[], &c).await).code,
        codes::VALIDATION
    );
    f.encrypt(&key.key_id, &[7; 4096], &c)
        .await
        .expect("4096 bytes");

    // GenerateDataKey: the plaintext decrypts from the blob.
    let (dk, dk_blob, _) = f
        .kms
        .generate_data_key(&f.root, ACCT, REGION, &key.arn, 32, &c)
        .await
        .expect("data key");
    assert_eq!(dk.len(), 32);
    assert_eq!(
        f.decrypt(&dk_blob, &c).await.expect("decrypt dk"),
        dk.expose()
    );
    for n in [0, 1025] {
        let e = err(f
            .kms
            .generate_data_key(&f.root, ACCT, REGION, &key.arn, n, &c)
            .await);
        assert_eq!(e.code, codes::VALIDATION);
    }
}

#[tokio::test]
async fn rotation_keeps_old_ciphertexts_and_uses_the_new_version() {
    let f = fixture();
    let key = f.key().await;
    let c = ctx(&[("k", "v")]);
    let version_of = |b: &[u8]| crypto::parse_blob(b).expect("blob").version;
    let c1 = f.encrypt(&key.key_id, b"one", &c).await.expect("c1");
    f.kms
        .rotate_key_on_demand(&f.root, ACCT, REGION, &key.key_id)
        .await
        .expect("rotate");
    let c2 = f.encrypt(&key.key_id, b"two", &c).await.expect("c2");
    assert_eq!((version_of(&c1), version_of(&c2)), (1, 2));
    assert_eq!(f.decrypt(&c1, &c).await.expect("c1"), b"one");
    assert_eq!(f.decrypt(&c2, &c).await.expect("c2"), b"two");

    // Scheduled rotation: 90..=2560 days; due keys rotate in the sweep or on next use.
    assert_eq!(
        err(f
            .kms
            .enable_key_rotation(ACCT, REGION, &key.key_id, Some(89))
            .await)
        .code,
        codes::VALIDATION
    );
    assert_eq!(
        err(f
            .kms
            .enable_key_rotation(ACCT, REGION, &key.key_id, Some(2561))
            .await)
        .code,
        codes::VALIDATION
    );
    f.kms
        .enable_key_rotation(ACCT, REGION, &key.key_id, Some(90))
        .await
        .expect("enable rotation");
    let meta = f
        .kms
        .describe_key(ACCT, REGION, &key.key_id)
        .await
        .expect("describe");
    assert!(meta.rotation_enabled);
    assert_eq!(meta.rotation_period_days, Some(90));
    assert_eq!(meta.next_rotation_ms, Some(T0 + 90 * DAY_MS));
    assert_eq!(f.kms.rotate_due_keys(&f.root).await.expect("sweep"), 0);
    f.clock.advance(Duration::from_secs(90 * 86_400));
    assert_eq!(f.kms.rotate_due_keys(&f.root).await.expect("sweep"), 1);
    assert_eq!(
        f.kms.rotate_due_keys(&f.root).await.expect("sweep"),
        0,
        "rescheduled"
    );
    let c3 = f.encrypt(&key.key_id, b"three", &c).await.expect("c3");
    assert_eq!(version_of(&c3), 3);
    // Lazily on use, when no sweep ran.
    f.clock.advance(Duration::from_secs(91 * 86_400));
    let c4 = f.encrypt(&key.key_id, b"four", &c).await.expect("c4");
    assert_eq!(version_of(&c4), 4);
    for (blob, plain) in [
        (&c1, &b"one"[..]),
        (&c2, b"two"),
        (&c3, b"three"),
        (&c4, b"four"),
    ] {
        assert_eq!(
            f.decrypt(blob, &c).await.expect("old ciphertexts decrypt"),
            plain
        );
    }
    f.kms
        .disable_key_rotation(ACCT, REGION, &key.key_id)
        .await
        .expect("disable rotation");
    let meta = f
        .kms
        .describe_key(ACCT, REGION, &key.key_id)
        .await
        .expect("describe");
    assert!(!meta.rotation_enabled && meta.next_rotation_ms.is_none());

    // Rotation operations need an enabled key.
    f.kms
        .disable_key(ACCT, REGION, &key.key_id)
        .await
        .expect("disable");
    assert_eq!(
        err(f
            .kms
            .rotate_key_on_demand(&f.root, ACCT, REGION, &key.key_id)
            .await)
        .code,
        codes::DISABLED
    );
    assert_eq!(
        err(f
            .kms
            .enable_key_rotation(ACCT, REGION, &key.key_id, None)
            .await)
        .code,
        codes::DISABLED
    );
}

#[tokio::test]
async fn purge_after_the_window_destroys_the_key() {
    let f = fixture();
    let key = f.key().await;
    let keep = f.key().await;
    f.kms
        .create_alias(ACCT, REGION, "alias/doomed", &key.key_id)
        .await
        .expect("alias");
    f.kms
        .create_alias(ACCT, REGION, "alias/kept", &keep.key_id)
        .await
        .expect("alias");
    let c = ctx(&[]);
    let blob = f.encrypt(&key.key_id, b"x", &c).await.expect("encrypt");
    f.kms
        .schedule_key_deletion(ACCT, REGION, &key.key_id, Some(7))
        .await
        .expect("schedule");
    assert!(f.kms.cache.len() > 0);

    f.clock.advance(Duration::from_secs(7 * 86_400 - 60));
    assert!(f.kms.purge_due_keys().await.expect("sweep").is_empty());
    f.clock.advance(Duration::from_secs(120));
    assert_eq!(
        f.kms.purge_due_keys().await.expect("sweep"),
        vec![key.arn.clone()]
    );
    assert_eq!(
        err(f.kms.describe_key(ACCT, REGION, &key.key_id).await).code,
        codes::NOT_FOUND
    );
    assert_eq!(
        err(f.kms.cancel_key_deletion(ACCT, REGION, &key.key_id).await).code,
        codes::NOT_FOUND
    );
    let e = err(f.decrypt(&blob, &c).await);
    assert_eq!(e.code, codes::ACCESS_DENIED, "the ciphertext's key is gone");
    let names: Vec<String> = f
        .kms
        .list_aliases(ACCT, REGION, None, &Page::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|a| a.alias_name)
        .collect();
    assert_eq!(names, ["alias/kept"]);
    let keys = f
        .kms
        .list_keys(ACCT, REGION, &Page::default())
        .await
        .expect("keys");
    assert_eq!(keys.items.len(), 1);
    // No sealed material of the purged key is left in the store.
    let rows = f.store.kv_list(model::NS_KEYS).await.expect("rows");
    assert!(rows.iter().all(|(k, _)| *k != key.arn));
}

#[tokio::test]
async fn tags_and_policies() {
    let f = fixture();
    let key = f
        .kms
        .create_key(
            &f.root,
            ACCT,
            REGION,
            None,
            None,
            vec![("team".into(), "a".into())],
        )
        .await
        .expect("create");
    assert_eq!(key.description, "");
    f.kms
        .tag_resource(
            ACCT,
            REGION,
            &key.key_id,
            vec![("env".into(), "prod".into()), ("team".into(), "b".into())],
        )
        .await
        .expect("tag");
    let tags = f
        .kms
        .list_resource_tags(ACCT, REGION, &key.key_id, &Page::default())
        .await
        .expect("list");
    assert_eq!(
        tags.items,
        vec![("env".into(), "prod".into()), ("team".into(), "b".into())]
    );
    f.kms
        .untag_resource(ACCT, REGION, &key.key_id, &["env".into(), "absent".into()])
        .await
        .expect("untag");
    let tags = f
        .kms
        .list_resource_tags(ACCT, REGION, &key.key_id, &Page::default())
        .await
        .expect("list");
    assert_eq!(tags.items, vec![("team".into(), "b".into())]);
    for bad in [("aws:x", "v"), ("", "v")] {
        let e = err(f
            .kms
            .tag_resource(
                ACCT,
                REGION,
                &key.key_id,
                vec![(bad.0.into(), bad.1.into())],
            )
            .await);
        assert_eq!(e.code, codes::TAG, "{bad:?}");
    }
    let long = "v".repeat(257);
    assert_eq!(
        err(f
            .kms
            .tag_resource(ACCT, REGION, &key.key_id, vec![("k".into(), long)])
            .await)
        .code,
        codes::TAG
    );
    let many = (0..50).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(
        err(f.kms.tag_resource(ACCT, REGION, &key.key_id, many).await).code,
        codes::TAG
    );
    let e = err(f
        .kms
        .create_key(
            &f.root,
            ACCT,
            REGION,
            None,
            None,
            vec![("aws:x".into(), "".into())],
        )
        .await);
    assert_eq!(e.code, codes::TAG);

    // Policies must be valid resource policies.
    assert_eq!(
        f.kms
            .get_key_policy(ACCT, REGION, &key.key_id)
            .await
            .expect("get"),
        default_key_policy(ACCT)
    );
    let no_principal = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#;
    for bad in ["{", no_principal] {
        let e = err(f.kms.put_key_policy(ACCT, REGION, &key.key_id, bad).await);
        assert_eq!(e.code, codes::MALFORMED_POLICY);
        assert!(!e.message.is_empty());
        let e = err(f
            .kms
            .create_key(&f.root, ACCT, REGION, None, Some(bad.into()), vec![])
            .await);
        assert_eq!(e.code, codes::MALFORMED_POLICY);
    }
    let named = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:user/alice"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    f.kms
        .put_key_policy(ACCT, REGION, &key.key_id, &named)
        .await
        .expect("put");
    assert_eq!(
        f.kms
            .get_key_policy(ACCT, REGION, &key.arn)
            .await
            .expect("get"),
        named
    );
    assert_eq!(
        f.kms
            .describe_key(ACCT, REGION, &key.key_id)
            .await
            .expect("d")
            .policy,
        named
    );
}

#[tokio::test]
async fn list_keys_pages() {
    let f = fixture();
    let mut ids = vec![
        f.key().await.key_id,
        f.key().await.key_id,
        f.key().await.key_id,
    ];
    ids.sort();
    f.kms
        .create_key(&f.root, OTHER, REGION, None, None, vec![])
        .await
        .expect("other");
    let first = f
        .kms
        .list_keys(
            ACCT,
            REGION,
            &Page {
                marker: None,
                limit: Some(2),
            },
        )
        .await
        .expect("p1");
    assert!(first.truncated);
    let second = f
        .kms
        .list_keys(
            ACCT,
            REGION,
            &Page {
                marker: first.next_marker.clone(),
                limit: Some(2),
            },
        )
        .await
        .expect("p2");
    assert!(!second.truncated && second.next_marker.is_none());
    let got: Vec<String> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|k| k.key_id.clone())
        .collect();
    assert_eq!(got, ids);
}

#[tokio::test]
async fn the_aws_managed_key() {
    let f = fixture();
    assert_eq!(
        f.kms.aws_managed_key_arn(ACCT, REGION).await.expect("peek"),
        None
    );
    let e = err(f
        .kms
        .aws_managed_key(&f.root, ACCT, REGION, "alias/aws/s3")
        .await);
    assert_eq!(e.code, codes::NOT_FOUND);
    let key = f
        .kms
        .aws_managed_key(&f.root, ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("managed");
    assert_eq!(key.key_manager, KeyManager::Aws);
    assert!(key.rotation_enabled);
    assert_eq!(key.policy, secretsmanager_key_policy(ACCT, REGION));
    let again = f
        .kms
        .aws_managed_key(&f.root, ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("again");
    assert_eq!(again.key_id, key.key_id, "created once");
    assert_eq!(
        f.kms.aws_managed_key_arn(ACCT, REGION).await.expect("peek"),
        Some(key.arn.clone())
    );
    assert_eq!(
        f.kms
            .describe_key(ACCT, REGION, SECRETSMANAGER_ALIAS)
            .await
            .expect("by alias")
            .key_id,
        key.key_id
    );
    let aliases = f
        .kms
        .list_aliases(ACCT, REGION, None, &Page::default())
        .await
        .expect("aliases");
    assert_eq!(aliases.items[0].alias_name, SECRETSMANAGER_ALIAS);
    // AWS changes it, not customers.
    for e in [
        err(f.kms.disable_key(ACCT, REGION, &key.key_id).await),
        err(f
            .kms
            .schedule_key_deletion(ACCT, REGION, &key.key_id, None)
            .await),
        err(f
            .kms
            .put_key_policy(ACCT, REGION, &key.key_id, &default_key_policy(ACCT))
            .await),
        err(f
            .kms
            .tag_resource(ACCT, REGION, &key.key_id, vec![("a".into(), "b".into())])
            .await),
        err(f
            .kms
            .create_alias(ACCT, REGION, "alias/mine", &key.key_id)
            .await),
    ] {
        assert_eq!(e.code, codes::UNSUPPORTED);
    }
    assert_eq!(
        err(f.kms.delete_alias(ACCT, REGION, SECRETSMANAGER_ALIAS).await).code,
        codes::NOT_AUTHORIZED
    );

    // Referencing the alias creates the key (without material until a root key is at hand).
    let lazily = f
        .kms
        .describe_key(OTHER, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("lazy");
    assert_eq!(lazily.key_manager, KeyManager::Aws);
    let blob = f
        .kms
        .encrypt(
            &f.root,
            OTHER,
            REGION,
            SECRETSMANAGER_ALIAS,
            b"x",
            &ctx(&[]),
        )
        .await
        .expect("material added on first use")
        .0;
    assert_eq!(
        f.kms
            .decrypt(&f.root, OTHER, REGION, &blob, None, &ctx(&[]))
            .await
            .expect("d")
            .0
            .expose(),
        b"x"
    );
}

#[tokio::test]
async fn the_managed_key_adopts_the_pre_kms_default_key() {
    let f = fixture();
    // What the keyring stored before KMS keys existed.
    let key_id = "0f6b5c2e-8a44-4a63-9d39-3f9a0e8f2b11";
    let arn = format!("arn:aws:kms:{REGION}:{ACCT}:key/{key_id}");
    let material = Key256::generate();
    let wrapped = seal(f.root.key(), material.expose(), &aad(&["kms-key", &arn]));
    let record = serde_json::json!({
        "format": 1, "key_id": key_id, "arn": arn, "created_ms": T0 - 1000,
        "wrapped": base64::engine::general_purpose::STANDARD.encode(wrapped),
    });
    f.store
        .kv_put(
            crate::keys::LEGACY_DEFAULT_KEYS_NS,
            &format!("{ACCT}/{REGION}"),
            record.to_string().into_bytes(),
        )
        .await
        .expect("legacy record");
    let sealed = envelope_seal(&material, b"old value", b"ad");
    assert_eq!(
        f.kms.aws_managed_key_arn(ACCT, REGION).await.expect("peek"),
        Some(arn.clone()),
        "known before it is adopted"
    );

    let key = f
        .kms
        .aws_managed_key(&f.root, ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("managed");
    assert_eq!(
        (key.key_id.as_str(), key.arn.as_str()),
        (key_id, arn.as_str())
    );
    assert_eq!(key.creation_ms, T0 - 1000);
    let (kek, _) = f
        .kms
        .managed_legacy_material(&f.root, ACCT, REGION)
        .await
        .expect("legacy material");
    assert_eq!(
        envelope_open(&kek, &sealed, b"ad").expect("opens").expose(),
        b"old value"
    );
    // New encryptions use the same key (material version 1, the adopted one).
    let blob = f
        .encrypt(SECRETSMANAGER_ALIAS, b"new", &ctx(&[]))
        .await
        .expect("encrypt");
    assert_eq!(crypto::parse_blob(&blob).expect("blob").version, 1);
    assert_eq!(f.decrypt(&blob, &ctx(&[])).await.expect("decrypt"), b"new");
}

#[tokio::test]
async fn a_wrong_root_key_is_an_internal_error_without_detail() {
    let f = fixture();
    let key = f.key().await;
    let other_root = RootKey::generate().0;
    let fresh = Kms::new(f.store.clone(), f.clock.clone());
    let e = err(fresh
        .encrypt(&other_root, ACCT, REGION, &key.key_id, b"x", &ctx(&[]))
        .await);
    assert_eq!((e.code, e.status()), (codes::INTERNAL, 500));
    assert!(!e.message.contains(&key.arn));
}

#[test]
fn debug_output_redacts_material() {
    let f = fixture();
    let shown = format!("{:?}", f.kms);
    assert!(shown.contains("redacted"), "{shown}");
}

// --- Authorization: the key-policy rule. ---

fn service() -> (Service, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    let svc = Service::new(
        Arc::new(MemoryStore::new()),
        RootKey::generate().0,
        clock.clone(),
    );
    (svc, clock)
}

fn root_of(account: &str) -> Context {
    Context {
        account_id: account.to_owned(),
        region: REGION.into(),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        caller: Caller {
            account_id: account.to_owned(),
            arn: format!("arn:aws:iam::{account}:root"),
            kind: CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

async fn user(svc: &Service, account: &str, name: &str, policy: Option<&str>) -> Context {
    let u = svc
        .iam()
        .create_user(account, name, None, vec![])
        .await
        .expect("user");
    if let Some(doc) = policy {
        svc.iam()
            .put_user_policy(account, name, "p", doc)
            .await
            .expect("policy");
    }
    Context {
        account_id: account.to_owned(),
        region: REGION.into(),
        principal_arn: u.arn.clone(),
        caller: Caller {
            account_id: account.to_owned(),
            arn: u.arn,
            kind: CallerKind::User {
                name: name.to_owned(),
                user_id: u.user_id,
            },
            tags: Default::default(),
        },
        ..Default::default()
    }
}

const ALLOW_DECRYPT: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}]}"#;

async fn decide(svc: &Service, ctx: &Context, key: &KeyMetadata) -> Result<(), String> {
    svc.authorize_kms(ctx, "kms:Decrypt", key, Default::default())
        .await
        .map_err(|e| match e {
            AuthzError::Denied(m) => m,
            AuthzError::Internal(m) => panic!("internal: {m}"),
        })
}

#[tokio::test]
async fn key_policies_decide_as_kms_does() {
    let (svc, _) = service();
    let root = svc.keys().root().clone();
    let kms = svc.kms();
    // Default policy: the account root delegates to IAM.
    let key = kms
        .create_key(&root, ACCT, REGION, None, None, vec![])
        .await
        .expect("key");
    let admin = root_of(ACCT);
    let reader = user(&svc, ACCT, "reader", Some(ALLOW_DECRYPT)).await;
    let nobody = user(&svc, ACCT, "nobody", None).await;
    decide(&svc, &admin, &key).await.expect("root, delegated");
    decide(&svc, &reader, &key)
        .await
        .expect("IAM allows, key policy delegates");
    let m = decide(&svc, &nobody, &key).await.expect_err("no IAM allow");
    assert_eq!(
        m,
        format!("User: arn:aws:iam::{ACCT}:user/nobody is not authorized to perform: kms:Decrypt on resource: {} because no identity-based policy allows the kms:Decrypt action", key.arn)
    );
    assert!(reader.authorized.is_set());

    // A key policy naming the user directly needs no IAM policy.
    let direct = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:user/nobody"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    let key2 = kms
        .create_key(&root, ACCT, REGION, None, Some(direct), vec![])
        .await
        .expect("key2");
    decide(&svc, &nobody, &key2)
        .await
        .expect("named in the key policy");
    // ... and without the account delegation, IAM policies (and the root) get nothing.
    let m = decide(&svc, &reader, &key2)
        .await
        .expect_err("IAM alone is not enough");
    assert!(
        m.ends_with("because no resource-based policy allows the kms:Decrypt action"),
        "{m}"
    );
    decide(&svc, &admin, &key2)
        .await
        .expect_err("not even the root");

    // An explicit deny in the key policy wins over everything.
    let deny = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*"}},{{"Effect":"Deny","Principal":{{"AWS":"*"}},"Action":"kms:Decrypt","Resource":"*","Condition":{{"StringNotEquals":{{"kms:ViaService":"secretsmanager.{REGION}.amazonaws.com"}}}}}}]}}"#
    );
    let key3 = kms
        .create_key(&root, ACCT, REGION, None, Some(deny), vec![])
        .await
        .expect("key3");
    let m = decide(&svc, &admin, &key3).await.expect_err("denied");
    assert!(
        m.ends_with("with an explicit deny in a resource-based policy"),
        "{m}"
    );
    let mut via = cofre_policy::ContextKeys::default();
    via.insert(
        "kms:ViaService",
        format!("secretsmanager.{REGION}.amazonaws.com"),
    );
    svc.authorize_kms(&admin, "kms:Decrypt", &key3, via)
        .await
        .expect("through Secrets Manager");

    // Across accounts: the key policy must name the caller's account, and IAM must allow.
    let cross = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCT}:root"}},"Action":"kms:*","Resource":"*"}},{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{OTHER}:root"}},"Action":"kms:Decrypt","Resource":"*"}}]}}"#
    );
    let key4 = kms
        .create_key(&root, ACCT, REGION, None, Some(cross), vec![])
        .await
        .expect("key4");
    let outsider = user(&svc, OTHER, "outsider", Some(ALLOW_DECRYPT)).await;
    let outsider_nobody = user(&svc, OTHER, "idle", None).await;
    decide(&svc, &outsider, &key4)
        .await
        .expect("both sides allow");
    decide(&svc, &outsider_nobody, &key4)
        .await
        .expect_err("no IAM allow in the caller's account");
    decide(&svc, &outsider, &key)
        .await
        .expect_err("the key policy does not name the account");

    // The AWS managed key: direct use is refused (only via Secrets Manager, same account).
    let managed = kms
        .aws_managed_key(&root, ACCT, REGION, SECRETSMANAGER_ALIAS)
        .await
        .expect("managed");
    decide(&svc, &admin, &managed)
        .await
        .expect_err("not through Secrets Manager");
    svc.authorize_kms(&admin, "kms:DescribeKey", &managed, Default::default())
        .await
        .expect("metadata");
    let mut via = cofre_policy::ContextKeys::default();
    via.insert(
        "kms:ViaService",
        format!("secretsmanager.{REGION}.amazonaws.com"),
    );
    svc.authorize_kms(&nobody, "kms:Decrypt", &managed, via.clone())
        .await
        .expect("via Secrets Manager");
    svc.authorize_kms(&outsider, "kms:Decrypt", &managed, via)
        .await
        .expect_err("another account");
}
