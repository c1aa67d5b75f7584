//! What the data dir holds and keeps: no plaintext, every acknowledged write after SIGKILL,
//! first-start credentials, clean SIGTERM.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::primitives::Blob;
use common::{client, client_with, Options, Server, TempDir, REGION, SECRET_ACCESS_KEY};

fn all_bytes_under(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        let path = entry.path();
        if path.is_dir() {
            out.extend(all_bytes_under(&path));
        } else {
            out.push((
                path.display().to_string(),
                std::fs::read(&path).expect("read file"),
            ));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test]
async fn no_plaintext_in_the_data_dir() {
    let dir = TempDir::new("plaintext");
    let mut srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    let string_value = "PLAINTEXT-SENTINEL-7f3a9c-correct-horse-battery-staple";
    let binary_value = b"BINARY-SENTINEL-\x00\x01\x02-e4d909c290d0fb1ca068ffaddf22cbd0".to_vec();
    c.create_secret()
        .name("grep/me")
        .secret_string(string_value)
        .send()
        .await
        .expect("create");
    c.put_secret_value()
        .secret_id("grep/me")
        .secret_string(format!("{string_value}-v2"))
        .send()
        .await
        .expect("put");
    c.create_secret()
        .name("grep/bin")
        .secret_binary(Blob::new(binary_value.clone()))
        .send()
        .await
        .expect("create bin");
    c.update_secret()
        .secret_id("grep/bin")
        .secret_string(format!("{string_value}-v3"))
        .send()
        .await
        .expect("update");
    // Reads must not leave plaintext behind either.
    c.get_secret_value()
        .secret_id("grep/me")
        .send()
        .await
        .expect("get");
    // Look while the server runs (WAL not yet checkpointed) and after it stopped.
    for phase in ["running", "stopped"] {
        if phase == "stopped" {
            assert!(srv.terminate().success());
        }
        let files = all_bytes_under(dir.path());
        assert!(
            files.iter().any(|(p, _)| p.ends_with("cofre.db")),
            "the store is in the data dir"
        );
        let b64 = |b: &[u8]| base64::Engine::encode(&base64::engine::general_purpose::STANDARD, b);
        for (path, bytes) in &files {
            for needle in [
                string_value.as_bytes(),
                "correct-horse-battery-staple".as_bytes(),
                &binary_value[..],
                b64(&binary_value).as_bytes(),
                b64(string_value.as_bytes()).as_bytes(),
                SECRET_ACCESS_KEY.as_bytes(),
            ] {
                assert!(
                    !contains(bytes, needle),
                    "{phase}: plaintext found in {path}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_acknowledged_write_survives_sigkill() {
    let dir = TempDir::new("kill");
    let mut acknowledged: Vec<(String, String, String)> = Vec::new(); // (name, version, value)
    for cycle in 0..3 {
        let mut srv = Server::start(&dir);
        let c = client(&srv.endpoint());
        // Everything acknowledged in earlier cycles is still there.
        for (name, version, value) in &acknowledged {
            let got = c
                .get_secret_value()
                .secret_id(name)
                .version_id(version)
                .send()
                .await
                .expect("acknowledged write lost");
            assert_eq!(got.secret_string(), Some(value.as_str()));
        }
        let name = format!("kill/{cycle}");
        let out = c
            .create_secret()
            .name(&name)
            .secret_string("v0")
            .send()
            .await
            .expect("create");
        acknowledged.push((
            name.clone(),
            out.version_id().expect("vid").to_owned(),
            "v0".into(),
        ));
        // Write as fast as possible from a task; kill the server mid-stream.
        let writer = {
            let c = c.clone();
            let name = name.clone();
            tokio::spawn(async move {
                let mut acks = Vec::new();
                // Alternate new secrets and new versions (spread over secrets, so AWS's
                // 100-version quota is never reached) until the server dies under us.
                let mut last_error = None;
                for i in 1.. {
                    let value = format!("v{i}");
                    // Even steps create `name/n{i}`; odd steps add a version to the secret
                    // the step before created.
                    let target = match i {
                        1 => name.clone(),
                        i if i % 2 == 0 => format!("{name}/n{i}"),
                        i => format!("{name}/n{}", i - 1),
                    };
                    let result = if i % 2 == 0 {
                        c.create_secret()
                            .name(&target)
                            .secret_string(&value)
                            .send()
                            .await
                            .map(|o| o.version_id().unwrap_or_default().to_owned())
                            .map_err(|e| format!("{e:?}"))
                    } else {
                        c.put_secret_value()
                            .secret_id(&target)
                            .secret_string(&value)
                            .send()
                            .await
                            .map(|o| o.version_id().unwrap_or_default().to_owned())
                            .map_err(|e| format!("{e:?}"))
                    };
                    match result {
                        Ok(version) => acks.push((target, version, value)),
                        Err(e) => {
                            last_error = Some(e);
                            break;
                        }
                    }
                }
                (acks, last_error)
            })
        };
        tokio::time::sleep(Duration::from_millis(400 + 200 * cycle)).await;
        srv.kill();
        let (acks, last_error) = writer.await.expect("writer");
        let last_error = last_error.unwrap_or_default();
        // The loop must have been stopped by the kill (a transport error), not by an answer.
        assert!(
            last_error.contains("DispatchFailure")
                || last_error.contains("ResponseError")
                || last_error.contains("Io"),
            "the write loop ended on an API answer, not the kill: {last_error}"
        );
        assert!(
            acks.len() > 5,
            "the loop was writing when killed ({} writes)",
            acks.len()
        );
        acknowledged.extend(acks);
    }
    let srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    for (name, version, value) in &acknowledged {
        let got = c
            .get_secret_value()
            .secret_id(name)
            .version_id(version)
            .send()
            .await;
        match got {
            Ok(got) => assert_eq!(got.secret_string(), Some(value.as_str())),
            // Versions past AWS's limit of 100 are pruned once a day old; none here is.
            Err(e) => panic!("acknowledged write {name}/{version} lost: {e:?}"),
        }
    }
    println!(
        "verified {} acknowledged writes across 3 SIGKILLs",
        acknowledged.len()
    );
}

#[tokio::test]
async fn first_start_generates_root_credentials_once() {
    let dir = TempDir::new("bootstrap");
    let started = Instant::now();
    let mut srv = Server::start_with(
        dir.path(),
        Options {
            generate_credentials: true,
            ..Default::default()
        },
    );
    println!("startup to listening: {:?}", started.elapsed());
    let printed = srv.stdout_head.join("\n");
    let creds_path = dir.path().join("root-credentials");
    let text = std::fs::read_to_string(&creds_path).expect("root-credentials written");
    let mode = std::fs::metadata(&creds_path)
        .expect("meta")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let field = |k: &str| {
        text.lines()
            .find_map(|l| {
                l.split_once('=')
                    .filter(|(a, _)| a.trim() == k)
                    .map(|(_, b)| b.trim().to_owned())
            })
            .expect("field")
    };
    assert!(text.starts_with("[default]\n"));
    let (akid, secret) = (field("aws_access_key_id"), field("aws_secret_access_key"));
    assert!(akid.starts_with("AKIA") && akid.len() == 20, "{akid}");
    assert!(
        printed.contains(&akid) && printed.contains(&secret),
        "printed once: {printed}"
    );
    let c = client_with(&srv.endpoint(), REGION, &akid, &secret);
    c.create_secret()
        .name("boot")
        .secret_string("x")
        .send()
        .await
        .expect("generated key works");
    assert!(srv.terminate().success(), "clean exit on SIGTERM");

    // Second start: nothing printed, file untouched, same key still valid.
    let srv = Server::start_with(
        dir.path(),
        Options {
            generate_credentials: true,
            ..Default::default()
        },
    );
    assert!(
        !srv.stdout_head.join("\n").contains(&secret),
        "the key is printed only once"
    );
    assert_eq!(
        std::fs::read_to_string(&creds_path).expect("still there"),
        text
    );
    let c = client_with(&srv.endpoint(), REGION, &akid, &secret);
    c.get_secret_value()
        .secret_id("boot")
        .send()
        .await
        .expect("same key after restart");
    let root_key = std::fs::metadata(dir.path().join("root-key")).expect("root key generated");
    assert_eq!(root_key.permissions().mode() & 0o777, 0o600);
}

#[tokio::test]
async fn sigterm_drains_and_exits_cleanly() {
    let dir = TempDir::new("sigterm");
    let mut srv = Server::start(&dir);
    let c = client(&srv.endpoint());
    c.create_secret()
        .name("t")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    let status = srv.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert!(
        c.list_secrets().send().await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn dev_mode_accepts_any_credentials_and_keeps_nothing() {
    let dir = TempDir::new("dev");
    let srv = Server::start_with(
        dir.path(),
        Options {
            dev: true,
            ..Default::default()
        },
    );
    let c = client_with(&srv.endpoint(), REGION, "AKIAANYTHING", "anything-at-all");
    c.create_secret()
        .name("dev")
        .secret_string("x")
        .send()
        .await
        .expect("dev accepts any key");
    let v = c
        .get_secret_value()
        .secret_id("dev")
        .send()
        .await
        .expect("get");
    assert_eq!(v.secret_string(), Some("x"));
    assert!(v
        .arn()
        .expect("arn")
        .contains(&format!(":{}:secret:dev-", common::ACCOUNT)));
    assert!(
        all_bytes_under(dir.path()).is_empty(),
        "dev mode writes nothing to the data dir"
    );
}

#[tokio::test]
async fn root_key_from_env_is_required_to_read_back() {
    let dir = TempDir::new("rootkey");
    let key = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, [7u8; 32]);
    let env = vec![("COFRE_ROOT_KEY".to_owned(), key)];
    let mut srv = Server::start_with(
        dir.path(),
        Options {
            env: env.clone(),
            ..Default::default()
        },
    );
    let c = client(&srv.endpoint());
    c.create_secret()
        .name("rk")
        .secret_string("x")
        .send()
        .await
        .expect("create");
    assert!(srv.terminate().success());
    assert!(
        !dir.path().join("root-key").exists(),
        "no key file when the key comes from the env"
    );
    let srv = Server::start_with(
        dir.path(),
        Options {
            env,
            ..Default::default()
        },
    );
    let c = client(&srv.endpoint());
    assert_eq!(
        c.get_secret_value()
            .secret_id("rk")
            .send()
            .await
            .expect("get")
            .secret_string(),
        Some("x")
    );
}
