//! `cofre backup` / `cofre restore` / `cofre migrate` end to end: a populated server is
//! backed up while a write loop runs, restored into a fresh data dir (with the root key
//! copied by hand: it is not in the backup), served again and read back with the AWS CLI;
//! the restored audit trail verifies; every write acknowledged before the backup started is
//! there. Then the same store is migrated into a fresh PostgreSQL database and served from it.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use common::{Options, Server, TempDir, ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY};
use serde_json::Value;

const V1: &str = "backup-value-one-4b1d";
const V2: &str = "backup-value-two-9e07";
const V3: &str = "backup-value-three-c2aa";
const KMS_VALUE: &str = "backup-kms-value-51f3";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;

fn aws_result(endpoint: &str, args: &[&str]) -> Result<Value, String> {
    let out = Command::new("aws")
        .args(args)
        .args(["--endpoint-url", endpoint, "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_PAGER", "")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "*")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("run the aws CLI");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
}

fn aws(srv: &Server, args: &[&str]) -> Value {
    aws_result(&srv.endpoint(), args).unwrap_or_else(|e| panic!("aws {args:?}: {e}"))
}

fn cofre(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cofre"))
        .args(args)
        .env_remove("COFRE_ROOT_KEY")
        .env_remove("COFRE_STORE")
        .env("COFRE_LOG", "error")
        .stdin(Stdio::null())
        .output()
        .expect("run cofre")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn must(out: Output, what: &str) -> String {
    assert!(out.status.success(), "{what} failed: {}", text(&out));
    text(&out)
}

fn p(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

fn get_value(srv: &Server, id: &str, selector: &[&str]) -> String {
    let mut args = vec!["secretsmanager", "get-secret-value", "--secret-id", id];
    args.extend_from_slice(selector);
    aws(srv, &args)["SecretString"]
        .as_str()
        .expect("SecretString")
        .to_owned()
}

/// What the populated store looks like, to check after a restore or migration.
struct Expected {
    versions: Vec<(String, &'static str)>,
    kms_key_id: String,
}

/// Creates secrets with several versions and custom labels, a resource policy, a tag, a
/// KMS customer key with a secret under it, and an IAM user.
fn populate(srv: &Server) -> Expected {
    let v1 = aws(
        srv,
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            "app/db",
            "--secret-string",
            V1,
            "--tags",
            "Key=team,Value=payments",
        ],
    )["VersionId"]
        .as_str()
        .expect("VersionId")
        .to_owned();
    let v2 = aws(
        srv,
        &[
            "secretsmanager",
            "put-secret-value",
            "--secret-id",
            "app/db",
            "--secret-string",
            V2,
        ],
    )["VersionId"]
        .as_str()
        .expect("VersionId")
        .to_owned();
    let v3 = aws(
        srv,
        &[
            "secretsmanager",
            "put-secret-value",
            "--secret-id",
            "app/db",
            "--secret-string",
            V3,
            "--version-stages",
            "CANARY",
        ],
    )["VersionId"]
        .as_str()
        .expect("VersionId")
        .to_owned();
    aws(
        srv,
        &[
            "secretsmanager",
            "update-secret-version-stage",
            "--secret-id",
            "app/db",
            "--version-stage",
            "BLUE",
            "--move-to-version-id",
            &v1,
        ],
    );
    aws(
        srv,
        &[
            "secretsmanager",
            "put-resource-policy",
            "--secret-id",
            "app/db",
            "--resource-policy",
            POLICY,
        ],
    );
    let key = aws(srv, &["kms", "create-key", "--description", "backup-cmk"]);
    let kms_key_id = key["KeyMetadata"]["KeyId"]
        .as_str()
        .expect("KeyId")
        .to_owned();
    aws(
        srv,
        &[
            "secretsmanager",
            "create-secret",
            "--name",
            "app/kms",
            "--secret-string",
            KMS_VALUE,
            "--kms-key-id",
            &kms_key_id,
        ],
    );
    aws(srv, &["iam", "create-user", "--user-name", "backup-user"]);
    Expected {
        versions: vec![(v1, V1), (v2, V2), (v3, V3)],
        kms_key_id,
    }
}

/// Reads everything [`populate`] wrote back with the AWS CLI.
fn check_populated(srv: &Server, exp: &Expected) {
    for (id, value) in &exp.versions {
        assert_eq!(
            get_value(srv, "app/db", &["--version-id", id]),
            *value,
            "value of version {id}"
        );
    }
    let (v1, v2, v3) = (&exp.versions[0].0, &exp.versions[1].0, &exp.versions[2].0);
    for (stage, value) in [
        ("AWSCURRENT", V2),
        ("AWSPREVIOUS", V1),
        ("CANARY", V3),
        ("BLUE", V1),
    ] {
        assert_eq!(
            get_value(srv, "app/db", &["--version-stage", stage]),
            value,
            "value at stage {stage}"
        );
    }
    let described = aws(
        srv,
        &["secretsmanager", "describe-secret", "--secret-id", "app/db"],
    );
    let stages = &described["VersionIdsToStages"];
    let labels = |v: &str| -> Vec<String> {
        let mut l: Vec<String> = stages[v]
            .as_array()
            .unwrap_or_else(|| panic!("stages of {v}: {described}"))
            .iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect();
        l.sort();
        l
    };
    assert_eq!(labels(v1), ["AWSPREVIOUS", "BLUE"]);
    assert_eq!(labels(v2), ["AWSCURRENT"]);
    assert_eq!(labels(v3), ["CANARY"]);
    assert_eq!(
        described["Tags"],
        serde_json::json!([{"Key": "team", "Value": "payments"}]),
        "tags"
    );
    let policy = aws(
        srv,
        &[
            "secretsmanager",
            "get-resource-policy",
            "--secret-id",
            "app/db",
        ],
    );
    let policy: Value =
        serde_json::from_str(policy["ResourcePolicy"].as_str().expect("ResourcePolicy"))
            .expect("policy JSON");
    assert_eq!(policy, serde_json::from_str::<Value>(POLICY).expect("json"));

    let key = aws(srv, &["kms", "describe-key", "--key-id", &exp.kms_key_id]);
    assert_eq!(key["KeyMetadata"]["Description"], "backup-cmk");
    assert_eq!(key["KeyMetadata"]["KeyState"], "Enabled");
    assert_eq!(get_value(srv, "app/kms", &[]), KMS_VALUE);
    let described = aws(
        srv,
        &[
            "secretsmanager",
            "describe-secret",
            "--secret-id",
            "app/kms",
        ],
    );
    assert!(
        described["KmsKeyId"]
            .as_str()
            .is_some_and(|k| k.contains(&exp.kms_key_id)),
        "KmsKeyId: {described}"
    );
    let user = aws(srv, &["iam", "get-user", "--user-name", "backup-user"]);
    assert_eq!(user["User"]["UserName"], "backup-user");
}

/// Concurrent write loops running during the backup.
const WRITERS: usize = 4;

fn loop_name(w: usize, i: usize) -> String {
    format!("loop/{w}/{i:05}")
}

fn loop_value(w: usize, i: usize) -> String {
    format!("loop-value-{w}-{i}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_while_writing_restore_and_migrate() {
    let source_dir = TempDir::new("backup-src");
    let srv = Server::start_with(source_dir.path(), Options::embedded_store_only());
    let expected = tokio::task::block_in_place(|| populate(&srv));

    // --- write loops: WRITERS tasks, each creating numbered secrets one after another;
    // `acked[w]` counts writer w's answered creates.
    let acked: Arc<Vec<AtomicUsize>> =
        Arc::new((0..WRITERS).map(|_| AtomicUsize::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (acked, stop) = (Arc::clone(&acked), Arc::clone(&stop));
            let client = common::client(&srv.endpoint());
            tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    client
                        .create_secret()
                        .name(loop_name(w, i))
                        .secret_string(loop_value(w, i))
                        .send()
                        .await
                        .expect("CreateSecret in the write loop");
                    i += 1;
                    acked[w].store(i, Ordering::SeqCst);
                }
                i
            })
        })
        .collect();
    let counts = |acked: &[AtomicUsize]| -> Vec<usize> {
        acked.iter().map(|a| a.load(Ordering::SeqCst)).collect()
    };
    while counts(&acked).iter().sum::<usize>() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    // --- the backup, while the loops write.
    let work = TempDir::new("backup-work");
    let file = work.path().join("cofre.backup");
    let acked_before = counts(&acked);
    let backup = {
        let (dir, file) = (source_dir.path().to_owned(), file.clone());
        tokio::task::spawn_blocking(move || {
            cofre(&["backup", "--data-dir", p(&dir), "--out", p(&file)])
        })
        .await
        .expect("backup task")
    };
    let acked_after_backup = counts(&acked);
    stop.store(true, Ordering::SeqCst);
    let mut written = Vec::new();
    for w in writers {
        written.push(w.await.expect("write loop"));
    }
    let out = must(backup, "cofre backup");
    assert!(out.contains("root key is NOT in the backup"), "{out}");
    assert!(
        acked_after_backup.iter().sum::<usize>() > acked_before.iter().sum::<usize>(),
        "writes went on during the backup ({acked_before:?} -> {acked_after_backup:?})"
    );

    // The file stays encrypted: no secret value in it, raw or hex; the root key is not in it.
    let bytes = std::fs::read(&file).expect("read backup");
    let root_key = std::fs::read_to_string(source_dir.path().join("root-key")).expect("root key");
    let contains = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    for value in [V1, V2, V3, KMS_VALUE, &loop_value(0, 0)] {
        assert!(!contains(value.as_bytes()), "{value} in the backup");
        assert!(
            !contains(hex_of(value).as_bytes()),
            "{value} (hex) in the backup"
        );
    }
    assert!(
        !contains(root_key.trim().as_bytes()),
        "root key in the backup"
    );
    assert!(
        !contains(SECRET_ACCESS_KEY.as_bytes()),
        "root secret in the backup"
    );
    let mode = std::fs::metadata(&file).expect("stat").permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    let again = cofre(&[
        "backup",
        "--data-dir",
        p(source_dir.path()),
        "--out",
        p(&file),
    ]);
    assert!(
        !again.status.success(),
        "an existing file is not overwritten"
    );

    // --- restore into a fresh data dir; into a non-empty one it is refused.
    let refused = cofre(&[
        "restore",
        "--in",
        p(&file),
        "--data-dir",
        p(source_dir.path()),
    ]);
    assert!(!refused.status.success());
    assert!(text(&refused).contains("not empty"), "{}", text(&refused));
    let restored_dir = TempDir::new("backup-dst");
    let out = must(
        cofre(&[
            "restore",
            "--in",
            p(&file),
            "--data-dir",
            p(restored_dir.path()),
        ]),
        "cofre restore",
    );
    assert!(out.contains("root key is NOT in the backup"), "{out}");
    let again = cofre(&[
        "restore",
        "--in",
        p(&file),
        "--data-dir",
        p(restored_dir.path()),
    ]);
    assert!(text(&again).contains("not empty"), "{}", text(&again));

    // The audit trail verifies on the restored dir, before and after serving from it.
    std::fs::copy(
        source_dir.path().join("root-key"),
        restored_dir.path().join("root-key"),
    )
    .expect("copy the root key");
    let verify = |dir: &Path| {
        must(
            cofre(&["audit", "verify", "--data-dir", p(dir)]),
            "cofre audit verify",
        )
    };
    let report = verify(restored_dir.path());
    assert!(report.contains("audit trail OK"), "{report}");

    // --- serve the restored store and read everything back.
    let mut restored = Server::start_with(restored_dir.path(), Options::embedded_store_only());
    let client = common::client(&restored.endpoint());
    tokio::task::block_in_place(|| check_populated(&restored, &expected));
    // Every write acknowledged before the backup started is there; and as each writer
    // writes in order, what a consistent snapshot holds of it is a prefix (no gaps).
    let mut present = vec![0; WRITERS];
    for w in 0..WRITERS {
        for i in 0..written[w] {
            match client
                .get_secret_value()
                .secret_id(loop_name(w, i))
                .send()
                .await
            {
                Ok(got) => {
                    assert_eq!(got.secret_string(), Some(loop_value(w, i).as_str()));
                    assert_eq!(present[w], i, "writer {w}: {i} present after a gap");
                    present[w] += 1;
                }
                Err(e) => {
                    assert!(
                        i >= acked_before[w],
                        "write {w}/{i} was acknowledged before the backup: {e:?}"
                    );
                    assert_eq!(common::code(&e), "ResourceNotFoundException");
                }
            }
        }
    }
    eprintln!(
        "write loops: {acked_before:?} acknowledged before the backup, {acked_after_backup:?} \
         when it ended, {written:?} in all; {present:?} in the restored store"
    );
    // The restored server takes writes.
    client
        .create_secret()
        .name("after/restore")
        .secret_string("x")
        .send()
        .await
        .expect("write after restore");
    restored.terminate();
    let report = verify(restored_dir.path());
    assert!(report.contains("audit trail OK"), "{report}");

    // --- migrate the (stopped) source into a fresh PostgreSQL database and serve it.
    let mut srv = srv;
    srv.terminate();
    let pg =
        Pg::create().expect("a PostgreSQL server at 127.0.0.1:5432 (trust auth, user postgres)");
    let out = must(
        cofre(&["migrate", "--from", p(source_dir.path()), "--to", &pg.url]),
        "cofre migrate",
    );
    assert!(out.contains("checksum verified"), "{out}");
    let again = cofre(&["migrate", "--from", p(source_dir.path()), "--to", &pg.url]);
    assert!(text(&again).contains("not empty"), "{}", text(&again));
    let pg_dir = TempDir::new("backup-pg");
    std::fs::copy(
        source_dir.path().join("root-key"),
        pg_dir.path().join("root-key"),
    )
    .expect("copy the root key");
    let on_pg = Server::start_with(
        pg_dir.path(),
        Options {
            extra_args: vec!["--store".to_owned(), pg.url.clone()],
            ..Options::default()
        },
    );
    tokio::task::block_in_place(|| check_populated(&on_pg, &expected));
    let client = common::client(&on_pg.endpoint());
    for (w, &n) in written.iter().enumerate() {
        for i in 0..n {
            let got = client
                .get_secret_value()
                .secret_id(loop_name(w, i))
                .send()
                .await
                .unwrap_or_else(|e| panic!("loop write {w}/{i} after migration: {e:?}"));
            assert_eq!(got.secret_string(), Some(loop_value(w, i).as_str()));
        }
    }
}

fn hex_of(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// A uniquely named database on the machine's PostgreSQL, dropped on drop.
struct Pg {
    name: String,
    url: String,
}

impl Pg {
    fn create() -> Option<Pg> {
        let name = format!(
            "cofre_backup_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let ok = psql(&format!("CREATE DATABASE {name}"));
        ok.then(|| Pg {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        })
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        psql(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ));
    }
}

fn psql(sql: &str) -> bool {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            "-d",
            "postgres",
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
