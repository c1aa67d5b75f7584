//! KMS end to end against the real `cofre` binary, twice over: the AWS CLI (`aws kms …` and
//! `aws secretsmanager …`, in `tests/cli/kms.sh`) and the AWS SDK for Rust (`aws-sdk-kms` with
//! `aws-sdk-secretsmanager`). Both walk the same story:
//!
//! 1. create a key and an alias; create a secret under the alias;
//! 2. disable the key → GetSecretValue fails as AWS fails it; enable → it reads;
//! 3. rotate the key on demand → old versions still open, a new PutSecretValue works;
//! 4. schedule the key's deletion → reads fail; cancel (and enable) → reads work;
//! 5. Encrypt/Decrypt with an encryption context; DescribeKey and ListAliases shapes;
//! 6. a user allowed `secretsmanager:GetSecretValue` but not `kms:Decrypt` on the key cannot
//!    read the secret (users are made with `aws iam`).
//!
//! These tests need the AWS CLI (`pip install awscli`); without it they fail, never skip.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kms::error::ProvideErrorMetadata;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeyManagerType, KeyState, Tag};

/// Upper bound for one script run (the CLI starts a Python interpreter per call).
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

const INSTALL_HINT: &str = "install it with `pip install awscli`";

fn test_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(rel)
}

// `require`, `run_script` and `drain` are `tests/cli.rs`'s; they belong in `common` once both
// suites can share them.

/// Fails the test (with the install hint) unless `program args` runs and succeeds.
fn require(what: &str, program: &str, args: &[&str]) {
    match Command::new(program).args(args).stdin(Stdio::null()).output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "{what} is not usable (`{program} {}` exited with {}): {INSTALL_HINT}\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        ),
        Err(e) => panic!("{what} is not installed (cannot run `{program}`: {e}): {INSTALL_HINT}"),
    }
}

/// The variables of the caller's environment that would change where or how the CLI's
/// requests go.
const FOREIGN_AWS_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_REGION",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KMS",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    "AWS_CA_BUNDLE",
    "AWS_DEFAULT_OUTPUT",
    "AWS_CLI_AUTO_PROMPT",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_RETRY_MODE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
];

/// A command with a clean AWS environment: no config files, no pager, one attempt, no proxy
/// for the loopback server.
fn clean_aws_env(cmd: &mut Command) -> &mut Command {
    cmd.env("AWS_DEFAULT_REGION", common::REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for var in FOREIGN_AWS_VARS {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `program script` against `srv` as the account root, and fails the test with the
/// script's output unless it exits successfully and reports no failed check.
fn run_script(srv: &common::Server, program: &str, script: &Path) {
    assert!(script.is_file(), "missing test script {}", script.display());
    let mut cmd = Command::new(program);
    cmd.arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env("COFRE_ENDPOINT", srv.endpoint())
        .env("COFRE_ACCOUNT_ID", common::ACCOUNT)
        .env("COFRE_BIN", env!("CARGO_BIN_EXE_cofre"))
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY);
    clean_aws_env(&mut cmd);

    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{program} {}`: {e}", script.display()));
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let started = Instant::now();
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > SCRIPT_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for {}: {e}", script.display()),
        }
    };
    let out = stdout.join().unwrap_or_default();
    let err = stderr.join().unwrap_or_default();
    let report = format!(
        "`{program} {}` against {} took {:.1?}\n--- stdout ---\n{out}\n--- stderr ---\n{err}",
        script.display(),
        srv.endpoint(),
        started.elapsed(),
    );
    // Shown with `--nocapture`, and by the harness when the test fails.
    println!("{report}");
    let Some(status) = status else {
        panic!("script timed out after {SCRIPT_TIMEOUT:?}\n{report}");
    };
    assert!(status.success(), "script failed ({status})\n{report}");
    let summary = out
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert!(
        summary.ends_with(" passed, 0 failed") && !summary.starts_with("0 passed"),
        "script did not report `N passed, 0 failed` (last line: {summary:?})\n{report}"
    );
}

/// Reads a pipe to the end on its own thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        String::from_utf8_lossy(&buf).into_owned()
    })
}

#[test]
fn aws_cli_kms() {
    require("bash", "bash", &["-c", "true"]);
    require("python3", "python3", &["-c", "import json"]);
    require("The AWS CLI (`aws`)", "aws", &["--version"]);
    let dir = common::TempDir::new("cli-kms");
    let srv = common::Server::start(&dir);
    run_script(&srv, "bash", &test_file("cli/kms.sh"));
}

// ------------------------------------------------------------------------------ the SDK

/// A real KMS client (AWS SDK for Rust, plain HTTP) for `endpoint` with these credentials.
fn kms_client(endpoint: &str, akid: &str, secret: &str) -> aws_sdk_kms::Client {
    use aws_sdk_kms::config::{BehaviorVersion, Credentials, Region};
    let http = aws_smithy_http_client::Builder::new().build_http();
    let conf = aws_sdk_kms::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(common::REGION))
        .credentials_provider(Credentials::new(akid, secret, None, None, "cofre-tests"))
        .endpoint_url(endpoint)
        .http_client(http)
        .build();
    aws_sdk_kms::Client::from_conf(conf)
}

/// The AWS error code and message of a KMS SDK error.
fn kms_error<E: ProvideErrorMetadata, R>(
    err: &aws_sdk_kms::error::SdkError<E, R>,
) -> (String, String) {
    (
        err.code().unwrap_or("<no code>").to_owned(),
        err.message().unwrap_or("<no message>").to_owned(),
    )
}

/// `aws <args>` against `srv` as the account root; its JSON output.
fn aws_cli(srv: &common::Server, args: &[&str]) -> serde_json::Value {
    let mut cmd = Command::new("aws");
    cmd.args(args)
        .args(["--output", "json", "--endpoint-url", &srv.endpoint()])
        .env("AWS_ACCESS_KEY_ID", common::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", common::SECRET_ACCESS_KEY)
        .stdin(Stdio::null());
    clean_aws_env(&mut cmd);
    let out = cmd.output().expect("run the AWS CLI (pip install awscli)");
    assert!(
        out.status.success(),
        "aws {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.stdout.iter().all(u8::is_ascii_whitespace) {
        return serde_json::Value::Null;
    }
    serde_json::from_slice(&out.stdout).expect("the CLI prints JSON")
}

#[tokio::test]
async fn sdk_kms_and_secrets() {
    require("The AWS CLI (`aws`)", "aws", &["--version"]);
    let dir = common::TempDir::new("sdk-kms");
    let srv = common::Server::start(&dir);
    let endpoint = srv.endpoint();
    let kms = kms_client(&endpoint, common::ACCESS_KEY_ID, common::SECRET_ACCESS_KEY);
    let sm = common::client(&endpoint);
    let (account, region) = (common::ACCOUNT, common::REGION);

    // --- a key, an alias, their shapes --------------------------------------------------
    let created = kms
        .create_key()
        .description("sdk key")
        .tags(
            Tag::builder()
                .tag_key("team")
                .tag_value("payments")
                .build()
                .expect("tag"),
        )
        .send()
        .await
        .expect("CreateKey");
    let md = created.key_metadata().expect("KeyMetadata");
    let key_id = md.key_id().to_owned();
    let key_arn = format!("arn:aws:kms:{region}:{account}:key/{key_id}");
    assert_eq!(md.arn(), Some(key_arn.as_str()));
    assert_eq!(md.aws_account_id(), Some(account));
    assert_eq!(md.key_state(), Some(&KeyState::Enabled));
    assert!(md.enabled());
    assert_eq!(md.key_manager(), Some(&KeyManagerType::Customer));
    assert_eq!(md.description(), Some("sdk key"));
    assert_eq!(md.key_usage().map(|u| u.as_str()), Some("ENCRYPT_DECRYPT"));
    assert_eq!(md.key_spec().map(|s| s.as_str()), Some("SYMMETRIC_DEFAULT"));
    assert_eq!(md.origin().map(|o| o.as_str()), Some("AWS_KMS"));
    assert_eq!(
        md.encryption_algorithms()
            .iter()
            .map(|a| a.as_str())
            .collect::<Vec<_>>(),
        ["SYMMETRIC_DEFAULT"]
    );
    assert_eq!(md.multi_region(), Some(false));
    assert!(md.creation_date().is_some());
    assert!(md.deletion_date().is_none());

    kms.create_alias()
        .alias_name("alias/sdk-app")
        .target_key_id(&key_id)
        .send()
        .await
        .expect("CreateAlias");
    let described = kms
        .describe_key()
        .key_id("alias/sdk-app")
        .send()
        .await
        .expect("DescribeKey by alias");
    assert_eq!(
        described.key_metadata().map(|m| m.key_id()),
        Some(key_id.as_str())
    );
    let aliases = kms
        .list_aliases()
        .key_id(&key_id)
        .send()
        .await
        .expect("ListAliases");
    assert!(!aliases.truncated());
    let [alias] = aliases.aliases() else {
        panic!("one alias: {aliases:?}")
    };
    assert_eq!(alias.alias_name(), Some("alias/sdk-app"));
    assert_eq!(
        alias.alias_arn(),
        Some(format!("arn:aws:kms:{region}:{account}:alias/sdk-app").as_str())
    );
    assert_eq!(alias.target_key_id(), Some(key_id.as_str()));
    assert!(alias.creation_date().is_some() && alias.last_updated_date().is_some());

    // --- a secret under the alias --------------------------------------------------------
    sm.create_secret()
        .name("sdk/db")
        .kms_key_id("alias/sdk-app")
        .secret_string("v1")
        .send()
        .await
        .expect("CreateSecret under the alias");
    let read = |stage: Option<&'static str>| {
        let sm = sm.clone();
        async move {
            sm.get_secret_value()
                .secret_id("sdk/db")
                .set_version_stage(stage.map(str::to_owned))
                .send()
                .await
        }
    };
    assert_eq!(read(None).await.expect("read").secret_string(), Some("v1"));

    // --- disabled → no read; enabled → reads ---------------------------------------------
    kms.disable_key()
        .key_id("alias/sdk-app")
        .send()
        .await
        .expect("DisableKey");
    let e = read(None)
        .await
        .expect_err("a disabled key's secret does not read");
    assert_eq!(common::code(&e), "DecryptionFailure", "{e:?}");
    let e = kms
        .encrypt()
        .key_id(&key_id)
        .plaintext(Blob::new("x"))
        .send()
        .await
        .expect_err("Encrypt under a disabled key");
    assert_eq!(
        kms_error(&e),
        (
            "DisabledException".into(),
            format!("{key_arn} is disabled.")
        )
    );
    kms.enable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("EnableKey");
    assert_eq!(
        read(None).await.expect("read after enable").secret_string(),
        Some("v1")
    );

    // --- rotation on demand ----------------------------------------------------------------
    let before = kms
        .encrypt()
        .key_id("alias/sdk-app")
        .plaintext(Blob::new("sealed before rotation"))
        .send()
        .await
        .expect("Encrypt before rotation");
    let rotated = kms
        .rotate_key_on_demand()
        .key_id("alias/sdk-app")
        .send()
        .await
        .expect("RotateKeyOnDemand");
    assert_eq!(rotated.key_id(), Some(key_id.as_str()));
    sm.put_secret_value()
        .secret_id("sdk/db")
        .secret_string("v2")
        .send()
        .await
        .expect("PutSecretValue after rotation");
    assert_eq!(
        read(None).await.expect("read v2").secret_string(),
        Some("v2")
    );
    assert_eq!(
        read(Some("AWSPREVIOUS"))
            .await
            .expect("read v1")
            .secret_string(),
        Some("v1"),
        "a version sealed before the rotation still opens"
    );
    let versions = sm
        .list_secret_version_ids()
        .secret_id("sdk/db")
        .send()
        .await
        .expect("ListSecretVersionIds");
    assert_eq!(versions.versions().len(), 2);
    for v in versions.versions() {
        assert!(!v.kms_key_ids().is_empty(), "{v:?}");
    }
    let old = kms
        .decrypt()
        .ciphertext_blob(before.ciphertext_blob().expect("ciphertext").clone())
        .send()
        .await
        .expect("Decrypt a ciphertext from before the rotation");
    assert_eq!(
        old.plaintext().map(Blob::as_ref),
        Some(&b"sealed before rotation"[..])
    );
    assert_eq!(old.key_id(), Some(key_arn.as_str()));

    // --- pending deletion → no read; cancelled and enabled → reads ------------------------
    let scheduled = kms
        .schedule_key_deletion()
        .key_id(&key_id)
        .pending_window_in_days(7)
        .send()
        .await
        .expect("ScheduleKeyDeletion");
    assert_eq!(scheduled.key_id(), Some(key_arn.as_str()));
    assert_eq!(scheduled.key_state(), Some(&KeyState::PendingDeletion));
    assert_eq!(scheduled.pending_window_in_days(), Some(7));
    assert!(scheduled.deletion_date().is_some());
    let e = read(None)
        .await
        .expect_err("a key pending deletion does not decrypt");
    assert_eq!(common::code(&e), "DecryptionFailure", "{e:?}");
    let cancelled = kms
        .cancel_key_deletion()
        .key_id(&key_id)
        .send()
        .await
        .expect("CancelKeyDeletion");
    assert_eq!(cancelled.key_id(), Some(key_arn.as_str()));
    let md = kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("DescribeKey");
    assert_eq!(
        md.key_metadata().and_then(|m| m.key_state()),
        Some(&KeyState::Disabled),
        "a cancelled deletion leaves the key disabled"
    );
    kms.enable_key()
        .key_id(&key_id)
        .send()
        .await
        .expect("EnableKey");
    assert_eq!(
        read(None).await.expect("read after cancel").secret_string(),
        Some("v2")
    );

    // --- Encrypt/Decrypt with an encryption context ---------------------------------------
    let enc = kms
        .encrypt()
        .key_id("alias/sdk-app")
        .plaintext(Blob::new("attack at dawn"))
        .encryption_context("purpose", "test")
        .encryption_context("app", "cofre")
        .send()
        .await
        .expect("Encrypt");
    assert_eq!(enc.key_id(), Some(key_arn.as_str()));
    let blob = enc.ciphertext_blob().expect("CiphertextBlob").clone();
    let dec = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("app", "cofre")
        .encryption_context("purpose", "test")
        .send()
        .await
        .expect("Decrypt");
    assert_eq!(
        dec.plaintext().map(Blob::as_ref),
        Some(&b"attack at dawn"[..])
    );
    let e = kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "other")
        .send()
        .await
        .expect_err("the context is bound");
    assert_eq!(kms_error(&e).0, "InvalidCiphertextException");

    // --- a user without kms:Decrypt cannot read the secret ---------------------------------
    aws_cli(&srv, &["iam", "create-user", "--user-name", "reader"]);
    aws_cli(
        &srv,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "reader",
            "--policy-name",
            "read",
            "--policy-document",
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#,
        ],
    );
    let key = aws_cli(&srv, &["iam", "create-access-key", "--user-name", "reader"]);
    let (id, secret) = (
        key["AccessKey"]["AccessKeyId"]
            .as_str()
            .expect("AccessKeyId"),
        key["AccessKey"]["SecretAccessKey"]
            .as_str()
            .expect("SecretAccessKey"),
    );
    let reader_sm = common::client_with(&endpoint, region, id, secret);
    let reader_kms = kms_client(&endpoint, id, secret);
    let e = reader_sm
        .get_secret_value()
        .secret_id("sdk/db")
        .send()
        .await
        .expect_err("GetSecretValue alone is not enough");
    assert_eq!(common::code(&e), "AccessDeniedException", "{e:?}");
    let e = reader_kms
        .decrypt()
        .ciphertext_blob(blob.clone())
        .encryption_context("purpose", "test")
        .encryption_context("app", "cofre")
        .send()
        .await
        .expect_err("no kms:Decrypt");
    let (code, message) = kms_error(&e);
    assert_eq!(code, "AccessDeniedException");
    assert!(
        message.contains("is not authorized to perform: kms:Decrypt on resource:"),
        "{message}"
    );
    aws_cli(
        &srv,
        &[
            "iam",
            "put-user-policy",
            "--user-name",
            "reader",
            "--policy-name",
            "decrypt",
            "--policy-document",
            &format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"kms:Decrypt","Resource":"{key_arn}"}}]}}"#
            ),
        ],
    );
    let got = reader_sm
        .get_secret_value()
        .secret_id("sdk/db")
        .send()
        .await
        .expect("with kms:Decrypt on the key, the user reads");
    assert_eq!(got.secret_string(), Some("v2"));
    // Still nothing else: a key the user may not describe looks like a missing one.
    let forbidden = reader_kms
        .describe_key()
        .key_id(&key_id)
        .send()
        .await
        .expect_err("no kms:DescribeKey");
    let missing = reader_kms
        .describe_key()
        .key_id("00000000-0000-4000-8000-000000000000")
        .send()
        .await
        .expect_err("no kms:DescribeKey");
    assert_eq!(kms_error(&forbidden).0, "AccessDeniedException");
    assert_eq!(kms_error(&missing).0, "AccessDeniedException");

    // --- what Cofre refuses ----------------------------------------------------------------
    let e = kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::EncryptDecrypt)
        .send()
        .await
        .expect_err("asymmetric keys");
    assert_eq!(kms_error(&e).0, "UnsupportedOperationException");
    let e = kms
        .generate_random()
        .number_of_bytes(16)
        .send()
        .await
        .expect_err("GenerateRandom is not implemented");
    assert_eq!(
        kms_error(&e),
        (
            "UnsupportedOperationException".into(),
            "Cofre does not support GenerateRandom yet.".into()
        )
    );
}
