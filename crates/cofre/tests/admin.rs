//! `cofre admin` end to end: the real binary against a real `cofre server`, with the keys it
//! prints checked by the AWS SDK for Rust. IAM users' access keys are made with the AWS CLI
//! (`pip install awscli`); without it those tests fail, never skip.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use aws_sdk_secretsmanager::Client;

/// A second account the tests create.
const NEW_ACCOUNT: &str = "111122223333";

/// A finished `cofre admin` run.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from(out: Output) -> Self {
        Self {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The stdout of a successful run.
    fn success(self, what: &str) -> String {
        assert!(
            self.ok,
            "{what} failed\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.stdout
    }

    /// The stderr of a failed run.
    fn failure(self, what: &str) -> String {
        assert!(!self.ok, "{what} succeeded\nstdout: {}", self.stdout);
        self.stderr
    }
}

/// Runs `cofre admin ARGS` against `srv`, signing with `creds` (none: only the data dir's
/// root-credentials file is available).
fn admin_as(srv: &common::Server, creds: Option<(&str, &str)>, args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cofre"));
    cmd.arg("admin")
        .arg("--endpoint")
        .arg(srv.endpoint())
        .arg("--data-dir")
        .arg(&srv.data_dir)
        .args(args)
        .env("COFRE_LOG", "warn")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null());
    if let Some((id, secret)) = creds {
        cmd.env("AWS_ACCESS_KEY_ID", id)
            .env("AWS_SECRET_ACCESS_KEY", secret);
    }
    Run::from(cmd.output().expect("run cofre admin"))
}

/// Runs `cofre admin ARGS` as the operator account's root (the harness credentials).
fn admin(srv: &common::Server, args: &[&str]) -> Run {
    admin_as(
        srv,
        Some((common::ACCESS_KEY_ID, common::SECRET_ACCESS_KEY)),
        args,
    )
}

/// An account's root key as `create-account`, `print-root-key` and `rotate-root-key` print it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key {
    account: String,
    id: String,
    secret: String,
}

fn parse_key(stdout: &str) -> Key {
    let field = |name: &str| {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| panic!("no {name} in {stdout:?}"))
    };
    Key {
        account: field("AccountId"),
        id: field("AccessKeyId"),
        secret: field("SecretAccessKey"),
    }
}

fn client(srv: &common::Server, key: &Key) -> Client {
    common::client_with(&srv.endpoint(), common::REGION, &key.id, &key.secret)
}

/// A new access key for IAM user `user`, made with the AWS CLI (`aws iam create-access-key`)
/// signed by `root`, the root key of the user's account.
fn iam_access_key(srv: &common::Server, root: (&str, &str), user: &str) -> Key {
    let out = Command::new("aws")
        .args(["iam", "create-access-key", "--user-name", user])
        .args(["--output", "json", "--region", common::REGION])
        .args(["--endpoint-url", &srv.endpoint()])
        .env("AWS_ACCESS_KEY_ID", root.0)
        .env("AWS_SECRET_ACCESS_KEY", root.1)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_ENDPOINT_URL")
        .stdin(Stdio::null())
        .output()
        .expect("run the AWS CLI (pip install awscli)");
    assert!(
        out.status.success(),
        "aws iam create-access-key: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let field = |k: &str| v["AccessKey"][k].as_str().expect(k).to_owned();
    Key {
        account: String::new(),
        id: field("AccessKeyId"),
        secret: field("SecretAccessKey"),
    }
}

#[tokio::test]
async fn accounts_and_their_root_keys() {
    let dir = common::TempDir::new("admin-accounts");
    let srv = common::Server::start(&dir);

    let created =
        parse_key(&admin(&srv, &["create-account", NEW_ACCOUNT]).success("create-account"));
    assert_eq!(created.account, NEW_ACCOUNT);
    assert!(created.id.starts_with("AKIA"), "{created:?}");

    // The printed key works with the AWS SDK, in the new account.
    let sm = client(&srv, &created);
    let out = sm
        .create_secret()
        .name("db")
        .secret_string("hunter2")
        .send()
        .await
        .expect("CreateSecret in the new account");
    let arn = out.arn().expect("arn");
    assert!(
        arn.starts_with(&format!(
            "arn:aws:secretsmanager:{}:{NEW_ACCOUNT}:secret:db-",
            common::REGION
        )),
        "{arn}"
    );
    let value = sm
        .get_secret_value()
        .secret_id("db")
        .send()
        .await
        .expect("get");
    assert_eq!(value.secret_string(), Some("hunter2"));
    // Accounts are separate: the operator account has no such secret.
    let e = common::client(&srv.endpoint())
        .get_secret_value()
        .secret_id("db")
        .send()
        .await
        .expect_err("not in the operator account");
    assert_eq!(common::code(&e), "ResourceNotFoundException");

    let listed = admin(&srv, &["list-accounts"]).success("list-accounts");
    let ids: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(ids, vec![NEW_ACCOUNT, common::ACCOUNT], "{listed}");
    assert!(listed.starts_with("ACCOUNT ID"), "{listed}");

    let printed =
        parse_key(&admin(&srv, &["print-root-key", NEW_ACCOUNT]).success("print-root-key"));
    assert_eq!(printed, created);

    let rotated =
        parse_key(&admin(&srv, &["rotate-root-key", NEW_ACCOUNT]).success("rotate-root-key"));
    assert_eq!(rotated.account, NEW_ACCOUNT);
    assert_ne!(rotated.id, created.id);
    let e = client(&srv, &created)
        .list_secrets()
        .send()
        .await
        .expect_err("the old key is refused at once");
    assert_eq!(common::code(&e), "UnrecognizedClientException");
    let value = client(&srv, &rotated)
        .get_secret_value()
        .secret_id("db")
        .send()
        .await
        .expect("the new key works");
    assert_eq!(value.secret_string(), Some("hunter2"));
    assert_eq!(
        parse_key(&admin(&srv, &["print-root-key", NEW_ACCOUNT]).success("print-root-key")),
        rotated
    );

    let err = admin(&srv, &["create-account", NEW_ACCOUNT]).failure("second create-account");
    assert!(err.contains("ResourceExistsException"), "{err}");
    let err = admin(&srv, &["create-account", "12345"]).failure("short id");
    assert!(err.contains("ValidationException"), "{err}");
    let err = admin(&srv, &["print-root-key", "999999999999"]).failure("unknown account");
    assert!(err.contains("ResourceNotFoundException"), "{err}");
}

#[tokio::test]
async fn other_accounts_are_denied() {
    let dir = common::TempDir::new("admin-denied");
    let srv = common::Server::start(&dir);
    let other = parse_key(&admin(&srv, &["create-account", NEW_ACCOUNT]).success("create-account"));
    let creds = Some((other.id.as_str(), other.secret.as_str()));

    // The root of another account is not the operator.
    for args in [
        vec!["list-accounts"],
        vec!["create-account", "222233334444"],
        vec!["print-root-key", common::ACCOUNT],
        vec!["rotate-root-key", NEW_ACCOUNT],
    ] {
        let err = admin_as(&srv, creds, &args).failure(&args.join(" "));
        assert!(err.contains("AccessDeniedException"), "{args:?}: {err}");
    }
    // A key nobody issued is not recognised at all.
    let err = admin_as(
        &srv,
        Some(("AKIANOSUCHKEY0000000", "x")),
        &["list-accounts"],
    )
    .failure("unknown key");
    assert!(err.contains("UnrecognizedClientException"), "{err}");
    // Nothing happened.
    let listed = admin(&srv, &["list-accounts"]).success("list-accounts");
    assert_eq!(listed.lines().count(), 3, "{listed}");
    let printed = parse_key(&admin(&srv, &["print-root-key", NEW_ACCOUNT]).success("print"));
    assert_eq!(printed, other);
}

#[tokio::test]
async fn credentials_come_from_the_data_dir() {
    let dir = common::TempDir::new("admin-data-dir");
    let srv = common::Server::start_with(
        dir.path(),
        common::Options {
            generate_credentials: true,
            ..Default::default()
        },
    );
    let listed = admin_as(&srv, None, &["list-accounts"]).success("list-accounts");
    assert!(listed.contains(common::ACCOUNT), "{listed}");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cofre"));
    let out = cmd
        .args(["admin", "--endpoint", &srv.endpoint(), "--data-dir"])
        .arg(dir.path().join("elsewhere"))
        .arg("list-accounts")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .output()
        .expect("run");
    let err = Run::from(out).failure("no credentials");
    assert!(err.contains("no credentials"), "{err}");
}

const ALLOW_ALL_SECRETS: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}"#;

/// A document for `account`: alice (with an inline policy, a managed policy and a group),
/// and, unless `smaller`, bob.
fn document(account: &str, smaller: bool) -> String {
    let mut doc = format!(
        r#"
[[account]]
id = "{account}"

  [[account.policy]]
  name = "AllSecrets"
  document = '''{ALLOW_ALL_SECRETS}'''

  [[account.group]]
  name = "readers"
  managed_policies = ["AllSecrets"]

  [[account.user]]
  name = "alice"
  groups = ["readers"]
  tags = {{ team = "core" }}
  policies = {{ own = '''{ALLOW_ALL_SECRETS}''' }}
"#
    );
    if !smaller {
        doc.push_str(
            r#"
  [[account.user]]
  name = "bob"
  managed_policies = ["AllSecrets"]
"#,
        );
    }
    doc
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write document");
    path.to_string_lossy().into_owned()
}

#[tokio::test]
async fn apply_converges_to_the_document() {
    let dir = common::TempDir::new("admin-apply");
    let srv = common::Server::start(&dir);
    let docs = common::TempDir::new("admin-apply-docs");
    let account = "444455556666";
    let full = write(docs.path(), "full.toml", &document(account, false));
    let smaller = write(docs.path(), "smaller.toml", &document(account, true));

    let out = admin(&srv, &["apply", &full]).success("apply");
    for want in [
        format!("created account {account}"),
        format!("created policy AllSecrets in {account}"),
        format!("created group readers in {account}"),
        format!("created user alice in {account}"),
        format!("put inline policy own on user alice in {account}"),
        format!("added user alice to group readers in {account}"),
        format!("created user bob in {account}"),
        format!("attached policy AllSecrets to user bob in {account}"),
    ] {
        assert!(out.lines().any(|l| l == want), "{want:?} not in\n{out}");
    }
    // The new account is listed, and has a root key that works.
    let listed = admin(&srv, &["list-accounts"]).success("list-accounts");
    assert!(listed.contains(account), "{listed}");
    let root = parse_key(&admin(&srv, &["print-root-key", account]).success("print-root-key"));
    client(&srv, &root)
        .list_secrets()
        .send()
        .await
        .expect("root key of the new account");

    assert_eq!(
        admin(&srv, &["apply", &full]).success("re-apply"),
        "no changes\n"
    );

    // Alice's inline policy is in force for a key of hers; bob gets a key too.
    let alice = iam_access_key(&srv, (&root.id, &root.secret), "alice");
    let bob = iam_access_key(&srv, (&root.id, &root.secret), "bob");
    let arn = client(&srv, &alice)
        .create_secret()
        .name("app")
        .secret_string("s3cret")
        .send()
        .await
        .expect("alice may create secrets")
        .arn()
        .expect("arn")
        .to_owned();
    assert!(arn.contains(&format!(":{account}:secret:app-")), "{arn}");
    client(&srv, &bob)
        .list_secrets()
        .send()
        .await
        .expect("bob's key works");

    // A dry run shows the deletion and changes nothing.
    let planned = admin(&srv, &["apply", &smaller, "--dry-run"]).success("dry run");
    assert!(
        planned.contains(&format!("would have deleted user bob in {account}")),
        "{planned}"
    );
    assert_eq!(
        admin(&srv, &["apply", &full]).success("after the dry run"),
        "no changes\n"
    );

    let out = admin(&srv, &["apply", &smaller]).success("apply smaller");
    assert!(
        out.lines()
            .any(|l| l == format!("deleted user bob in {account}")),
        "{out}"
    );
    assert!(!out.contains("alice"), "alice is untouched: {out}");
    // Bob's key went with him; alice's is kept.
    let e = client(&srv, &bob)
        .list_secrets()
        .send()
        .await
        .expect_err("bob is gone");
    assert_eq!(common::code(&e), "UnrecognizedClientException");
    let value = client(&srv, &alice)
        .get_secret_value()
        .secret_id("app")
        .send()
        .await
        .expect("alice's key survives");
    assert_eq!(value.secret_string(), Some("s3cret"));
    assert_eq!(
        admin(&srv, &["apply", &smaller]).success("re-apply smaller"),
        "no changes\n"
    );

    // An unknown key is refused, naming it, and nothing changes.
    let typo = write(
        docs.path(),
        "typo.toml",
        &document(account, false).replace("tags = ", "tagz = "),
    );
    let err = admin(&srv, &["apply", &typo]).failure("unknown key");
    assert!(err.contains("unknown field `tagz`"), "{err}");
    // A document that parses but names something undeclared is refused by the server.
    let dangling = write(
        docs.path(),
        "dangling.toml",
        &document(account, true).replace(r#"groups = ["readers"]"#, r#"groups = ["writers"]"#),
    );
    let err = admin(&srv, &["apply", &dangling]).failure("dangling group");
    assert!(
        err.contains("ValidationException") && err.contains("group writers"),
        "{err}"
    );
    assert_eq!(
        admin(&srv, &["apply", &smaller]).success("unchanged"),
        "no changes\n"
    );
}

/// A user of the operator account (its key made with the AWS CLI's `iam create-access-key`)
/// may use the admin API only as far as its policies allow.
#[tokio::test]
async fn operator_users_need_a_policy() {
    let dir = common::TempDir::new("admin-users");
    let srv = common::Server::start(&dir);
    let docs = common::TempDir::new("admin-users-docs");
    let bare = write(
        docs.path(),
        "bare.toml",
        &format!(
            "[[account]]\nid = \"{}\"\n  [[account.user]]\n  name = \"ops\"\n",
            common::ACCOUNT
        ),
    );
    admin(&srv, &["apply", &bare]).success("apply");

    let ops = iam_access_key(
        &srv,
        (common::ACCESS_KEY_ID, common::SECRET_ACCESS_KEY),
        "ops",
    );
    let creds = Some((ops.id.as_str(), ops.secret.as_str()));

    let err = admin_as(&srv, creds, &["list-accounts"]).failure("no policy");
    assert!(err.contains("AccessDeniedException"), "{err}");

    let allowed = write(
        docs.path(),
        "allowed.toml",
        &format!(
            "[[account]]\nid = \"{}\"\n  [[account.user]]\n  name = \"ops\"\n  policies = {{ admin = '''{}''' }}\n",
            common::ACCOUNT,
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"cofre:ListAccounts","Resource":"*"}]}"#
        ),
    );
    admin(&srv, &["apply", &allowed]).success("apply");
    let listed = admin_as(&srv, creds, &["list-accounts"]).success("allowed by policy");
    assert!(listed.contains(common::ACCOUNT), "{listed}");
    let err = admin_as(&srv, creds, &["print-root-key", common::ACCOUNT]).failure("not allowed");
    assert!(err.contains("AccessDeniedException"), "{err}");
}
