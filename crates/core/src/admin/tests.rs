//! The admin API through [`dispatch`], on an in-memory store.

use std::sync::Arc;

use cofre_api::{Caller, CallerKind, Context, ErrorCode};
use cofre_crypto::RootKey;
use cofre_store::MemoryStore;
use serde_json::{json, Value};

use super::dispatch;
use crate::clock::ManualClock;
use crate::iam::Page;
use crate::Service;

const OPERATOR: &str = "123456789012";
const OTHER: &str = "111122223333";
const ALLOW_SM: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#;
const ALLOW_LIST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cofre:ListAccounts","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}"#;

fn service() -> Service {
    let svc = Service::new(
        Arc::new(MemoryStore::new()),
        RootKey::generate().0,
        Arc::new(ManualClock::new(1_700_000_000_000)),
    );
    svc.set_operator_account(OPERATOR);
    svc
}

fn root_of(account: &str) -> Context {
    Context {
        account_id: account.to_owned(),
        region: "us-east-1".into(),
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

fn user_of(account: &str, name: &str, user_id: &str) -> Context {
    let arn = format!("arn:aws:iam::{account}:user/{name}");
    Context {
        account_id: account.to_owned(),
        region: "us-east-1".into(),
        principal_arn: arn.clone(),
        caller: Caller {
            account_id: account.to_owned(),
            arn,
            kind: CallerKind::User {
                name: name.to_owned(),
                user_id: user_id.to_owned(),
            },
            tags: Default::default(),
        },
        ..Default::default()
    }
}

async fn call(
    svc: &Service,
    ctx: &Context,
    op: &str,
    body: Value,
) -> Result<Value, cofre_api::ApiError> {
    let out = dispatch(svc, ctx, op, &serde_json::to_vec(&body).expect("json")).await?;
    assert!(
        ctx.authorized.is_set(),
        "{op} answered without an authorization decision"
    );
    Ok(serde_json::from_slice(&out).expect("answer is JSON"))
}

async fn ok(svc: &Service, op: &str, body: Value) -> Value {
    call(svc, &root_of(OPERATOR), op, body)
        .await
        .unwrap_or_else(|e| panic!("{op}: {e}"))
}

async fn err(svc: &Service, op: &str, body: Value) -> cofre_api::ApiError {
    match call(svc, &root_of(OPERATOR), op, body).await {
        Ok(v) => panic!("{op} succeeded: {v}"),
        Err(e) => e,
    }
}

async fn apply(svc: &Service, doc: Value, dry_run: bool) -> Vec<String> {
    let out = ok(svc, "Apply", json!({"Document": doc, "DryRun": dry_run})).await;
    serde_json::from_value(out["Changes"].clone()).expect("changes")
}

#[tokio::test]
async fn accounts_and_root_keys() {
    let svc = service();
    let created = ok(&svc, "CreateAccount", json!({"AccountId": OTHER})).await;
    assert_eq!(created["AccountId"], OTHER);
    let akid = created["AccessKeyId"].as_str().expect("id").to_owned();
    let secret = created["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert!(akid.starts_with("AKIA") && secret.len() == 40);
    let key = svc
        .credentials()
        .lookup(svc.keys().root(), &akid)
        .await
        .expect("lookup")
        .expect("the new key authenticates");
    assert_eq!(key.principal.arn, format!("arn:aws:iam::{OTHER}:root"));

    let e = err(&svc, "CreateAccount", json!({"AccountId": OTHER})).await;
    assert_eq!(e.code, ErrorCode::ResourceExistsException);
    for bad in ["12345", "12345678901a", "1234567890123"] {
        let e = err(&svc, "CreateAccount", json!({"AccountId": bad})).await;
        assert_eq!(e.code, ErrorCode::ValidationException, "{bad}");
    }

    let listed = ok(&svc, "ListAccounts", json!({})).await;
    assert_eq!(listed["Accounts"][0]["AccountId"], OTHER);
    assert_eq!(listed["Accounts"][0]["CreatedDate"], json!(1_700_000_000.0));

    let got = ok(&svc, "GetAccountRootKey", json!({"AccountId": OTHER})).await;
    assert_eq!(got, created);
    let e = err(
        &svc,
        "GetAccountRootKey",
        json!({"AccountId": "999999999999"}),
    )
    .await;
    assert_eq!(e.code, ErrorCode::ResourceNotFoundException);

    let rotated = ok(&svc, "RotateAccountRootKey", json!({"AccountId": OTHER})).await;
    assert_ne!(rotated["AccessKeyId"], created["AccessKeyId"]);
    let lookup = |id: String| {
        let svc = &svc;
        async move {
            svc.credentials()
                .lookup(svc.keys().root(), &id)
                .await
                .expect("lookup")
        }
    };
    assert!(lookup(akid).await.is_none(), "the old key is dead");
    let new_id = rotated["AccessKeyId"].as_str().expect("id").to_owned();
    assert!(lookup(new_id).await.is_some());
    assert_eq!(
        ok(&svc, "GetAccountRootKey", json!({"AccountId": OTHER})).await,
        rotated
    );
    let e = err(
        &svc,
        "RotateAccountRootKey",
        json!({"AccountId": "999999999999"}),
    )
    .await;
    assert_eq!(e.code, ErrorCode::ResourceNotFoundException);
}

#[tokio::test]
async fn requests_are_checked() {
    let svc = service();
    let ctx = root_of(OPERATOR);
    let e = dispatch(&svc, &ctx, "Nope", b"{}")
        .await
        .expect_err("unknown op");
    assert_eq!(e.code_str(), "UnknownOperationException");
    let e = dispatch(&svc, &ctx, "ListAccounts", b"{")
        .await
        .expect_err("bad json");
    assert_eq!(e.code, ErrorCode::SerializationException);
    let e = dispatch(
        &svc,
        &ctx,
        "CreateAccount",
        br#"{"AccountId":"111122223333","Colour":1}"#,
    )
    .await
    .expect_err("unknown member");
    assert_eq!(e.code, ErrorCode::SerializationException);
    assert!(e.message.contains("Colour"), "{}", e.message);
    // An empty body is an empty input.
    dispatch(&svc, &ctx, "ListAccounts", b"")
        .await
        .expect("empty body");
}

#[tokio::test]
async fn only_the_operator_account_may_administer() {
    let svc = service();
    ok(&svc, "CreateAccount", json!({"AccountId": OTHER})).await;

    // Another account's root: nothing grants it access across accounts.
    let e = call(&svc, &root_of(OTHER), "ListAccounts", json!({}))
        .await
        .expect_err("denied");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);
    assert!(e.message.contains("cofre:ListAccounts"), "{}", e.message);
    let e = call(
        &svc,
        &root_of(OTHER),
        "GetAccountRootKey",
        json!({"AccountId": OTHER}),
    )
    .await
    .expect_err("denied");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);

    // A user of the operator account without a policy for it.
    let iam = svc.iam();
    let bob = iam
        .create_user(OPERATOR, "bob", None, Vec::new())
        .await
        .expect("user");
    iam.put_user_policy(OPERATOR, "bob", "sm", ALLOW_SM)
        .await
        .expect("policy");
    let ctx = user_of(OPERATOR, "bob", &bob.user_id);
    let e = call(&svc, &ctx, "ListAccounts", json!({}))
        .await
        .expect_err("denied");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);
    assert!(!ctx.authorized.is_set());
    let e = call(&svc, &ctx, "Apply", json!({"Document": {}}))
        .await
        .expect_err("denied");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);

    // ... and with one allowing exactly ListAccounts.
    iam.put_user_policy(OPERATOR, "bob", "admin", ALLOW_LIST)
        .await
        .expect("policy");
    let listed = call(
        &svc,
        &user_of(OPERATOR, "bob", &bob.user_id),
        "ListAccounts",
        json!({}),
    )
    .await
    .expect("allowed");
    assert_eq!(listed["Accounts"].as_array().map(Vec::len), Some(1));
    let e = call(&svc, &ctx, "GetAccountRootKey", json!({"AccountId": OTHER}))
        .await
        .expect_err("still denied");
    assert_eq!(e.code, ErrorCode::AccessDeniedException);
}

fn full_document() -> Value {
    json!({"account": [{
        "id": OTHER,
        "policy": [{"name": "ReadProd", "document": ALLOW_SM}],
        "group": [{"name": "readers", "managed_policies": ["ReadProd"],
                   "policies": {"g-inline": ALLOW_SM}}],
        "user": [
            {"name": "alice", "groups": ["readers"], "tags": {"team": "core"},
             "managed_policies": [format!("arn:aws:iam::{OTHER}:policy/ReadProd")],
             "policies": {"own": ALLOW_SM}},
            {"name": "bob"}
        ],
        "role": [{"name": "ci", "trust_policy": TRUST, "max_session_duration": 7200,
                  "managed_policies": ["readprod"], "tags": {"env": "ci"}}]
    }]})
}

#[tokio::test]
async fn apply_converges_and_is_idempotent() {
    let svc = service();
    let doc = full_document();

    let planned = apply(&svc, doc.clone(), true).await;
    assert!(
        planned.contains(&format!("created user alice in {OTHER}")),
        "{planned:?}"
    );
    assert!(
        !svc.iam().account_exists(OTHER).await.expect("exists"),
        "a dry run changes nothing"
    );

    let changes = apply(&svc, doc.clone(), false).await;
    assert_eq!(changes, planned, "the dry run showed exactly what happens");
    assert_eq!(changes[0], format!("created account {OTHER}"));
    for want in [
        format!("created policy ReadProd in {OTHER}"),
        format!("created group readers in {OTHER}"),
        format!("created user alice in {OTHER}"),
        format!("put inline policy own on user alice in {OTHER}"),
        format!("attached policy ReadProd to user alice in {OTHER}"),
        format!("added user alice to group readers in {OTHER}"),
        format!("created role ci in {OTHER}"),
        format!("attached policy ReadProd to role ci in {OTHER}"),
    ] {
        assert!(changes.contains(&want), "{want} missing from {changes:?}");
    }
    assert!(
        svc.credentials()
            .account_root_key(svc.keys().root(), OTHER)
            .await
            .expect("key")
            .is_some(),
        "a created account has a root key"
    );
    let iam = svc.iam();
    let role = iam.get_role(OTHER, "ci").await.expect("role");
    assert_eq!(role.max_session_duration, 7200);
    let alice = iam.get_user(OTHER, "alice").await.expect("alice");
    assert_eq!(alice.tags, vec![crate::iam::Tag::new("team", "core")]);

    assert_eq!(apply(&svc, doc.clone(), false).await, Vec::<String>::new());

    // Alice keeps her access key across applies.
    let key = iam
        .create_access_key(svc.keys().root(), OTHER, "alice")
        .await
        .expect("key");
    // Bob gets a key and a group, so deleting him must clear both first.
    iam.create_access_key(svc.keys().root(), OTHER, "bob")
        .await
        .expect("key");
    iam.add_user_to_group(OTHER, "readers", "bob")
        .await
        .expect("join");
    // Something made outside the document goes.
    iam.create_user(OTHER, "stray", None, Vec::new())
        .await
        .expect("stray");

    let smaller = json!({"account": [{
        "id": OTHER,
        "policy": [{"name": "ReadProd", "document": ALLOW_LIST}],
        "group": [{"name": "readers", "managed_policies": ["ReadProd"]}],
        "user": [{"name": "alice", "path": "/ops/", "groups": ["readers"],
                  "tags": {"team": "platform"}, "managed_policies": ["ReadProd"]}],
        "role": [{"name": "ci", "trust_policy": TRUST, "description": "CI",
                  "managed_policies": ["ReadProd"]}]
    }]});
    let changes = apply(&svc, smaller.clone(), false).await;
    for want in [
        format!("replaced policy ReadProd in {OTHER} (document changed)"),
        format!("deleted inline policy g-inline of group readers in {OTHER}"),
        format!("attached policy ReadProd to group readers in {OTHER}"),
        format!("moved user alice in {OTHER} to path /ops/"),
        format!("tagged user alice in {OTHER}: team=platform"),
        format!("deleted inline policy own of user alice in {OTHER}"),
        format!("updated role ci in {OTHER}: description, max_session_duration=3600"),
        format!("untagged role ci in {OTHER}: env"),
        format!("deleted user bob in {OTHER}"),
        format!("deleted user stray in {OTHER}"),
    ] {
        assert!(changes.contains(&want), "{want} missing from {changes:?}");
    }
    assert_eq!(apply(&svc, smaller, false).await, Vec::<String>::new());

    let users = iam
        .list_users(OTHER, None, &Page::default())
        .await
        .expect("users");
    assert_eq!(users.items.len(), 1);
    let moved = &users.items[0];
    assert_eq!(
        (moved.user_id.as_str(), moved.path.as_str()),
        (alice.user_id.as_str(), "/ops/")
    );
    assert_eq!(moved.arn, format!("arn:aws:iam::{OTHER}:user/ops/alice"));
    let still = svc
        .credentials()
        .lookup(svc.keys().root(), &key.access_key_id)
        .await
        .expect("lookup")
        .expect("alice's key survives");
    assert_eq!(still.principal.arn, moved.arn);
    let docs = iam
        .identity_policies(&still.principal)
        .await
        .expect("policies");
    assert_eq!(
        docs,
        vec![ALLOW_LIST.to_owned(), ALLOW_LIST.to_owned()],
        "own + group's"
    );

    // An empty account entry empties the account, but keeps the account and its root key.
    let changes = apply(&svc, json!({"account": [{"id": OTHER}]}), false).await;
    assert!(
        changes.contains(&format!("deleted policy ReadProd in {OTHER}")),
        "{changes:?}"
    );
    assert!(
        changes.contains(&format!("deleted role ci in {OTHER}")),
        "{changes:?}"
    );
    assert!(iam.account_exists(OTHER).await.expect("exists"));
    assert!(svc
        .credentials()
        .account_root_key(svc.keys().root(), OTHER)
        .await
        .expect("k")
        .is_some());
}

#[tokio::test]
async fn invalid_documents_change_nothing() {
    let svc = service();
    apply(&svc, full_document(), false).await;

    let cases = [
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "alice", "colour": "red"}]}]}),
            "colour",
        ),
        (json!({"account": [{"id": OTHER, "colour": 1}]}), "colour"),
        (json!({"acount": []}), "acount"),
        (json!({"account": [{"id": "123"}]}), "12 digits"),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "a b"}]}]}),
            "userName",
        ),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "x", "policies": {"p": "{not json"}}]}]}),
            "inline policy p of user x",
        ),
        (
            json!({"account": [{"id": OTHER, "policy": [{"name": "P", "document": r#"{"Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}"#}]}]}),
            "MalformedPolicyDocument",
        ),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "x", "groups": ["nope"]}]}]}),
            "group nope",
        ),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "x", "managed_policies": ["Nope"]}]}]}),
            "managed policy Nope",
        ),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "x"}, {"name": "X"}]}]}),
            "declared twice",
        ),
        (
            json!({"account": [{"id": OTHER, "role": [{"name": "r", "trust_policy": TRUST, "max_session_duration": 60}]}]}),
            "max_session_duration",
        ),
        (
            json!({"account": [{"id": OTHER, "role": [{"name": "r", "trust_policy": ALLOW_SM}]}]}),
            "trust policy of role r",
        ),
        (
            json!({"account": [{"id": OTHER, "user": [{"name": "x", "tags": {"k": "1", "K": "2"}}]}]}),
            "Duplicate tag keys",
        ),
    ];
    for (doc, needle) in cases {
        let e = err(&svc, "Apply", json!({"Document": doc})).await;
        assert_eq!(e.code, ErrorCode::ValidationException, "{doc}");
        assert!(
            e.message.contains(needle),
            "{needle:?} not in {:?}",
            e.message
        );
    }
    assert_eq!(
        apply(&svc, full_document(), false).await,
        Vec::<String>::new(),
        "nothing changed"
    );
}
