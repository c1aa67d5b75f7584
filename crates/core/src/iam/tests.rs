//! Behaviour of the IAM domain, each case run against both store backends.

use std::sync::Arc;
use std::time::Duration;

use cofre_crypto::RootKey;
use cofre_store::conformance::TempSqlite;
use cofre_store::{MemoryStore, SqliteStore, Store};

use super::*;
use crate::clock::ManualClock;
use crate::credentials::{Credentials, SessionError};

const ACCT: &str = "123456789012";
const OTHER: &str = "210987654321";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

struct Fixture {
    iam: Iam,
    creds: Credentials,
    root: RootKey,
    clock: Arc<ManualClock>,
    store: Arc<dyn Store>,
    /// A second handle on the same data, as another process would have (SQLite only).
    other_process: Option<Arc<dyn Store>>,
    _tmp: Option<TempSqlite>,
}

impl Fixture {
    fn new(store: Arc<dyn Store>, other: Option<Arc<dyn Store>>, tmp: Option<TempSqlite>) -> Self {
        let clock = Arc::new(ManualClock::new(1_700_000_000_000));
        Self {
            iam: Iam::new(store.clone(), clock.clone()),
            creds: Credentials::new(store.clone()),
            root: RootKey::generate().0,
            clock,
            store,
            other_process: other,
            _tmp: tmp,
        }
    }

    fn memory() -> Self {
        Self::new(Arc::new(MemoryStore::new()), None, None)
    }

    fn sqlite() -> Self {
        let tmp = TempSqlite::new();
        let a: Arc<dyn Store> = Arc::new(SqliteStore::open(&tmp.db_path()).expect("open"));
        let b: Arc<dyn Store> = Arc::new(SqliteStore::open(&tmp.db_path()).expect("open"));
        Self::new(a, Some(b), Some(tmp))
    }

    fn policy_arn(&self, name: &str) -> String {
        format!("arn:aws:iam::{ACCT}:policy/{name}")
    }

    async fn user(&self, name: &str) -> User {
        self.iam
            .create_user(ACCT, name, None, Vec::new())
            .await
            .expect("create user")
    }

    async fn role(&self, name: &str) -> Role {
        self.iam
            .create_role(
                ACCT,
                CreateRole {
                    role_name: name.into(),
                    assume_role_policy_document: TRUST.into(),
                    ..CreateRole::default()
                },
            )
            .await
            .expect("create role")
    }

    async fn policy(&self, name: &str, doc: &str) -> ManagedPolicy {
        self.iam
            .create_policy(
                ACCT,
                CreatePolicy {
                    policy_name: name.into(),
                    policy_document: doc.into(),
                    ..CreatePolicy::default()
                },
            )
            .await
            .expect("create policy")
    }
}

fn page(max: i32) -> Page {
    Page {
        marker: None,
        max_items: Some(max),
    }
}

#[track_caller]
fn assert_err<T: std::fmt::Debug>(r: Result<T, IamError>, code: &str, status: u16, message: &str) {
    let e = r.expect_err("expected an error");
    assert_eq!(
        (e.code, e.status, e.message.as_str()),
        (code, status, message),
        "{e:?}"
    );
}

// ---- accounts ------------------------------------------------------------------------------

async fn accounts(f: &Fixture) {
    assert!(!f.iam.account_exists(ACCT).await.expect("exists"));
    f.iam.create_account(ACCT).await.expect("create");
    f.iam.create_account(OTHER).await.expect("create");
    assert!(f.iam.account_exists(ACCT).await.expect("exists"));
    assert_err(
        f.iam.create_account(ACCT).await,
        "EntityAlreadyExists",
        409,
        "Account 123456789012 already exists.",
    );
    assert_eq!(
        f.iam.create_account("12345").await.expect_err("short").code,
        "InvalidInput"
    );
    let ids: Vec<String> = f
        .iam
        .list_accounts()
        .await
        .expect("list")
        .into_iter()
        .map(|a| a.account_id)
        .collect();
    assert_eq!(ids, vec![ACCT.to_owned(), OTHER.to_owned()]);
}

// ---- users ---------------------------------------------------------------------------------

async fn users_create_get_list(f: &Fixture) {
    let u = f
        .iam
        .create_user(ACCT, "alice", None, vec![Tag::new("team", "red")])
        .await
        .expect("create");
    assert_eq!(u.path, "/");
    assert_eq!(u.arn, "arn:aws:iam::123456789012:user/alice");
    assert!(u.user_id.starts_with("AIDA") && u.user_id.len() == 21);
    assert_eq!(u.create_date_ms, 1_700_000_000_000);

    // Names are unique without regard to case; lookups ignore case too.
    assert_err(
        f.iam.create_user(ACCT, "Alice", None, Vec::new()).await,
        "EntityAlreadyExists",
        409,
        "User with name Alice already exists.",
    );
    assert_eq!(f.iam.get_user(ACCT, "ALICE").await.expect("get"), u);
    assert_err(
        f.iam.get_user(ACCT, "bob").await,
        "NoSuchEntity",
        404,
        "The user with name bob cannot be found.",
    );
    // Accounts are separate namespaces.
    assert!(f.iam.get_user(OTHER, "alice").await.is_err());
    f.iam
        .create_user(OTHER, "alice", None, Vec::new())
        .await
        .expect("same name, other account");

    let staff = f
        .iam
        .create_user(ACCT, "bob", Some("/staff/"), Vec::new())
        .await
        .expect("create");
    assert_eq!(staff.arn, "arn:aws:iam::123456789012:user/staff/bob");
    for n in ["carol", "dave", "erin"] {
        f.user(n).await;
    }
    let staff_only = f
        .iam
        .list_users(ACCT, Some("/staff"), &Page::default())
        .await
        .expect("list");
    assert_eq!(staff_only.items, vec![staff]);

    // Paging: MaxItems 2 walks all five, in name order.
    let mut p = page(2);
    let mut names = Vec::new();
    loop {
        let r = f.iam.list_users(ACCT, None, &p).await.expect("page");
        assert!(r.items.len() <= 2);
        names.extend(r.items.into_iter().map(|u| u.user_name));
        if !r.is_truncated {
            break;
        }
        p.marker = r.marker;
    }
    assert_eq!(names, ["alice", "bob", "carol", "dave", "erin"]);

    assert_eq!(
        f.iam
            .create_user(ACCT, "bad name", None, Vec::new())
            .await
            .expect_err("pattern")
            .code,
        "ValidationError"
    );
    assert_eq!(
        f.iam
            .create_user(ACCT, "x", Some("no-slash"), Vec::new())
            .await
            .expect_err("path")
            .code,
        "ValidationError"
    );
}

async fn users_tags(f: &Fixture) {
    f.user("alice").await;
    f.iam
        .tag_user(
            ACCT,
            "alice",
            &[Tag::new("Team", "red"), Tag::new("env", "dev")],
        )
        .await
        .expect("tag");
    // Keys are case-insensitive: "team" replaces "Team".
    f.iam
        .tag_user(ACCT, "alice", &[Tag::new("team", "blue")])
        .await
        .expect("tag");
    let tags = f
        .iam
        .list_user_tags(ACCT, "alice", &Page::default())
        .await
        .expect("list");
    assert_eq!(
        tags.items,
        vec![Tag::new("env", "dev"), Tag::new("team", "blue")]
    );
    assert_err(
        f.iam
            .tag_user(ACCT, "alice", &[Tag::new("k", "1"), Tag::new("K", "2")])
            .await,
        "InvalidInput",
        400,
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
    );
    let many: Vec<Tag> = (0..48).map(|i| Tag::new(format!("k{i:02}"), "v")).collect();
    f.iam
        .tag_user(ACCT, "alice", &many)
        .await
        .expect("50 in all");
    assert_err(
        f.iam
            .tag_user(ACCT, "alice", &[Tag::new("one-more", "")])
            .await,
        "LimitExceeded",
        409,
        "The number of tags has reached the maximum limit.",
    );
    // Replacing an existing key at the limit is fine.
    f.iam
        .tag_user(ACCT, "alice", &[Tag::new("ENV", "prod")])
        .await
        .expect("replace at limit");
    f.iam
        .untag_user(ACCT, "alice", &["TEAM".into(), "absent".into()])
        .await
        .expect("untag");
    let tags = f.iam.get_user(ACCT, "alice").await.expect("get").tags;
    assert_eq!(tags.len(), 49);
    assert!(tags.contains(&Tag::new("ENV", "prod")));
    assert!(!tags.iter().any(|t| t.key.eq_ignore_ascii_case("team")));
    let p = f
        .iam
        .list_user_tags(ACCT, "alice", &page(20))
        .await
        .expect("page");
    assert!(p.is_truncated && p.items.len() == 20);
    assert_err(
        f.iam.tag_user(ACCT, "ghost", &[Tag::new("a", "b")]).await,
        "NoSuchEntity",
        404,
        "The user with name ghost cannot be found.",
    );
}

async fn users_delete_conflicts(f: &Fixture) {
    f.user("alice").await;
    let p = f.policy("P", DOC).await;
    f.iam.create_group(ACCT, "devs", None).await.expect("group");

    let key = f
        .iam
        .create_access_key(&f.root, ACCT, "alice")
        .await
        .expect("key");
    f.iam
        .put_user_policy(ACCT, "alice", "inline", DOC)
        .await
        .expect("put");
    f.iam
        .attach_user_policy(ACCT, "alice", &p.arn)
        .await
        .expect("attach");
    f.iam
        .add_user_to_group(ACCT, "devs", "alice")
        .await
        .expect("add");

    assert_err(
        f.iam.delete_user(ACCT, "alice").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete access keys first.",
    );
    f.iam
        .delete_access_key(ACCT, "alice", &key.access_key_id)
        .await
        .expect("delete key");
    assert_err(
        f.iam.delete_user(ACCT, "alice").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    );
    f.iam
        .delete_user_policy(ACCT, "alice", "inline")
        .await
        .expect("delete");
    assert_err(
        f.iam.delete_user(ACCT, "alice").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    );
    f.iam
        .detach_user_policy(ACCT, "alice", &p.arn)
        .await
        .expect("detach");
    assert_err(
        f.iam.delete_user(ACCT, "alice").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must remove users from group first.",
    );
    f.iam
        .remove_user_from_group(ACCT, "devs", "alice")
        .await
        .expect("remove");
    f.iam.delete_user(ACCT, "alice").await.expect("delete");
    assert_err(
        f.iam.delete_user(ACCT, "alice").await,
        "NoSuchEntity",
        404,
        "The user with name alice cannot be found.",
    );
    // The name is free again, and the new user inherits nothing.
    let again = f.user("Alice").await;
    assert!(f
        .iam
        .identity_policies(&principal_of(&again))
        .await
        .expect("p")
        .is_empty());
}

fn principal_of(u: &User) -> Principal {
    Principal {
        account_id: u.account_id.clone(),
        arn: u.arn.clone(),
        kind: PrincipalKind::User {
            name: u.user_name.clone(),
            user_id: u.user_id.clone(),
        },
        tags: Default::default(),
    }
}

// ---- access keys ---------------------------------------------------------------------------

async fn access_keys_lifecycle(f: &Fixture) {
    f.iam
        .create_user(ACCT, "alice", None, vec![Tag::new("team", "red")])
        .await
        .expect("user");
    let k1 = f
        .iam
        .create_access_key(&f.root, ACCT, "alice")
        .await
        .expect("k1");
    assert!(k1.access_key_id.starts_with("AKIA") && k1.access_key_id.len() == 20);
    assert_eq!(k1.secret_access_key.len(), 40);
    assert_eq!(k1.status, AccessKeyStatus::Active);
    // The secret never shows in Debug output.
    let shown = format!("{k1:?}");
    assert!(!shown.contains(k1.secret_access_key.expose_str().expect("ascii")));

    let k2 = f
        .iam
        .create_access_key(&f.root, ACCT, "alice")
        .await
        .expect("k2");
    assert_err(
        f.iam.create_access_key(&f.root, ACCT, "alice").await,
        "LimitExceeded",
        409,
        "Cannot exceed quota for AccessKeysPerUser: 2",
    );
    let listed = f
        .iam
        .list_access_keys(ACCT, "alice", &Page::default())
        .await
        .expect("list");
    let mut ids: Vec<String> = listed
        .items
        .iter()
        .map(|k| k.access_key_id.clone())
        .collect();
    ids.sort();
    let mut want = vec![k1.access_key_id.clone(), k2.access_key_id.clone()];
    want.sort();
    assert_eq!(ids, want);

    // lookup: the user's principal, kind and tags, and the right secret.
    let key = f
        .creds
        .lookup(&f.root, &k1.access_key_id)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(key.secret, k1.secret_access_key);
    assert_eq!(key.principal.arn, "arn:aws:iam::123456789012:user/alice");
    assert!(matches!(&key.principal.kind, PrincipalKind::User { name, .. } if name == "alice"));
    assert_eq!(
        key.principal.tags.get("team").map(String::as_str),
        Some("red")
    );
    assert!(!key.is_temporary());
    assert_eq!(f.creds.check_session_token(&key, None, 0), Ok(()));
    assert_eq!(
        f.creds.check_session_token(&key, Some("token"), 0),
        Err(SessionError::Invalid)
    );
    // Tags are read at lookup time, so a tag change shows on the next request.
    f.iam
        .tag_user(ACCT, "alice", &[Tag::new("team", "blue")])
        .await
        .expect("tag");
    let key = f
        .creds
        .lookup(&f.root, &k1.access_key_id)
        .await
        .expect("l")
        .expect("f");
    assert_eq!(
        key.principal.tags.get("team").map(String::as_str),
        Some("blue")
    );

    // Deactivation stops authentication at once, here and in another process.
    let other = f
        .other_process
        .as_ref()
        .map(|s| Credentials::new(s.clone()));
    if let Some(o) = &other {
        assert!(o
            .lookup(&f.root, &k1.access_key_id)
            .await
            .expect("l")
            .is_some());
    }
    f.iam
        .update_access_key(ACCT, "alice", &k1.access_key_id, AccessKeyStatus::Inactive)
        .await
        .expect("deactivate");
    assert!(f
        .creds
        .lookup(&f.root, &k1.access_key_id)
        .await
        .expect("l")
        .is_none());
    if let Some(o) = &other {
        assert!(o
            .lookup(&f.root, &k1.access_key_id)
            .await
            .expect("l")
            .is_none());
    }
    let listed = f
        .iam
        .list_access_keys(ACCT, "alice", &Page::default())
        .await
        .expect("l");
    assert!(listed
        .items
        .iter()
        .any(|k| k.access_key_id == k1.access_key_id && k.status == AccessKeyStatus::Inactive));
    f.iam
        .update_access_key(ACCT, "alice", &k1.access_key_id, AccessKeyStatus::Active)
        .await
        .expect("reactivate");
    assert!(f
        .creds
        .lookup(&f.root, &k1.access_key_id)
        .await
        .expect("l")
        .is_some());

    // Another user's key is not found under this user.
    f.user("bob").await;
    assert_err(
        f.iam
            .update_access_key(ACCT, "bob", &k1.access_key_id, AccessKeyStatus::Inactive)
            .await,
        "NoSuchEntity",
        404,
        &format!(
            "The Access Key with id {} cannot be found.",
            k1.access_key_id
        ),
    );
    assert_err(
        f.iam
            .delete_access_key(ACCT, "bob", &k1.access_key_id)
            .await,
        "NoSuchEntity",
        404,
        &format!(
            "The Access Key with id {} cannot be found.",
            k1.access_key_id
        ),
    );
    assert_err(
        f.iam
            .delete_access_key(ACCT, "ghost", &k1.access_key_id)
            .await,
        "NoSuchEntity",
        404,
        "The user with name ghost cannot be found.",
    );

    // Deletion stops authentication at once and frees a slot.
    f.iam
        .delete_access_key(ACCT, "alice", &k1.access_key_id)
        .await
        .expect("delete");
    assert!(f
        .creds
        .lookup(&f.root, &k1.access_key_id)
        .await
        .expect("l")
        .is_none());
    if let Some(o) = &other {
        assert!(o
            .lookup(&f.root, &k1.access_key_id)
            .await
            .expect("l")
            .is_none());
    }
    f.iam
        .create_access_key(&f.root, ACCT, "alice")
        .await
        .expect("a slot is free");
    assert!(f
        .creds
        .lookup(&f.root, &k2.access_key_id)
        .await
        .expect("l")
        .is_some());
}

async fn access_keys_die_with_their_user(f: &Fixture) {
    // A key whose user was deleted (and re-created under the same name) never authenticates,
    // even if its record were left behind.
    let u = f.user("alice").await;
    let k = f
        .iam
        .create_access_key(&f.root, ACCT, "alice")
        .await
        .expect("key");
    let record = f
        .store
        .kv_get("access-keys", &k.access_key_id)
        .await
        .expect("get")
        .expect("record");
    f.iam
        .delete_access_key(ACCT, "alice", &k.access_key_id)
        .await
        .expect("del");
    f.iam.delete_user(ACCT, "alice").await.expect("delete user");
    let again = f.user("alice").await;
    assert_ne!(u.user_id, again.user_id);
    // Simulate a leftover record (e.g. restored from an old backup).
    f.store
        .kv_put("access-keys", &k.access_key_id, record)
        .await
        .expect("put");
    assert!(f
        .creds
        .lookup(&f.root, &k.access_key_id)
        .await
        .expect("l")
        .is_none());
    // Nor does a record the user does not list.
    assert!(f
        .iam
        .live_access_keys(
            &f.iam
                .existing::<model::UserRecord>(ACCT, "alice")
                .await
                .expect("u")
                .rec
        )
        .await
        .expect("live")
        .is_empty());
}

async fn root_keys_still_work(f: &Fixture) {
    let new = f
        .creds
        .ensure_account_root_key(&f.root, ACCT, None, 0)
        .await
        .expect("bootstrap")
        .expect("created");
    let key = f
        .creds
        .lookup(&f.root, &new.access_key_id)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(key.principal, Principal::root(ACCT));
    assert_eq!(key.secret, new.secret);
    assert!(f
        .iam
        .identity_policies(&key.principal)
        .await
        .expect("p")
        .is_empty());
}

// ---- inline policies -----------------------------------------------------------------------

fn doc_of_size(n: usize) -> String {
    // {"Statement":[],"x":"aaa..."} has 23 characters besides the a's.
    let base = r#"{"Statement":[],"x":""}"#.len();
    format!(r#"{{"Statement":[],"x":"{}"}}"#, "a".repeat(n - base))
}

async fn inline_policies(f: &Fixture) {
    f.user("alice").await;
    f.role("app").await;
    f.iam.create_group(ACCT, "devs", None).await.expect("group");

    f.iam
        .put_user_policy(ACCT, "alice", "b", DOC)
        .await
        .expect("put");
    f.iam
        .put_user_policy(ACCT, "alice", "a", "{\"Statement\": []}")
        .await
        .expect("put");
    f.iam
        .put_user_policy(ACCT, "alice", "a", DOC)
        .await
        .expect("replace");
    assert_eq!(
        f.iam
            .get_user_policy(ACCT, "alice", "a")
            .await
            .expect("get"),
        DOC
    );
    let names = f
        .iam
        .list_user_policies(ACCT, "alice", &Page::default())
        .await
        .expect("l");
    assert_eq!(names.items, ["a", "b"]);
    assert_err(
        f.iam.get_user_policy(ACCT, "alice", "zzz").await,
        "NoSuchEntity",
        404,
        "The user policy with name zzz cannot be found.",
    );
    assert_err(
        f.iam
            .put_user_policy(ACCT, "alice", "bad", "{not json")
            .await,
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    );
    assert_err(
        f.iam.put_user_policy(ACCT, "ghost", "p", DOC).await,
        "NoSuchEntity",
        404,
        "The user with name ghost cannot be found.",
    );
    f.iam
        .delete_user_policy(ACCT, "alice", "a")
        .await
        .expect("delete");
    f.iam
        .delete_user_policy(ACCT, "alice", "b")
        .await
        .expect("delete");
    assert_err(
        f.iam.delete_user_policy(ACCT, "alice", "a").await,
        "NoSuchEntity",
        404,
        "The user policy with name a cannot be found.",
    );

    // Aggregate quotas, white space not counted: user 2,048, role 10,240, group 5,120.
    f.iam
        .put_user_policy(ACCT, "alice", "big", &doc_of_size(2000))
        .await
        .expect("2000");
    let spaced = format!("{}{}", " \n".repeat(500), doc_of_size(48));
    f.iam
        .put_user_policy(ACCT, "alice", "small", &spaced)
        .await
        .expect("2048 exactly");
    assert_err(
        f.iam
            .put_user_policy(ACCT, "alice", "one-more", &doc_of_size(24))
            .await,
        "LimitExceeded",
        409,
        "Maximum policy size of 2048 bytes exceeded for user alice",
    );
    // Replacing a policy counts the new size only.
    f.iam
        .put_user_policy(ACCT, "alice", "big", &doc_of_size(1000))
        .await
        .expect("replace");

    f.iam
        .put_role_policy(ACCT, "app", "p", &doc_of_size(10240))
        .await
        .expect("10240");
    assert_err(
        f.iam
            .put_role_policy(ACCT, "app", "p2", &doc_of_size(24))
            .await,
        "LimitExceeded",
        409,
        "Maximum policy size of 10240 bytes exceeded for role app",
    );
    assert_eq!(
        f.iam.get_role_policy(ACCT, "app", "p").await.expect("get"),
        doc_of_size(10240)
    );
    assert_err(
        f.iam.get_role_policy(ACCT, "app", "zzz").await,
        "NoSuchEntity",
        404,
        "The role policy with name zzz cannot be found.",
    );
    f.iam
        .put_group_policy(ACCT, "devs", "p", &doc_of_size(5120))
        .await
        .expect("5120");
    assert_err(
        f.iam
            .put_group_policy(ACCT, "devs", "p2", &doc_of_size(24))
            .await,
        "LimitExceeded",
        409,
        "Maximum policy size of 5120 bytes exceeded for group devs",
    );
    assert_err(
        f.iam.get_group_policy(ACCT, "devs", "zzz").await,
        "NoSuchEntity",
        404,
        "The group policy with name zzz cannot be found.",
    );
    assert_eq!(
        f.iam
            .list_group_policies(ACCT, "devs", &Page::default())
            .await
            .expect("l")
            .items,
        ["p"]
    );
    f.iam
        .delete_group_policy(ACCT, "devs", "p")
        .await
        .expect("delete");
    assert_eq!(
        f.iam
            .list_role_policies(ACCT, "app", &Page::default())
            .await
            .expect("l")
            .items,
        ["p"]
    );
    f.iam
        .delete_role_policy(ACCT, "app", "p")
        .await
        .expect("delete");
}

// ---- roles ---------------------------------------------------------------------------------

async fn roles(f: &Fixture) {
    let r = f
        .iam
        .create_role(
            ACCT,
            CreateRole {
                role_name: "App".into(),
                path: Some("/svc/".into()),
                assume_role_policy_document: TRUST.into(),
                description: Some("the app".into()),
                max_session_duration: Some(7200),
                tags: vec![Tag::new("team", "red")],
            },
        )
        .await
        .expect("create");
    assert_eq!(r.arn, "arn:aws:iam::123456789012:role/svc/App");
    assert!(r.role_id.starts_with("AROA") && r.role_id.len() == 21);
    assert_eq!(r.max_session_duration, 7200);
    assert_eq!(r.assume_role_policy_document, TRUST);
    let plain = f.role("plain").await;
    assert_eq!(plain.max_session_duration, 3600);
    assert_eq!(plain.path, "/");

    assert_err(
        f.iam
            .create_role(
                ACCT,
                CreateRole {
                    role_name: "app".into(),
                    assume_role_policy_document: TRUST.into(),
                    ..CreateRole::default()
                },
            )
            .await,
        "EntityAlreadyExists",
        409,
        "Role with name app already exists.",
    );
    let with = |max: Option<i64>, doc: &str| CreateRole {
        role_name: "other".into(),
        assume_role_policy_document: doc.into(),
        max_session_duration: max,
        ..CreateRole::default()
    };
    assert_err(
        f.iam.create_role(ACCT, with(Some(3599), TRUST)).await,
        "ValidationError",
        400,
        "1 validation error detected: Value '3599' at 'maxSessionDuration' failed to satisfy \
         constraint: Member must have value greater than or equal to 3600",
    );
    assert_err(
        f.iam.create_role(ACCT, with(Some(43201), TRUST)).await,
        "ValidationError",
        400,
        "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy \
         constraint: Member must have value less than or equal to 43200",
    );
    assert_err(
        f.iam.create_role(ACCT, with(None, "nope")).await,
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    );
    assert_err(
        f.iam
            .create_role(ACCT, with(None, &doc_of_size(2049)))
            .await,
        "LimitExceeded",
        409,
        "Cannot exceed quota for ACLSizePerRole: 2048",
    );

    assert_eq!(f.iam.get_role(ACCT, "APP").await.expect("get"), r);
    assert_eq!(f.iam.get_role_by_arn(&r.arn).await.expect("by arn"), r);
    assert_err(
        f.iam
            .get_role_by_arn("arn:aws:iam::123456789012:role/App")
            .await,
        "NoSuchEntity",
        404,
        "The role with name App cannot be found.",
    );
    assert_err(
        f.iam.get_role(ACCT, "nope").await,
        "NoSuchEntity",
        404,
        "The role with name nope cannot be found.",
    );
    let listed = f
        .iam
        .list_roles(ACCT, Some("/svc/"), &Page::default())
        .await
        .expect("l");
    assert_eq!(listed.items, vec![r.clone()]);

    let trust2 = TRUST.replace("root", "user/alice");
    f.iam
        .update_assume_role_policy(ACCT, "app", &trust2)
        .await
        .expect("update");
    f.iam
        .update_role(ACCT, "app", Some("new"), Some(43200))
        .await
        .expect("update");
    let r2 = f.iam.get_role(ACCT, "app").await.expect("get");
    assert_eq!(r2.assume_role_policy_document, trust2);
    assert_eq!(r2.description.as_deref(), Some("new"));
    assert_eq!(r2.max_session_duration, 43200);

    f.iam
        .tag_role(ACCT, "app", &[Tag::new("env", "prod")])
        .await
        .expect("tag");
    f.iam
        .untag_role(ACCT, "app", &["TEAM".into()])
        .await
        .expect("untag");
    assert_eq!(
        f.iam
            .list_role_tags(ACCT, "app", &Page::default())
            .await
            .expect("l")
            .items,
        vec![Tag::new("env", "prod")]
    );

    let p = f.policy("P", DOC).await;
    f.iam
        .put_role_policy(ACCT, "app", "inline", DOC)
        .await
        .expect("put");
    f.iam
        .attach_role_policy(ACCT, "app", &p.arn)
        .await
        .expect("attach");
    assert_err(
        f.iam.delete_role(ACCT, "app").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    );
    f.iam
        .delete_role_policy(ACCT, "app", "inline")
        .await
        .expect("del");
    assert_err(
        f.iam.delete_role(ACCT, "app").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    );
    f.iam
        .detach_role_policy(ACCT, "app", &p.arn)
        .await
        .expect("detach");
    f.iam.delete_role(ACCT, "app").await.expect("delete");
    assert!(f.iam.get_role(ACCT, "app").await.is_err());
}

// ---- managed policies ----------------------------------------------------------------------

async fn managed_policies(f: &Fixture) {
    let p = f
        .iam
        .create_policy(
            ACCT,
            CreatePolicy {
                policy_name: "ReadSecrets".into(),
                path: Some("/team/".into()),
                policy_document: DOC.into(),
                description: Some("reads".into()),
                tags: Vec::new(),
            },
        )
        .await
        .expect("create");
    assert_eq!(p.arn, "arn:aws:iam::123456789012:policy/team/ReadSecrets");
    assert!(p.policy_id.starts_with("ANPA") && p.policy_id.len() == 21);
    assert_eq!(p.default_version_id, "v1");
    assert_eq!(p.attachment_count, 0);
    assert!(p.is_attachable);
    assert_err(
        f.iam
            .create_policy(
                ACCT,
                CreatePolicy {
                    policy_name: "readsecrets".into(),
                    policy_document: DOC.into(),
                    ..CreatePolicy::default()
                },
            )
            .await,
        "EntityAlreadyExists",
        409,
        "A policy called readsecrets already exists. Duplicate names are not allowed.",
    );
    let create = |name: &str, doc: String| CreatePolicy {
        policy_name: name.into(),
        policy_document: doc,
        ..CreatePolicy::default()
    };
    assert_err(
        f.iam
            .create_policy(ACCT, create("Big", doc_of_size(6145)))
            .await,
        "LimitExceeded",
        409,
        "Cannot exceed quota for PolicySize: 6144",
    );
    f.iam
        .create_policy(ACCT, create("Exact", doc_of_size(6144)))
        .await
        .expect("6144");
    assert_err(
        f.iam.create_policy(ACCT, create("Bad", "[]".into())).await,
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    );

    assert_eq!(f.iam.get_policy(ACCT, &p.arn).await.expect("get"), p);
    let missing = f.policy_arn("Nope");
    assert_err(
        f.iam.get_policy(ACCT, &missing).await,
        "NoSuchEntity",
        404,
        &format!("Policy {missing} was not found."),
    );
    // The path is part of the ARN.
    assert!(f
        .iam
        .get_policy(ACCT, &f.policy_arn("ReadSecrets"))
        .await
        .is_err());
    let v = f
        .iam
        .get_policy_version(ACCT, &p.arn, "v1")
        .await
        .expect("v1");
    assert_eq!((v.document.as_str(), v.is_default_version), (DOC, true));
    assert_err(
        f.iam.get_policy_version(ACCT, &p.arn, "v2").await,
        "NoSuchEntity",
        404,
        &format!(
            "Policy {} version v2 does not exist or is not attachable.",
            p.arn
        ),
    );

    // Attach: idempotent, counted, quota of 10 per entity.
    f.user("alice").await;
    f.iam
        .attach_user_policy(ACCT, "alice", &p.arn)
        .await
        .expect("attach");
    f.iam
        .attach_user_policy(ACCT, "alice", &p.arn)
        .await
        .expect("again");
    assert_eq!(
        f.iam
            .get_policy(ACCT, &p.arn)
            .await
            .expect("get")
            .attachment_count,
        1
    );
    let attached = f
        .iam
        .list_attached_user_policies(ACCT, "alice", None, &Page::default())
        .await
        .expect("list");
    assert_eq!(
        attached.items,
        vec![AttachedPolicy {
            policy_name: "ReadSecrets".into(),
            policy_arn: p.arn.clone()
        }]
    );
    assert_err(
        f.iam.attach_user_policy(ACCT, "alice", &missing).await,
        "NoSuchEntity",
        404,
        &format!("Policy {missing} does not exist or is not attachable."),
    );
    let aws = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    assert_err(
        f.iam.attach_user_policy(ACCT, "alice", aws).await,
        "NoSuchEntity",
        404,
        &format!("Policy {aws} does not exist or is not attachable."),
    );
    assert_err(
        f.iam.attach_user_policy(ACCT, "ghost", &p.arn).await,
        "NoSuchEntity",
        404,
        "The user with name ghost cannot be found.",
    );
    for i in 0..9 {
        let q = f.policy(&format!("Q{i}"), DOC).await;
        f.iam
            .attach_user_policy(ACCT, "alice", &q.arn)
            .await
            .expect("attach");
    }
    let eleventh = f.policy("Eleventh", DOC).await;
    assert_err(
        f.iam.attach_user_policy(ACCT, "alice", &eleventh.arn).await,
        "LimitExceeded",
        409,
        "Cannot exceed quota for PoliciesPerUser: 10",
    );
    // The failed attach left no trace on the policy.
    assert_eq!(
        f.iam
            .get_policy(ACCT, &eleventh.arn)
            .await
            .expect("get")
            .attachment_count,
        0
    );
    f.role("app").await;
    f.iam
        .attach_role_policy(ACCT, "app", &p.arn)
        .await
        .expect("attach");
    f.iam.create_group(ACCT, "devs", None).await.expect("group");
    f.iam
        .attach_group_policy(ACCT, "devs", &p.arn)
        .await
        .expect("attach");
    assert_eq!(
        f.iam
            .get_policy(ACCT, &p.arn)
            .await
            .expect("get")
            .attachment_count,
        3
    );
    let mut entities: Vec<(EntityKind, String)> = f
        .iam
        .list_entities_for_policy(ACCT, &p.arn)
        .await
        .expect("entities")
        .into_iter()
        .map(|e| (e.kind, e.name))
        .collect();
    entities.sort_by_key(|e| e.1.clone());
    assert_eq!(
        entities,
        vec![
            (EntityKind::User, "alice".into()),
            (EntityKind::Role, "app".into()),
            (EntityKind::Group, "devs".into())
        ]
    );

    // Listing: scope, attachment filter, paging.
    let all = f
        .iam
        .list_policies(ACCT, PolicyScope::Local, false, None, &Page::default())
        .await
        .expect("list");
    assert_eq!(all.items.len(), 12);
    let only = f
        .iam
        .list_policies(ACCT, PolicyScope::All, true, None, &Page::default())
        .await
        .expect("list");
    assert_eq!(only.items.len(), 10);
    assert!(f
        .iam
        .list_policies(ACCT, PolicyScope::Aws, false, None, &Page::default())
        .await
        .expect("list")
        .items
        .is_empty());
    let team = f
        .iam
        .list_policies(
            ACCT,
            PolicyScope::All,
            false,
            Some("/team/"),
            &Page::default(),
        )
        .await
        .expect("list");
    assert_eq!(
        team.items,
        vec![f.iam.get_policy(ACCT, &p.arn).await.expect("get")]
    );
    let first = f
        .iam
        .list_policies(ACCT, PolicyScope::All, false, None, &page(5))
        .await
        .expect("page");
    assert!(first.is_truncated && first.items.len() == 5);

    // Delete: refused while attached anywhere.
    assert_err(
        f.iam.delete_policy(ACCT, &p.arn).await,
        "DeleteConflict",
        409,
        "Cannot delete a policy attached to entities.",
    );
    f.iam
        .detach_user_policy(ACCT, "alice", &p.arn)
        .await
        .expect("detach");
    assert_err(
        f.iam.detach_user_policy(ACCT, "alice", &p.arn).await,
        "NoSuchEntity",
        404,
        &format!("Policy {} was not found.", p.arn),
    );
    f.iam
        .detach_role_policy(ACCT, "app", &p.arn)
        .await
        .expect("detach");
    assert!(f.iam.delete_policy(ACCT, &p.arn).await.is_err());
    f.iam
        .detach_group_policy(ACCT, "devs", &p.arn)
        .await
        .expect("detach");
    f.iam.delete_policy(ACCT, &p.arn).await.expect("delete");
    assert_err(
        f.iam.delete_policy(ACCT, &p.arn).await,
        "NoSuchEntity",
        404,
        &format!("Policy {} was not found.", p.arn),
    );
}

async fn stale_attachment_refs_grant_nothing(f: &Fixture) {
    // A policy-side attachment whose entity never got its own reference (an attach
    // interrupted by a crash) does not block DeletePolicy, and a re-created policy of the same
    // name is not granted through an old reference.
    let u = f.user("alice").await;
    let p = f.policy("P", DOC).await;
    f.iam
        .modify(
            &records::ns(records::POLICIES, ACCT),
            "p",
            |r: Option<model::PolicyRecord>| {
                let mut r = r.expect("policy");
                r.attachments.push(model::EntityRef {
                    kind: EntityKind::User,
                    name: "alice".into(),
                    id: u.user_id.clone(),
                });
                Ok(records::Edit::Put(r, ()))
            },
        )
        .await
        .expect("inject");
    assert_eq!(
        f.iam
            .get_policy(ACCT, &p.arn)
            .await
            .expect("get")
            .attachment_count,
        1
    );
    f.iam
        .delete_policy(ACCT, &p.arn)
        .await
        .expect("stale attachment does not block");

    f.policy("P2", DOC).await;
    f.iam
        .attach_user_policy(ACCT, "alice", &f.policy_arn("P2"))
        .await
        .expect("attach");
    // Delete P2 behind IAM's back (as a crash between steps could leave it), re-create it.
    f.store
        .kv_delete(&records::ns(records::POLICIES, ACCT), "p2")
        .await
        .expect("delete");
    f.policy(
        "P2",
        r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
    )
    .await;
    assert!(f
        .iam
        .identity_policies(&principal_of(&u))
        .await
        .expect("p")
        .is_empty());
    assert!(f
        .iam
        .list_attached_user_policies(ACCT, "alice", None, &Page::default())
        .await
        .expect("l")
        .items
        .is_empty());
    // The dead reference does not block deleting the user, nor re-attaching.
    f.iam
        .attach_user_policy(ACCT, "alice", &f.policy_arn("P2"))
        .await
        .expect("attach");
    assert_eq!(
        f.iam
            .identity_policies(&principal_of(&u))
            .await
            .expect("p")
            .len(),
        1
    );
}

// ---- groups --------------------------------------------------------------------------------

async fn groups(f: &Fixture) {
    let g = f
        .iam
        .create_group(ACCT, "Devs", Some("/eng/"))
        .await
        .expect("create");
    assert_eq!(g.arn, "arn:aws:iam::123456789012:group/eng/Devs");
    assert!(g.group_id.starts_with("AGPA"));
    assert_err(
        f.iam.create_group(ACCT, "devs", None).await,
        "EntityAlreadyExists",
        409,
        "Group with name devs already exists.",
    );
    assert_err(
        f.iam.get_group(ACCT, "ops", &Page::default()).await,
        "NoSuchEntity",
        404,
        "The group with name ops cannot be found.",
    );
    let alice = f.user("alice").await;
    let bob = f.user("bob").await;
    f.iam
        .add_user_to_group(ACCT, "devs", "alice")
        .await
        .expect("add");
    f.iam
        .add_user_to_group(ACCT, "devs", "alice")
        .await
        .expect("idempotent");
    f.iam
        .add_user_to_group(ACCT, "DEVS", "Bob")
        .await
        .expect("add");
    let (got, members) = f
        .iam
        .get_group(ACCT, "devs", &Page::default())
        .await
        .expect("get");
    assert_eq!(got, g);
    assert_eq!(members.items, vec![alice.clone(), bob.clone()]);
    let (_, first) = f.iam.get_group(ACCT, "devs", &page(1)).await.expect("page");
    assert!(first.is_truncated);
    assert_eq!(
        f.iam
            .list_groups_for_user(ACCT, "alice", &Page::default())
            .await
            .expect("l")
            .items,
        vec![g.clone()]
    );
    assert_eq!(
        f.iam
            .list_groups(ACCT, Some("/eng/"), &Page::default())
            .await
            .expect("l")
            .items,
        vec![g.clone()]
    );
    assert_err(
        f.iam.add_user_to_group(ACCT, "devs", "ghost").await,
        "NoSuchEntity",
        404,
        "The user with name ghost cannot be found.",
    );
    assert_err(
        f.iam.add_user_to_group(ACCT, "ops", "alice").await,
        "NoSuchEntity",
        404,
        "The group with name ops cannot be found.",
    );

    // DeleteGroup conflicts: members, inline, attached.
    assert_err(
        f.iam.delete_group(ACCT, "devs").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must remove users from group first.",
    );
    f.iam
        .remove_user_from_group(ACCT, "devs", "alice")
        .await
        .expect("remove");
    f.iam
        .remove_user_from_group(ACCT, "devs", "bob")
        .await
        .expect("remove");
    assert_err(
        f.iam.remove_user_from_group(ACCT, "devs", "bob").await,
        "NoSuchEntity",
        404,
        "The user with name bob cannot be found.",
    );
    f.iam
        .put_group_policy(ACCT, "devs", "p", DOC)
        .await
        .expect("put");
    assert_err(
        f.iam.delete_group(ACCT, "devs").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must delete policies first.",
    );
    f.iam
        .delete_group_policy(ACCT, "devs", "p")
        .await
        .expect("del");
    let p = f.policy("P", DOC).await;
    f.iam
        .attach_group_policy(ACCT, "devs", &p.arn)
        .await
        .expect("attach");
    assert_err(
        f.iam.delete_group(ACCT, "devs").await,
        "DeleteConflict",
        409,
        "Cannot delete entity, must detach all policies first.",
    );
    f.iam
        .detach_group_policy(ACCT, "devs", &p.arn)
        .await
        .expect("detach");
    f.iam.delete_group(ACCT, "devs").await.expect("delete");

    // Ten groups per user.
    for i in 0..10 {
        f.iam
            .create_group(ACCT, &format!("g{i}"), None)
            .await
            .expect("group");
        f.iam
            .add_user_to_group(ACCT, &format!("g{i}"), "alice")
            .await
            .expect("add");
    }
    f.iam.create_group(ACCT, "g10", None).await.expect("group");
    assert_err(
        f.iam.add_user_to_group(ACCT, "g10", "alice").await,
        "LimitExceeded",
        409,
        "Cannot exceed quota for GroupsPerUser: 10",
    );
    // A membership of a deleted group does not count (nor block deleting the user later).
    f.iam
        .remove_user_from_group(ACCT, "g0", "alice")
        .await
        .expect("remove");
    f.iam
        .add_user_to_group(ACCT, "g10", "alice")
        .await
        .expect("now fits");
}

// ---- STS sessions --------------------------------------------------------------------------

async fn sessions(f: &Fixture) {
    let role = f
        .iam
        .create_role(
            ACCT,
            CreateRole {
                role_name: "app".into(),
                assume_role_policy_document: TRUST.into(),
                max_session_duration: Some(7200),
                tags: vec![Tag::new("Team", "red"), Tag::new("env", "dev")],
                ..CreateRole::default()
            },
        )
        .await
        .expect("role");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    let s = f
        .iam
        .create_session(
            &f.root,
            &role,
            "worker@1",
            None,
            Some(policy.to_owned()),
            vec![("team".into(), "blue".into())],
        )
        .await
        .expect("session");
    let now = f.clock.now_ms();
    assert!(s.access_key_id.starts_with("ASIA") && s.access_key_id.len() == 20);
    assert_eq!(s.expiration_ms, now + 3600 * 1000);
    assert_eq!(s.assumed_role_id, format!("{}:worker@1", role.role_id));
    assert_eq!(s.arn, "arn:aws:sts::123456789012:assumed-role/app/worker@1");
    assert!(s.packed_policy_size.is_some());
    let shown = format!("{s:?}");
    assert!(!shown.contains(s.session_token.expose_str().expect("ascii")));
    assert!(!shown.contains(s.secret_access_key.expose_str().expect("ascii")));

    let key = f
        .creds
        .lookup(&f.root, &s.access_key_id)
        .await
        .expect("lookup")
        .expect("found");
    assert!(key.is_temporary());
    assert_eq!(key.secret, s.secret_access_key);
    assert_eq!(key.principal.arn, s.arn);
    assert_eq!(
        key.principal.kind,
        PrincipalKind::AssumedRole {
            role_name: "app".into(),
            role_arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            session_name: "worker@1".into(),
            session_policy: Some(policy.into()),
            expires_ms: s.expiration_ms,
        }
    );
    assert_eq!(key.principal.user_id(), s.assumed_role_id);
    // Role tags, overridden by session tags (keys compared without regard to case).
    let tags: Vec<(&str, &str)> = key
        .principal
        .tags
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(tags, vec![("env", "dev"), ("team", "blue")]);

    let token = s.session_token.expose_str().expect("ascii");
    let now = f.clock.now_ms();
    assert_eq!(f.creds.check_session_token(&key, Some(token), now), Ok(()));
    assert_eq!(
        f.creds.check_session_token(&key, None, now),
        Err(SessionError::Invalid)
    );
    assert_eq!(
        f.creds.check_session_token(&key, Some("forged"), now),
        Err(SessionError::Invalid)
    );
    let mut almost = token.to_owned();
    almost.pop();
    almost.push('!');
    assert_eq!(
        f.creds.check_session_token(&key, Some(&almost), now),
        Err(SessionError::Invalid)
    );

    // Expiry on the manual clock.
    f.clock.advance(Duration::from_secs(3599));
    let key = f
        .creds
        .lookup(&f.root, &s.access_key_id)
        .await
        .expect("l")
        .expect("f");
    assert_eq!(
        f.creds
            .check_session_token(&key, Some(token), f.clock.now_ms()),
        Ok(())
    );
    f.clock.advance(Duration::from_secs(1));
    let key = f
        .creds
        .lookup(&f.root, &s.access_key_id)
        .await
        .expect("l")
        .expect("f");
    assert_eq!(
        f.creds
            .check_session_token(&key, Some(token), f.clock.now_ms()),
        Err(SessionError::Expired)
    );
    // A wrong token on an expired session is still "invalid".
    assert_eq!(
        f.creds
            .check_session_token(&key, Some("forged"), f.clock.now_ms()),
        Err(SessionError::Invalid)
    );

    // Purged a day after expiry, not before.
    assert_eq!(f.iam.purge_expired_sessions().await.expect("purge"), 0);
    f.clock
        .advance(Duration::from_millis(SESSION_PURGE_GRACE_MS as u64));
    let live = f
        .iam
        .create_session(&f.root, &role, "later", Some(900), None, Vec::new())
        .await
        .expect("session");
    assert_eq!(live.packed_policy_size, None);
    // create_session purged lazily.
    assert!(f
        .creds
        .lookup(&f.root, &s.access_key_id)
        .await
        .expect("l")
        .is_none());
    assert_eq!(f.iam.purge_expired_sessions().await.expect("purge"), 0);
    assert!(f
        .creds
        .lookup(&f.root, &live.access_key_id)
        .await
        .expect("l")
        .is_some());

    // Deleting the role ends its sessions.
    f.iam.delete_role(ACCT, "app").await.expect("delete role");
    assert!(f
        .creds
        .lookup(&f.root, &live.access_key_id)
        .await
        .expect("l")
        .is_none());
}

async fn session_validation(f: &Fixture) {
    let role = f.role("app").await;
    let mint = |name: &'static str, d: Option<i64>, p: Option<String>, t: Vec<(String, String)>| {
        let role = role.clone();
        async move { f.iam.create_session(&f.root, &role, name, d, p, t).await }
    };
    assert_err(
        mint("s", None, None, Vec::new()).await,
        "ValidationError",
        400,
        "1 validation error detected: Value 's' at 'roleSessionName' failed to satisfy \
         constraint: Member must have length greater than or equal to 2",
    );
    assert_err(
        mint("bad name", None, None, Vec::new()).await,
        "ValidationError",
        400,
        "1 validation error detected: Value 'bad name' at 'roleSessionName' failed to \
         satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
    );
    assert_err(
        mint("ok", Some(899), None, Vec::new()).await,
        "ValidationError",
        400,
        "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy \
         constraint: Member must have value greater than or equal to 900",
    );
    assert_err(
        mint("ok", Some(3601), None, Vec::new()).await,
        "ValidationError",
        400,
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    mint("ok", Some(3600), None, Vec::new())
        .await
        .expect("max is fine");
    assert_err(
        mint("ok", None, Some("{".into()), Vec::new()).await,
        "MalformedPolicyDocument",
        400,
        "Syntax errors in policy.",
    );
    assert_err(
        mint("ok", None, Some(doc_of_size(2049)), Vec::new()).await,
        "PackedPolicyTooLarge",
        400,
        "Packed policy consumes 101% of allotted space, please use smaller policy.",
    );
    mint("ok", None, Some(doc_of_size(2048)), Vec::new())
        .await
        .expect("2048 fits");
    let tags: Vec<(String, String)> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(
        mint("ok", None, None, tags)
            .await
            .expect_err("51 tags")
            .code,
        "ValidationError"
    );
}

// ---- authorization support -----------------------------------------------------------------

async fn identity_policies_from_all_sources(f: &Fixture) {
    let doc = |n: &str| format!(r#"{{"Statement":[],"Sid":"{n}"}}"#);
    let alice = f.user("alice").await;
    f.iam
        .put_user_policy(ACCT, "alice", "u-inline", &doc("u-inline"))
        .await
        .expect("p");
    let um = f.policy("UserManaged", &doc("u-managed")).await;
    f.iam
        .attach_user_policy(ACCT, "alice", &um.arn)
        .await
        .expect("a");
    for g in ["g1", "g2"] {
        f.iam.create_group(ACCT, g, None).await.expect("g");
        f.iam
            .add_user_to_group(ACCT, g, "alice")
            .await
            .expect("add");
        f.iam
            .put_group_policy(ACCT, g, "inline", &doc(&format!("{g}-inline")))
            .await
            .expect("p");
        let gm = f
            .policy(&format!("{g}M"), &doc(&format!("{g}-managed")))
            .await;
        f.iam
            .attach_group_policy(ACCT, g, &gm.arn)
            .await
            .expect("a");
    }
    // A policy attached through two routes appears once per route, as AWS evaluates it.
    f.iam
        .attach_group_policy(ACCT, "g2", &um.arn)
        .await
        .expect("a");
    let got = f
        .iam
        .identity_policies(&principal_of(&alice))
        .await
        .expect("policies");
    assert_eq!(
        got,
        vec![
            doc("u-inline"),
            doc("u-managed"),
            doc("g1-inline"),
            doc("g1-managed"),
            doc("g2-inline"),
            doc("g2-managed"),
            doc("u-managed"),
        ]
    );
    // Leaving a group removes its policies.
    f.iam
        .remove_user_from_group(ACCT, "g1", "alice")
        .await
        .expect("remove");
    assert_eq!(
        f.iam
            .identity_policies(&principal_of(&alice))
            .await
            .expect("p")
            .len(),
        5
    );
    // A stale principal (user re-created under the same name) gets nothing.
    let mut stale = principal_of(&alice);
    if let PrincipalKind::User { user_id, .. } = &mut stale.kind {
        *user_id = "AIDAOLDOLDOLDOLDOLDOL".into();
    }
    assert!(f.iam.identity_policies(&stale).await.expect("p").is_empty());
    // Root gets none.
    assert!(f
        .iam
        .identity_policies(&Principal::root(ACCT))
        .await
        .expect("p")
        .is_empty());

    // A session gets its role's inline and attached policies (not the session policy).
    let role = f.role("app").await;
    f.iam
        .put_role_policy(ACCT, "app", "r", &doc("r-inline"))
        .await
        .expect("p");
    let rm = f.policy("RoleManaged", &doc("r-managed")).await;
    f.iam
        .attach_role_policy(ACCT, "app", &rm.arn)
        .await
        .expect("a");
    let s = f
        .iam
        .create_session(&f.root, &role, "s1", None, Some(doc("session")), Vec::new())
        .await
        .expect("session");
    let key = f
        .creds
        .lookup(&f.root, &s.access_key_id)
        .await
        .expect("l")
        .expect("f");
    assert_eq!(
        f.iam.identity_policies(&key.principal).await.expect("p"),
        vec![doc("r-inline"), doc("r-managed")]
    );
}

// ---- concurrency ---------------------------------------------------------------------------

async fn concurrent_updates_lose_nothing(f: &Fixture) {
    f.user("alice").await;
    // Tasks on a multi-threaded runtime, each with its own `Iam` over the shared store, as
    // concurrent requests (or processes) would be.
    let fresh = || Arc::new(Iam::new(f.store.clone(), f.clock.clone()));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let iam = fresh();
        tasks.push(tokio::spawn(async move {
            iam.tag_user(
                ACCT,
                "alice",
                &[Tag::new(format!("k{i:02}"), format!("v{i}"))],
            )
            .await
        }));
    }
    for i in 0..8 {
        let iam = fresh();
        tasks.push(tokio::spawn(async move {
            iam.put_user_policy(ACCT, "alice", &format!("p{i}"), r#"{"Statement":[]}"#)
                .await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("update");
    }
    let u = f.iam.get_user(ACCT, "alice").await.expect("get");
    assert_eq!(u.tags.len(), 16);
    assert_eq!(
        f.iam
            .list_user_policies(ACCT, "alice", &Page::default())
            .await
            .expect("l")
            .items
            .len(),
        8
    );

    // Racing creates of one name (in different cases): exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..8 {
        let iam = fresh();
        tasks.push(tokio::spawn(async move {
            let name = if i % 2 == 0 { "bob" } else { "BOB" };
            iam.create_user(ACCT, name, None, Vec::new()).await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("join"));
    }
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.code == "EntityAlreadyExists"));

    // Racing access key creation never exceeds the quota.
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let iam = fresh();
        let root = f.root.clone();
        tasks.push(tokio::spawn(async move {
            iam.create_access_key(&root, ACCT, "alice").await
        }));
    }
    let mut results = Vec::new();
    for t in tasks {
        results.push(t.await.expect("join"));
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        2,
        "{results:?}"
    );
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| e.code == "LimitExceeded"));
    assert_eq!(
        f.iam
            .list_access_keys(ACCT, "alice", &Page::default())
            .await
            .expect("l")
            .items
            .len(),
        2
    );
    for r in results.iter().flatten() {
        assert!(f
            .creds
            .lookup(&f.root, &r.access_key_id)
            .await
            .expect("l")
            .is_some());
    }
}

macro_rules! on_both_stores {
    ($($case:ident),* $(,)?) => {
        mod memory {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Fixture::memory()).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::$case(&super::Fixture::sqlite()).await;
                }
            )*
        }
    };
}

on_both_stores!(
    accounts,
    users_create_get_list,
    users_tags,
    users_delete_conflicts,
    access_keys_lifecycle,
    access_keys_die_with_their_user,
    root_keys_still_work,
    inline_policies,
    roles,
    managed_policies,
    stale_attachment_refs_grant_nothing,
    groups,
    sessions,
    session_validation,
    identity_policies_from_all_sources,
    concurrent_updates_lose_nothing,
);
