//! Rotation with an `exec` rotation function: `tests/rotation/exec_rotator.py`, a function
//! written for AWS Lambda against boto3 (endpoint from SECRETS_MANAGER_ENDPOINT), registered
//! with `cofre admin rotation-function create` and driven by the real server. The "service"
//! it rotates is a file holding the one password it accepts, so every test can check that
//! the service and AWSCURRENT agree.
//!
//! Covers: the four steps in order with the ClientRequestToken as the version id, AWSPENDING
//! → AWSCURRENT/AWSPREVIOUS moves, a repeated RotateSecret reusing the stored configuration,
//! RotateImmediately=false running testSecret once, a failing testSecret (AWSCURRENT kept,
//! failure visible in DescribeSecret and the audit trail, "previous rotation isn't complete",
//! retried with backoff, completed after recovery), the server killed mid-rotation and
//! resuming after restart, CancelRotateSecret, and the step credentials' scope.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::types::RotationRulesType;
use aws_sdk_secretsmanager::Client;

const FUNCTION: &str = "pyrot";

fn function_arn() -> String {
    format!(
        "arn:aws:lambda:{}:{}:function:{FUNCTION}",
        common::REGION,
        common::ACCOUNT
    )
}

fn rotator_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/rotation/exec_rotator.py")
}

/// A server that retries after 1 s and takes over lapsed runs after 3 s.
fn start(dir: &Path) -> common::Server {
    common::Server::start_with(
        dir,
        common::Options {
            extra_args: [
                "--rotation-interval-secs",
                "1",
                "--rotation-retry-secs",
                "1",
                "--rotation-lease-secs",
                "3",
                "--rotation-log-function-output",
            ]
            .map(String::from)
            .to_vec(),
            ..Default::default()
        },
    )
}

/// `cofre admin ...` as the account root; returns stdout.
fn admin(srv: &common::Server, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_cofre"))
        .arg("admin")
        .arg("--endpoint-url")
        .arg(srv.endpoint())
        .arg("--region")
        .arg(common::REGION)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env_remove("AWS_SESSION_TOKEN")
        .env("COFRE_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run cofre admin");
    assert!(
        out.status.success(),
        "cofre admin {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Registers the Python function with its working directory `work`.
fn register(srv: &common::Server, work: &Path) {
    let command = format!(
        "ROTATOR_DIR={} exec python3 {}",
        work.display(),
        rotator_script().display()
    );
    let out = admin(
        srv,
        &[
            "rotation-function",
            "create",
            "--name",
            FUNCTION,
            "--kind",
            "exec",
            "--command",
            &command,
            "--timeout-seconds",
            "30",
        ],
    );
    assert!(out.contains(&function_arn()), "{out}");
}

fn service_password(work: &Path) -> String {
    let text = std::fs::read_to_string(work.join("service.json")).expect("service file");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["password"].as_str().expect("password").to_owned()
}

fn steps(work: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(work.join("steps.log"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(s, t)| (s.to_owned(), t.to_owned()))
        .collect()
}

async fn current_password(c: &Client, id: &str) -> (String, String) {
    let v = c
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .expect("GetSecretValue");
    let json: serde_json::Value =
        serde_json::from_str(v.secret_string().expect("string")).expect("json");
    (
        v.version_id().expect("version").to_owned(),
        json["password"].as_str().expect("password").to_owned(),
    )
}

async fn stages(c: &Client, id: &str) -> std::collections::HashMap<String, Vec<String>> {
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret")
        .version_ids_to_stages()
        .cloned()
        .unwrap_or_default()
}

/// Polls `f` every 100 ms until it is true; panics with `what` after `secs`.
async fn wait_until<F, Fut>(secs: u64, what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if f().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after {secs} s waiting for {what}");
}

/// Whether AWSCURRENT is on `token` and the engine has recorded the rotation
/// (LastRotatedDate no earlier than the new version).
async fn rotated_to(c: &Client, id: &str, token: &str) -> bool {
    let moved = stages(c, id)
        .await
        .get(token)
        .is_some_and(|s| s.iter().any(|x| x == "AWSCURRENT"));
    if !moved {
        return false;
    }
    let created = *c
        .get_secret_value()
        .secret_id(id)
        .version_id(token)
        .send()
        .await
        .expect("the new version")
        .created_date()
        .expect("CreatedDate");
    c.describe_secret()
        .secret_id(id)
        .send()
        .await
        .expect("DescribeSecret")
        .last_rotated_date()
        .is_some_and(|d| *d >= created)
}

/// A secret `{"username","password":"initial"}` and the service file accepting it.
async fn setup(c: &Client, work: &Path, name: &str) -> (String, String) {
    std::fs::write(work.join("service.json"), r#"{"password":"initial"}"#).expect("service");
    let created = c
        .create_secret()
        .name(name)
        .secret_string(r#"{"username":"svc","password":"initial"}"#)
        .send()
        .await
        .expect("CreateSecret");
    (
        created.arn().expect("arn").to_owned(),
        created.version_id().expect("version").to_owned(),
    )
}

#[tokio::test]
async fn exec_function_rotates_end_to_end_and_again_with_the_stored_configuration() {
    let dir = common::TempDir::new("rot-exec");
    let work = common::TempDir::new("rot-exec-work");
    let srv = start(dir.path());
    register(&srv, work.path());
    let c = common::client(&srv.endpoint());
    let (arn, v1) = setup(&c, work.path(), "app/api-key").await;

    // Never configured: DescribeSecret shows no rotation members at all.
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), None);
    assert_eq!(d.next_rotation_date(), None);

    let r = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(function_arn())
        .rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(30)
                .build(),
        )
        .send()
        .await
        .expect("RotateSecret");
    let token = r.version_id().expect("VersionId").to_owned();
    assert_eq!(r.arn(), Some(arn.as_str()));
    wait_until(60, "the first rotation", || rotated_to(&c, &arn, &token)).await;

    let (current_id, current) = current_password(&c, &arn).await;
    assert_eq!(
        current_id, token,
        "the ClientRequestToken is the new version's id"
    );
    assert_ne!(current, "initial");
    assert_eq!(
        service_password(work.path()),
        current,
        "service and secret agree"
    );
    let st = stages(&c, &arn).await;
    assert_eq!(st.get(&v1), Some(&vec!["AWSPREVIOUS".to_owned()]));
    // As AWS says, after a successful rotation AWSPENDING is either gone or on the
    // AWSCURRENT version (the protocol's finishSecret moves only AWSCURRENT).
    assert!(
        st.iter()
            .all(|(id, s)| !s.iter().any(|x| x == "AWSPENDING") || *id == token),
        "AWSPENDING only on the new current version: {st:?}"
    );
    assert_eq!(
        steps(work.path()),
        ["createSecret", "setSecret", "testSecret", "finishSecret"]
            .map(|s| (s.to_owned(), token.clone()))
            .to_vec(),
        "each step once, in order, with the token"
    );

    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.rotation_lambda_arn(), Some(function_arn().as_str()));
    assert_eq!(
        d.rotation_rules()
            .and_then(|r| r.automatically_after_days()),
        Some(30)
    );
    let last = d.last_rotated_date().expect("LastRotatedDate").secs();
    let next = d.next_rotation_date().expect("NextRotationDate").secs();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs() as i64;
    assert!(
        (now - last).abs() < 120,
        "rotated just now: {last} vs {now}"
    );
    let thirty_days = 30 * 86_400;
    assert!(
        next > last + thirty_days - 86_400 && next <= last + thirty_days + 86_400,
        "NextRotationDate about 30 days after the rotation: {last} → {next}"
    );
    assert!(
        d.last_changed_date().expect("LastChangedDate").secs() >= last,
        "LastChangedDate moves with the rotation"
    );

    // RotateSecret with no parameters rotates again with the stored configuration.
    let r2 = c
        .rotate_secret()
        .secret_id(&arn)
        .send()
        .await
        .expect("RotateSecret again");
    let token2 = r2.version_id().expect("VersionId").to_owned();
    assert_ne!(token2, token);
    wait_until(60, "the second rotation", || rotated_to(&c, &arn, &token2)).await;
    let (_, second) = current_password(&c, &arn).await;
    assert_ne!(second, current);
    assert_eq!(service_password(work.path()), second);
    assert_eq!(
        stages(&c, &arn).await.get(&token),
        Some(&vec!["AWSPREVIOUS".to_owned()])
    );
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(
        d.rotation_rules()
            .and_then(|r| r.automatically_after_days()),
        Some(30),
        "the stored rules stay"
    );

    // CancelRotateSecret turns rotation off; function and rules stay visible.
    let cancelled = c
        .cancel_rotate_secret()
        .secret_id(&arn)
        .send()
        .await
        .expect("CancelRotateSecret");
    assert_eq!(cancelled.version_id(), None, "no rotation was in progress");
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), Some(false));
    assert_eq!(d.next_rotation_date(), None);
    assert_eq!(d.rotation_lambda_arn(), Some(function_arn().as_str()));
}

#[tokio::test]
async fn rotate_immediately_false_runs_test_secret_once_and_removes_its_pending_version() {
    let dir = common::TempDir::new("rot-test-only");
    let work = common::TempDir::new("rot-test-only-work");
    let srv = start(dir.path());
    register(&srv, work.path());
    let c = common::client(&srv.endpoint());
    let (arn, v1) = setup(&c, work.path(), "app/test-only").await;

    let r = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(function_arn())
        .rotation_rules(
            RotationRulesType::builder()
                .schedule_expression("rate(10 days)")
                .build(),
        )
        .rotate_immediately(false)
        .send()
        .await
        .expect("RotateSecret");
    assert_eq!(
        r.version_id(),
        None,
        "no rotation started, so no new version"
    );
    wait_until(60, "the test run to finish", || async {
        !steps(work.path()).is_empty()
            && stages(&c, &arn)
                .await
                .values()
                .all(|s| !s.iter().any(|x| x == "AWSPENDING"))
    })
    .await;
    // Let a wrongly scheduled follow-up show itself before checking.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ran = steps(work.path());
    assert_eq!(ran.len(), 1, "only testSecret ran: {ran:?}");
    assert_eq!(ran[0].0, "testSecret");
    let (current_id, current) = current_password(&c, &arn).await;
    assert_eq!(
        (current_id.as_str(), current.as_str()),
        (v1.as_str(), "initial")
    );
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), Some(true));
    assert_eq!(d.last_rotated_date(), None, "nothing rotated yet");
    assert!(d.next_rotation_date().is_some(), "the schedule is on");
    assert_eq!(
        d.rotation_rules().and_then(|r| r.schedule_expression()),
        Some("rate(10 days)")
    );
}

/// The audit trail's events named `name`, through the AWS CLI's CloudTrail LookupEvents.
fn audit_events(srv: &common::Server, name: &str) -> Vec<serde_json::Value> {
    let out = Command::new("aws")
        .args(["cloudtrail", "lookup-events", "--output", "json"])
        .args([
            "--region",
            common::REGION,
            "--endpoint-url",
            &srv.endpoint(),
        ])
        .args([
            "--lookup-attributes",
            &format!("AttributeKey=EventName,AttributeValue={name}"),
        ])
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("run aws (pip install awscli)");
    assert!(
        out.status.success(),
        "aws cloudtrail lookup-events: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    v["Events"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn failing_test_secret_keeps_awscurrent_is_visible_and_completes_after_recovery() {
    let dir = common::TempDir::new("rot-fail");
    let work = common::TempDir::new("rot-fail-work");
    let srv = start(dir.path());
    register(&srv, work.path());
    let c = common::client(&srv.endpoint());
    let (arn, v1) = setup(&c, work.path(), "app/flaky").await;
    std::fs::write(work.path().join("FAIL_testSecret"), "").expect("inject");

    let token = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(function_arn())
        .send()
        .await
        .expect("RotateSecret")
        .version_id()
        .expect("VersionId")
        .to_owned();
    wait_until(60, "testSecret to be retried", || async {
        steps(work.path())
            .iter()
            .filter(|(s, _)| s == "testSecret")
            .count()
            >= 2
    })
    .await;

    // AWSCURRENT still names the old version; the pending version carries AWSPENDING, which
    // DescribeSecret shows.
    let (current_id, current) = current_password(&c, &arn).await;
    assert_eq!(
        (current_id.as_str(), current.as_str()),
        (v1.as_str(), "initial")
    );
    let st = stages(&c, &arn).await;
    assert_eq!(st.get(&token), Some(&vec!["AWSPENDING".to_owned()]));
    assert!(!steps(work.path()).iter().any(|(s, _)| s == "finishSecret"));

    // A new rotation is refused while this one is unfinished.
    let err = c
        .rotate_secret()
        .secret_id(&arn)
        .send()
        .await
        .expect_err("refused");
    assert_eq!(common::code(&err), "InvalidRequestException");
    assert_eq!(
        common::message(&err),
        "A previous rotation isn't complete. That rotation will be reattempted."
    );
    // The trail shows the failures.
    let failed = audit_events(&srv, "RotationFailed");
    assert!(!failed.is_empty(), "RotationFailed recorded");
    assert!(failed[0]["Resources"].to_string().contains(&arn));

    // Recovery: the retry completes the same rotation.
    std::fs::remove_file(work.path().join("FAIL_testSecret")).expect("heal");
    wait_until(60, "the rotation to complete", || {
        rotated_to(&c, &arn, &token)
    })
    .await;
    let (_, now_current) = current_password(&c, &arn).await;
    assert_eq!(service_password(work.path()), now_current);
    assert_eq!(
        steps(work.path())
            .iter()
            .filter(|(s, _)| s == "createSecret")
            .count(),
        1,
        "a retry resumes at the failed step"
    );
    assert!(!audit_events(&srv, "RotationSucceeded").is_empty());
}

#[tokio::test]
async fn server_killed_mid_rotation_resumes_after_restart() {
    let dir = common::TempDir::new("rot-kill");
    let work = common::TempDir::new("rot-kill-work");
    let mut srv = start(dir.path());
    register(&srv, work.path());
    let c = common::client(&srv.endpoint());
    let (arn, v1) = setup(&c, work.path(), "app/killed").await;
    std::fs::write(work.path().join("SLEEP_setSecret"), "3").expect("slow setSecret");

    let token = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(function_arn())
        .send()
        .await
        .expect("RotateSecret")
        .version_id()
        .expect("VersionId")
        .to_owned();
    wait_until(60, "setSecret to start", || async {
        steps(work.path()).iter().any(|(s, _)| s == "setSecret")
    })
    .await;
    srv.kill();
    // The old password still works while the server is down and after it comes back.
    std::fs::remove_file(work.path().join("SLEEP_setSecret")).expect("fast again");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let (current_id, current) = current_password(&c, &arn).await;
    assert_eq!(
        (current_id.as_str(), current.as_str()),
        (v1.as_str(), "initial")
    );
    wait_until(60, "the resumed rotation", || rotated_to(&c, &arn, &token)).await;
    let ran = steps(work.path());
    let count = |step: &str| ran.iter().filter(|(s, _)| s == step).count();
    assert_eq!(count("createSecret"), 1, "{ran:?}");
    assert!(count("setSecret") >= 2, "setSecret was repeated: {ran:?}");
    assert_eq!(count("finishSecret"), 1, "{ran:?}");
    assert!(
        ran.iter().all(|(_, t)| *t == token),
        "one rotation: {ran:?}"
    );
    assert_eq!(
        service_password(work.path()),
        current_password(&c, &arn).await.1
    );
}

#[tokio::test]
async fn a_step_over_its_timeout_fails_and_is_retried() {
    let dir = common::TempDir::new("rot-timeout");
    let work = common::TempDir::new("rot-timeout-work");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    // The same function, registered with a 2 s step timeout.
    let command = format!(
        "ROTATOR_DIR={} exec python3 {}",
        work.path().display(),
        rotator_script().display()
    );
    admin(
        &srv,
        &[
            "rotation-function",
            "create",
            "--name",
            "slow",
            "--kind",
            "exec",
            "--command",
            &command,
            "--timeout-seconds",
            "2",
        ],
    );
    let (arn, v1) = setup(&c, work.path(), "app/slow").await;
    std::fs::write(work.path().join("SLEEP_setSecret"), "20").expect("slow setSecret");
    let token = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(format!(
            "arn:aws:lambda:{}:{}:function:slow",
            common::REGION,
            common::ACCOUNT
        ))
        .send()
        .await
        .expect("RotateSecret")
        .version_id()
        .expect("VersionId")
        .to_owned();
    let started = Instant::now();
    wait_until(60, "setSecret to be retried after its timeout", || async {
        steps(work.path())
            .iter()
            .filter(|(s, _)| s == "setSecret")
            .count()
            >= 2
    })
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the step was cut at its timeout, not left to finish its 20 s sleep"
    );
    let (current_id, _) = current_password(&c, &arn).await;
    assert_eq!(current_id, v1, "AWSCURRENT did not move");
    assert!(!audit_events(&srv, "RotationFailed").is_empty());
    std::fs::remove_file(work.path().join("SLEEP_setSecret")).expect("fast again");
    wait_until(60, "the rotation after recovery", || {
        rotated_to(&c, &arn, &token)
    })
    .await;
}

#[tokio::test]
async fn step_credentials_reach_only_the_secret_being_rotated() {
    let dir = common::TempDir::new("rot-scope");
    let work = common::TempDir::new("rot-scope-work");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let other = c
        .create_secret()
        .name("unrelated")
        .secret_string("not yours")
        .send()
        .await
        .expect("other")
        .arn()
        .expect("arn")
        .to_owned();
    // A function that tries to read another secret with its step credentials.
    let probe = work.path().join("probe.out");
    let command = format!(
        "python3 -c 'import boto3,os,sys\n\
c=boto3.client(\"secretsmanager\",endpoint_url=os.environ[\"SECRETS_MANAGER_ENDPOINT\"])\n\
try:\n  c.get_secret_value(SecretId=\"{other}\"); r=\"READ\"\n\
except Exception as e: r=e.response[\"Error\"][\"Code\"]\n\
leak=[k for k in os.environ if k.startswith(\"COFRE\")]\n\
open(\"{}\",\"w\").write(r+\" \"+os.environ[\"AWS_ACCESS_KEY_ID\"][:4]+(\" LEAK\" if leak else \" CLEAN\"))\n\
sys.exit(1)'",
        probe.display()
    );
    admin(
        &srv,
        &[
            "rotation-function",
            "create",
            "--name",
            "probe",
            "--kind",
            "exec",
            "--command",
            &command,
        ],
    );
    let (arn, _) = setup(&c, work.path(), "app/scoped").await;
    c.rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(format!(
            "arn:aws:lambda:{}:{}:function:probe",
            common::REGION,
            common::ACCOUNT
        ))
        .send()
        .await
        .expect("RotateSecret");
    wait_until(60, "the probe to run", || async { probe.exists() }).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = std::fs::read_to_string(&probe).expect("probe");
    assert_eq!(
        out, "AccessDeniedException ASIA CLEAN",
        "temporary (ASIA) credentials that can't read another secret, and none of the \
         server's COFRE_* environment (the harness sets COFRE_ROOT_SECRET_ACCESS_KEY)"
    );
}

#[tokio::test]
async fn rotate_secret_rejects_what_aws_rejects() {
    let dir = common::TempDir::new("rot-errors");
    let srv = start(dir.path());
    let c = common::client(&srv.endpoint());
    let arn = c
        .create_secret()
        .name("app/errors")
        .secret_string("x")
        .send()
        .await
        .expect("create")
        .arn()
        .expect("arn")
        .to_owned();

    let err = c
        .rotate_secret()
        .secret_id(&arn)
        .send()
        .await
        .expect_err("no function");
    assert_eq!(common::code(&err), "InvalidRequestException");

    let missing = format!(
        "arn:aws:lambda:{}:{}:function:nope",
        common::REGION,
        common::ACCOUNT
    );
    let err = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(&missing)
        .send()
        .await
        .expect_err("unknown function");
    assert_eq!(common::code(&err), "AccessDeniedException");
    assert_eq!(
        common::message(&err),
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access to the principal secretsmanager.amazonaws.com."
    );

    let builtin = format!(
        "arn:aws:lambda:{}:{}:function:cofre-postgres-single-user",
        common::REGION,
        common::ACCOUNT
    );
    let err = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(&builtin)
        .rotation_rules(
            RotationRulesType::builder()
                .automatically_after_days(10)
                .schedule_expression("rate(10 days)")
                .build(),
        )
        .send()
        .await
        .expect_err("both schedules");
    assert_eq!(common::code(&err), "InvalidParameterException");
    let err = c
        .rotate_secret()
        .secret_id(&arn)
        .rotation_lambda_arn(&builtin)
        .rotation_rules(
            RotationRulesType::builder()
                .schedule_expression("rate(3 hours)")
                .build(),
        )
        .send()
        .await
        .expect_err("too often");
    assert_eq!(common::code(&err), "InvalidParameterException");
    // Nothing was stored by the failed calls.
    let d = c.describe_secret().secret_id(&arn).send().await.expect("d");
    assert_eq!(d.rotation_enabled(), None);
    assert_eq!(d.rotation_lambda_arn(), None);
}
