//! Every operation through the AWS SDK for Rust against the real `cofre` binary.

mod common;

use aws_sdk_secretsmanager::primitives::Blob;
use aws_sdk_secretsmanager::types::{Filter, FilterNameStringType, SortOrderType, Tag};
use common::{client, client_with, code, message, Server, TempDir, ACCOUNT, REGION};

const TOKEN_A: &str = "aaaaaaaa-aaaa-aaaa-aaaa-aaaaaaaaaaaa";
const TOKEN_B: &str = "bbbbbbbb-bbbb-bbbb-bbbb-bbbbbbbbbbbb";
const TOKEN_C: &str = "cccccccc-cccc-cccc-cccc-cccccccccccc";

fn start() -> (TempDir, Server, aws_sdk_secretsmanager::Client) {
    let dir = TempDir::new("sdk");
    let srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    (dir, srv, c)
}

#[tokio::test]
async fn create_get_describe() {
    let (_d, _s, c) = start();
    let out = c
        .create_secret()
        .name("prod/db")
        .description("the database")
        .secret_string(r#"{"user":"app","password":"hunter2"}"#)
        .client_request_token(TOKEN_A)
        .tags(Tag::builder().key("team").value("core").build())
        .send()
        .await
        .expect("create");
    let arn = out.arn().expect("arn").to_owned();
    let prefix = format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db-");
    assert!(arn.starts_with(&prefix), "{arn}");
    let suffix = &arn[prefix.len()..];
    assert_eq!(suffix.len(), 6);
    assert!(suffix.chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(out.name(), Some("prod/db"));
    assert_eq!(out.version_id(), Some(TOKEN_A));

    // By name, full ARN and partial ARN.
    for id in [
        arn.as_str(),
        "prod/db",
        &format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:prod/db"),
    ] {
        let v = c
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .expect("get");
        assert_eq!(
            v.secret_string(),
            Some(r#"{"user":"app","password":"hunter2"}"#)
        );
        assert_eq!(v.arn(), Some(arn.as_str()));
        assert_eq!(v.version_id(), Some(TOKEN_A));
        assert_eq!(v.version_stages(), ["AWSCURRENT"]);
        assert!(v.created_date().is_some());
    }

    let d = c
        .describe_secret()
        .secret_id("prod/db")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.arn(), Some(arn.as_str()));
    assert_eq!(d.description(), Some("the database"));
    assert_eq!(d.tags().len(), 1);
    assert_eq!(d.tags()[0].key(), Some("team"));
    let stages = d.version_ids_to_stages().expect("stages");
    assert_eq!(
        stages.get(TOKEN_A).map(|v| v.as_slice()),
        Some(&["AWSCURRENT".to_owned()][..])
    );
    assert!(d.created_date().is_some() && d.last_changed_date().is_some());
    assert!(
        d.last_accessed_date().is_some(),
        "GetSecretValue records the access day"
    );
    assert!(d.deleted_date().is_none());
    assert!(d.kms_key_id().is_none(), "default key is not reported");

    // Wrong ARN suffix and other regions don't resolve.
    let e = c
        .get_secret_value()
        .secret_id(format!("{prefix}ZZZZZZ"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        "Secrets Manager can't find the specified secret."
    );
    let other = client_with(
        &_s.endpoint(),
        "eu-west-1",
        common::ACCESS_KEY_ID,
        common::SECRET_ACCESS_KEY,
    );
    let e = other
        .get_secret_value()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // ... and each region is its own namespace.
    let o = other
        .create_secret()
        .name("prod/db")
        .secret_string("eu")
        .send()
        .await
        .expect("create in eu");
    assert!(o
        .arn()
        .expect("arn")
        .starts_with("arn:aws:secretsmanager:eu-west-1:"));
    let v = c
        .get_secret_value()
        .secret_id("prod/db")
        .send()
        .await
        .expect("get us");
    assert_eq!(
        v.secret_string(),
        Some(r#"{"user":"app","password":"hunter2"}"#)
    );
}

#[tokio::test]
async fn create_errors_and_idempotency() {
    let (_d, _s, c) = start();
    let first = c
        .create_secret()
        .name("app")
        .secret_string("v1")
        .client_request_token(TOKEN_A)
        .send()
        .await
        .expect("create");
    // Same token, same value: the same answer, no error.
    let again = c
        .create_secret()
        .name("app")
        .secret_string("v1")
        .client_request_token(TOKEN_A)
        .send()
        .await
        .expect("idempotent");
    assert_eq!(again.arn(), first.arn());
    assert_eq!(again.version_id(), Some(TOKEN_A));
    // Same token, different value.
    let e = c
        .create_secret()
        .name("app")
        .secret_string("v2")
        .client_request_token(TOKEN_A)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceExistsException");
    // Another token on an existing name.
    let e = c
        .create_secret()
        .name("app")
        .secret_string("v1")
        .client_request_token(TOKEN_B)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceExistsException");
    assert_eq!(
        message(&e),
        "The operation failed because the secret app already exists."
    );
    // Bad names, both value kinds, long description, 51 tags, reserved tag prefix.
    let e = c
        .create_secret()
        .name("bad name!")
        .secret_string("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = c
        .create_secret()
        .name("both")
        .secret_string("x")
        .secret_binary(Blob::new(vec![1u8]))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");
    let e = c
        .create_secret()
        .name("long")
        .description("d".repeat(2049))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let mut b = c.create_secret().name("tags");
    for i in 0..51 {
        b = b.tags(Tag::builder().key(format!("k{i}")).value("v").build());
    }
    assert_eq!(
        code(&b.send().await.unwrap_err()),
        "InvalidParameterException"
    );
    let e = c
        .create_secret()
        .name("rsv")
        .tags(Tag::builder().key("aws:x").value("v").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");
    let e = c
        .create_secret()
        .name("toolong")
        .secret_string("x".repeat(65537))
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    assert!(!message(&e).contains("xxxx"), "the value is never echoed");
    let e = c
        .create_secret()
        .name("kms")
        .kms_key_id("alias/someone-else")
        .send()
        .await
        .unwrap_err();
    // AWS: "The operation failed because of an invalid KMS key: ..." for a key that isn't there.
    assert_eq!(code(&e), "InvalidParameterException");
    assert!(message(&e).contains("invalid KMS key"), "{}", message(&e));
    // None of the failed requests left anything behind.
    let names: Vec<String> = c
        .list_secrets()
        .send()
        .await
        .expect("list")
        .secret_list()
        .iter()
        .filter_map(|s| s.name().map(str::to_owned))
        .collect();
    assert_eq!(names, vec!["app".to_owned()]);
    // Explicit default key is accepted.
    c.create_secret()
        .name("kms-ok")
        .kms_key_id("alias/aws/secretsmanager")
        .secret_string("x")
        .send()
        .await
        .expect("default key");
    // A secret without a value has no AWSCURRENT.
    c.create_secret()
        .name("empty")
        .send()
        .await
        .expect("no value");
    let e = c
        .get_secret_value()
        .secret_id("empty")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    assert_eq!(
        message(&e),
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT"
    );
}

#[tokio::test]
async fn versions_and_stages() {
    let (_d, _s, c) = start();
    c.create_secret()
        .name("s")
        .secret_string("one")
        .client_request_token(TOKEN_A)
        .send()
        .await
        .expect("create");
    let p = c
        .put_secret_value()
        .secret_id("s")
        .secret_string("two")
        .client_request_token(TOKEN_B)
        .send()
        .await
        .expect("put");
    assert_eq!(p.version_id(), Some(TOKEN_B));
    assert_eq!(p.version_stages(), ["AWSCURRENT"]);
    // Idempotent put, and a conflicting one.
    c.put_secret_value()
        .secret_id("s")
        .secret_string("two")
        .client_request_token(TOKEN_B)
        .send()
        .await
        .expect("same put");
    let e = c
        .put_secret_value()
        .secret_id("s")
        .secret_string("2")
        .client_request_token(TOKEN_B)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceExistsException");

    let cur = c
        .get_secret_value()
        .secret_id("s")
        .send()
        .await
        .expect("cur");
    assert_eq!(cur.secret_string(), Some("two"));
    let prev = c
        .get_secret_value()
        .secret_id("s")
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .expect("prev");
    assert_eq!(prev.secret_string(), Some("one"));
    assert_eq!(prev.version_id(), Some(TOKEN_A));
    let byid = c
        .get_secret_value()
        .secret_id("s")
        .version_id(TOKEN_A)
        .send()
        .await
        .expect("by id");
    assert_eq!(byid.secret_string(), Some("one"));

    // A third version pushes the first out of the labels: it becomes deprecated.
    c.put_secret_value()
        .secret_id("s")
        .secret_binary(Blob::new(vec![0u8, 159, 146, 150]))
        .client_request_token(TOKEN_C)
        .send()
        .await
        .expect("put 3");
    let cur = c
        .get_secret_value()
        .secret_id("s")
        .send()
        .await
        .expect("cur");
    assert_eq!(
        cur.secret_binary().map(|b| b.as_ref().to_vec()),
        Some(vec![0u8, 159, 146, 150])
    );
    assert!(cur.secret_string().is_none());
    let listed = c
        .list_secret_version_ids()
        .secret_id("s")
        .send()
        .await
        .expect("list");
    let ids: Vec<_> = listed
        .versions()
        .iter()
        .filter_map(|v| v.version_id())
        .collect();
    assert_eq!(ids.len(), 2, "deprecated version hidden: {ids:?}");
    assert!(!ids.contains(&TOKEN_A));
    let all = c
        .list_secret_version_ids()
        .secret_id("s")
        .include_deprecated(true)
        .send()
        .await
        .expect("list all");
    assert_eq!(all.versions().len(), 3);
    let first = all
        .versions()
        .iter()
        .find(|v| v.version_id() == Some(TOKEN_A))
        .expect("first");
    assert!(first.version_stages().is_empty());
    // Paging through versions.
    let page = c
        .list_secret_version_ids()
        .secret_id("s")
        .include_deprecated(true)
        .max_results(2)
        .send()
        .await
        .expect("page");
    assert_eq!(page.versions().len(), 2);
    let rest = c
        .list_secret_version_ids()
        .secret_id("s")
        .include_deprecated(true)
        .max_results(2)
        .next_token(page.next_token().expect("token"))
        .send()
        .await
        .expect("page 2");
    assert_eq!(rest.versions().len(), 1);
    assert!(rest.next_token().is_none());

    // Custom label on put, without moving AWSCURRENT.
    c.put_secret_value()
        .secret_id("s")
        .secret_string("staged")
        .client_request_token("dddddddd-dddd-dddd-dddd-dddddddddddd")
        .version_stages("BLUE")
        .send()
        .await
        .expect("custom");
    assert_eq!(
        c.get_secret_value()
            .secret_id("s")
            .send()
            .await
            .expect("cur")
            .version_id(),
        Some(TOKEN_C)
    );
    assert_eq!(
        c.get_secret_value()
            .secret_id("s")
            .version_stage("BLUE")
            .send()
            .await
            .expect("blue")
            .secret_string(),
        Some("staged")
    );

    // UpdateSecretVersionStage: move AWSCURRENT back to A; AWSPREVIOUS follows.
    let e = c
        .update_secret_version_stage()
        .secret_id("s")
        .version_stage("AWSCURRENT")
        .move_to_version_id(TOKEN_A)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        code(&e),
        "InvalidParameterException",
        "RemoveFromVersionId is required"
    );
    c.update_secret_version_stage()
        .secret_id("s")
        .version_stage("AWSCURRENT")
        .move_to_version_id(TOKEN_A)
        .remove_from_version_id(TOKEN_C)
        .send()
        .await
        .expect("move");
    let d = c
        .describe_secret()
        .secret_id("s")
        .send()
        .await
        .expect("describe");
    let m = d.version_ids_to_stages().expect("map");
    assert_eq!(m.get(TOKEN_A).expect("a"), &vec!["AWSCURRENT".to_owned()]);
    assert_eq!(m.get(TOKEN_C).expect("c"), &vec!["AWSPREVIOUS".to_owned()]);
    assert!(!m.contains_key(TOKEN_B), "B lost AWSPREVIOUS");
    // Remove a custom label.
    c.update_secret_version_stage()
        .secret_id("s")
        .version_stage("BLUE")
        .remove_from_version_id("dddddddd-dddd-dddd-dddd-dddddddddddd")
        .send()
        .await
        .expect("remove");
    let e = c
        .get_secret_value()
        .secret_id("s")
        .version_stage("BLUE")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // Moving to a version that doesn't exist.
    let e = c
        .update_secret_version_stage()
        .secret_id("s")
        .version_stage("X")
        .move_to_version_id("eeeeeeee-eeee-eeee-eeee-eeeeeeeeeeee")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    // Put without a value.
    let e = c
        .put_secret_value()
        .secret_id("s")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");
}

#[tokio::test]
async fn update_secret_and_tags() {
    let (_d, _s, c) = start();
    c.create_secret()
        .name("u")
        .secret_string("one")
        .client_request_token(TOKEN_A)
        .send()
        .await
        .expect("create");
    let out = c
        .update_secret()
        .secret_id("u")
        .description("new")
        .send()
        .await
        .expect("desc only");
    assert!(out.version_id().is_none(), "no value, no version");
    let out = c
        .update_secret()
        .secret_id("u")
        .secret_string("two")
        .client_request_token(TOKEN_B)
        .send()
        .await
        .expect("value");
    assert_eq!(out.version_id(), Some(TOKEN_B));
    assert_eq!(
        c.get_secret_value()
            .secret_id("u")
            .send()
            .await
            .expect("get")
            .secret_string(),
        Some("two")
    );
    let d = c
        .describe_secret()
        .secret_id("u")
        .send()
        .await
        .expect("describe");
    assert_eq!(d.description(), Some("new"));

    c.tag_resource()
        .secret_id("u")
        .tags(Tag::builder().key("a").value("1").build())
        .tags(Tag::builder().key("b").value("2").build())
        .send()
        .await
        .expect("tag");
    c.tag_resource()
        .secret_id("u")
        .tags(Tag::builder().key("a").value("9").build())
        .send()
        .await
        .expect("retag");
    let tags = c
        .describe_secret()
        .secret_id("u")
        .send()
        .await
        .expect("d")
        .tags()
        .to_vec();
    let pairs: Vec<_> = tags
        .iter()
        .map(|t| (t.key().unwrap_or(""), t.value().unwrap_or("")))
        .collect();
    assert_eq!(pairs, vec![("a", "9"), ("b", "2")]);
    c.untag_resource()
        .secret_id("u")
        .tag_keys("a")
        .send()
        .await
        .expect("untag");
    let tags = c
        .describe_secret()
        .secret_id("u")
        .send()
        .await
        .expect("d")
        .tags()
        .to_vec();
    assert_eq!(tags.len(), 1);
    let e = c
        .tag_resource()
        .secret_id("nope")
        .tags(Tag::builder().key("a").value("1").build())
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn delete_restore_force() {
    let (_d, _s, c) = start();
    c.create_secret()
        .name("d")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    for bad in [6, 31] {
        let e = c
            .delete_secret()
            .secret_id("d")
            .recovery_window_in_days(bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(code(&e), "InvalidParameterException", "window {bad}");
    }
    let e = c
        .delete_secret()
        .secret_id("d")
        .recovery_window_in_days(7)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");
    let out = c
        .delete_secret()
        .secret_id("d")
        .recovery_window_in_days(7)
        .send()
        .await
        .expect("delete");
    let when = out.deletion_date().expect("date").secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs() as i64;
    assert!((when - (now + 7 * 86400)).abs() < 120, "deletion in 7 days");

    let e = c
        .get_secret_value()
        .secret_id("d")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException");
    assert_eq!(
        message(&e),
        "You can't perform this operation on the secret because it was marked for deletion."
    );
    let e = c
        .put_secret_value()
        .secret_id("d")
        .secret_string("y")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException");
    // Still describable, with DeletedDate; hidden from ListSecrets unless asked.
    assert!(c
        .describe_secret()
        .secret_id("d")
        .send()
        .await
        .expect("describe")
        .deleted_date()
        .is_some());
    assert!(c
        .list_secrets()
        .send()
        .await
        .expect("list")
        .secret_list()
        .is_empty());
    let all = c
        .list_secrets()
        .include_planned_deletion(true)
        .send()
        .await
        .expect("list all");
    assert_eq!(all.secret_list().len(), 1);
    // The name stays taken.
    let e = c
        .create_secret()
        .name("d")
        .secret_string("z")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException");

    c.restore_secret()
        .secret_id("d")
        .send()
        .await
        .expect("restore");
    assert_eq!(
        c.get_secret_value()
            .secret_id("d")
            .send()
            .await
            .expect("get")
            .secret_string(),
        Some("x")
    );

    let out = c
        .delete_secret()
        .secret_id("d")
        .force_delete_without_recovery(true)
        .send()
        .await
        .expect("force");
    assert!(out.deletion_date().is_some());
    let e = c.describe_secret().secret_id("d").send().await.unwrap_err();
    assert_eq!(code(&e), "ResourceNotFoundException");
    c.create_secret()
        .name("d")
        .secret_string("again")
        .send()
        .await
        .expect("name free again");
}

#[tokio::test]
async fn list_filters_sorting_paging() {
    let (_d, _s, c) = start();
    let specs = [
        (
            "prod/db",
            "Primary database",
            vec![("env", "prod"), ("team", "core")],
        ),
        ("prod/api", "API keys", vec![("env", "prod")]),
        ("dev/db", "dev database", vec![("env", "dev")]),
        ("Other", "misc stuff", vec![]),
    ];
    for (name, desc, tags) in &specs {
        let mut b = c
            .create_secret()
            .name(*name)
            .description(*desc)
            .secret_string("v");
        for (k, v) in tags {
            b = b.tags(Tag::builder().key(*k).value(*v).build());
        }
        b.send().await.expect("create");
    }
    let names =
        |out: &aws_sdk_secretsmanager::operation::list_secrets::ListSecretsOutput| -> Vec<String> {
            let mut v: Vec<String> = out
                .secret_list()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned))
                .collect();
            v.sort();
            v
        };
    let f = |k: FilterNameStringType, vals: &[&str]| {
        let mut b = Filter::builder().key(k);
        for v in vals {
            b = b.values(*v);
        }
        b.build()
    };
    let run = |filters: Vec<Filter>| {
        let c = c.clone();
        async move {
            c.list_secrets()
                .set_filters(Some(filters))
                .send()
                .await
                .expect("list")
        }
    };
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::Name, &["prod/"])]).await),
        vec!["prod/api", "prod/db"]
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::Name, &["PROD/"])]).await),
        Vec::<String>::new(),
        "name is case-sensitive"
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::Name, &["!prod"])]).await),
        vec!["Other", "dev/db"]
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::Description, &["primary"])]).await),
        vec!["prod/db"],
        "description ignores case"
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::TagKey, &["team"])]).await),
        vec!["prod/db"]
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::TagValue, &["de"])]).await),
        vec!["dev/db"]
    );
    assert_eq!(
        names(
            &run(vec![
                f(FilterNameStringType::TagValue, &["prod"]),
                f(FilterNameStringType::Name, &["prod/d"])
            ])
            .await
        ),
        vec!["prod/db"],
        "filters AND"
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::Name, &["dev", "Oth"])]).await),
        vec!["Other", "dev/db"],
        "values OR"
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::All, &["DATABASE"])]).await),
        vec!["dev/db", "prod/db"]
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::All, &["core"])]).await),
        vec!["prod/db"]
    );
    assert_eq!(
        names(&run(vec![f(FilterNameStringType::PrimaryRegion, &["us"])]).await),
        Vec::<String>::new()
    );

    // Sorting.
    let by_name = c
        .list_secrets()
        .sort_by(aws_sdk_secretsmanager::types::SortByType::Name)
        .sort_order(SortOrderType::Asc)
        .send()
        .await
        .expect("sorted");
    let got: Vec<_> = by_name
        .secret_list()
        .iter()
        .filter_map(|s| s.name())
        .collect();
    assert_eq!(got, vec!["Other", "dev/db", "prod/api", "prod/db"]);
    let desc = c
        .list_secrets()
        .sort_by(aws_sdk_secretsmanager::types::SortByType::Name)
        .sort_order(SortOrderType::Desc)
        .send()
        .await
        .expect("sorted");
    let got: Vec<_> = desc.secret_list().iter().filter_map(|s| s.name()).collect();
    assert_eq!(got, vec!["prod/db", "prod/api", "dev/db", "Other"]);

    // Paging stays correct while secrets are created between pages.
    let p1 = c
        .list_secrets()
        .sort_by(aws_sdk_secretsmanager::types::SortByType::Name)
        .max_results(2)
        .send()
        .await
        .expect("p1");
    let mut seen: Vec<String> = p1
        .secret_list()
        .iter()
        .filter_map(|s| s.name().map(str::to_owned))
        .collect();
    c.create_secret()
        .name("AAA-new-first")
        .secret_string("v")
        .send()
        .await
        .expect("insert before cursor");
    c.create_secret()
        .name("zzz-new-last")
        .secret_string("v")
        .send()
        .await
        .expect("insert after cursor");
    let mut token = p1.next_token().map(str::to_owned);
    while let Some(t) = token {
        let p = c
            .list_secrets()
            .sort_by(aws_sdk_secretsmanager::types::SortByType::Name)
            .max_results(2)
            .next_token(t)
            .send()
            .await
            .expect("page");
        seen.extend(
            p.secret_list()
                .iter()
                .filter_map(|s| s.name().map(str::to_owned)),
        );
        token = p.next_token().map(str::to_owned);
    }
    assert_eq!(
        seen,
        vec!["Other", "dev/db", "prod/api", "prod/db", "zzz-new-last"],
        "no item twice, none skipped"
    );

    // The SDK's paginator over created-date order.
    let mut pages = c.list_secrets().max_results(1).into_paginator().send();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        count += page.expect("page").secret_list().len();
    }
    assert_eq!(count, 6);

    let e = c
        .list_secrets()
        .next_token("garbage")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidNextTokenException");
}

#[tokio::test]
async fn batch_get_and_random_password() {
    let (_d, _s, c) = start();
    for i in 0..3 {
        c.create_secret()
            .name(format!("batch/{i}"))
            .secret_string(format!("value-{i}"))
            .send()
            .await
            .expect("create");
    }
    let out = c
        .batch_get_secret_value()
        .secret_id_list("batch/0")
        .secret_id_list("batch/2")
        .secret_id_list("missing")
        .send()
        .await
        .expect("batch");
    let mut vals: Vec<_> = out
        .secret_values()
        .iter()
        .filter_map(|v| v.secret_string())
        .collect();
    vals.sort();
    assert_eq!(vals, vec!["value-0", "value-2"]);
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].secret_id(), Some("missing"));
    assert_eq!(
        out.errors()[0].error_code(),
        Some("ResourceNotFoundException")
    );

    let f = Filter::builder()
        .key(FilterNameStringType::Name)
        .values("batch/")
        .build();
    let p1 = c
        .batch_get_secret_value()
        .filters(f.clone())
        .max_results(2)
        .send()
        .await
        .expect("filtered");
    assert_eq!(p1.secret_values().len(), 2);
    let p2 = c
        .batch_get_secret_value()
        .filters(f.clone())
        .max_results(2)
        .next_token(p1.next_token().expect("token"))
        .send()
        .await
        .expect("p2");
    assert_eq!(p2.secret_values().len(), 1);
    let e = c
        .batch_get_secret_value()
        .secret_id_list("batch/0")
        .filters(f)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");

    let pw = c.get_random_password().send().await.expect("pw");
    let p = pw.random_password().expect("password");
    assert_eq!(p.chars().count(), 32);
    for class in [
        char::is_ascii_lowercase,
        char::is_ascii_uppercase,
        char::is_ascii_digit,
        char::is_ascii_punctuation,
    ] {
        assert!(p.chars().any(|c| class(&c)), "every class present in {p:?}");
    }
    let pw = c
        .get_random_password()
        .password_length(64)
        .exclude_punctuation(true)
        .exclude_uppercase(true)
        .exclude_characters("abc")
        .send()
        .await
        .expect("pw2");
    let p = pw.random_password().expect("password");
    assert_eq!(p.len(), 64);
    assert!(
        p.chars()
            .all(|c| (c.is_ascii_lowercase() || c.is_ascii_digit()) && !"abc".contains(c)),
        "{p}"
    );
    let e = c
        .get_random_password()
        .password_length(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "ValidationException");
    let e = c
        .get_random_password()
        .exclude_lowercase(true)
        .exclude_uppercase(true)
        .exclude_numbers(true)
        .exclude_punctuation(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidParameterException");
}

#[tokio::test]
async fn later_issue_operations_refuse_clearly() {
    let (_d, _s, c) = start();
    c.create_secret()
        .name("r")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    // Rotation without a function configured is refused; cancelling none is a no-op.
    let e = c.rotate_secret().secret_id("r").send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException");
    assert_eq!(
        message(&e),
        "No Lambda rotation function ARN is associated with this secret."
    );
    let cancelled = c
        .cancel_rotate_secret()
        .secret_id("r")
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancelled.version_id(), None);
    let e = c
        .replicate_secret_to_regions()
        .secret_id("r")
        .add_replica_regions(
            aws_sdk_secretsmanager::types::ReplicaRegionType::builder()
                .region("eu-west-1")
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&e), "InvalidRequestException");
}

#[tokio::test]
async fn wrong_credentials_are_refused() {
    let (_d, s, _c) = start();
    let bad = client_with(
        &s.endpoint(),
        REGION,
        common::ACCESS_KEY_ID,
        "not-the-secret",
    );
    let e = bad.list_secrets().send().await.unwrap_err();
    assert_eq!(code(&e), "InvalidSignatureException");
    let unknown = client_with(&s.endpoint(), REGION, "AKIAUNKNOWNUNKNOWN00", "whatever");
    let e = unknown.list_secrets().send().await.unwrap_err();
    assert_eq!(code(&e), "UnrecognizedClientException");
}
