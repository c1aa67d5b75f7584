//! The behavioural contract of [`Store`], as one suite every backend must pass.
//!
//! Each case is a public `async fn(&dyn Store)` that panics (via `assert!`) on a
//! violation. Cases use disjoint accounts and uids, so they can share one store and run
//! in any order. Run them all with [`run_all`], or one test per case with
//! [`conformance_tests!`](crate::conformance_tests):
//!
//! ```ignore
//! cofre_store::conformance_tests!(Box::new(cofre_store::MemoryStore::new()));
//! ```
//!
//! [`TempSqlite`] is a throwaway on-disk store for tests in this and other crates.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::Poll;

use crate::{
    AuditAttribute, AuditDigestRow, AuditFilter, AuditRow, Scope, SecretRow, SecretWrite, Snapshot,
    SqliteStore, Store, StoreError, RESTORE_TARGET_NOT_EMPTY,
};

/// Defines one `#[tokio::test]` per conformance case. `$make` is evaluated afresh for
/// each test and must yield something that dereferences to a [`Store`](crate::Store)
/// (a `Box<MemoryStore>`, an `Arc<dyn Store>`, a [`TempSqlite`], ...). The invoking crate
/// needs `tokio` with the `macros` and `rt` features.
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@cases $make;
            create_get_list,
            get_by_arn,
            name_taken,
            scopes_isolate,
            cas_update,
            malformed_writes_rejected,
            versions_put_drop_replace,
            failed_write_changes_nothing,
            delete_cascades,
            due_for_purge,
            kv_semantics,
            concurrent_updates_one_wins,
            concurrent_creates_one_wins,
            concurrent_kv_put_if_absent_agree,
            kv_cas_and_delete,
            concurrent_kv_cas_loses_nothing,
            audit_append_is_contiguous,
            audit_lookup_filters_and_pages,
            audit_digests_round_trip,
            snapshot_holds_everything,
        );
        #[tokio::test]
        async fn snapshot_restore_round_trip() {
            let source = $make;
            let target = $make;
            $crate::conformance::snapshot_restore_round_trip(&*source, &*target).await;
        }
    };
    (@cases $make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let fixture = $make;
                $crate::conformance::$case(&*fixture).await;
            }
        )*
    };
}

/// Runs every case against `store`, in order.
///
/// # Panics
///
/// On the first contract violation.
pub async fn run_all(store: &dyn Store) {
    create_get_list(store).await;
    get_by_arn(store).await;
    name_taken(store).await;
    scopes_isolate(store).await;
    cas_update(store).await;
    malformed_writes_rejected(store).await;
    versions_put_drop_replace(store).await;
    failed_write_changes_nothing(store).await;
    delete_cascades(store).await;
    due_for_purge(store).await;
    kv_semantics(store).await;
    concurrent_updates_one_wins(store).await;
    concurrent_creates_one_wins(store).await;
    concurrent_kv_put_if_absent_agree(store).await;
    kv_cas_and_delete(store).await;
    concurrent_kv_cas_loses_nothing(store).await;
    audit_append_is_contiguous(store).await;
    audit_lookup_filters_and_pages(store).await;
    audit_digests_round_trip(store).await;
    snapshot_holds_everything(store).await;
}

// ---- helpers ---------------------------------------------------------------------

fn scope(account: &str) -> Scope {
    Scope::new(account, "us-east-1")
}

fn row(scope: &Scope, uid: &str, name: &str) -> SecretRow {
    SecretRow {
        uid: uid.to_owned(),
        account_id: scope.account_id.clone(),
        region: scope.region.clone(),
        name: name.to_owned(),
        arn: format!(
            "arn:aws:secretsmanager:{}:{}:secret:{name}-{uid}",
            scope.region, scope.account_id
        ),
        revision: 1,
        purge_at_ms: None,
        meta: format!("{{\"name\":\"{name}\"}}").into_bytes(),
    }
}

fn create(row: SecretRow) -> SecretWrite {
    SecretWrite {
        row,
        expected_revision: None,
        put_versions: Vec::new(),
        drop_versions: Vec::new(),
    }
}

/// An update of `row` from its current revision to the next.
fn update(mut row: SecretRow) -> SecretWrite {
    let expected = row.revision;
    row.revision += 1;
    SecretWrite {
        row,
        expected_revision: Some(expected),
        put_versions: Vec::new(),
        drop_versions: Vec::new(),
    }
}

async fn must_write(store: &dyn Store, write: SecretWrite) {
    let what = format!(
        "write of {} (expected {:?})",
        write.row.uid, write.expected_revision
    );
    store.write_secret(write).await.expect(&what);
}

async fn must_get(store: &dyn Store, scope: &Scope, name: &str) -> SecretRow {
    store
        .get_secret(scope, name)
        .await
        .expect("get_secret")
        .unwrap_or_else(|| panic!("secret {name} should exist"))
}

async fn version(store: &dyn Store, uid: &str, version_id: &str) -> Option<Vec<u8>> {
    store
        .get_version(uid, version_id)
        .await
        .expect("get_version")
}

/// Polls all `futures` concurrently on the current task until every one is done.
/// (A tiny `join_all`, to avoid a dependency; the backends' own blocking work still
/// runs in parallel on tokio's blocking pool.)
async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if output.is_none() {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => *output = Some(value),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// How many writers the concurrency cases race.
const RACERS: usize = 16;

// ---- cases -----------------------------------------------------------------------

/// Rows read back exactly as written (binary `meta` included); lists are per scope and
/// sorted by name; a missing name is `None`.
pub async fn create_get_list(store: &dyn Store) {
    let s = scope("100000000001");
    assert_eq!(store.list_secrets(&s).await.expect("list"), vec![]);
    assert_eq!(store.get_secret(&s, "nope").await.expect("get"), None);

    let mut names = vec![
        "b/second",
        "a-first",
        "c_third",
        "B-upper",
        "prod/db/password",
    ];
    let mut expected = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let mut r = row(&s, &format!("cgl-{i}"), name);
        // meta is opaque bytes, not necessarily UTF-8.
        r.meta = vec![0, 159, 146, 150, i as u8, 255];
        r.revision = 7 + i as u64;
        if i == 2 {
            r.purge_at_ms = Some(1_700_000_000_000);
        }
        must_write(store, create(r.clone())).await;
        assert_eq!(must_get(store, &s, name).await, r);
        expected.push(r);
    }
    names.sort_unstable();
    expected.sort_by(|a, b| a.name.cmp(&b.name));
    let listed = store.list_secrets(&s).await.expect("list");
    assert_eq!(listed, expected);
    assert_eq!(
        listed.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        names
    );
    // Names are case-sensitive and matched exactly.
    assert_eq!(store.get_secret(&s, "A-FIRST").await.expect("get"), None);
    assert_eq!(store.get_secret(&s, "a-firs").await.expect("get"), None);
}

/// Lookup by exact ARN, in any scope.
pub async fn get_by_arn(store: &dyn Store) {
    let s = Scope::new("100000000002", "eu-west-3");
    let r = row(&s, "arn-1", "by-arn");
    must_write(store, create(r.clone())).await;
    assert_eq!(
        store.get_secret_by_arn(&r.arn).await.expect("by arn"),
        Some(r.clone())
    );
    let prefix = &r.arn[..r.arn.len() - 1];
    assert_eq!(store.get_secret_by_arn(prefix).await.expect("by arn"), None);
    assert_eq!(
        store
            .get_secret_by_arn("arn:aws:secretsmanager:us-east-1:0:secret:none")
            .await
            .expect("by arn"),
        None
    );
}

/// Creating a second secret with a taken name (or ARN) fails with `NameTaken`; reusing
/// a uid fails with `Conflict`; the original row is untouched.
pub async fn name_taken(store: &dyn Store) {
    let s = scope("100000000003");
    let original = row(&s, "nt-1", "dup");
    must_write(store, create(original.clone())).await;

    let same_name = row(&s, "nt-2", "dup");
    assert_eq!(
        store.write_secret(create(same_name)).await,
        Err(StoreError::NameTaken)
    );
    let mut same_arn = row(&s, "nt-3", "other-name");
    same_arn.arn = original.arn.clone();
    assert_eq!(
        store.write_secret(create(same_arn)).await,
        Err(StoreError::NameTaken)
    );
    let same_uid = row(&s, "nt-1", "third-name");
    assert_eq!(
        store.write_secret(create(same_uid)).await,
        Err(StoreError::Conflict)
    );
    // A name scheduled for deletion is still taken.
    let mut scheduled = update(original.clone());
    scheduled.row.purge_at_ms = Some(5);
    must_write(store, scheduled).await;
    assert_eq!(
        store.write_secret(create(row(&s, "nt-4", "dup"))).await,
        Err(StoreError::NameTaken)
    );

    assert_eq!(must_get(store, &s, "dup").await.uid, "nt-1");
    assert_eq!(store.list_secrets(&s).await.expect("list").len(), 1);
    assert_eq!(store.get_secret(&s, "other-name").await.expect("get"), None);
}

/// The same name may exist once per (account, region); scopes never see each other.
pub async fn scopes_isolate(store: &dyn Store) {
    let scopes = [
        Scope::new("100000000004", "us-east-1"),
        Scope::new("100000000004", "us-west-2"),
        Scope::new("100000000005", "us-east-1"),
    ];
    for (i, s) in scopes.iter().enumerate() {
        must_write(store, create(row(s, &format!("iso-{i}"), "shared-name"))).await;
    }
    for (i, s) in scopes.iter().enumerate() {
        let got = must_get(store, s, "shared-name").await;
        assert_eq!(got.uid, format!("iso-{i}"));
        let listed = store.list_secrets(s).await.expect("list");
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].uid, format!("iso-{i}"));
    }
    // An account id that is a prefix of another does not leak into its listing.
    assert!(store
        .list_secrets(&Scope::new("10000000000", "us-east-1"))
        .await
        .expect("list")
        .is_empty());
    assert!(store
        .list_secrets(&Scope::new("100000000004", "us-east"))
        .await
        .expect("list")
        .is_empty());
}

/// Compare-and-swap: an update applies only at the expected revision, otherwise
/// `Conflict`; updating a missing row is `Conflict`; renaming onto a taken name is
/// `NameTaken`; a rename frees the old name.
pub async fn cas_update(store: &dyn Store) {
    let s = scope("100000000006");
    let r1 = row(&s, "cas-1", "cas-one");
    must_write(store, create(r1.clone())).await;
    must_write(store, create(row(&s, "cas-2", "cas-two"))).await;

    let mut next = update(r1.clone());
    next.row.meta = b"second".to_vec();
    next.row.purge_at_ms = Some(42);
    must_write(store, next.clone()).await;
    assert_eq!(must_get(store, &s, "cas-one").await, next.row);

    // Stale writer, still expecting revision 1.
    let mut stale = update(r1.clone());
    stale.row.meta = b"stale".to_vec();
    assert_eq!(store.write_secret(stale).await, Err(StoreError::Conflict));
    // Expecting a revision from the future.
    let mut future = update(next.row.clone());
    future.expected_revision = Some(99);
    future.row.revision = 100;
    assert_eq!(store.write_secret(future).await, Err(StoreError::Conflict));
    assert_eq!(must_get(store, &s, "cas-one").await, next.row);

    // Clearing the purge mark round-trips as None.
    let mut restore = update(next.row.clone());
    restore.row.purge_at_ms = None;
    must_write(store, restore.clone()).await;
    assert_eq!(must_get(store, &s, "cas-one").await.purge_at_ms, None);

    // Updating a row that does not exist.
    let ghost = update(row(&s, "cas-ghost", "ghost"));
    assert_eq!(store.write_secret(ghost).await, Err(StoreError::Conflict));
    assert_eq!(store.get_secret(&s, "ghost").await.expect("get"), None);

    // Rename onto a taken name, then onto a free one.
    let mut clash = update(restore.row.clone());
    clash.row.name = "cas-two".to_owned();
    assert_eq!(store.write_secret(clash).await, Err(StoreError::NameTaken));
    let mut rename = update(restore.row.clone());
    rename.row.name = "cas-renamed".to_owned();
    must_write(store, rename.clone()).await;
    assert_eq!(store.get_secret(&s, "cas-one").await.expect("get"), None);
    assert_eq!(must_get(store, &s, "cas-renamed").await, rename.row);
    must_write(store, create(row(&s, "cas-3", "cas-one"))).await;
    // Large revisions up to i64::MAX are kept exactly.
    let mut big = update(rename.row.clone());
    big.row.revision = i64::MAX as u64;
    must_write(store, big.clone()).await;
    assert_eq!(
        must_get(store, &s, "cas-renamed").await.revision,
        i64::MAX as u64
    );
}

/// Writes that break the documented preconditions are refused as `Backend` errors
/// before touching anything.
pub async fn malformed_writes_rejected(store: &dyn Store) {
    let s = scope("100000000007");
    let r = row(&s, "bad-1", "malformed");
    must_write(store, create(r.clone())).await;

    let mut same_revision = update(r.clone());
    same_revision.row.revision = r.revision;
    let mut lower_revision = update(r.clone());
    lower_revision.row.revision = 0;
    let mut overlap = update(r.clone());
    overlap.put_versions = vec![("v1".to_owned(), b"x".to_vec())];
    overlap.drop_versions = vec!["v1".to_owned()];
    let mut huge = create(row(&s, "bad-2", "huge"));
    huge.row.revision = u64::MAX;
    for bad in [same_revision, lower_revision, overlap, huge] {
        let result = store.write_secret(bad).await;
        assert!(
            matches!(result, Err(StoreError::Backend(_))),
            "expected Backend error, got {result:?}"
        );
    }
    assert_eq!(must_get(store, &s, "malformed").await, r);
    assert_eq!(store.get_secret(&s, "huge").await.expect("get"), None);
    assert_eq!(version(store, "bad-1", "v1").await, None);
}

/// Versions are inserted with the row, replaced by id, dropped by id; dropping an
/// absent id is a no-op; versions belong to one secret only.
pub async fn versions_put_drop_replace(store: &dyn Store) {
    let s = scope("100000000008");
    let mut first = create(row(&s, "ver-1", "versioned"));
    first.put_versions = vec![
        ("v1".to_owned(), b"blob-1".to_vec()),
        ("v2".to_owned(), vec![0, 1, 2, 255]),
    ];
    must_write(store, first.clone()).await;
    must_write(store, create(row(&s, "ver-2", "other"))).await;
    assert_eq!(
        version(store, "ver-1", "v1").await,
        Some(b"blob-1".to_vec())
    );
    assert_eq!(
        version(store, "ver-1", "v2").await,
        Some(vec![0, 1, 2, 255])
    );
    assert_eq!(version(store, "ver-1", "v3").await, None);
    assert_eq!(version(store, "ver-2", "v1").await, None);
    assert_eq!(version(store, "nobody", "v1").await, None);

    // Replace v1, add v3, drop v2 and an id that never existed, in one write.
    let mut second = update(first.row.clone());
    second.put_versions = vec![
        ("v1".to_owned(), b"blob-1b".to_vec()),
        ("v3".to_owned(), Vec::new()),
    ];
    second.drop_versions = vec!["v2".to_owned(), "never".to_owned()];
    must_write(store, second.clone()).await;
    assert_eq!(
        version(store, "ver-1", "v1").await,
        Some(b"blob-1b".to_vec())
    );
    assert_eq!(version(store, "ver-1", "v2").await, None);
    assert_eq!(version(store, "ver-1", "v3").await, Some(Vec::new()));

    // A write with no version changes leaves versions alone.
    must_write(store, update(second.row.clone())).await;
    assert_eq!(
        version(store, "ver-1", "v1").await,
        Some(b"blob-1b".to_vec())
    );
    assert_eq!(version(store, "ver-1", "v3").await, Some(Vec::new()));
}

/// A write that fails (Conflict, NameTaken) leaves rows and versions exactly as before.
pub async fn failed_write_changes_nothing(store: &dyn Store) {
    let s = scope("100000000009");
    let mut first = create(row(&s, "atom-1", "atomic"));
    first.put_versions = vec![("v1".to_owned(), b"one".to_vec())];
    must_write(store, first.clone()).await;
    must_write(store, create(row(&s, "atom-2", "taken"))).await;

    let mut conflicting = update(first.row.clone());
    conflicting.expected_revision = Some(first.row.revision + 5);
    conflicting.row.revision = first.row.revision + 6;
    conflicting.put_versions = vec![
        ("v1".to_owned(), b"overwritten".to_vec()),
        ("v2".to_owned(), b"two".to_vec()),
    ];
    assert_eq!(
        store.write_secret(conflicting).await,
        Err(StoreError::Conflict)
    );

    let mut renaming = update(first.row.clone());
    renaming.row.name = "taken".to_owned();
    renaming.put_versions = vec![("v2".to_owned(), b"two".to_vec())];
    renaming.drop_versions = vec!["v1".to_owned()];
    assert_eq!(
        store.write_secret(renaming).await,
        Err(StoreError::NameTaken)
    );

    let mut dup_create = create(row(&s, "atom-3", "taken"));
    dup_create.put_versions = vec![("v9".to_owned(), b"nine".to_vec())];
    assert_eq!(
        store.write_secret(dup_create).await,
        Err(StoreError::NameTaken)
    );

    assert_eq!(must_get(store, &s, "atomic").await, first.row);
    assert_eq!(version(store, "atom-1", "v1").await, Some(b"one".to_vec()));
    assert_eq!(version(store, "atom-1", "v2").await, None);
    assert_eq!(version(store, "atom-3", "v9").await, None);
}

/// Delete is compare-and-swap too, removes every version, and frees the name.
pub async fn delete_cascades(store: &dyn Store) {
    let s = scope("100000000010");
    let mut first = create(row(&s, "del-1", "doomed"));
    first.put_versions = vec![
        ("v1".to_owned(), b"a".to_vec()),
        ("v2".to_owned(), b"b".to_vec()),
    ];
    must_write(store, first.clone()).await;
    let r = first.row;

    assert_eq!(
        store.delete_secret(&r.uid, r.revision + 1).await,
        Err(StoreError::Conflict)
    );
    assert_eq!(must_get(store, &s, "doomed").await, r);
    store
        .delete_secret(&r.uid, r.revision)
        .await
        .expect("delete");
    assert_eq!(store.get_secret(&s, "doomed").await.expect("get"), None);
    assert_eq!(store.get_secret_by_arn(&r.arn).await.expect("get"), None);
    assert_eq!(version(store, "del-1", "v1").await, None);
    assert_eq!(version(store, "del-1", "v2").await, None);
    assert!(store.list_secrets(&s).await.expect("list").is_empty());
    // Deleting again: the expected row is gone.
    assert_eq!(
        store.delete_secret(&r.uid, r.revision).await,
        Err(StoreError::Conflict)
    );
    // The name (and even the ARN) can be used again by a new secret.
    let mut again = row(&s, "del-2", "doomed");
    again.arn = r.arn.clone();
    must_write(store, create(again)).await;
    assert_eq!(version(store, "del-2", "v1").await, None);
    // A new row with the old uid starts with no versions.
    must_write(store, create(row(&s, "del-1", "reborn"))).await;
    assert_eq!(version(store, "del-1", "v1").await, None);
}

/// `due_for_purge` returns rows with `purge_at_ms <= now` from every scope, in
/// (purge time, uid) order, and nothing unscheduled.
pub async fn due_for_purge(store: &dyn Store) {
    // Other cases schedule rows too, so only this case's uids are considered, and its
    // times are far beyond theirs.
    const BASE: i64 = 4_000_000_000_000;
    let mine = |rows: Vec<SecretRow>| -> Vec<(String, Option<i64>)> {
        rows.into_iter()
            .filter(|r| r.uid.starts_with("purge-"))
            .map(|r| (r.uid, r.purge_at_ms))
            .collect()
    };
    let plan = [
        (
            "purge-a",
            Scope::new("100000000011", "us-east-1"),
            Some(BASE + 20),
        ),
        (
            "purge-b",
            Scope::new("100000000012", "ap-south-1"),
            Some(BASE + 10),
        ),
        (
            "purge-c",
            Scope::new("100000000011", "us-east-1"),
            Some(BASE + 10),
        ),
        ("purge-d", Scope::new("100000000011", "us-east-1"), None),
        (
            "purge-e",
            Scope::new("100000000013", "us-east-1"),
            Some(BASE + 30),
        ),
    ];
    for (uid, s, at) in &plan {
        let mut r = row(s, uid, &format!("name-{uid}"));
        r.purge_at_ms = *at;
        must_write(store, create(r)).await;
    }
    let due = |now| async move { mine(store.due_for_purge(now).await.expect("due")) };
    let at = |uid: &str, t| (uid.to_owned(), Some(BASE + t));

    assert_eq!(due(BASE + 9).await, vec![]);
    assert_eq!(
        due(BASE + 10).await,
        vec![at("purge-b", 10), at("purge-c", 10)]
    );
    assert_eq!(
        due(BASE + 29).await,
        vec![at("purge-b", 10), at("purge-c", 10), at("purge-a", 20)]
    );
    assert_eq!(due(i64::MAX).await.len(), 4);

    // Cancelling the deletion takes a row off the list.
    let s = Scope::new("100000000011", "us-east-1");
    let mut cancel = update(must_get(store, &s, "name-purge-a").await);
    cancel.row.purge_at_ms = None;
    must_write(store, cancel).await;
    assert_eq!(
        due(BASE + 100).await,
        vec![at("purge-b", 10), at("purge-c", 10), at("purge-e", 30)]
    );
}

/// Key/value area: get, put-if-absent returning the winner, overwrite, per-namespace
/// sorted listing, binary and empty values.
pub async fn kv_semantics(store: &dyn Store) {
    let ns = "conformance-kv";
    let other = "conformance-kv-other";
    assert_eq!(store.kv_get(ns, "k1").await.expect("get"), None);
    assert_eq!(store.kv_list(ns).await.expect("list"), vec![]);

    assert_eq!(
        store
            .kv_put_if_absent(ns, "k1", b"first".to_vec())
            .await
            .expect("put_if_absent"),
        b"first".to_vec()
    );
    assert_eq!(
        store
            .kv_put_if_absent(ns, "k1", b"second".to_vec())
            .await
            .expect("put_if_absent"),
        b"first".to_vec()
    );
    assert_eq!(
        store.kv_get(ns, "k1").await.expect("get"),
        Some(b"first".to_vec())
    );

    store
        .kv_put(ns, "k1", b"third".to_vec())
        .await
        .expect("put");
    assert_eq!(
        store.kv_get(ns, "k1").await.expect("get"),
        Some(b"third".to_vec())
    );

    store.kv_put(ns, "b", vec![0, 255]).await.expect("put");
    store.kv_put(ns, "a", Vec::new()).await.expect("put");
    store
        .kv_put(other, "a", b"elsewhere".to_vec())
        .await
        .expect("put");
    assert_eq!(store.kv_get(ns, "a").await.expect("get"), Some(Vec::new()));
    assert_eq!(
        store.kv_list(ns).await.expect("list"),
        vec![
            ("a".to_owned(), Vec::new()),
            ("b".to_owned(), vec![0, 255]),
            ("k1".to_owned(), b"third".to_vec()),
        ]
    );
    assert_eq!(
        store.kv_list(other).await.expect("list"),
        vec![("a".to_owned(), b"elsewhere".to_vec())]
    );
    // A namespace that is a prefix of another sees nothing of it.
    assert_eq!(store.kv_list("conformance-k").await.expect("list"), vec![]);
    assert_eq!(store.kv_get(other, "k1").await.expect("get"), None);
}

/// Many writers update the same revision at once: exactly one wins, the rest get
/// `Conflict`, and the stored row is the winner's.
pub async fn concurrent_updates_one_wins(store: &dyn Store) {
    let s = scope("100000000014");
    let base = row(&s, "race-1", "raced");
    must_write(store, create(base.clone())).await;

    let attempts = (0..RACERS).map(|i| {
        let mut write = update(base.clone());
        write.row.meta = format!("writer-{i}").into_bytes();
        write.put_versions = vec![(format!("v-{i}"), vec![i as u8])];
        async move { (i, store.write_secret(write).await) }
    });
    let results = join_all(attempts.collect()).await;
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one writer must win: {results:?}");
    for (_, result) in &results {
        assert!(
            matches!(result, Ok(()) | Err(StoreError::Conflict)),
            "{result:?}"
        );
    }
    let winner = winners[0];
    let stored = must_get(store, &s, "raced").await;
    assert_eq!(stored.revision, base.revision + 1);
    assert_eq!(stored.meta, format!("writer-{winner}").into_bytes());
    for i in 0..RACERS {
        let expected = (i == winner).then(|| vec![i as u8]);
        assert_eq!(version(store, "race-1", &format!("v-{i}")).await, expected);
    }
}

/// Many creators race for one name: exactly one wins, the rest get `NameTaken`.
pub async fn concurrent_creates_one_wins(store: &dyn Store) {
    let s = scope("100000000015");
    let attempts = (0..RACERS).map(|i| {
        let write = create(row(&s, &format!("race-create-{i}"), "contested"));
        async move { (i, store.write_secret(write).await) }
    });
    let results = join_all(attempts.collect()).await;
    let winners: Vec<usize> = results
        .iter()
        .filter(|(_, r)| r.is_ok())
        .map(|(i, _)| *i)
        .collect();
    assert_eq!(
        winners.len(),
        1,
        "exactly one creator must win: {results:?}"
    );
    for (_, result) in &results {
        assert!(
            matches!(result, Ok(()) | Err(StoreError::NameTaken)),
            "{result:?}"
        );
    }
    let stored = must_get(store, &s, "contested").await;
    assert_eq!(stored.uid, format!("race-create-{}", winners[0]));
    assert_eq!(store.list_secrets(&s).await.expect("list").len(), 1);
}

/// Racing `kv_put_if_absent` calls all return the same, stored value.
pub async fn concurrent_kv_put_if_absent_agree(store: &dyn Store) {
    let ns = "conformance-kv-race";
    let attempts = (0..RACERS).map(|i| store.kv_put_if_absent(ns, "key", vec![i as u8]));
    let results: Vec<Vec<u8>> = join_all(attempts.collect())
        .await
        .into_iter()
        .map(|r| r.expect("put_if_absent"))
        .collect();
    let stored = store.kv_get(ns, "key").await.expect("get").expect("stored");
    assert_eq!(stored.len(), 1);
    assert!(usize::from(stored[0]) < RACERS);
    assert!(results.iter().all(|r| *r == stored), "{results:?}");
}

// ---- a throwaway SQLite store -------------------------------------------------------

/// A process-unique suffix for temporary file names.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A [`SqliteStore`] in a fresh temporary directory that is removed on drop. For tests.
#[derive(Debug)]
pub struct TempSqlite {
    dir: PathBuf,
    store: Option<SqliteStore>,
}

impl TempSqlite {
    /// Creates a new directory under the system temp dir and opens a store in it.
    ///
    /// # Panics
    ///
    /// If the directory cannot be created or the store cannot be opened.
    pub fn new() -> Self {
        let dir = std::env::temp_dir().join(format!("cofre-store-test-{}", unique_suffix()));
        std::fs::create_dir_all(&dir).expect("create temporary directory");
        let store = SqliteStore::open(&dir.join("cofre.db")).expect("open temporary store");
        Self {
            dir,
            store: Some(store),
        }
    }

    /// The database file's path.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("cofre.db")
    }

    /// The temporary directory holding the database.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Closes the store (keeping the files) and opens the same file again.
    ///
    /// # Panics
    ///
    /// If reopening fails.
    pub fn reopen(&mut self) {
        drop(self.store.take());
        self.store = Some(SqliteStore::open(&self.db_path()).expect("reopen store"));
    }
}

impl Default for TempSqlite {
    fn default() -> Self {
        Self::new()
    }
}

impl std::ops::Deref for TempSqlite {
    type Target = SqliteStore;

    fn deref(&self) -> &SqliteStore {
        // Only `reopen` takes the store out, and it always puts one back.
        self.store.as_ref().expect("store is open")
    }
}

impl Drop for TempSqlite {
    fn drop(&mut self) {
        drop(self.store.take());
        // Best effort: a leftover temp dir is harmless.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `kv_cas` swaps only on a match (absent included) and can delete; `kv_delete` reports
/// whether the key existed.
pub async fn kv_cas_and_delete(store: &dyn Store) {
    let ns = "cas";
    assert!(
        store
            .kv_cas(ns, "k", None, Some(b"1".to_vec()))
            .await
            .expect("cas"),
        "insert when absent"
    );
    assert!(
        !store
            .kv_cas(ns, "k", None, Some(b"x".to_vec()))
            .await
            .expect("cas"),
        "not absent any more"
    );
    assert!(
        !store
            .kv_cas(ns, "k", Some(b"0".to_vec()), Some(b"x".to_vec()))
            .await
            .expect("cas"),
        "wrong expectation"
    );
    assert_eq!(
        store.kv_get(ns, "k").await.expect("get"),
        Some(b"1".to_vec())
    );
    assert!(store
        .kv_cas(ns, "k", Some(b"1".to_vec()), Some(b"2".to_vec()))
        .await
        .expect("cas"));
    assert_eq!(
        store.kv_get(ns, "k").await.expect("get"),
        Some(b"2".to_vec())
    );
    assert!(store
        .kv_cas(ns, "k", Some(b"2".to_vec()), None)
        .await
        .expect("cas delete"));
    assert_eq!(store.kv_get(ns, "k").await.expect("get"), None);
    store.kv_put(ns, "d", b"v".to_vec()).await.expect("put");
    assert!(store.kv_delete(ns, "d").await.expect("delete"));
    assert!(!store.kv_delete(ns, "d").await.expect("delete again"));
    assert_eq!(store.kv_get(ns, "d").await.expect("get"), None);
}

/// Many writers incrementing one counter through read + `kv_cas` retry loops lose no
/// increment.
pub async fn concurrent_kv_cas_loses_nothing(store: &dyn Store) {
    let ns = "cas-race";
    store.kv_put(ns, "n", b"0".to_vec()).await.expect("seed");
    let worker = |_: usize| async move {
        for _ in 0..10 {
            loop {
                let cur = store.kv_get(ns, "n").await.expect("get").expect("present");
                let n: u64 = std::str::from_utf8(&cur)
                    .expect("utf8")
                    .parse()
                    .expect("number");
                let next = (n + 1).to_string().into_bytes();
                if store
                    .kv_cas(ns, "n", Some(cur), Some(next))
                    .await
                    .expect("cas")
                {
                    break;
                }
            }
        }
    };
    futures_join_all((0..8).map(worker).collect()).await;
    assert_eq!(
        store.kv_get(ns, "n").await.expect("get"),
        Some(b"80".to_vec())
    );
}

/// Polls futures concurrently on the current task (no extra dependency).
async fn futures_join_all<F: std::future::Future<Output = ()>>(futs: Vec<F>) {
    let mut futs: Vec<_> = futs.into_iter().map(Box::pin).collect();
    std::future::poll_fn(move |cx| {
        futs.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if futs.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

// ---- audit trail -------------------------------------------------------------------

fn audit_row(seq: u64, account: &str, name: &str, time_ms: i64) -> AuditRow {
    AuditRow {
        seq,
        event_id: format!("ev-{account}-{seq}"),
        event_time_ms: time_ms,
        event_name: name.to_owned(),
        event_source: "secretsmanager.amazonaws.com".to_owned(),
        read_only: name.starts_with("Get"),
        access_key_id: Some(format!("AKIA{account}")),
        username: Some(format!("user-{seq}")),
        recipient_account: account.to_owned(),
        resources: vec![(
            "AWS::SecretsManager::Secret".to_owned(),
            format!("arn:secret:{account}:{seq}"),
        )],
        record: format!("{{\"seq\":{seq}}}").into_bytes(),
        prev_hash: vec![seq as u8; 32],
        hash: vec![seq as u8 + 1; 32],
    }
}

async fn audit_tail(store: &dyn Store) -> u64 {
    store
        .audit_last()
        .await
        .expect("audit_last")
        .map_or(0, |r| r.seq)
}

/// Appends must continue the sequence exactly; a gap or a replayed number is a conflict and
/// writes nothing, even when the batch's first rows would have fit.
pub async fn audit_append_is_contiguous(store: &dyn Store) {
    let base = audit_tail(store).await;
    let acct = "710000000001";
    let batch: Vec<AuditRow> = (1..=3)
        .map(|i| audit_row(base + i, acct, "PutSecretValue", 1_000 + i as i64))
        .collect();
    store.audit_append(batch.clone()).await.expect("append");
    let last = store.audit_last().await.expect("last").expect("a row");
    assert_eq!(last, batch[2], "rows read back exactly as written");
    assert_eq!(
        store.audit_scan(base, 10).await.expect("scan"),
        batch,
        "scan is ascending"
    );
    assert_eq!(
        store.audit_scan(base + 1, 1).await.expect("scan"),
        vec![batch[1].clone()]
    );

    // A replayed sequence number, a gap, and a batch whose second row skips one.
    for bad in [
        vec![audit_row(base + 3, acct, "X", 0)],
        vec![audit_row(base + 5, acct, "X", 0)],
        vec![
            audit_row(base + 4, acct, "X", 0),
            audit_row(base + 6, acct, "X", 0),
        ],
    ] {
        assert_eq!(store.audit_append(bad).await, Err(StoreError::Conflict));
    }
    assert_eq!(
        audit_tail(store).await,
        base + 3,
        "failed appends wrote nothing"
    );
    store
        .audit_append(Vec::new())
        .await
        .expect("an empty batch is a no-op");
}

/// Look-ups see only their account, newest first, filtered by each attribute and by time,
/// and page with `before_seq`.
pub async fn audit_lookup_filters_and_pages(store: &dyn Store) {
    let base = audit_tail(store).await;
    let (a, b) = ("720000000001", "720000000002");
    let rows = vec![
        audit_row(base + 1, a, "CreateSecret", 10),
        audit_row(base + 2, b, "CreateSecret", 20),
        audit_row(base + 3, a, "GetSecretValue", 30),
        audit_row(base + 4, a, "PutSecretValue", 40),
    ];
    store.audit_append(rows.clone()).await.expect("append");
    let filter = |attribute: Option<(AuditAttribute, &str)>| AuditFilter {
        recipient_account: a.to_owned(),
        attribute: attribute.map(|(k, v)| (k, v.to_owned())),
        start_ms: None,
        end_ms: None,
        before_seq: None,
        limit: 50,
    };
    let seqs = |found: Vec<AuditRow>| found.iter().map(|r| r.seq - base).collect::<Vec<_>>();
    let all = store.audit_lookup(&filter(None)).await.expect("lookup");
    assert_eq!(
        seqs(all.clone()),
        vec![4, 3, 1],
        "only account a, newest first"
    );
    assert_eq!(all[0], rows[3]);

    let by = |k, v: String| {
        let f = filter(Some((k, v.as_str())));
        async move { seqs(store.audit_lookup(&f).await.expect("lookup")) }
    };
    assert_eq!(
        by(AuditAttribute::EventName, "CreateSecret".into()).await,
        vec![1]
    );
    assert_eq!(by(AuditAttribute::ReadOnly, "true".into()).await, vec![3]);
    assert_eq!(
        by(AuditAttribute::ReadOnly, "false".into()).await,
        vec![4, 1]
    );
    assert_eq!(
        by(AuditAttribute::EventId, format!("ev-{a}-{}", base + 3)).await,
        vec![3]
    );
    assert_eq!(
        by(AuditAttribute::Username, format!("user-{}", base + 4)).await,
        vec![4]
    );
    assert_eq!(
        by(AuditAttribute::AccessKeyId, format!("AKIA{a}")).await,
        vec![4, 3, 1]
    );
    assert_eq!(
        by(
            AuditAttribute::EventSource,
            "secretsmanager.amazonaws.com".into()
        )
        .await,
        vec![4, 3, 1]
    );
    assert_eq!(
        by(
            AuditAttribute::ResourceName,
            format!("arn:secret:{a}:{}", base + 3)
        )
        .await,
        vec![3]
    );
    assert_eq!(
        by(
            AuditAttribute::ResourceName,
            format!("arn:secret:{b}:{}", base + 2)
        )
        .await,
        Vec::<u64>::new(),
        "another account's resource is not visible"
    );
    assert_eq!(
        by(
            AuditAttribute::ResourceType,
            "AWS::SecretsManager::Secret".into()
        )
        .await,
        vec![4, 3, 1]
    );

    let mut f = filter(None);
    f.start_ms = Some(20);
    f.end_ms = Some(30);
    assert_eq!(seqs(store.audit_lookup(&f).await.expect("time")), vec![3]);

    let mut f = filter(None);
    f.limit = 2;
    let page1 = store.audit_lookup(&f).await.expect("page 1");
    assert_eq!(seqs(page1.clone()), vec![4, 3]);
    f.before_seq = page1.last().map(|r| r.seq);
    assert_eq!(seqs(store.audit_lookup(&f).await.expect("page 2")), vec![1]);
}

/// Digests read back ascending; one with the same `last_seq` replaces the old one.
pub async fn audit_digests_round_trip(store: &dyn Store) {
    let digest = |seq: u64, sig: u8| AuditDigestRow {
        last_seq: 9_000_000 + seq,
        last_hash: vec![sig; 32],
        time_ms: seq as i64,
        signature: vec![sig; 64],
    };
    store.audit_put_digest(digest(2, 1)).await.expect("put");
    store.audit_put_digest(digest(1, 1)).await.expect("put");
    store.audit_put_digest(digest(2, 7)).await.expect("replace");
    let found: Vec<AuditDigestRow> = store
        .audit_digests()
        .await
        .expect("digests")
        .into_iter()
        .filter(|d| d.last_seq > 9_000_000)
        .collect();
    assert_eq!(found, vec![digest(1, 1), digest(2, 7)]);
}

// ---- snapshots -----------------------------------------------------------------------

/// Writes a little of everything under `account`: two secrets (one with two versions, one
/// scheduled for deletion), key/value entries, two audit records and a digest.
async fn populate(store: &dyn Store, account: &str) {
    let sc = scope(account);
    let mut a = row(&sc, &format!("{account}-uid-a"), "alpha");
    must_write(
        store,
        SecretWrite {
            put_versions: vec![("v1".to_owned(), b"sealed-1".to_vec())],
            ..create(a.clone())
        },
    )
    .await;
    must_write(
        store,
        SecretWrite {
            put_versions: vec![("v2".to_owned(), b"sealed-2".to_vec())],
            ..update(a.clone())
        },
    )
    .await;
    a.revision += 1;
    let mut b = row(&sc, &format!("{account}-uid-b"), "beta");
    b.purge_at_ms = Some(42);
    must_write(store, create(b)).await;
    for (key, value) in [("k1", "one"), ("k2", "two")] {
        store
            .kv_put(&format!("{account}-ns"), key, value.as_bytes().to_vec())
            .await
            .expect("kv_put");
    }
    let tail = audit_tail(store).await;
    store
        .audit_append(vec![
            snap_audit_row(tail + 1, account, "CreateSecret"),
            snap_audit_row(tail + 2, account, "GetSecretValue"),
        ])
        .await
        .expect("audit_append");
    store
        .audit_put_digest(AuditDigestRow {
            last_seq: tail + 2,
            last_hash: vec![9; 32],
            time_ms: 3,
            signature: vec![8; 64],
        })
        .await
        .expect("digest");
}

/// An audit record at any `seq` (`audit_row`'s hashes overflow at seq 255).
fn snap_audit_row(seq: u64, account: &str, name: &str) -> AuditRow {
    AuditRow {
        seq,
        event_id: format!("ev-{account}-{seq}"),
        prev_hash: seq.to_be_bytes().repeat(4),
        hash: (seq + 1).to_be_bytes().repeat(4),
        ..audit_row(1, account, name, 7)
    }
}

async fn must_snapshot(store: &dyn Store) -> Snapshot {
    store.snapshot().await.expect("snapshot")
}

/// A snapshot holds every row of every kind, in every scope and namespace, in the
/// documented order; restoring into a store that holds anything is refused and changes
/// nothing.
pub async fn snapshot_holds_everything(store: &dyn Store) {
    populate(store, "snap-one").await;
    populate(store, "snap-two").await;
    let snap = must_snapshot(store).await;

    let mut sorted = snap.clone();
    sorted.sort();
    assert_eq!(snap, sorted, "snapshot lists are in the documented order");
    for account in ["snap-one", "snap-two"] {
        for listed in store.list_secrets(&scope(account)).await.expect("list") {
            assert!(
                snap.secrets.contains(&listed),
                "secret {} in snapshot",
                listed.uid
            );
        }
        let uid = format!("{account}-uid-a");
        for (v, blob) in [("v1", &b"sealed-1"[..]), ("v2", &b"sealed-2"[..])] {
            assert!(
                snap.versions
                    .iter()
                    .any(|(u, id, b)| *u == uid && id == v && b.as_slice() == blob),
                "version {v} of {uid} in snapshot"
            );
        }
        for (key, value) in store.kv_list(&format!("{account}-ns")).await.expect("kv") {
            assert!(snap
                .kv
                .iter()
                .any(|(ns, k, val)| *ns == format!("{account}-ns") && *k == key && *val == value));
        }
    }
    let trail = store.audit_scan(0, usize::MAX).await.expect("scan");
    assert_eq!(snap.audit, trail, "the whole audit trail");
    assert_eq!(
        snap.digests,
        store.audit_digests().await.expect("digests"),
        "every digest"
    );

    let refused = store.restore(snap.clone()).await;
    assert_eq!(
        refused,
        Err(StoreError::Backend(RESTORE_TARGET_NOT_EMPTY.to_owned())),
        "restore into a non-empty store"
    );
    assert_eq!(
        must_snapshot(store).await,
        snap,
        "refused restore changed nothing"
    );
}

/// A snapshot restored into an empty store reads back identically, and the restored store
/// takes ordinary writes afterwards; a malformed snapshot is refused whole.
pub async fn snapshot_restore_round_trip(source: &dyn Store, target: &dyn Store) {
    assert!(
        must_snapshot(target).await.is_empty(),
        "fresh store is empty"
    );
    let mut broken = Snapshot::default();
    broken.audit.push(audit_row(5, "rt", "CreateSecret", 1));
    broken
        .kv
        .push(("rt-ns".to_owned(), "k".to_owned(), b"v".to_vec()));
    assert!(
        target.restore(broken).await.is_err(),
        "audit not starting at 1"
    );
    assert!(
        must_snapshot(target).await.is_empty(),
        "refused restore wrote nothing"
    );

    populate(source, "rt-one").await;
    populate(source, "rt-two").await;
    let snap = must_snapshot(source).await;
    target.restore(snap.clone()).await.expect("restore");
    assert_eq!(must_snapshot(target).await, snap, "read back identically");

    // Point reads see restored rows; writes continue from the restored state.
    let sc = scope("rt-one");
    let a = must_get(target, &sc, "alpha").await;
    assert_eq!(a.revision, 2);
    assert_eq!(
        version(target, &a.uid, "v1").await.as_deref(),
        Some(&b"sealed-1"[..])
    );
    assert_eq!(
        target
            .kv_get("rt-two-ns", "k2")
            .await
            .expect("kv_get")
            .as_deref(),
        Some(&b"two"[..])
    );
    must_write(target, update(a)).await;
    let tail = audit_tail(target).await;
    assert_eq!(Some(tail), snap.audit.last().map(|r| r.seq));
    target
        .audit_append(vec![snap_audit_row(tail + 1, "rt-one", "PutSecretValue")])
        .await
        .expect("append after restore");
    assert_eq!(
        target.restore(snap).await,
        Err(StoreError::Backend(RESTORE_TARGET_NOT_EMPTY.to_owned())),
        "second restore refused"
    );
}
