//! The IAM wire glue ([`super::iam`]) over a memory store: authorization, domain calls and
//! the wire shapes, called through the `cofre_api::Iam` trait as the HTTP layer calls it.

use std::sync::Arc;

use cofre_api::iam::*;
use cofre_api::{Caller, CallerKind, Context, QueryError};
use cofre_crypto::RootKey;
use cofre_store::MemoryStore;

use super::iam::{url_encode, NON_USER_CREDENTIALS};
use crate::{ManualClock, Service};

const ACCT: &str = "123456789012";
const DOC: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}"#;

fn service() -> Service {
    Service::new(
        Arc::new(MemoryStore::new()),
        RootKey::generate().0,
        Arc::new(ManualClock::starting_now()),
    )
}

/// A fresh root context (each has its own authorization flag).
fn root() -> Context {
    Context {
        account_id: ACCT.into(),
        region: "us-east-1".into(),
        caller: Caller {
            account_id: ACCT.into(),
            arn: format!("arn:aws:iam::{ACCT}:root"),
            kind: CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

/// A fresh context for IAM user `u`.
fn as_user(u: &User) -> Context {
    Context {
        account_id: ACCT.into(),
        region: "eu-west-1".into(),
        caller: Caller {
            account_id: ACCT.into(),
            arn: u.arn.clone().unwrap_or_default(),
            kind: CallerKind::User {
                name: u.user_name.clone().unwrap_or_default(),
                user_id: u.user_id.clone().unwrap_or_default(),
            },
            tags: Default::default(),
        },
        ..Default::default()
    }
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn tag(k: &str, v: &str) -> Tag {
    Tag {
        key: s(k),
        value: s(v),
    }
}

fn percent_decode(encoded: &str) -> String {
    let bytes = encoded.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("utf-8")
}

async fn create_user(svc: &Service, name: &str) -> User {
    svc.create_user(
        &root(),
        CreateUserRequest {
            user_name: s(name),
            ..Default::default()
        },
    )
    .await
    .expect("create user")
    .user
    .expect("user")
}

async fn put_user_policy(svc: &Service, user: &str, name: &str, doc: &str) {
    svc.put_user_policy(
        &root(),
        PutUserPolicyRequest {
            user_name: s(user),
            policy_name: s(name),
            policy_document: s(doc),
        },
    )
    .await
    .expect("put user policy");
}

fn assert_err(r: Result<impl std::fmt::Debug, QueryError>, code: &str, status: u16) -> QueryError {
    let e = r.expect_err("expected an error");
    assert_eq!((&*e.code, e.status), (code, status), "{e:?}");
    e
}

#[test]
fn url_encoding_keeps_only_unreserved_characters() {
    assert_eq!(url_encode("aZ09-._~"), "aZ09-._~");
    assert_eq!(
        url_encode(r#"{"A": "s3:*/x+y"}"#),
        "%7B%22A%22%3A%20%22s3%3A%2A%2Fx%2By%22%7D"
    );
    assert_eq!(url_encode("é\n"), "%C3%A9%0A");
    assert_eq!(percent_decode(&url_encode(DOC)), DOC);
}

#[tokio::test]
async fn user_lifecycle_with_access_keys_and_delete_conflict() {
    let svc = service();
    let ctx = root();
    let created = svc
        .create_user(
            &ctx,
            CreateUserRequest {
                user_name: s("Alice"),
                path: s("/team/"),
                tags: Some(vec![tag("env", "prod")]),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .user
        .expect("user");
    assert!(ctx.authorized.is_set());
    assert_eq!(
        created.arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/team/Alice")
    );
    assert_eq!(created.path.as_deref(), Some("/team/"));
    assert!(created
        .user_id
        .as_deref()
        .is_some_and(|id| id.starts_with("AIDA")));
    assert!(created.create_date.is_some());
    assert_eq!(created.tags.as_ref().map(Vec::len), Some(1));

    // Names are case-insensitive; the stored case comes back.
    let got = svc
        .get_user(
            &root(),
            GetUserRequest {
                user_name: s("alice"),
            },
        )
        .await
        .expect("get")
        .user
        .expect("user");
    assert_eq!(got.user_name.as_deref(), Some("Alice"));
    assert_eq!(got.tags.as_ref().map(Vec::len), Some(1));

    let dup = svc
        .create_user(
            &root(),
            CreateUserRequest {
                user_name: s("ALICE"),
                ..Default::default()
            },
        )
        .await;
    assert_err(dup, "EntityAlreadyExists", 409);

    // Access keys: the secret only at creation.
    let key = svc
        .create_access_key(
            &root(),
            CreateAccessKeyRequest {
                user_name: s("Alice"),
            },
        )
        .await
        .expect("create key")
        .access_key
        .expect("key");
    let key_id = key.access_key_id.clone().expect("id");
    assert!(key_id.starts_with("AKIA"));
    assert_eq!(key.status.as_deref(), Some("Active"));
    assert_eq!(key.user_name.as_deref(), Some("Alice"));
    assert_eq!(key.secret_access_key.as_ref().map(|s| s.len()), Some(40));

    let e = assert_err(
        svc.delete_user(
            &root(),
            DeleteUserRequest {
                user_name: s("Alice"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must delete access keys first."
    );

    svc.update_access_key(
        &root(),
        UpdateAccessKeyRequest {
            user_name: s("Alice"),
            access_key_id: Some(key_id.clone()),
            status: s("Inactive"),
        },
    )
    .await
    .expect("deactivate");
    let listed = svc
        .list_access_keys(
            &root(),
            ListAccessKeysRequest {
                user_name: s("Alice"),
                ..Default::default()
            },
        )
        .await
        .expect("list keys");
    assert_eq!(listed.is_truncated, Some(false));
    let keys = listed.access_key_metadata.expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].access_key_id.as_deref(), Some(key_id.as_str()));
    assert_eq!(keys[0].status.as_deref(), Some("Inactive"));

    assert_err(
        svc.update_access_key(
            &root(),
            UpdateAccessKeyRequest {
                user_name: s("Alice"),
                access_key_id: Some(key_id.clone()),
                status: s("Expired"),
            },
        )
        .await,
        "ValidationError",
        400,
    );

    svc.delete_access_key(
        &root(),
        DeleteAccessKeyRequest {
            user_name: s("Alice"),
            access_key_id: Some(key_id),
        },
    )
    .await
    .expect("delete key");
    svc.delete_user(
        &root(),
        DeleteUserRequest {
            user_name: s("Alice"),
        },
    )
    .await
    .expect("delete user");
    let e = assert_err(
        svc.get_user(
            &root(),
            GetUserRequest {
                user_name: s("Alice"),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );
    assert_eq!(e.message, "The user with name Alice cannot be found.");
}

#[tokio::test]
async fn tags_and_paged_listing() {
    let svc = service();
    for name in ["u1", "u2", "u3"] {
        create_user(&svc, name).await;
    }
    let first = svc
        .list_users(
            &root(),
            ListUsersRequest {
                max_items: Some(2),
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(first.is_truncated, Some(true));
    let names: Vec<_> = first
        .users
        .expect("users")
        .into_iter()
        .map(|u| {
            // List operations do not return tags.
            assert!(u.tags.is_none());
            u.user_name.unwrap_or_default()
        })
        .collect();
    assert_eq!(names, ["u1", "u2"]);
    let second = svc
        .list_users(
            &root(),
            ListUsersRequest {
                max_items: Some(2),
                marker: first.marker,
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(second.is_truncated, Some(false));
    assert_eq!(second.marker, None);
    assert_eq!(second.users.expect("users").len(), 1);

    svc.tag_user(
        &root(),
        TagUserRequest {
            user_name: s("u1"),
            tags: Some(vec![tag("b", "2"), tag("a", "1")]),
        },
    )
    .await
    .expect("tag");
    svc.untag_user(
        &root(),
        UntagUserRequest {
            user_name: s("u1"),
            tag_keys: Some(vec!["b".into()]),
        },
    )
    .await
    .expect("untag");
    let tags = svc
        .list_user_tags(
            &root(),
            ListUserTagsRequest {
                user_name: s("u1"),
                ..Default::default()
            },
        )
        .await
        .expect("tags");
    assert_eq!(tags.is_truncated, Some(false));
    let tags = tags.tags.expect("tags");
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].key.as_deref(), Some("a"));
}

#[tokio::test]
async fn inline_policies_come_back_url_encoded() {
    let svc = service();
    create_user(&svc, "bob").await;
    put_user_policy(&svc, "bob", "read", DOC).await;
    let got = svc
        .get_user_policy(
            &root(),
            GetUserPolicyRequest {
                user_name: s("BOB"),
                policy_name: s("read"),
            },
        )
        .await
        .expect("get");
    assert_eq!(got.user_name.as_deref(), Some("bob"));
    assert_eq!(got.policy_name.as_deref(), Some("read"));
    let encoded = got.policy_document.expect("doc");
    assert!(
        encoded.starts_with("%7B%22Version%22%3A%222012-10-17%22"),
        "{encoded}"
    );
    assert_eq!(percent_decode(&encoded), DOC);

    let names = svc
        .list_user_policies(
            &root(),
            ListUserPoliciesRequest {
                user_name: s("bob"),
                ..Default::default()
            },
        )
        .await
        .expect("list");
    assert_eq!(names.policy_names, Some(vec!["read".to_owned()]));

    let e = assert_err(
        svc.delete_user(
            &root(),
            DeleteUserRequest {
                user_name: s("bob"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must delete policies first."
    );
    svc.delete_user_policy(
        &root(),
        DeleteUserPolicyRequest {
            user_name: s("bob"),
            policy_name: s("read"),
        },
    )
    .await
    .expect("delete policy");
    assert_err(
        svc.get_user_policy(
            &root(),
            GetUserPolicyRequest {
                user_name: s("bob"),
                policy_name: s("read"),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );
    assert_err(
        svc.put_user_policy(
            &root(),
            PutUserPolicyRequest {
                user_name: s("bob"),
                policy_name: s("bad"),
                policy_document: s("not json"),
            },
        )
        .await,
        "MalformedPolicyDocument",
        400,
    );
}

#[tokio::test]
async fn managed_policies_attach_detach_and_versions() {
    let svc = service();
    create_user(&svc, "carol").await;
    let policy = svc
        .create_policy(
            &root(),
            CreatePolicyRequest {
                policy_name: s("Reader"),
                path: s("/app/"),
                policy_document: s(DOC),
                description: s("reads secrets"),
                tags: Some(vec![tag("team", "a")]),
            },
        )
        .await
        .expect("create policy")
        .policy
        .expect("policy");
    let arn = policy.arn.clone().expect("arn");
    assert_eq!(arn, "arn:aws:iam::123456789012:policy/app/Reader");
    assert_eq!(policy.default_version_id.as_deref(), Some("v1"));
    assert_eq!(policy.attachment_count, Some(0));
    assert_eq!(policy.is_attachable, Some(true));

    svc.attach_user_policy(
        &root(),
        AttachUserPolicyRequest {
            user_name: s("carol"),
            policy_arn: Some(arn.clone()),
        },
    )
    .await
    .expect("attach");
    let attached = svc
        .list_attached_user_policies(
            &root(),
            ListAttachedUserPoliciesRequest {
                user_name: s("carol"),
                ..Default::default()
            },
        )
        .await
        .expect("list attached");
    assert_eq!(attached.is_truncated, Some(false));
    let attached = attached.attached_policies.expect("attached");
    assert_eq!(attached.len(), 1);
    assert_eq!(attached[0].policy_name.as_deref(), Some("Reader"));
    assert_eq!(attached[0].policy_arn.as_deref(), Some(arn.as_str()));

    let got = svc
        .get_policy(
            &root(),
            GetPolicyRequest {
                policy_arn: Some(arn.clone()),
            },
        )
        .await
        .expect("get policy")
        .policy
        .expect("policy");
    assert_eq!(got.attachment_count, Some(1));
    assert_eq!(got.description.as_deref(), Some("reads secrets"));
    assert_eq!(got.tags.as_ref().map(Vec::len), Some(1));

    let version = svc
        .get_policy_version(
            &root(),
            GetPolicyVersionRequest {
                policy_arn: Some(arn.clone()),
                version_id: s("v1"),
            },
        )
        .await
        .expect("version")
        .policy_version
        .expect("version");
    assert_eq!(version.is_default_version, Some(true));
    assert_eq!(percent_decode(&version.document.expect("doc")), DOC);
    assert_err(
        svc.get_policy_version(
            &root(),
            GetPolicyVersionRequest {
                policy_arn: Some(arn.clone()),
                version_id: s("v2"),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );

    let listed = svc
        .list_policies(
            &root(),
            ListPoliciesRequest {
                scope: s("Local"),
                only_attached: Some(true),
                ..Default::default()
            },
        )
        .await
        .expect("list policies");
    let listed = listed.policies.expect("policies");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].description.is_none() && listed[0].tags.is_none());
    for (scope, usage) in [(s("AWS"), None), (None, s("PermissionsBoundary"))] {
        let none = svc
            .list_policies(
                &root(),
                ListPoliciesRequest {
                    scope,
                    policy_usage_filter: usage,
                    ..Default::default()
                },
            )
            .await
            .expect("list policies");
        assert_eq!(none.policies.map(|p| p.len()), Some(0));
    }

    let e = assert_err(
        svc.delete_policy(
            &root(),
            DeletePolicyRequest {
                policy_arn: Some(arn.clone()),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(e.message, "Cannot delete a policy attached to entities.");
    let e = assert_err(
        svc.delete_user(
            &root(),
            DeleteUserRequest {
                user_name: s("carol"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must detach all policies first."
    );

    svc.detach_user_policy(
        &root(),
        DetachUserPolicyRequest {
            user_name: s("carol"),
            policy_arn: Some(arn.clone()),
        },
    )
    .await
    .expect("detach");
    svc.delete_policy(
        &root(),
        DeletePolicyRequest {
            policy_arn: Some(arn.clone()),
        },
    )
    .await
    .expect("delete policy");
    let e = assert_err(
        svc.get_policy(
            &root(),
            GetPolicyRequest {
                policy_arn: Some(arn.clone()),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );
    assert_eq!(e.message, format!("Policy {arn} was not found."));
}

#[tokio::test]
async fn roles_with_trust_policies() {
    let svc = service();
    let role = svc
        .create_role(
            &root(),
            CreateRoleRequest {
                role_name: s("Deployer"),
                path: s("/ci/"),
                assume_role_policy_document: s(TRUST),
                description: s("deploys"),
                max_session_duration: Some(7200),
                tags: Some(vec![tag("k", "v")]),
                ..Default::default()
            },
        )
        .await
        .expect("create role")
        .role
        .expect("role");
    assert_eq!(
        role.arn.as_deref(),
        Some("arn:aws:iam::123456789012:role/ci/Deployer")
    );
    assert!(role
        .role_id
        .as_deref()
        .is_some_and(|id| id.starts_with("AROA")));
    assert_eq!(role.max_session_duration, Some(7200));
    assert!(role.role_last_used.is_none());
    let encoded = role.assume_role_policy_document.expect("trust");
    assert_eq!(percent_decode(&encoded), TRUST);
    assert!(!encoded.contains('{'));

    let got = svc
        .get_role(
            &root(),
            GetRoleRequest {
                role_name: s("deployer"),
            },
        )
        .await
        .expect("get role")
        .role
        .expect("role");
    assert_eq!(got.role_name.as_deref(), Some("Deployer"));
    assert_eq!(got.description.as_deref(), Some("deploys"));
    assert!(got.role_last_used.is_some());
    assert_eq!(got.tags.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        percent_decode(&got.assume_role_policy_document.expect("trust")),
        TRUST
    );

    let listed = svc
        .list_roles(
            &root(),
            ListRolesRequest {
                path_prefix: s("/ci/"),
                ..Default::default()
            },
        )
        .await
        .expect("list roles")
        .roles
        .expect("roles");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].tags.is_none());

    let new_trust = TRUST.replace("root", "user/ci");
    svc.update_assume_role_policy(
        &root(),
        UpdateAssumeRolePolicyRequest {
            role_name: s("Deployer"),
            policy_document: Some(new_trust.clone()),
        },
    )
    .await
    .expect("update trust");
    let got = svc
        .get_role(
            &root(),
            GetRoleRequest {
                role_name: s("Deployer"),
            },
        )
        .await
        .expect("get role")
        .role
        .expect("role");
    assert_eq!(
        percent_decode(&got.assume_role_policy_document.expect("trust")),
        new_trust
    );

    svc.tag_role(
        &root(),
        TagRoleRequest {
            role_name: s("Deployer"),
            tags: Some(vec![tag("x", "y")]),
        },
    )
    .await
    .expect("tag role");
    svc.untag_role(
        &root(),
        UntagRoleRequest {
            role_name: s("Deployer"),
            tag_keys: Some(vec!["k".into(), "x".into()]),
        },
    )
    .await
    .expect("untag role");

    svc.put_role_policy(
        &root(),
        PutRolePolicyRequest {
            role_name: s("Deployer"),
            policy_name: s("inline"),
            policy_document: s(DOC),
        },
    )
    .await
    .expect("put role policy");
    let got = svc
        .get_role_policy(
            &root(),
            GetRolePolicyRequest {
                role_name: s("DEPLOYER"),
                policy_name: s("inline"),
            },
        )
        .await
        .expect("get role policy");
    assert_eq!(got.role_name.as_deref(), Some("Deployer"));
    assert_eq!(percent_decode(&got.policy_document.expect("doc")), DOC);
    let names = svc
        .list_role_policies(
            &root(),
            ListRolePoliciesRequest {
                role_name: s("Deployer"),
                ..Default::default()
            },
        )
        .await
        .expect("list role policies");
    assert_eq!(names.policy_names, Some(vec!["inline".to_owned()]));

    let policy_arn = svc
        .create_policy(
            &root(),
            CreatePolicyRequest {
                policy_name: s("P"),
                policy_document: s(DOC),
                ..Default::default()
            },
        )
        .await
        .expect("create policy")
        .policy
        .and_then(|p| p.arn)
        .expect("arn");
    svc.attach_role_policy(
        &root(),
        AttachRolePolicyRequest {
            role_name: s("Deployer"),
            policy_arn: Some(policy_arn.clone()),
        },
    )
    .await
    .expect("attach role policy");
    let attached = svc
        .list_attached_role_policies(
            &root(),
            ListAttachedRolePoliciesRequest {
                role_name: s("Deployer"),
                ..Default::default()
            },
        )
        .await
        .expect("list attached")
        .attached_policies
        .expect("attached");
    assert_eq!(attached.len(), 1);

    let e = assert_err(
        svc.delete_role(
            &root(),
            DeleteRoleRequest {
                role_name: s("Deployer"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must delete policies first."
    );
    svc.delete_role_policy(
        &root(),
        DeleteRolePolicyRequest {
            role_name: s("Deployer"),
            policy_name: s("inline"),
        },
    )
    .await
    .expect("delete role policy");
    svc.detach_role_policy(
        &root(),
        DetachRolePolicyRequest {
            role_name: s("Deployer"),
            policy_arn: Some(policy_arn),
        },
    )
    .await
    .expect("detach role policy");
    svc.delete_role(
        &root(),
        DeleteRoleRequest {
            role_name: s("Deployer"),
        },
    )
    .await
    .expect("delete role");

    assert_err(
        svc.create_role(
            &root(),
            CreateRoleRequest {
                role_name: s("Bounded"),
                assume_role_policy_document: s(TRUST),
                permissions_boundary: s("arn:aws:iam::123456789012:policy/B"),
                ..Default::default()
            },
        )
        .await,
        "InvalidInput",
        400,
    );
}

#[tokio::test]
async fn group_membership() {
    let svc = service();
    create_user(&svc, "dave").await;
    let group = svc
        .create_group(
            &root(),
            CreateGroupRequest {
                group_name: s("Admins"),
                path: s("/ops/"),
            },
        )
        .await
        .expect("create group")
        .group
        .expect("group");
    assert_eq!(
        group.arn.as_deref(),
        Some("arn:aws:iam::123456789012:group/ops/Admins")
    );
    assert!(group
        .group_id
        .as_deref()
        .is_some_and(|id| id.starts_with("AGPA")));

    svc.add_user_to_group(
        &root(),
        AddUserToGroupRequest {
            group_name: s("Admins"),
            user_name: s("dave"),
        },
    )
    .await
    .expect("add");
    let got = svc
        .get_group(
            &root(),
            GetGroupRequest {
                group_name: s("admins"),
                ..Default::default()
            },
        )
        .await
        .expect("get group");
    assert_eq!(
        got.group.and_then(|g| g.group_name).as_deref(),
        Some("Admins")
    );
    assert_eq!(got.is_truncated, Some(false));
    let users = got.users.expect("users");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].user_name.as_deref(), Some("dave"));

    let groups = svc
        .list_groups_for_user(
            &root(),
            ListGroupsForUserRequest {
                user_name: s("dave"),
                ..Default::default()
            },
        )
        .await
        .expect("groups for user")
        .groups
        .expect("groups");
    assert_eq!(groups.len(), 1);

    svc.put_group_policy(
        &root(),
        PutGroupPolicyRequest {
            group_name: s("Admins"),
            policy_name: s("g"),
            policy_document: s(DOC),
        },
    )
    .await
    .expect("put group policy");
    let policy_arn = svc
        .create_policy(
            &root(),
            CreatePolicyRequest {
                policy_name: s("GP"),
                policy_document: s(DOC),
                ..Default::default()
            },
        )
        .await
        .expect("create policy")
        .policy
        .and_then(|p| p.arn)
        .expect("arn");
    svc.attach_group_policy(
        &root(),
        AttachGroupPolicyRequest {
            group_name: s("Admins"),
            policy_arn: Some(policy_arn.clone()),
        },
    )
    .await
    .expect("attach group policy");

    let e = assert_err(
        svc.delete_group(
            &root(),
            DeleteGroupRequest {
                group_name: s("Admins"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must remove users from group first."
    );
    let e = assert_err(
        svc.delete_user(
            &root(),
            DeleteUserRequest {
                user_name: s("dave"),
            },
        )
        .await,
        "DeleteConflict",
        409,
    );
    assert_eq!(
        e.message,
        "Cannot delete entity, must remove users from group first."
    );

    svc.remove_user_from_group(
        &root(),
        RemoveUserFromGroupRequest {
            group_name: s("Admins"),
            user_name: s("dave"),
        },
    )
    .await
    .expect("remove");
    assert_err(
        svc.remove_user_from_group(
            &root(),
            RemoveUserFromGroupRequest {
                group_name: s("Admins"),
                user_name: s("dave"),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );
    svc.delete_group_policy(
        &root(),
        DeleteGroupPolicyRequest {
            group_name: s("Admins"),
            policy_name: s("g"),
        },
    )
    .await
    .expect("delete group policy");
    svc.detach_group_policy(
        &root(),
        DetachGroupPolicyRequest {
            group_name: s("Admins"),
            policy_arn: Some(policy_arn),
        },
    )
    .await
    .expect("detach group policy");
    svc.delete_group(
        &root(),
        DeleteGroupRequest {
            group_name: s("Admins"),
        },
    )
    .await
    .expect("delete group");
}

#[tokio::test]
async fn a_user_without_permission_is_denied_with_aws_message() {
    let svc = service();
    let bob = create_user(&svc, "bob").await;
    let ctx = as_user(&bob);
    let e = assert_err(
        svc.create_user(
            &ctx,
            CreateUserRequest {
                user_name: s("alice"),
                ..Default::default()
            },
        )
        .await,
        "AccessDenied",
        403,
    );
    assert!(e.sender_fault);
    assert_eq!(
        e.message,
        "User: arn:aws:iam::123456789012:user/bob is not authorized to perform: \
         iam:CreateUser on resource: arn:aws:iam::123456789012:user/alice because no \
         identity-based policy allows the iam:CreateUser action"
    );
    assert!(!ctx.authorized.is_set());
    // Nothing was created.
    assert_err(
        svc.get_user(
            &root(),
            GetUserRequest {
                user_name: s("alice"),
            },
        )
        .await,
        "NoSuchEntity",
        404,
    );

    // Same answer whether or not the target exists.
    create_user(&svc, "existing").await;
    for name in ["existing", "missing"] {
        assert_err(
            svc.get_user(&as_user(&bob), GetUserRequest { user_name: s(name) })
                .await,
            "AccessDenied",
            403,
        );
    }
}

#[tokio::test]
async fn decisions_see_paths_request_tags_and_policy_arns() {
    let svc = service();
    let bob = create_user(&svc, "bob").await;
    // Path-scoped user management, tag-restricted tagging, one attachable policy.
    let policy = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":["iam:CreateUser","iam:GetUser"],"Resource":"arn:aws:iam::*:user/team/*"},
        {"Effect":"Allow","Action":"iam:TagUser","Resource":"*",
         "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["team"]}}},
        {"Effect":"Allow","Action":"iam:AttachUserPolicy","Resource":"*",
         "Condition":{"ArnEquals":{"iam:PolicyARN":"arn:aws:iam::123456789012:policy/Ok"}}},
        {"Effect":"Allow","Action":["iam:CreateAccessKey","iam:ListAccessKeys"],"Resource":"arn:aws:iam::*:user/${aws:username}"}
    ]}"#;
    put_user_policy(&svc, "bob", "delegate", policy).await;

    let ctx = as_user(&bob);
    svc.create_user(
        &ctx,
        CreateUserRequest {
            user_name: s("carol"),
            path: s("/team/"),
            ..Default::default()
        },
    )
    .await
    .expect("create in /team/");
    assert!(ctx.authorized.is_set());
    assert_err(
        svc.create_user(
            &as_user(&bob),
            CreateUserRequest {
                user_name: s("dan"),
                ..Default::default()
            },
        )
        .await,
        "AccessDenied",
        403,
    );
    // GetUser without a path in the request is decided on the user's real ARN.
    svc.get_user(
        &as_user(&bob),
        GetUserRequest {
            user_name: s("carol"),
        },
    )
    .await
    .expect("get /team/carol");

    for (key, allowed) in [("team", true), ("cost", false)] {
        let r = svc
            .tag_user(
                &as_user(&bob),
                TagUserRequest {
                    user_name: s("carol"),
                    tags: Some(vec![tag(key, "x")]),
                },
            )
            .await;
        assert_eq!(r.is_ok(), allowed, "{key}: {r:?}");
    }

    for name in ["Ok", "NotOk"] {
        svc.create_policy(
            &root(),
            CreatePolicyRequest {
                policy_name: s(name),
                policy_document: s(DOC),
                ..Default::default()
            },
        )
        .await
        .expect("create policy");
    }
    for (name, allowed) in [("Ok", true), ("NotOk", false)] {
        let r = svc
            .attach_user_policy(
                &as_user(&bob),
                AttachUserPolicyRequest {
                    user_name: s("carol"),
                    policy_arn: Some(format!("arn:aws:iam::{ACCT}:policy/{name}")),
                },
            )
            .await;
        assert_eq!(r.is_ok(), allowed, "{name}: {r:?}");
    }

    // Without UserName, access key operations act on the calling user.
    let key = svc
        .create_access_key(&as_user(&bob), CreateAccessKeyRequest { user_name: None })
        .await
        .expect("own key")
        .access_key
        .expect("key");
    assert_eq!(key.user_name.as_deref(), Some("bob"));
    let keys = svc
        .list_access_keys(&as_user(&bob), ListAccessKeysRequest::default())
        .await
        .expect("own keys")
        .access_key_metadata
        .expect("keys");
    assert_eq!(keys.len(), 1);
    assert_err(
        svc.create_access_key(
            &as_user(&bob),
            CreateAccessKeyRequest {
                user_name: s("carol"),
            },
        )
        .await,
        "AccessDenied",
        403,
    );
}

#[tokio::test]
async fn callers_that_are_not_users_must_name_the_user() {
    let svc = service();
    let e = assert_err(
        svc.create_access_key(&root(), CreateAccessKeyRequest { user_name: None })
            .await,
        "ValidationError",
        400,
    );
    assert_eq!(e.message, NON_USER_CREDENTIALS);

    let mut session = root();
    session.caller = Caller {
        account_id: ACCT.into(),
        arn: format!("arn:aws:sts::{ACCT}:assumed-role/R/s"),
        kind: CallerKind::AssumedRole {
            role_arn: format!("arn:aws:iam::{ACCT}:role/R"),
            user_id: "AROAEXAMPLE:s".into(),
            session_policy: None,
        },
        tags: Default::default(),
    };
    let e = assert_err(
        svc.get_user(&session, GetUserRequest { user_name: None })
            .await,
        "ValidationError",
        400,
    );
    assert_eq!(e.message, NON_USER_CREDENTIALS);

    // The root user describes itself.
    let ctx = root();
    let me = svc
        .get_user(&ctx, GetUserRequest { user_name: None })
        .await
        .expect("root GetUser")
        .user
        .expect("user");
    assert!(ctx.authorized.is_set());
    assert_eq!(me.arn.as_deref(), Some("arn:aws:iam::123456789012:root"));
    assert_eq!(me.user_id.as_deref(), Some(ACCT));
    assert!(me.user_name.is_none());

    // Missing required members (normally caught by the wire layer).
    let e = assert_err(
        svc.create_user(&root(), CreateUserRequest::default()).await,
        "ValidationError",
        400,
    );
    assert!(e.message.contains("'userName'"), "{}", e.message);
}

/// Through the generated dispatcher, as the HTTP layer calls it: the XML carries the
/// URL-encoded trust policy and GetRole's empty `RoleLastUsed`.
#[tokio::test]
async fn wire_round_trip_through_the_dispatcher() {
    let svc = service();
    let call = |pairs: Vec<(&str, String)>| {
        let mut body = format!("Version={}", cofre_api::iam::API_VERSION);
        for (k, v) in pairs {
            body.push_str(&format!("&{k}={}", url_encode(&v)));
        }
        let svc = &svc;
        async move {
            let params = cofre_api::QueryParams::parse(body.as_bytes()).expect("form");
            let ctx = root();
            let out = cofre_api::dispatch_iam(svc, &ctx, &params).await;
            assert!(out.is_err() || ctx.authorized.is_set());
            out.map(|b| String::from_utf8(b).expect("utf-8"))
        }
    };
    call(vec![
        ("Action", "CreateRole".into()),
        ("RoleName", "R".into()),
        ("AssumeRolePolicyDocument", TRUST.into()),
    ])
    .await
    .expect("CreateRole");
    let xml = call(vec![("Action", "GetRole".into()), ("RoleName", "R".into())])
        .await
        .expect("GetRole");
    assert!(
        xml.contains("<AssumeRolePolicyDocument>%7B%22Version%22%3A%222012-10-17%22"),
        "{xml}"
    );
    assert!(xml.contains("<RoleLastUsed"), "{xml}");
    assert!(
        xml.contains("<MaxSessionDuration>3600</MaxSessionDuration>"),
        "{xml}"
    );
    let e = call(vec![
        ("Action", "GetRole".into()),
        ("RoleName", "nope".into()),
    ])
    .await
    .expect_err("missing role");
    assert_eq!((&*e.code, e.status), ("NoSuchEntity", 404));
}
