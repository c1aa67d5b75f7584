//! The deletion sweeper purges a secret when its recovery window ends, on a clock the test
//! controls. The server runs in-process (the same `cofre_server::run` the binary uses) over
//! the embedded store, and the AWS SDK signs with the same manual clock.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_secretsmanager::config::{BehaviorVersion, Credentials, Region};
use cofre_core::{Clock, ManualClock, Service};
use cofre_crypto::{RootKey, SecretBytes};
use cofre_server::{App, AuthMode, Limits};

#[derive(Debug)]
struct SdkClock(Arc<ManualClock>);

impl aws_smithy_async::time::TimeSource for SdkClock {
    fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(self.0.now_ms() as u64)
    }
}

#[tokio::test]
async fn sweeper_purges_after_the_recovery_window() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("purge-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let store = Arc::new(cofre_store::SqliteStore::open(&dir.join("cofre.db")).expect("store"));
    let clock = Arc::new(ManualClock::starting_now());
    let (root, _) = RootKey::generate();
    let svc = Arc::new(Service::new(store, root, clock.clone()));
    svc.credentials()
        .ensure_account_root_key(
            svc.keys().root(),
            "123456789012",
            Some((
                "AKIAPURGETEST0000001".into(),
                SecretBytes::from("s3cr3t".to_owned()),
            )),
            clock.now_ms(),
        )
        .await
        .expect("key");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let app = Arc::new(App {
        service: svc.clone(),
        auth: AuthMode::SigV4,
        limits: Limits::default(),
        throttle: Default::default(),
    });
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(cofre_server::run(listener, app, async {
        let _ = rx.await;
    }));

    let conf = aws_sdk_secretsmanager::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .credentials_provider(Credentials::new(
            "AKIAPURGETEST0000001",
            "s3cr3t",
            None,
            None,
            "test",
        ))
        .endpoint_url(format!("http://{addr}"))
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .time_source(SdkClock(clock.clone()))
        .build();
    let c = aws_sdk_secretsmanager::Client::from_conf(conf);

    c.create_secret()
        .name("short")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    c.create_secret()
        .name("long")
        .secret_string("y")
        .send()
        .await
        .expect("create");
    c.create_secret()
        .name("restored")
        .secret_string("z")
        .send()
        .await
        .expect("create");
    c.delete_secret()
        .secret_id("short")
        .recovery_window_in_days(7)
        .send()
        .await
        .expect("delete 7");
    c.delete_secret()
        .secret_id("long")
        .recovery_window_in_days(30)
        .send()
        .await
        .expect("delete 30");
    c.delete_secret()
        .secret_id("restored")
        .recovery_window_in_days(7)
        .send()
        .await
        .expect("delete");
    c.restore_secret()
        .secret_id("restored")
        .send()
        .await
        .expect("restore");

    // Six days on: nothing is due.
    clock.advance(Duration::from_secs(6 * 86400));
    assert_eq!(svc.sweep_once().await.expect("sweep"), 0);
    c.describe_secret()
        .secret_id("short")
        .send()
        .await
        .expect("still there on day 6");

    // Day 7 plus a minute: the 7-day secret is purged, the others stay.
    clock.advance(Duration::from_secs(86400 + 60));
    assert_eq!(svc.sweep_once().await.expect("sweep"), 1);
    let e = c
        .describe_secret()
        .secret_id("short")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        aws_sdk_secretsmanager::error::ProvideErrorMetadata::code(&e),
        Some("ResourceNotFoundException"),
        "{:?}",
        aws_sdk_secretsmanager::error::ProvideErrorMetadata::message(&e)
    );
    c.describe_secret()
        .secret_id("long")
        .send()
        .await
        .expect("30-day secret remains");
    assert_eq!(
        c.get_secret_value()
            .secret_id("restored")
            .send()
            .await
            .expect("restored")
            .secret_string(),
        Some("z")
    );
    c.create_secret()
        .name("short")
        .secret_string("new")
        .send()
        .await
        .expect("name is free again");

    clock.advance(Duration::from_secs(24 * 86400));
    assert_eq!(svc.sweep_once().await.expect("sweep"), 1);
    assert!(c.describe_secret().secret_id("long").send().await.is_err());

    let _ = tx.send(());
    server.await.expect("server task");
    let _ = std::fs::remove_dir_all(&dir);
}
