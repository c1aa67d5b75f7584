//! Authorization end to end with the AWS SDK for Rust, on an in-process server (the same
//! `cofre_server::run` the binary serves) whose clock the test controls:
//! - STS session credentials stop working when they expire;
//! - a property: a principal with no policy never reads, lists or learns the existence of
//!   another account's secret — every probe gets the same answer whether the secret exists
//!   or not.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_secretsmanager::error::ProvideErrorMetadata;
use cofre_core::iam::CreateRole;
use cofre_core::{Clock, ManualClock, Service};
use cofre_crypto::{RootKey, SecretBytes};
use cofre_server::{App, AuthMode, Limits};

const A: &str = "111111111111";
const B: &str = "222222222222";

#[derive(Debug)]
struct SdkClock(Arc<ManualClock>);

impl aws_smithy_async::time::TimeSource for SdkClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.now_ms() as u64)
    }
}

struct Harness {
    svc: Arc<Service>,
    clock: Arc<ManualClock>,
    endpoint: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Harness {
    async fn start() -> Self {
        let store = Arc::new(cofre_store::MemoryStore::new());
        let clock = Arc::new(ManualClock::starting_now());
        let svc = Arc::new(Service::new(store, RootKey::generate().0, clock.clone()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
        let app = Arc::new(App {
            service: svc.clone(),
            auth: AuthMode::SigV4,
            limits: Limits::default(),
            throttle: Default::default(),
        });
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(cofre_server::run(listener, app, async {
            let _ = rx.await;
        }));
        Harness {
            svc,
            clock,
            endpoint,
            _stop: tx,
        }
    }

    /// A root key for `account`, returned as (id, secret).
    async fn root(&self, account: &str) -> (String, String) {
        let id = format!("AKIAROOT{account}");
        let secret = format!("root-secret-of-{account}");
        self.svc
            .iam()
            .create_account(account)
            .await
            .expect("account");
        self.svc
            .credentials()
            .ensure_account_root_key(
                self.svc.keys().root(),
                account,
                Some((id.clone(), SecretBytes::from(secret.clone()))),
                self.clock.now_ms(),
            )
            .await
            .expect("root key");
        (id, secret)
    }

    fn client(
        &self,
        id: &str,
        secret: &str,
        token: Option<&str>,
    ) -> aws_sdk_secretsmanager::Client {
        let conf = aws_sdk_secretsmanager::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new(
                id,
                secret,
                token.map(str::to_owned),
                None,
                "test",
            ))
            .endpoint_url(&self.endpoint)
            .http_client(aws_smithy_http_client::Builder::new().build_http())
            .time_source(SdkClock(self.clock.clone()))
            .build();
        aws_sdk_secretsmanager::Client::from_conf(conf)
    }
}

#[tokio::test]
async fn session_credentials_stop_working_at_expiry() {
    let h = Harness::start().await;
    let (id, secret) = h.root(A).await;
    let root = h.client(&id, &secret, None);
    root.create_secret()
        .name("dev/db")
        .secret_string("dev-pw")
        .send()
        .await
        .expect("create");
    root.create_secret()
        .name("prod/db")
        .secret_string("prod-pw")
        .send()
        .await
        .expect("create");
    let iam = h.svc.iam();
    let role = iam
        .create_role(
            A,
            CreateRole {
                role_name: "reader".into(),
                path: None,
                assume_role_policy_document: format!(
                    r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"AWS":"arn:aws:iam::{A}:root"}},"Action":"sts:AssumeRole"}}]}}"#
                ),
                description: None,
                max_session_duration: None,
                tags: vec![],
            },
        )
        .await
        .expect("role");
    iam.put_role_policy(
        A,
        "reader",
        "read-dev",
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:*:secret:dev/*"}]}"#,
    )
    .await
    .expect("role policy");
    let creds = iam
        .create_session(h.svc.keys().root(), &role, "s1", Some(900), None, vec![])
        .await
        .expect("session");
    let s = h.client(
        &creds.access_key_id,
        creds.secret_access_key.expose_str().expect("utf8"),
        Some(creds.session_token.expose_str().expect("utf8")),
    );
    let v = s
        .get_secret_value()
        .secret_id("dev/db")
        .send()
        .await
        .expect("session reads dev/db");
    assert_eq!(v.secret_string(), Some("dev-pw"));
    let e = s
        .get_secret_value()
        .secret_id("prod/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"));

    // 14 minutes on: still valid. Past 15: ExpiredTokenException.
    h.clock.advance(Duration::from_secs(14 * 60));
    s.get_secret_value()
        .secret_id("dev/db")
        .send()
        .await
        .expect("valid at 14 min");
    h.clock.advance(Duration::from_secs(61));
    let e = s
        .get_secret_value()
        .secret_id("dev/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("ExpiredTokenException"), "{:?}", e.message());
    // Without the token, the temporary key is not a key at all.
    let no_token = h.client(
        &creds.access_key_id,
        creds.secret_access_key.expose_str().expect("utf8"),
        None,
    );
    let e = no_token
        .get_secret_value()
        .secret_id("dev/db")
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("UnrecognizedClientException"));
}

/// xorshift64*: a small deterministic generator, so failures reproduce from the seed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn pick<'a>(&mut self, xs: &'a [&'a str]) -> &'a str {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

#[tokio::test]
async fn a_principal_without_policy_learns_nothing_about_another_account() {
    let h = Harness::start().await;
    let (a_id, a_secret) = h.root(A).await;
    let (b_id, b_secret) = h.root(B).await;
    // In A: a user with no policy at all, and the root (allowed everything in A only).
    h.svc
        .iam()
        .create_user(A, "nobody", None, vec![])
        .await
        .expect("user");
    let key = h
        .svc
        .iam()
        .create_access_key(h.svc.keys().root(), A, "nobody")
        .await
        .expect("key");
    let nobody = h.client(
        &key.access_key_id,
        key.secret_access_key.expose_str().expect("utf8"),
        None,
    );
    let root_a = h.client(&a_id, &a_secret, None);
    // In B: some secrets, one with a resource policy that names someone else.
    let b = h.client(&b_id, &b_secret, None);
    let names = ["db", "api/key", "prod/x", "team/a/b"];
    let mut arns = Vec::new();
    for n in &names {
        let out = b
            .create_secret()
            .name(*n)
            .secret_string(format!("value-of-{n}"))
            .send()
            .await
            .expect("create in B");
        arns.push(out.arn().expect("arn").to_owned());
    }
    b.put_resource_policy()
        .secret_id("db")
        .resource_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::333333333333:root"},"Action":"secretsmanager:*","Resource":"*"}]}"#)
        .send()
        .await
        .expect("policy");

    let missing = ["nope", "api/other", "prod/y", "zzz"];
    let mut rng = Rng(0x00c0_ffee_1234_5678);
    let mut probes = 0;
    for _ in 0..200 {
        let existing = rng.next() % 2 == 0;
        let name = if existing {
            rng.pick(&names)
        } else {
            rng.pick(&missing)
        };
        // A full ARN (with a plausible suffix for missing ones) or a partial ARN.
        let id = match (existing, rng.next() % 2) {
            (true, 0) => arns[names.iter().position(|n| *n == name).expect("known")].clone(),
            (false, 0) => format!("arn:aws:secretsmanager:us-east-1:{B}:secret:{name}-Ab12Cd"),
            _ => format!("arn:aws:secretsmanager:us-east-1:{B}:secret:{name}"),
        };
        for caller in [&nobody, &root_a] {
            let results = [
                (
                    "GetSecretValue",
                    caller
                        .get_secret_value()
                        .secret_id(&id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
                ),
                (
                    "DescribeSecret",
                    caller
                        .describe_secret()
                        .secret_id(&id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
                ),
                (
                    "PutSecretValue",
                    caller
                        .put_secret_value()
                        .secret_id(&id)
                        .secret_string("x")
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
                ),
                (
                    "ListSecretVersionIds",
                    caller
                        .list_secret_version_ids()
                        .secret_id(&id)
                        .send()
                        .await
                        .map(|_| ())
                        .map_err(|e| (e.code().map(str::to_owned), e.message().map(str::to_owned))),
                ),
            ];
            for (op, r) in results {
                probes += 1;
                let (code, message) = r.expect_err("no access across accounts without policies");
                assert_eq!(
                    code.as_deref(),
                    Some("AccessDeniedException"),
                    "{op} on {id}"
                );
                let message = message.unwrap_or_default();
                // The answer names only what the caller sent; nothing in it depends on existence.
                assert!(
                    message.contains(&format!("on resource: {id} ")),
                    "{op}: {message}"
                );
                assert!(!message.contains("value-of-"), "{op}: {message}");
            }
        }
    }
    // Listing shows only the caller's own account.
    let e = nobody.list_secrets().send().await.unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    assert!(root_a
        .list_secrets()
        .send()
        .await
        .expect("root lists A")
        .secret_list()
        .is_empty());
    let e = nobody
        .batch_get_secret_value()
        .secret_id_list(&arns[0])
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.code(), Some("AccessDeniedException"));
    let batch = root_a
        .batch_get_secret_value()
        .set_secret_id_list(Some(arns.clone()))
        .send()
        .await
        .expect("batch call itself is allowed for root");
    assert!(batch.secret_values().is_empty());
    assert!(batch
        .errors()
        .iter()
        .all(|e| e.error_code() == Some("AccessDeniedException")));
    println!("{probes} cross-account probes, all AccessDeniedException");
}
