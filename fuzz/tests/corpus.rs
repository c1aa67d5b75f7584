//! Replays every seed corpus (and every reproducer kept in it) through its target under
//! `cargo test`, without libFuzzer: the targets must not panic on any of them.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let data = std::fs::read(&path).expect("a corpus file");
            (file_name(&path), data)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "empty corpus {}", dir.display());
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn replay(target: &str, run: fn(&[u8])) {
    for (name, data) in corpus(target) {
        let outcome = std::panic::catch_unwind(|| run(&data));
        assert!(outcome.is_ok(), "{target}: corpus/{target}/{name} panics");
    }
}

#[test]
fn request_decoding() {
    replay("request_decoding", cofre_fuzz::request_decoding::run);
}

/// The seeds named `<service>-<Operation>-…` must still start with that operation's byte
/// (the generated operation lists may grow; regenerate with `fuzz/make_corpus.py`).
#[test]
fn request_decoding_seeds_name_their_operation() {
    let operations = cofre_fuzz::request_decoding::operations();
    for (name, data) in corpus("request_decoding") {
        let mut parts = name.splitn(3, '-');
        let (Some(service), Some(op)) = (parts.next(), parts.next()) else {
            continue;
        };
        if op == "raw" || !cofre_fuzz::request_decoding::SERVICES.contains(&service) {
            continue;
        }
        let selector = usize::from(data[0]);
        assert_eq!(
            operations.get(selector),
            Some(&(service, op)),
            "corpus/request_decoding/{name}: its first byte names another operation; \
             rerun fuzz/make_corpus.py"
        );
    }
}

#[test]
fn sigv4() {
    replay("sigv4", cofre_fuzz::sigv4::run);
}

#[test]
fn policy() {
    replay("policy", cofre_fuzz::policy::run);
}

#[test]
fn schedule() {
    replay("schedule", cofre_fuzz::schedule::run);
}

#[test]
fn store_records() {
    replay("store_records", cofre_fuzz::store_records::run);
}
