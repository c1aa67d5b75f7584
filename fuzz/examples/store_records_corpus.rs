//! Writes the seed corpus of the `store_records` target: every record the real code stores
//! for the target's fixture (built with the audit trail on), each behind the first byte that
//! routes it to its decoder.
//!
//! ```text
//! cargo run -p cofre-fuzz --example store_records_corpus    # rewrites fuzz/corpus/store_records
//! ```
//!
//! Key material, ids and signatures are random, so every run writes different bytes.

use std::path::{Path, PathBuf};

use cofre_core::fuzzing::IAM_RECORD_KINDS;
use cofre_core::rotation::schedule::RulesInput;
use cofre_core::rotation::RotationState;
use cofre_core::secrets::value::{parse_sealed, Sealed};
use cofre_fuzz::store_records::{Fixture, SqliteRows, KINDS};
use sha2::{Digest as _, Sha256};

fn kind(name: &str) -> u8 {
    let index = KINDS.iter().position(|k| *k == name).expect("a known kind");
    u8::try_from(index).expect("few kinds")
}

fn write(dir: &Path, stem: &str, prefix: &[u8], record: &[u8]) {
    let mut data = prefix.to_vec();
    data.extend_from_slice(record);
    let digest = hex(&Sha256::digest(&data)[..4]);
    std::fs::write(dir.join(format!("{stem}-{digest}")), data).expect("write a corpus file");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpus/store_records");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("the corpus directory");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let fixture = runtime.block_on(Fixture::build(true));

    for (row, versions) in &fixture.secrets {
        write(&dir, "secret_meta", &[kind("secret_meta")], &row.meta);
        // The same document with rotation configured (the fixture has no rotation function
        // for RotateSecret to accept), serialized by the real types.
        if let Ok(mut meta) = serde_json::from_slice::<serde_json::Value>(&row.meta) {
            let rotation = RotationState {
                enabled: true,
                lambda_arn: Some("arn:aws:lambda:us-east-1:111122223333:function:rotate".into()),
                rules: Some(RulesInput {
                    automatically_after_days: None,
                    schedule_expression: Some("cron(0 4 ? * MON *)".into()),
                    duration: Some("3h".into()),
                }),
                last_rotated_ms: Some(cofre_fuzz::store_records::NOW_MS - 86_400_000),
                configured_ms: cofre_fuzz::store_records::NOW_MS - 7 * 86_400_000,
                ..RotationState::default()
            };
            meta["rotation"] = serde_json::to_value(&rotation).expect("rotation state");
            let meta = serde_json::to_vec(&meta).expect("meta");
            write(&dir, "secret_meta-rotation", &[kind("secret_meta")], &meta);
        }
        for (_, blob) in versions {
            write(&dir, "sealed_value", &[kind("sealed_value")], blob);
            if let Ok(Sealed::Wrapped { wraps, .. }) = parse_sealed(blob) {
                for wrap in wraps {
                    write(&dir, "kms_ciphertext", &[kind("kms_ciphertext")], wrap);
                }
            }
        }
        let rows = SqliteRows {
            name: row.name.clone().into_bytes(),
            revision: i64::try_from(row.revision).unwrap_or(i64::MAX),
            purge_at_ms: row.purge_at_ms.unwrap_or(0),
            meta: row.meta.clone(),
            seq: 1,
            event_time_ms: cofre_fuzz::store_records::NOW_MS,
            read_only: 1,
            resources: br#"[["AWS::SecretsManager::Secret","arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf"]]"#.to_vec(),
            record: fixture
                .audit
                .first()
                .map(|r| r.record.clone())
                .unwrap_or_default(),
            last_seq: 1,
            signature: vec![0; 64],
        };
        write(&dir, "sqlite_row", &[kind("sqlite_row")], &rows.write());
    }
    write(
        &dir,
        "kms_ciphertext",
        &[kind("kms_ciphertext")],
        &fixture.ciphertext,
    );
    for (ns, _, value) in &fixture.kv {
        let iam = |name: &str| {
            let index = IAM_RECORD_KINDS.iter().position(|k| *k == name);
            [
                kind("iam_record"),
                index.and_then(|i| u8::try_from(i).ok()).unwrap_or(0),
            ]
        };
        match ns.split('/').next().unwrap_or_default() {
            "kms-keys" => write(&dir, "kms_key", &[kind("kms_key")], value),
            "kms-aliases" => write(&dir, "kms_alias", &[kind("kms_alias")], value),
            "access-keys" => write(&dir, "access_key", &[kind("access_key")], value),
            "iam-users" => write(&dir, "iam_record-user", &iam("user"), value),
            "iam-roles" => write(&dir, "iam_record-role", &iam("role"), value),
            "iam-groups" => write(&dir, "iam_record-group", &iam("group"), value),
            "iam-policies" => write(&dir, "iam_record-policy", &iam("policy"), value),
            "accounts" => write(&dir, "iam_record-account", &iam("account"), value),
            _ => {}
        }
    }
    for row in &fixture.audit {
        write(&dir, "audit_record", &[kind("audit_record")], &row.record);
    }
    let count = std::fs::read_dir(&dir).map(Iterator::count).unwrap_or(0);
    println!("store_records: {count} files in {}", dir.display());
}
