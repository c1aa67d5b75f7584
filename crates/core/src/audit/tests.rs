//! The trail over a memory store: chaining, digests, look-ups, subscriptions, fail-closed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use cofre_api::{Caller, CallerKind, Context};
use cofre_crypto::RootKey;
use cofre_store::{
    AuditDigestRow, AuditFilter, AuditRow, MemoryStore, Scope, SecretRow, SecretWrite, Store,
    StoreError,
};

use super::*;
use crate::{ManualClock, Service};

/// A memory store whose audit appends can be made to fail.
#[derive(Debug, Default)]
struct FlakyStore {
    inner: MemoryStore,
    fail: AtomicBool,
}

#[async_trait]
impl Store for FlakyStore {
    async fn get_secret(&self, s: &Scope, n: &str) -> Result<Option<SecretRow>, StoreError> {
        self.inner.get_secret(s, n).await
    }
    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRow>, StoreError> {
        self.inner.get_secret_by_arn(arn).await
    }
    async fn list_secrets(&self, s: &Scope) -> Result<Vec<SecretRow>, StoreError> {
        self.inner.list_secrets(s).await
    }
    async fn get_version(&self, u: &str, v: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_version(u, v).await
    }
    async fn write_secret(&self, w: SecretWrite) -> Result<(), StoreError> {
        self.inner.write_secret(w).await
    }
    async fn delete_secret(&self, u: &str, r: u64) -> Result<(), StoreError> {
        self.inner.delete_secret(u, r).await
    }
    async fn due_for_purge(&self, now: i64) -> Result<Vec<SecretRow>, StoreError> {
        self.inner.due_for_purge(now).await
    }
    async fn kv_get(&self, ns: &str, k: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.kv_get(ns, k).await
    }
    async fn kv_put_if_absent(&self, ns: &str, k: &str, v: Vec<u8>) -> Result<Vec<u8>, StoreError> {
        self.inner.kv_put_if_absent(ns, k, v).await
    }
    async fn kv_put(&self, ns: &str, k: &str, v: Vec<u8>) -> Result<(), StoreError> {
        self.inner.kv_put(ns, k, v).await
    }
    async fn kv_list(&self, ns: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        self.inner.kv_list(ns).await
    }
    async fn kv_cas(
        &self,
        ns: &str,
        k: &str,
        e: Option<Vec<u8>>,
        n: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        self.inner.kv_cas(ns, k, e, n).await
    }
    async fn kv_delete(&self, ns: &str, k: &str) -> Result<bool, StoreError> {
        self.inner.kv_delete(ns, k).await
    }
    async fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(StoreError::Backend("disk full".into()));
        }
        self.inner.audit_append(rows).await
    }
    async fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        self.inner.audit_last().await
    }
    async fn audit_scan(&self, after: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        self.inner.audit_scan(after, limit).await
    }
    async fn audit_lookup(&self, f: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        self.inner.audit_lookup(f).await
    }
    async fn audit_put_digest(&self, d: AuditDigestRow) -> Result<(), StoreError> {
        self.inner.audit_put_digest(d).await
    }
    async fn audit_digests(&self) -> Result<Vec<AuditDigestRow>, StoreError> {
        self.inner.audit_digests().await
    }
}

struct Fixture {
    store: Arc<FlakyStore>,
    svc: Service,
    root: RootKey,
}

async fn fixture(config: AuditConfig) -> Fixture {
    let store = Arc::new(FlakyStore::default());
    let (root, b64) = RootKey::generate();
    let root_copy = RootKey::from_base64(b64.expose_str().expect("utf8")).expect("copy");
    let svc = Service::new(
        store.clone(),
        root,
        Arc::new(ManualClock::new(1_700_000_000_000)),
    );
    let started = svc
        .start_audit(AuditMode::FailClosed, config)
        .await
        .expect("start")
        .expect("recording");
    assert!(started.created && started.public_key_hex.len() == 64);
    Fixture {
        store,
        svc,
        root: root_copy,
    }
}

fn ctx(account: &str) -> Context {
    Context {
        account_id: account.into(),
        region: "us-east-1".into(),
        request_id: "req".into(),
        access_key_id: format!("AKIA{account}"),
        principal_arn: format!("arn:aws:iam::{account}:root"),
        caller: Caller {
            account_id: account.into(),
            arn: format!("arn:aws:iam::{account}:root"),
            kind: CallerKind::Root,
            tags: Default::default(),
        },
        ..Default::default()
    }
}

fn call<'a>(c: &'a Context, op: &'a str, body: &'a [u8]) -> Call<'a> {
    Call {
        source: EventSource::SecretsManager,
        operation: op,
        request: RequestInput::Json(body),
        response: None,
        response_xml: None,
        error: None,
        ctx: Some(c),
        claimed_access_key_id: None,
        fallback_account: "000000000000",
        region: "us-east-1",
        request_id: "req",
        source_ip: None,
        user_agent: None,
        time_ms: 1_700_000_000_000,
    }
}

#[tokio::test]
async fn records_chain_and_verify_and_lookup_is_per_account() {
    let f = fixture(AuditConfig {
        digest_every: 2,
        ..Default::default()
    })
    .await;
    let mut sub = f.svc.audit().subscribe();
    let (a, b) = (ctx("111111111111"), ctx("222222222222"));
    let put = br#"{"SecretId":"s1","SecretString":"v"}"#;
    for _ in 0..3 {
        f.svc
            .audit()
            .record(&call(&a, "PutSecretValue", put))
            .await
            .expect("record");
    }
    f.svc
        .audit()
        .record(&call(&b, "CreateSecret", br#"{"Name":"x"}"#))
        .await
        .expect("record");
    let first = sub.recv().await.expect("published");
    assert_eq!(first.event_name, "PutSecretValue");
    f.svc.audit().shutdown().await;

    let report = verify(f.store.as_ref(), Some(&f.root), None)
        .await
        .expect("verify");
    assert_eq!(report.records, 4);
    assert!(report.digests >= 2, "by count and at shutdown");
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    let q = LookupQuery {
        max_results: 2,
        ..Default::default()
    };
    let page = f
        .svc
        .audit()
        .lookup("111111111111", &q)
        .await
        .expect("lookup");
    assert_eq!(page.events.len(), 2);
    let next = LookupQuery {
        next_token: page.next_token.clone(),
        ..q.clone()
    };
    let page2 = f
        .svc
        .audit()
        .lookup("111111111111", &next)
        .await
        .expect("page 2");
    assert_eq!(page2.events.len(), 1);
    assert!(page2
        .events
        .iter()
        .all(|e| e.event_name == "PutSecretValue"));
    let by_name = LookupQuery {
        attribute: Some(("EventName".into(), "CreateSecret".into())),
        max_results: 50,
        ..Default::default()
    };
    assert!(f
        .svc
        .audit()
        .lookup("111111111111", &by_name)
        .await
        .expect("l")
        .events
        .is_empty());
    assert_eq!(
        f.svc
            .audit()
            .lookup("222222222222", &by_name)
            .await
            .expect("l")
            .events
            .len(),
        1
    );
    assert!(matches!(
        f.svc.audit().lookup("1", &LookupQuery::default()).await,
        Err(AuditError::InvalidQuery(_))
    ));
}

#[tokio::test]
async fn a_write_is_refused_when_its_record_cannot_be_stored() {
    let f = fixture(AuditConfig::default()).await;
    let a = ctx("333333333333");
    f.store.fail.store(true, Ordering::SeqCst);
    assert_eq!(
        f.svc
            .audit()
            .record(&call(&a, "PutSecretValue", b"{}"))
            .await,
        Err(AuditError::Unavailable)
    );
    assert!(!f.svc.audit().available(), "reads are refused too");
    f.store.fail.store(false, Ordering::SeqCst);
    // The next successful append makes the trail available again.
    f.svc
        .audit()
        .record(&call(&a, "PutSecretValue", b"{}"))
        .await
        .expect("record");
    assert!(f.svc.audit().available());
    f.svc.audit().shutdown().await;
    let report = verify(f.store.as_ref(), Some(&f.root), None)
        .await
        .expect("verify");
    assert_eq!(report.records, 1);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}

#[tokio::test]
async fn off_records_nothing() {
    let store = Arc::new(MemoryStore::new());
    let svc = Service::new(
        store.clone(),
        RootKey::generate().0,
        Arc::new(ManualClock::new(0)),
    );
    assert!(svc
        .start_audit(AuditMode::Off, AuditConfig::default())
        .await
        .expect("start")
        .is_none());
    let a = ctx("444444444444");
    svc.audit()
        .record(&call(&a, "PutSecretValue", b"{}"))
        .await
        .expect("no-op");
    assert!(store.audit_last().await.expect("last").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_group_committed_into_one_intact_chain() {
    let f = fixture(AuditConfig {
        digest_every: 50,
        ..Default::default()
    })
    .await;
    let svc = Arc::new(f.svc);
    let mut tasks = Vec::new();
    for i in 0..200 {
        let svc = svc.clone();
        tasks.push(tokio::spawn(async move {
            let a = ctx("555555555555");
            let body = format!(r#"{{"SecretId":"s{i}","SecretString":"value-{i}"}}"#);
            svc.audit()
                .record(&call(&a, "PutSecretValue", body.as_bytes()))
                .await
        }));
    }
    for t in tasks {
        t.await.expect("join").expect("durable");
    }
    svc.audit().shutdown().await;
    let report = verify(f.store.as_ref(), Some(&f.root), None)
        .await
        .expect("verify");
    assert_eq!(report.records, 200);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    let rows = f.store.audit_scan(0, 1000).await.expect("scan");
    assert!(rows
        .iter()
        .all(|r| !String::from_utf8_lossy(&r.record).contains("value-")));
}

#[test]
fn assumed_role_sessions_carry_their_session_context() {
    let mut c = ctx("666666666666");
    c.access_key_id = "ASIASESSION".into();
    c.caller = Caller {
        account_id: "666666666666".into(),
        arn: "arn:aws:sts::666666666666:assumed-role/deployer/ci".into(),
        kind: CallerKind::AssumedRole {
            role_arn: "arn:aws:iam::666666666666:role/deployer".into(),
            user_id: "AROAEXAMPLE:ci".into(),
            session_policy: None,
        },
        tags: Default::default(),
    };
    let events = super::record::build(&call(&c, "GetSecretValue", br#"{"SecretId":"s"}"#));
    let rec: serde_json::Value = serde_json::from_slice(&events[0].row.record).expect("json");
    let id = &rec["userIdentity"];
    assert_eq!(id["type"], "AssumedRole");
    assert_eq!(id["principalId"], "AROAEXAMPLE:ci");
    assert_eq!(id["accessKeyId"], "ASIASESSION");
    assert_eq!(
        id["sessionContext"]["sessionIssuer"]["userName"],
        "deployer"
    );
    assert_eq!(
        id["sessionContext"]["sessionIssuer"]["principalId"],
        "AROAEXAMPLE"
    );
    assert_eq!(events[0].row.username.as_deref(), Some("ci"));
    assert_eq!(rec["readOnly"], true);
    assert_eq!(rec["responseElements"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_sweeper_records_purges_as_service_events() {
    use cofre_api::{CreateSecretRequest, DeleteSecretRequest, SecretsManager as _};
    let store = Arc::new(FlakyStore::default());
    let clock = Arc::new(ManualClock::new(1_700_000_000_000));
    let svc = Service::new(store.clone(), RootKey::generate().0, clock.clone());
    svc.start_audit(AuditMode::FailClosed, AuditConfig::default())
        .await
        .expect("start");
    let root = ctx("777777777777");
    let created = svc
        .create_secret(
            &root,
            CreateSecretRequest {
                name: Some("purged".into()),
                ..Default::default()
            },
        )
        .await
        .expect("create");
    svc.delete_secret(
        &root,
        DeleteSecretRequest {
            secret_id: Some("purged".into()),
            recovery_window_in_days: Some(7),
            ..Default::default()
        },
    )
    .await
    .expect("delete");
    clock.advance(std::time::Duration::from_secs(8 * 86_400));
    assert_eq!(svc.sweep_once().await.expect("sweep"), 1);
    let page = svc
        .audit()
        .lookup(
            "777777777777",
            &LookupQuery {
                attribute: Some(("EventName".into(), "EndSecretVersionDelete".into())),
                max_results: 50,
                ..Default::default()
            },
        )
        .await
        .expect("lookup");
    assert_eq!(page.events.len(), 1);
    let rec: serde_json::Value = serde_json::from_str(&page.events[0].record_json).expect("json");
    assert_eq!(rec["eventType"], "AwsServiceEvent");
    assert_eq!(rec["eventSource"], "secretsmanager.amazonaws.com");
    assert_eq!(
        rec["resources"][0]["ARN"],
        created.arn.expect("arn").as_str()
    );
}
