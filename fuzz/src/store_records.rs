//! Target `store_records`: everything Cofre reads back from its store, decoded by the real
//! code and then used as the server would use it.
//!
//! A [`Fixture`] is built once per process by the real code (an account, a secret with
//! versions, a customer KMS key with an alias and a ciphertext, an IAM user with an access
//! key, a role with a session, a group, a managed policy, the account root key) in a
//! [`MemoryStore`]. Each input gets a fresh copy of that store with one record replaced by the
//! input, then:
//!
//! | first byte % 9 | the rest is | decoded and used by |
//! |---|---|---|
//! | 0 `secret_meta` | a secret's metadata document (`SecretRow::meta`) | `Secret::from_row` (+ re-encode check, the stored rotation rules); then DescribeSecret, ListSecrets, ListSecretVersionIds, GetSecretValue |
//! | 1 `sealed_value` | a stored version value | `parse_sealed` (+ re-encode check), `SecretValue::unframe`, `open_payload` / `open_legacy`; then GetSecretValue with it as AWSCURRENT (KMS unwrapping of its data keys) |
//! | 2 `kms_key` | the customer key's record (`kms-keys`) | DescribeKey by id and alias, ListKeys, ListAliases, Decrypt, GenerateDataKey, the rotation and purge sweeps; GetSecretValue of a secret under that key |
//! | 3 `kms_alias` | the alias record (`kms-aliases`), also as `alias/aws/secretsmanager`'s | DescribeKey by alias, ListAliases, Encrypt by alias, the managed key's lookup |
//! | 4 `kms_ciphertext` | a KMS CiphertextBlob | the blob parser via `ciphertext_key` and Decrypt |
//! | 5 `access_key` | the IAM user's access key record (`access-keys`) | its decoder (+ re-encode check); `Credentials::lookup`, the session token check, `identity_policies` |
//! | 6 `iam_record` | byte `k`, then an IAM record of kind `IAM_RECORD_KINDS[k % 5]` (user, role, group, policy, account) | the record decoder (+ re-encode check); stored in the fixture's place, `Credentials::lookup` of the user's and the session's keys and `identity_policies` |
//! | 7 `audit_record` | an audit record's bytes (the hashed CloudTrail JSON) and, from its first 64 bytes, a digest signature | `audit::verify` (chain, index columns, digest signature) |
//! | 8 `sqlite_row` | column values (see [`SqliteRows`]) written with SQL into a real SQLite store | the SQLite store's own row decoding: `get_secret_by_arn`, `list_secrets`, `due_for_purge`, `audit_scan`, `audit_last`, `audit_lookup`, `audit_digests`, and `verify` over it |

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use cofre_api::{dispatch, ApiError, Caller, CallerKind, Context, Operation};
use cofre_core::credentials::Credentials;
use cofre_core::fuzzing::{access_key_record, iam_record, IAM_RECORD_KINDS};
use cofre_core::iam::{CreatePolicy, CreateRole, Tag};
use cofre_core::kms::{Kms, Page};
use cofre_core::rotation::schedule::Schedule;
use cofre_core::secrets::model::{Secret, AWSCURRENT};
use cofre_core::secrets::value::{
    encode_sealed, open_legacy, open_payload, parse_sealed, Sealed, SecretValue,
};
use cofre_core::{Clock, ManualClock, Service};
use cofre_crypto::{Key256, RootKey, SecretBytes};
use cofre_store::{
    AuditDigestRow, AuditFilter, AuditRow, MemoryStore, Scope, SecretRow, SecretWrite, SqliteStore,
    Store,
};
use sha2::{Digest as _, Sha256};

/// The kinds of record, in the order of the first byte.
pub const KINDS: [&str; 9] = [
    "secret_meta",
    "sealed_value",
    "kms_key",
    "kms_alias",
    "kms_ciphertext",
    "access_key",
    "iam_record",
    "audit_record",
    "sqlite_row",
];

/// The fixture's account and region.
pub const ACCOUNT: &str = "111122223333";
/// The fixture's region.
pub const REGION: &str = "us-east-1";
/// The fixture's clock: 2026-01-01T00:00:00Z.
pub const NOW_MS: i64 = 1_767_225_600_000;
/// The fixture secret's name.
pub const SECRET_NAME: &str = "prod/db";
/// The fixture secret (under the customer key)'s name.
pub const CMK_SECRET_NAME: &str = "prod/cmk";
/// The fixture alias.
pub const ALIAS: &str = "alias/fuzz";
/// The key/value namespaces the fixture snapshots (see `cofre_core::iam::records` and
/// `cofre_core::kms`).
pub const NAMESPACES: [&str; 10] = [
    "kms-keys",
    "kms-aliases",
    "access-keys",
    "account-root-key",
    "accounts",
    "iam-users/111122223333",
    "iam-roles/111122223333",
    "iam-groups/111122223333",
    "iam-policies/111122223333",
    "audit",
];
/// An Ed25519 public key (RFC 8032, test 1) to check digest signatures against.
const PUBLIC_KEY: [u8; 32] = [
    0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
    0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
];

/// A secret's row and its version values, `(version id, sealed value)`.
pub type StoredSecret = (SecretRow, Vec<(String, Vec<u8>)>);

/// What the real code stored for the fixture, and the names to find it by.
#[derive(Debug)]
pub struct Fixture {
    /// The root key, base64 (a [`RootKey`] is not `Clone`; each input gets its own).
    root_b64: String,
    /// Every key/value record, `(namespace, key, value)`.
    pub kv: Vec<(String, String, Vec<u8>)>,
    /// The secrets' rows with their version values, `(row, [(version id, sealed value)])`.
    pub secrets: Vec<StoredSecret>,
    /// The customer key's ARN.
    pub key_arn: String,
    /// The customer key's id.
    pub key_id: String,
    /// A ciphertext under the customer key, encryption context `{"purpose": "fuzz"}`.
    pub ciphertext: Vec<u8>,
    /// The IAM user's access key id.
    pub user_key_id: String,
    /// The role session's access key id.
    pub session_key_id: String,
    /// Audit rows, when the fixture was built with the audit trail on.
    pub audit: Vec<AuditRow>,
}

/// The root of `account`, as a [`Context`].
pub fn root_ctx() -> Context {
    let arn = format!("arn:aws:iam::{ACCOUNT}:root");
    Context {
        account_id: ACCOUNT.into(),
        region: REGION.into(),
        request_id: "fuzz-request".into(),
        principal_arn: arn.clone(),
        caller: Caller {
            account_id: ACCOUNT.into(),
            arn,
            kind: CallerKind::Root,
            tags: BTreeMap::new(),
        },
        ..Context::default()
    }
}

fn purpose() -> BTreeMap<String, String> {
    BTreeMap::from([("purpose".to_owned(), "fuzz".to_owned())])
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(ManualClock::new(NOW_MS))
}

impl Fixture {
    /// The process's fixture (built on first use, without the audit trail).
    pub fn get() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(|| crate::block_on(Fixture::build(false)))
    }

    /// Builds the fixture with the real code; with `audit`, the audit trail records a few
    /// calls too (for the seed corpus; the writer task then stays on the runtime).
    ///
    /// # Panics
    ///
    /// If the real code refuses to build it: the fixture is test setup.
    pub async fn build(audit: bool) -> Fixture {
        let store = Arc::new(MemoryStore::new());
        let (root, b64) = RootKey::generate();
        let root_b64 = b64.expose_str().expect("base64 is UTF-8").to_owned();
        let svc = Service::new(store.clone(), root, clock());
        let root = svc.keys().root();
        let ctx = root_ctx();
        if audit {
            svc.start_audit(Default::default(), Default::default())
                .await
                .expect("audit trail");
        }
        svc.iam().create_account(ACCOUNT).await.expect("account");
        svc.credentials()
            .ensure_account_root_key(root, ACCOUNT, None, NOW_MS)
            .await
            .expect("account root key");

        let key = svc
            .kms()
            .create_key(
                root,
                ACCOUNT,
                REGION,
                Some("fuzz key".into()),
                None,
                vec![("team".into(), "db".into())],
            )
            .await
            .expect("KMS key");
        svc.kms()
            .create_alias(ACCOUNT, REGION, ALIAS, &key.key_id)
            .await
            .expect("alias");
        let (ciphertext, _) = svc
            .kms()
            .encrypt(
                root,
                ACCOUNT,
                REGION,
                &key.arn,
                b"fuzz plaintext",
                &purpose(),
            )
            .await
            .expect("encrypt");

        let calls: [(Operation, String); 6] = [
            (
                Operation::CreateSecret,
                format!(
                    r#"{{"Name":"{SECRET_NAME}","SecretString":"{{\"password\":\"hunter2\"}}","Description":"fuzz","Tags":[{{"Key":"env","Value":"prod"}}],"ClientRequestToken":"11111111-1111-4111-8111-111111111111"}}"#
                ),
            ),
            (
                Operation::PutSecretValue,
                format!(
                    r#"{{"SecretId":"{SECRET_NAME}","SecretBinary":"AAECAwQ=","VersionStages":["AWSCURRENT","custom"],"ClientRequestToken":"22222222-2222-4222-8222-222222222222"}}"#
                ),
            ),
            (
                Operation::PutResourcePolicy,
                format!(
                    r#"{{"SecretId":"{SECRET_NAME}","ResourcePolicy":"{{\"Version\":\"2012-10-17\",\"Statement\":{{\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"}},\"Action\":\"secretsmanager:GetSecretValue\",\"Resource\":\"*\"}}}}"}}"#
                ),
            ),
            (
                Operation::RotateSecret,
                format!(
                    r#"{{"SecretId":"{SECRET_NAME}","RotationRules":{{"ScheduleExpression":"cron(0 4 ? * MON *)","Duration":"3h"}},"RotateImmediately":false}}"#
                ),
            ),
            (
                Operation::CreateSecret,
                format!(
                    r#"{{"Name":"{CMK_SECRET_NAME}","SecretString":"under a customer key","KmsKeyId":"{ALIAS}"}}"#
                ),
            ),
            (
                Operation::UpdateSecret,
                format!(
                    r#"{{"SecretId":"{CMK_SECRET_NAME}","KmsKeyId":"{}"}}"#,
                    key.arn
                ),
            ),
        ];
        for (op, body) in &calls {
            // RotateSecret needs a rotation function Cofre knows; without one it may refuse,
            // which leaves the rest of the fixture as useful.
            if let Err(err) = dispatch(&svc, &ctx, *op, body.as_bytes()).await {
                if *op != Operation::RotateSecret {
                    panic!("fixture {}: {err:?}", op.name());
                }
            }
            if audit {
                let call = cofre_core::audit::Call {
                    source: cofre_core::audit::EventSource::SecretsManager,
                    operation: op.name(),
                    request: cofre_core::audit::RequestInput::Json(body.as_bytes()),
                    response: None,
                    response_xml: None,
                    error: None,
                    ctx: Some(&ctx),
                    claimed_access_key_id: None,
                    fallback_account: ACCOUNT,
                    region: REGION,
                    request_id: "fuzz-request",
                    source_ip: None,
                    user_agent: Some("cofre-fuzz"),
                    time_ms: NOW_MS,
                };
                svc.audit().record(&call).await.expect("audit record");
            }
        }

        let iam = svc.iam();
        iam.create_user(
            ACCOUNT,
            "alice",
            Some("/team/"),
            vec![Tag::new("team", "db")],
        )
        .await
        .expect("user");
        let user_key = iam
            .create_access_key(root, ACCOUNT, "alice")
            .await
            .expect("access key");
        iam.create_group(ACCOUNT, "admins", None)
            .await
            .expect("group");
        iam.add_user_to_group(ACCOUNT, "admins", "alice")
            .await
            .expect("membership");
        let policy = iam
            .create_policy(
                ACCOUNT,
                CreatePolicy {
                    policy_name: "ReadProd".into(),
                    path: None,
                    policy_document: r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:prod/*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"db"}}}]}"#.into(),
                    description: Some("fuzz".into()),
                    tags: vec![],
                },
            )
            .await
            .expect("policy");
        iam.attach_user_policy(ACCOUNT, "alice", &policy.arn)
            .await
            .expect("attach");
        iam.put_group_policy(
            ACCOUNT,
            "admins",
            "inline",
            r#"{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"kms:*","Resource":"*"}}"#,
        )
        .await
        .expect("group policy");
        let role = iam
            .create_role(
                ACCOUNT,
                CreateRole {
                    role_name: "AppRole".into(),
                    path: None,
                    assume_role_policy_document: format!(
                        r#"{{"Version":"2012-10-17","Statement":{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{ACCOUNT}:root"}},"Action":"sts:AssumeRole"}}}}"#
                    ),
                    description: None,
                    max_session_duration: None,
                    tags: vec![Tag::new("app", "fuzz")],
                },
            )
            .await
            .expect("role");
        iam.attach_role_policy(ACCOUNT, "AppRole", &policy.arn)
            .await
            .expect("attach");
        let session = iam
            .create_session(
                root,
                &role,
                "session-1",
                None,
                Some(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#.into()),
                vec![("team".into(), "db".into())],
            )
            .await
            .expect("session");

        let mut kv = Vec::new();
        for ns in NAMESPACES {
            for (key, value) in store.kv_list(ns).await.expect("kv_list") {
                kv.push((ns.to_owned(), key, value));
            }
        }
        let mut secrets = Vec::new();
        for row in store
            .list_secrets(&Scope::new(ACCOUNT, REGION))
            .await
            .expect("list")
        {
            let secret = Secret::from_row(row.clone()).expect("fixture secret decodes");
            let mut versions = Vec::new();
            for v in &secret.meta.versions {
                if let Some(blob) = store.get_version(&row.uid, &v.id).await.expect("version") {
                    versions.push((v.id.clone(), blob));
                }
            }
            secrets.push((row, versions));
        }
        let mut audit_rows = Vec::new();
        if audit {
            svc.audit().shutdown().await;
            audit_rows = store.audit_scan(0, 1000).await.expect("audit scan");
        }
        Fixture {
            root_b64,
            kv,
            secrets,
            key_arn: key.arn,
            key_id: key.key_id,
            ciphertext,
            user_key_id: user_key.access_key_id,
            session_key_id: session.access_key_id,
            audit: audit_rows,
        }
    }

    fn root(&self) -> RootKey {
        RootKey::from_base64(&self.root_b64).expect("the fixture's own root key")
    }

    /// A fresh store holding the fixture's key/value records and secrets.
    async fn store(&self) -> Arc<MemoryStore> {
        let store = Arc::new(MemoryStore::new());
        for (ns, key, value) in &self.kv {
            let _ = store.kv_put(ns, key, value.clone()).await;
        }
        for (row, versions) in &self.secrets {
            let _ = store
                .write_secret(SecretWrite {
                    row: row.clone(),
                    expected_revision: None,
                    put_versions: versions.clone(),
                    drop_versions: vec![],
                })
                .await;
        }
        store
    }

    /// The fixture's record in namespace `ns` (the first, if several).
    fn record_key(&self, ns: &str) -> Option<(String, String)> {
        self.kv
            .iter()
            .find(|(n, _, _)| n == ns)
            .map(|(n, k, _)| (n.clone(), k.clone()))
    }

    fn secret(&self, name: &str) -> Option<&StoredSecret> {
        self.secrets.iter().find(|(row, _)| row.name == name)
    }
}

/// Runs one input (see the module docs).
pub fn run(data: &[u8]) {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let fixture = Fixture::get();
    match usize::from(kind) % KINDS.len() {
        0 => crate::block_on(secret_meta(fixture, rest)),
        1 => crate::block_on(sealed_value(fixture, rest)),
        2 => crate::block_on(kms_key(fixture, rest)),
        3 => crate::block_on(kms_alias(fixture, rest)),
        4 => crate::block_on(kms_ciphertext(fixture, rest)),
        5 => crate::block_on(access_key(fixture, rest)),
        6 => crate::block_on(iam(fixture, rest)),
        7 => crate::block_on(audit_record(rest)),
        _ => sqlite_row(fixture, rest),
    }
}

fn api_outcome<T>(outcome: Result<T, ApiError>) -> Option<T> {
    outcome
        .map_err(|err| {
            let _ = (err.status(), err.to_body());
        })
        .ok()
}

/// The read operations of Secrets Manager on `name`, as the root of the account.
async fn read_secret(svc: &Service, name: &str) {
    let ctx = root_ctx();
    let bodies: [(Operation, String); 4] = [
        (
            Operation::DescribeSecret,
            format!(r#"{{"SecretId":"{name}"}}"#),
        ),
        (
            Operation::ListSecrets,
            r#"{"IncludePlannedDeletion":true}"#.to_owned(),
        ),
        (
            Operation::ListSecretVersionIds,
            format!(r#"{{"SecretId":"{name}","IncludeDeprecated":true}}"#),
        ),
        (
            Operation::GetSecretValue,
            format!(r#"{{"SecretId":"{name}"}}"#),
        ),
    ];
    for (op, body) in bodies {
        api_outcome(dispatch(svc, &ctx, op, body.as_bytes()).await);
    }
}

async fn secret_meta(fixture: &Fixture, meta: &[u8]) {
    let Some((row, versions)) = fixture.secret(SECRET_NAME) else {
        return;
    };
    let row = SecretRow {
        meta: meta.to_vec(),
        ..row.clone()
    };
    let Some(secret) = api_outcome(Secret::from_row(row.clone())) else {
        return;
    };
    // What decodes must encode, and decode again to the same document.
    let encoded = secret.to_row().expect("a decoded secret re-encodes");
    let again = Secret::from_row(encoded.clone()).expect("a re-encoded secret decodes");
    assert_eq!(
        again.to_row().expect("re-encodes").meta,
        encoded.meta,
        "secret metadata does not survive a round trip"
    );
    let _ = (secret.is_deleted(), secret.version_with_stage(AWSCURRENT));
    if let Some(rules) = secret.meta.rotation.as_ref().and_then(|r| r.rules.as_ref()) {
        if let Ok(schedule) = Schedule::parse(rules) {
            let _ = schedule.next_window(
                secret
                    .meta
                    .rotation
                    .as_ref()
                    .and_then(|r| r.last_rotated_ms),
                NOW_MS,
            );
        }
    }

    // Stored as the fixture secret, with its current value under whatever version id the
    // document names as AWSCURRENT, then read through the API.
    let store = fixture.store().await;
    let put_versions = match (secret.version_with_stage(AWSCURRENT), versions.first()) {
        (Some(current), Some((_, blob))) => vec![(current.id.clone(), blob.clone())],
        _ => vec![],
    };
    let revision = row.revision;
    let _ = store
        .write_secret(SecretWrite {
            row: SecretRow {
                revision: revision + 1,
                ..row
            },
            expected_revision: Some(revision),
            put_versions,
            drop_versions: vec![],
        })
        .await;
    let svc = Service::new(store, fixture.root(), clock());
    read_secret(&svc, SECRET_NAME).await;
}

async fn sealed_value(fixture: &Fixture, blob: &[u8]) {
    let framed = SecretBytes::new(blob.to_vec());
    if let Some(value) = api_outcome(SecretValue::unframe(&framed)) {
        assert_eq!(value.frame().expose(), blob, "a secret value re-frames");
    }
    let Some((row, _)) = fixture.secret(SECRET_NAME) else {
        return;
    };
    let dek = Key256::from_bytes(&[7; 32]).expect("32 bytes");
    match api_outcome(parse_sealed(blob)) {
        Some(Sealed::Wrapped { wraps, payload }) => {
            let encoded = encode_sealed(&wraps, payload).expect("a parsed value re-encodes");
            assert_eq!(encoded, blob, "a sealed value re-encodes to itself");
            api_outcome(open_payload(&dek, ACCOUNT, REGION, &row.arn, "v", payload));
        }
        Some(Sealed::Legacy(sealed)) => {
            api_outcome(open_legacy(&dek, ACCOUNT, REGION, &row.arn, "v", sealed));
        }
        None => return,
    }
    // As the current value of the fixture secret, read through the API (its data keys are
    // unwrapped by KMS).
    let store = fixture.store().await;
    let Ok(Some(row)) = store
        .get_secret(&Scope::new(ACCOUNT, REGION), SECRET_NAME)
        .await
    else {
        return;
    };
    let Some(secret) = api_outcome(Secret::from_row(row.clone())) else {
        return;
    };
    let Some(current) = secret.version_with_stage(AWSCURRENT) else {
        return;
    };
    let _ = store
        .write_secret(SecretWrite {
            row: SecretRow {
                revision: row.revision + 1,
                ..row.clone()
            },
            expected_revision: Some(row.revision),
            put_versions: vec![(current.id.clone(), blob.to_vec())],
            drop_versions: vec![],
        })
        .await;
    let svc = Service::new(store, fixture.root(), clock());
    api_outcome(
        dispatch(
            &svc,
            &root_ctx(),
            Operation::GetSecretValue,
            format!(r#"{{"SecretId":"{SECRET_NAME}"}}"#).as_bytes(),
        )
        .await,
    );
}

fn k<T>(outcome: Result<T, cofre_core::kms::KmsError>) {
    if let Err(err) = outcome {
        let _ = (err.status(), err.to_api_error().to_body());
    }
}

/// The KMS operations that read keys and aliases.
async fn use_kms(fixture: &Fixture, kms: &Kms, root: &RootKey) {
    let page = Page::default();
    k(kms.describe_key(ACCOUNT, REGION, &fixture.key_id).await);
    k(kms.describe_key(ACCOUNT, REGION, ALIAS).await);
    k(kms.list_keys(ACCOUNT, REGION, &page).await);
    k(kms.list_aliases(ACCOUNT, REGION, None, &page).await);
    k(kms
        .list_aliases(ACCOUNT, REGION, Some(&fixture.key_id), &page)
        .await);
    k(kms
        .decrypt(root, ACCOUNT, REGION, &fixture.ciphertext, None, &purpose())
        .await);
    k(kms
        .encrypt(root, ACCOUNT, REGION, ALIAS, b"x", &purpose())
        .await);
    k(kms
        .generate_data_key(root, ACCOUNT, REGION, &fixture.key_arn, 32, &purpose())
        .await);
    k(kms.rotate_due_key_arns(root).await);
    k(kms.purge_due_keys().await);
}

async fn kms_key(fixture: &Fixture, record: &[u8]) {
    let store = fixture.store().await;
    let _ = store
        .kv_put("kms-keys", &fixture.key_arn, record.to_vec())
        .await;
    let root = fixture.root();
    use_kms(fixture, &Kms::new(store.clone(), clock()), &root).await;
    // A secret whose value the key wraps.
    let svc = Service::new(store, root, clock());
    read_secret(&svc, CMK_SECRET_NAME).await;
}

async fn kms_alias(fixture: &Fixture, record: &[u8]) {
    let store = fixture.store().await;
    for alias in [ALIAS, "alias/aws/secretsmanager"] {
        let arn = format!("arn:aws:kms:{REGION}:{ACCOUNT}:{alias}");
        let _ = store.kv_put("kms-aliases", &arn, record.to_vec()).await;
    }
    let root = fixture.root();
    let kms = Kms::new(store, clock());
    use_kms(fixture, &kms, &root).await;
    let _ = kms
        .aws_managed_key(&root, ACCOUNT, REGION, "alias/aws/secretsmanager")
        .await;
}

async fn kms_ciphertext(fixture: &Fixture, blob: &[u8]) {
    let store = fixture.store().await;
    let root = fixture.root();
    let kms = Kms::new(store, clock());
    let _ = kms.ciphertext_key(REGION, blob).await;
    let _ = kms
        .decrypt(&root, ACCOUNT, REGION, blob, None, &purpose())
        .await;
    let _ = kms
        .decrypt(&root, ACCOUNT, REGION, blob, Some(ALIAS), &BTreeMap::new())
        .await;
}

/// Looks up the fixture's access keys as the SigV4 layer does, and the policies that apply
/// to their principals as authorization does.
async fn use_credentials(fixture: &Fixture, store: Arc<MemoryStore>) {
    let root = fixture.root();
    let credentials = Credentials::new(store.clone());
    let svc = Service::new(store, fixture.root(), clock());
    for id in [&fixture.user_key_id, &fixture.session_key_id] {
        let Ok(Some(key)) = credentials.lookup(&root, id).await else {
            continue;
        };
        let _ = (key.is_temporary(), key.expires_ms());
        for token in [None, Some("token")] {
            let _ = credentials.check_session_token(&key, token, NOW_MS);
        }
        let _ = svc.iam().identity_policies(&key.principal).await;
    }
}

async fn access_key(fixture: &Fixture, record: &[u8]) {
    if let Some(encoded) = access_key_record(record) {
        let encoded = encoded.expect("a decoded access key record re-encodes");
        let again = access_key_record(&encoded)
            .expect("a re-encoded access key record decodes")
            .expect("and re-encodes");
        assert_eq!(
            again, encoded,
            "access key record does not survive a round trip"
        );
    }
    let store = fixture.store().await;
    let _ = store
        .kv_put("access-keys", &fixture.user_key_id, record.to_vec())
        .await;
    use_credentials(fixture, store).await;
}

async fn iam(fixture: &Fixture, data: &[u8]) {
    let Some((&kind, record)) = data.split_first() else {
        return;
    };
    let kind = usize::from(kind) % IAM_RECORD_KINDS.len();
    if let Some(encoded) = iam_record(kind, record) {
        let encoded = encoded.expect("a decoded IAM record re-encodes");
        let again = iam_record(kind, &encoded)
            .expect("a re-encoded IAM record decodes")
            .expect("and re-encodes");
        assert_eq!(again, encoded, "IAM record does not survive a round trip");
    }
    let ns = match IAM_RECORD_KINDS[kind] {
        "user" => "iam-users/",
        "role" => "iam-roles/",
        "group" => "iam-groups/",
        "policy" => "iam-policies/",
        _ => "accounts",
    };
    let Some((ns, key)) = fixture.record_key(&format!(
        "{ns}{}",
        if ns == "accounts" { "" } else { ACCOUNT }
    )) else {
        return;
    };
    let store = fixture.store().await;
    let _ = store.kv_put(&ns, &key, record.to_vec()).await;
    use_credentials(fixture, store).await;
}

async fn audit_record(data: &[u8]) {
    let store = MemoryStore::new();
    let json: serde_json::Value = serde_json::from_slice(data).unwrap_or_default();
    let text = |pointer: &str| {
        json.pointer(pointer)
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let prev_hash = vec![0; 32];
    let mut hash = Sha256::new();
    hash.update(&prev_hash);
    hash.update(1u64.to_be_bytes());
    hash.update(data);
    let row = AuditRow {
        seq: 1,
        event_id: text("/eventID").unwrap_or_default(),
        event_time_ms: NOW_MS,
        event_name: text("/eventName").unwrap_or_default(),
        event_source: text("/eventSource").unwrap_or_default(),
        read_only: json
            .get("readOnly")
            .and_then(|v| v.as_bool())
            .unwrap_or_default(),
        access_key_id: text("/userIdentity/accessKeyId"),
        username: None,
        recipient_account: text("/recipientAccountId").unwrap_or_default(),
        resources: json
            .get("resources")
            .and_then(|r| r.as_array())
            .map(|rs| {
                rs.iter()
                    .filter_map(|r| {
                        Some((
                            r.get("type")?.as_str()?.to_owned(),
                            r.get("ARN")?.as_str()?.to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        record: data.to_vec(),
        prev_hash,
        hash: hash.finalize().to_vec(),
    };
    let last_hash = row.hash.clone();
    if store.audit_append(vec![row]).await.is_err() {
        return;
    }
    let _ = store
        .audit_put_digest(AuditDigestRow {
            last_seq: 1,
            last_hash,
            time_ms: NOW_MS,
            signature: data.get(..64).unwrap_or(data).to_vec(),
        })
        .await;
    let _ = cofre_core::audit::verify(&store, None, Some(PUBLIC_KEY)).await;
}

/// The column values of the `sqlite_row` kind, read from the input in this order (a field
/// past the input's end is empty or zero; a length is 2 bytes, little-endian): the
/// secret's `name` (a length, then that many bytes, stored as TEXT even when not UTF-8),
/// `revision` and `purge_at_ms` (8 bytes each, little-endian; a `purge_at_ms` of zero is
/// NULL), `meta` (length, bytes); the audit row's `seq`, `event_time_ms`, `read_only` (8 bytes
/// each), `resources` (length, bytes, as TEXT), `record` (length, bytes); the digest's
/// `last_seq` (8 bytes), `signature` (the rest).
#[derive(Debug, Default)]
pub struct SqliteRows {
    /// `secrets.name`.
    pub name: Vec<u8>,
    /// `secrets.revision`.
    pub revision: i64,
    /// `secrets.purge_at_ms`, 0 for NULL.
    pub purge_at_ms: i64,
    /// `secrets.meta`.
    pub meta: Vec<u8>,
    /// `audit_events.seq`.
    pub seq: i64,
    /// `audit_events.event_time_ms`.
    pub event_time_ms: i64,
    /// `audit_events.read_only`.
    pub read_only: i64,
    /// `audit_events.resources`.
    pub resources: Vec<u8>,
    /// `audit_events.record`.
    pub record: Vec<u8>,
    /// `audit_digests.last_seq`.
    pub last_seq: i64,
    /// `audit_digests.signature`.
    pub signature: Vec<u8>,
}

impl SqliteRows {
    /// Reads the fields from `data`.
    pub fn read(data: &[u8]) -> SqliteRows {
        let mut input = Cursor(data);
        SqliteRows {
            name: input.sized(),
            revision: input.int(),
            purge_at_ms: input.int(),
            meta: input.sized(),
            seq: input.int(),
            event_time_ms: input.int(),
            read_only: input.int(),
            resources: input.sized(),
            record: input.sized(),
            last_seq: input.int(),
            signature: input.bytes(usize::MAX).to_vec(),
        }
    }

    /// The input that [`SqliteRows::read`] reads as `self` (fields longer than 65 535 bytes are cut).
    pub fn write(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let sized = |out: &mut Vec<u8>, b: &[u8]| {
            let len = u16::try_from(b.len()).unwrap_or(u16::MAX);
            out.extend_from_slice(&len.to_le_bytes());
            out.extend_from_slice(&b[..usize::from(len)]);
        };
        sized(&mut out, &self.name);
        out.extend_from_slice(&self.revision.to_le_bytes());
        out.extend_from_slice(&self.purge_at_ms.to_le_bytes());
        sized(&mut out, &self.meta);
        out.extend_from_slice(&self.seq.to_le_bytes());
        out.extend_from_slice(&self.event_time_ms.to_le_bytes());
        out.extend_from_slice(&self.read_only.to_le_bytes());
        sized(&mut out, &self.resources);
        sized(&mut out, &self.record);
        out.extend_from_slice(&self.last_seq.to_le_bytes());
        out.extend_from_slice(&self.signature);
        out
    }
}

/// Reads fields off the front of an input.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (taken, rest) = self.0.split_at(n.min(self.0.len()));
        self.0 = rest;
        taken
    }

    /// 8 bytes, little-endian (zeros past the end).
    fn int(&mut self) -> i64 {
        let mut le = [0u8; 8];
        let taken = self.bytes(8);
        le[..taken.len()].copy_from_slice(taken);
        i64::from_le_bytes(le)
    }

    /// A length (2 bytes, little-endian), then that many bytes.
    fn sized(&mut self) -> Vec<u8> {
        let mut le = [0u8; 2];
        let taken = self.bytes(2);
        le[..taken.len()].copy_from_slice(taken);
        self.bytes(usize::from(u16::from_le_bytes(le))).to_vec()
    }
}

/// A real SQLite store in a private directory, and a second connection to write raw rows.
struct Sqlite {
    store: SqliteStore,
    raw: Mutex<rusqlite::Connection>,
    _dir: PathBuf,
}

impl Sqlite {
    fn get() -> &'static Sqlite {
        static SQLITE: OnceLock<Sqlite> = OnceLock::new();
        SQLITE.get_or_init(|| {
            let base = if std::path::Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm")
            } else {
                std::env::temp_dir()
            };
            // Remove the directories of fuzzing processes that are gone.
            if let Ok(entries) = std::fs::read_dir(&base) {
                for entry in entries.flatten() {
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if let Some(pid) = name.strip_prefix("cofre-fuzz-sqlite-") {
                        if !std::path::Path::new("/proc").join(pid).exists() {
                            let _ = std::fs::remove_dir_all(entry.path());
                        }
                    }
                }
            }
            let dir = base.join(format!("cofre-fuzz-sqlite-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("a directory for the SQLite store");
            let path = dir.join("cofre.db");
            let store = SqliteStore::open(&path).expect("a SQLite store");
            let raw = rusqlite::Connection::open(&path).expect("a raw connection");
            raw.pragma_update(None, "synchronous", "OFF")
                .expect("synchronous = OFF");
            raw.busy_timeout(std::time::Duration::from_secs(5))
                .expect("busy timeout");
            Sqlite {
                store,
                raw: Mutex::new(raw),
                _dir: dir,
            }
        })
    }
}

fn sqlite_row(fixture: &Fixture, data: &[u8]) {
    let Some((row, _)) = fixture.secret(SECRET_NAME) else {
        return;
    };
    let rows = SqliteRows::read(data);
    let sqlite = Sqlite::get();
    {
        let raw = sqlite.raw.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = raw.execute_batch(
            "DELETE FROM secret_versions; DELETE FROM secrets; \
             DELETE FROM audit_events; DELETE FROM audit_digests;",
        );
        let _ = raw.execute(
            "INSERT INTO secrets (uid, account_id, region, name, arn, revision, purge_at_ms, \
             format, meta) VALUES (?1, ?2, ?3, CAST(?4 AS TEXT), ?5, ?6, ?7, 1, ?8)",
            rusqlite::params![
                row.uid,
                row.account_id,
                row.region,
                rows.name,
                row.arn,
                rows.revision,
                (rows.purge_at_ms != 0).then_some(rows.purge_at_ms),
                rows.meta,
            ],
        );
        let _ = raw.execute(
            "INSERT INTO audit_events (seq, event_id, event_time_ms, event_name, event_source, \
             read_only, access_key_id, username, recipient_account, resources, record, \
             prev_hash, hash) VALUES (?1, 'e', ?2, 'GetSecretValue', \
             'secretsmanager.amazonaws.com', ?3, NULL, 'alice', ?4, CAST(?5 AS TEXT), ?6, \
             zeroblob(32), zeroblob(32))",
            rusqlite::params![
                rows.seq,
                rows.event_time_ms,
                rows.read_only,
                ACCOUNT,
                rows.resources,
                rows.record,
            ],
        );
        let _ = raw.execute(
            "INSERT INTO audit_digests (last_seq, last_hash, time_ms, signature) \
             VALUES (?1, zeroblob(32), 0, ?2)",
            rusqlite::params![rows.last_seq, rows.signature],
        );
    }
    let store = &sqlite.store;
    crate::block_on(async {
        if let Ok(Some(stored)) = store.get_secret_by_arn(&row.arn).await {
            api_outcome(Secret::from_row(stored));
        }
        let _ = store.list_secrets(&Scope::new(ACCOUNT, REGION)).await;
        let _ = store.due_for_purge(i64::MAX).await;
        let _ = store.audit_scan(0, 10).await;
        let _ = store.audit_last().await;
        let _ = store
            .audit_lookup(&AuditFilter {
                recipient_account: ACCOUNT.to_owned(),
                attribute: None,
                start_ms: None,
                end_ms: None,
                before_seq: None,
                limit: 10,
            })
            .await;
        let _ = store.audit_digests().await;
        let _ = cofre_core::audit::verify(store, None, Some(PUBLIC_KEY)).await;
    });
}
