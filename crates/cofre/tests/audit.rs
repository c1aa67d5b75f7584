//! The audit trail end to end: the real binary records every call (success, denial,
//! authentication failure) in CloudTrail format with no secret in it, `cofre audit verify`
//! accepts the untouched trail, and names the record that was altered or removed.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{client, client_with, Server, TempDir, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use serde_json::Value;

const VALUE_1: &str = "audit-test-value-one-7f3a9c";
const VALUE_2: &str = "audit-test-value-two-c81e44";

fn aws(srv: &Server, args: &[&str]) -> Value {
    let out = Command::new("aws")
        .args(args)
        .args(["--endpoint-url", &srv.endpoint(), "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "*")
        .output()
        .expect("run the aws CLI");
    assert!(
        out.status.success(),
        "aws {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
}

fn verify(data_dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cofre"))
        .args(["audit", "verify", "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env_remove("COFRE_ROOT_KEY")
        .env("COFRE_LOG", "error")
        .output()
        .expect("run cofre audit verify")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn all_bytes_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(all_bytes_under(&path));
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read"),
            ));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A copy of the data dir to tamper with.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

fn db(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("cofre.db")).expect("open db")
}

#[tokio::test]
async fn calls_are_recorded_without_secrets_and_tampering_is_named() {
    let dir = TempDir::new("audit");
    let mut srv = Server::start(&dir);
    let public_key = srv
        .stdout_head
        .iter()
        .find_map(|l| l.strip_prefix("cofre audit public key: "))
        .map(str::to_owned)
        .expect("the public key is printed at first start");

    let sm = client(&srv.endpoint());
    sm.create_secret()
        .name("audit/db")
        .secret_string(VALUE_1)
        .send()
        .await
        .expect("create");
    sm.get_secret_value()
        .secret_id("audit/db")
        .send()
        .await
        .expect("get");
    sm.put_secret_value()
        .secret_id("audit/db")
        .secret_string(VALUE_2)
        .send()
        .await
        .expect("put");
    sm.batch_get_secret_value()
        .secret_id_list("audit/db")
        .send()
        .await
        .expect("batch get");

    // A policy-less IAM user is denied; a bad signature fails authentication.
    aws(&srv, &["iam", "create-user", "--user-name", "auditee"]);
    let key = aws(
        &srv,
        &["iam", "create-access-key", "--user-name", "auditee"],
    );
    let user_key_id = key["AccessKey"]["AccessKeyId"]
        .as_str()
        .expect("key id")
        .to_owned();
    let user_secret = key["AccessKey"]["SecretAccessKey"]
        .as_str()
        .expect("secret")
        .to_owned();
    let denied = client_with(&srv.endpoint(), REGION, &user_key_id, &user_secret)
        .get_secret_value()
        .secret_id("audit/db")
        .send()
        .await
        .expect_err("denied");
    assert_eq!(common::code(&denied), "AccessDeniedException");
    let bad = client_with(&srv.endpoint(), REGION, ACCESS_KEY_ID, "not-the-secret")
        .describe_secret()
        .secret_id("audit/db")
        .send()
        .await
        .expect_err("bad signature");
    assert_eq!(common::code(&bad), "InvalidSignatureException");

    assert!(srv.terminate().success());

    // No secret value, secret access key or session token anywhere in the data dir.
    for (path, bytes) in all_bytes_under(dir.path()) {
        for needle in [VALUE_1, VALUE_2, user_secret.as_str(), SECRET_ACCESS_KEY] {
            assert!(
                !contains(&bytes, needle.as_bytes()),
                "{needle:?} found in {path}"
            );
        }
    }

    // The records, in CloudTrail's format.
    let records: Vec<(u64, Value)> = {
        let conn = db(dir.path());
        let mut stmt = conn
            .prepare("SELECT seq, record FROM audit_events ORDER BY seq")
            .expect("prepare");
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, u64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .expect("query")
            .map(|r| {
                let (seq, rec) = r.expect("row");
                (seq, serde_json::from_slice(&rec).expect("json record"))
            })
            .collect();
        rows
    };
    let find = |pred: &dyn Fn(&Value) -> bool| records.iter().find(|(_, r)| pred(r));
    let named = |name: &str| {
        records
            .iter()
            .filter(|(_, r)| r["eventName"] == name)
            .count()
    };
    assert_eq!(named("CreateSecret"), 1);
    assert_eq!(named("PutSecretValue"), 1);
    assert_eq!(named("BatchGetSecretValue"), 1);
    assert_eq!(named("CreateUser"), 1);
    assert_eq!(named("CreateAccessKey"), 1);
    // Get, the batch's per-secret Get, and the denied Get.
    assert_eq!(named("GetSecretValue"), 3);
    let (_, put) = find(&|r| r["eventName"] == "PutSecretValue").expect("put record");
    assert_eq!(put["eventVersion"], "1.08");
    assert_eq!(put["eventSource"], "secretsmanager.amazonaws.com");
    assert_eq!(put["eventType"], "AwsApiCall");
    assert_eq!(put["readOnly"], false);
    assert_eq!(put["userIdentity"]["type"], "Root");
    assert_eq!(put["userIdentity"]["accessKeyId"], ACCESS_KEY_ID);
    assert_eq!(put["requestParameters"]["secretId"], "audit/db");
    assert_eq!(put["recipientAccountId"], common::ACCOUNT);
    assert_eq!(put["awsRegion"], REGION);
    let (_, created_key) = find(&|r| r["eventName"] == "CreateAccessKey").expect("key record");
    assert_eq!(created_key["eventSource"], "iam.amazonaws.com");
    assert_eq!(
        created_key["responseElements"]["accessKey"]["accessKeyId"],
        user_key_id.as_str()
    );
    assert_eq!(created_key["requestParameters"]["userName"], "auditee");
    let (_, denied) = find(&|r| r["errorCode"] == "AccessDeniedException").expect("denial");
    assert_eq!(denied["eventName"], "GetSecretValue");
    assert_eq!(denied["userIdentity"]["type"], "IAMUser");
    assert_eq!(denied["userIdentity"]["userName"], "auditee");
    let (_, unauth) =
        find(&|r| r["errorCode"] == "InvalidSignatureException").expect("auth failure");
    assert_eq!(unauth["userIdentity"]["type"], "Unknown");
    assert_eq!(unauth["eventName"], "DescribeSecret");

    // Untouched: verify passes, with the printed key and with the root key alone.
    let ok = verify(dir.path(), &["--public-key", &public_key]);
    assert!(ok.status.success(), "{}", text(&ok));
    let ok = verify(dir.path(), &[]);
    assert!(ok.status.success(), "{}", text(&ok));

    // One byte changed inside one record.
    let (victim, victim_record) = records
        .iter()
        .find(|(_, r)| r["eventName"] == "PutSecretValue")
        .cloned()
        .expect("victim");
    let altered = TempDir::new("audit-altered");
    copy_dir(dir.path(), altered.path());
    db(altered.path())
        .execute(
            "UPDATE audit_events SET record =
                 CAST(substr(record, 1, 40) || X'58' || substr(record, 42) AS BLOB)
             WHERE seq = ?1",
            [victim],
        )
        .expect("tamper");
    let out = verify(altered.path(), &["--public-key", &public_key]);
    assert!(!out.status.success(), "{}", text(&out));
    let report = text(&out);
    let event_id = victim_record["eventID"].as_str().expect("event id");
    assert!(
        report.contains(&format!("record {victim} (event {event_id}) was altered")),
        "{report}"
    );

    // One record removed.
    let removed = TempDir::new("audit-removed");
    copy_dir(dir.path(), removed.path());
    db(removed.path())
        .execute("DELETE FROM audit_events WHERE seq = ?1", [victim])
        .expect("delete");
    let out = verify(removed.path(), &["--public-key", &public_key]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("record {victim} was removed")),
        "{}",
        text(&out)
    );

    // Two records swapped (renumbered so the sequence has no gap).
    let swapped = TempDir::new("audit-swapped");
    copy_dir(dir.path(), swapped.path());
    let conn = db(swapped.path());
    for (from, to) in [(victim, 0), (victim + 1, victim), (0, victim + 1)] {
        conn.execute(
            "UPDATE audit_events SET seq = ?2 WHERE seq = ?1",
            [from, to],
        )
        .expect("swap");
    }
    drop(conn);
    let out = verify(swapped.path(), &["--public-key", &public_key]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("record {victim} (event "))
            && text(&out).contains("prev_hash mismatch"),
        "{}",
        text(&out)
    );

    // The tail cut off: the shutdown digest names the missing end.
    let truncated = TempDir::new("audit-truncated");
    copy_dir(dir.path(), truncated.path());
    db(truncated.path())
        .execute(
            "DELETE FROM audit_events WHERE seq = (SELECT max(seq) FROM audit_events)",
            [],
        )
        .expect("truncate");
    let out = verify(truncated.path(), &["--public-key", &public_key]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("digest at record"), "{}", text(&out));

    // A forged key is refused.
    let out = verify(dir.path(), &["--public-key", &"ab".repeat(32)]);
    assert!(!out.status.success(), "{}", text(&out));
}

#[tokio::test]
async fn audit_mode_off_records_nothing() {
    let dir = TempDir::new("audit-off");
    let mut srv = Server::start_with(
        dir.path(),
        common::Options {
            extra_args: vec!["--audit-mode".into(), "off".into()],
            ..Default::default()
        },
    );
    client(&srv.endpoint())
        .create_secret()
        .name("off")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    assert!(srv.terminate().success());
    let n: i64 = db(dir.path())
        .query_row("SELECT count(*) FROM audit_events", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 0);
}

/// A client that does not retry, so each 503 is seen.
fn no_retry_client(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    use aws_sdk_secretsmanager::config::{
        retry::RetryConfig, BehaviorVersion, Credentials, Region,
    };
    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(Credentials::new(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            None,
            None,
            "cofre-tests",
        ))
        .endpoint_url(endpoint)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

/// When a write's record cannot be appended, the write is answered 503; until an append
/// succeeds again every request, reads included, is refused before it reaches the domain.
#[tokio::test]
async fn a_write_whose_record_cannot_be_stored_is_refused() {
    let dir = TempDir::new("audit-fail-closed");
    let srv = Server::start(&dir);
    let sm = no_retry_client(&srv.endpoint());
    sm.create_secret()
        .name("fc")
        .secret_string("v1")
        .send()
        .await
        .expect("create");

    // Another process appends a record behind the server's back: the server's next append
    // no longer continues the stored sequence, and the store refuses it.
    {
        let conn = db(dir.path());
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .expect("busy timeout");
        conn.execute(
            "INSERT INTO audit_events (seq, event_id, event_time_ms, event_name, event_source,
                 read_only, access_key_id, username, recipient_account, resources, record,
                 prev_hash, hash)
             SELECT max(seq) + 1, 'intruder', 0, 'X', 'x', 0, NULL, NULL, 'x', '[]', X'00',
                 X'00', X'00' FROM audit_events",
            [],
        )
        .expect("inject");
    }
    let err = sm
        .put_secret_value()
        .secret_id("fc")
        .secret_string("v2")
        .send()
        .await
        .expect_err("not acknowledged");
    assert_eq!(common::code(&err), "ServiceUnavailableException");
    assert!(common::message(&err).contains("audit trail is unavailable"));
    let err = sm
        .describe_secret()
        .secret_id("fc")
        .send()
        .await
        .expect_err("reads are refused too");
    assert_eq!(common::code(&err), "ServiceUnavailableException");
    // That refusal is recorded (the writer resynchronised), which reopens the trail.
    let mut recovered = false;
    for _ in 0..100 {
        if sm.describe_secret().secret_id("fc").send().await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(recovered, "the trail reopens once an append succeeds");
}
