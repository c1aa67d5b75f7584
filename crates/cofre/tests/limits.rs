//! Resource limits of the real server: per-access-key rate limiting answered with AWS's
//! ThrottlingException, and the connection limit answered with 503.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use aws_sdk_secretsmanager::config::retry::RetryConfig;

fn start(extra: &[&str]) -> (common::TempDir, common::Server) {
    let dir = common::TempDir::new("limits");
    let srv = common::Server::start_with(
        dir.path(),
        common::Options {
            extra_args: extra.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        },
    );
    (dir, srv)
}

/// A client that does not retry, so every throttled answer is seen.
fn client_without_retries(endpoint: &str) -> aws_sdk_secretsmanager::Client {
    let base = common::client(endpoint);
    let conf = base
        .config()
        .to_builder()
        .retry_config(RetryConfig::disabled())
        .build();
    aws_sdk_secretsmanager::Client::from_conf(conf)
}

#[tokio::test]
async fn requests_over_the_per_key_rate_get_throttling_exception() {
    let (_dir, srv) = start(&["--rate-limit", "5", "--rate-limit-burst", "5"]);
    let c = client_without_retries(&srv.endpoint());
    let mut ok = 0;
    let mut throttled = 0;
    for _ in 0..20 {
        match c.get_random_password().send().await {
            Ok(_) => ok += 1,
            Err(e) => {
                assert_eq!(common::code(&e), "ThrottlingException");
                assert_eq!(common::message(&e), "Rate exceeded");
                let raw = e.raw_response().expect("an HTTP answer");
                assert_eq!(raw.status().as_u16(), 400);
                throttled += 1;
            }
        }
    }
    // 20 requests in well under a second: the burst of 5, plus what refills meanwhile.
    assert!((5..=10).contains(&ok), "allowed {ok}");
    assert_eq!(ok + throttled, 20);
    // The bucket refills at 5 per second.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    c.get_random_password()
        .send()
        .await
        .expect("allowed again after a pause");
    // A throttled write changes nothing: the create below is refused or made, never half.
    let mut made = 0;
    for i in 0..10 {
        match c
            .create_secret()
            .name(format!("t{i}"))
            .secret_string("v")
            .send()
            .await
        {
            Ok(_) => made += 1,
            Err(e) => assert_eq!(common::code(&e), "ThrottlingException"),
        }
    }
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let listed = c
        .list_secrets()
        .send()
        .await
        .expect("list")
        .secret_list()
        .len();
    assert_eq!(listed, made, "exactly the acknowledged creates exist");
}

#[test]
fn body_size_and_body_time_are_configurable() {
    let (_dir, srv) = start(&["--max-body-bytes", "2048", "--body-timeout-secs", "1"]);
    let send = |request: &[u8]| {
        let mut s = TcpStream::connect(&srv.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        s.write_all(request).expect("send");
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer
    };
    // 4 KiB announced against a 2 KiB limit: 413 before any of it is read.
    let big = send(
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-amz-json-1.1\r\n\
          x-amz-target: secretsmanager.ListSecrets\r\ncontent-length: 4096\r\nconnection: close\r\n\r\n",
    );
    assert!(big.starts_with("HTTP/1.1 413"), "{big}");
    // A body that never arrives: the 1 s body timeout answers 408 (not the default 30 s).
    let started = std::time::Instant::now();
    let slow = send(
        b"POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-amz-json-1.1\r\n\
          x-amz-target: secretsmanager.ListSecrets\r\ncontent-length: 100\r\nconnection: close\r\n\r\n{",
    );
    assert!(slow.starts_with("HTTP/1.1 408"), "{slow}");
    assert!(
        started.elapsed() < Duration::from_secs(9),
        "the configured timeout, not the default"
    );
}

#[tokio::test]
async fn connections_over_the_limit_get_503_and_the_server_keeps_serving() {
    let (_dir, srv) = start(&["--max-connections", "3"]);
    let addr = srv.addr.clone();
    // Three idle connections hold every permit.
    let held: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(&addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut extra = TcpStream::connect(&addr).expect("connect");
    extra
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let _ = extra.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\n\r\n");
    let mut answer = String::new();
    let _ = extra.read_to_string(&mut answer);
    assert!(
        answer.starts_with("HTTP/1.1 503"),
        "over the limit: {answer:?}"
    );
    assert!(answer.contains("ServiceUnavailableException"), "{answer}");
    drop(held);
    // The permits come back when the connections close.
    let c = common::client(&srv.endpoint());
    let mut served = false;
    for _ in 0..50 {
        if c.get_random_password().send().await.is_ok() {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "serving again once connections closed");
}
