//! [`MemoryStore`]: the [`Store`] contract over ordinary maps behind one `Mutex`.
//!
//! Nothing is persisted; used by `cofre server --dev` and in tests. Every method takes
//! the lock once, checks everything that can fail, and only then mutates, so a failed
//! write changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::audit::check_contiguous;
use crate::{
    validate_write, AuditDigestRow, AuditFilter, AuditRow, Scope, SecretRow, SecretWrite, Snapshot,
    Store, StoreError, RESTORE_TARGET_NOT_EMPTY,
};

/// An in-memory [`Store`]. Cheap to create; contents vanish on drop.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// uid -> row
    rows: HashMap<String, SecretRow>,
    /// (account, region, name) -> uid; ordered so a scope is a contiguous, name-sorted range.
    by_name: BTreeMap<(String, String, String), String>,
    /// arn -> uid
    by_arn: HashMap<String, String>,
    /// uid -> version id -> sealed blob
    versions: HashMap<String, BTreeMap<String, Vec<u8>>>,
    /// (namespace, key) -> value
    kv: BTreeMap<(String, String), Vec<u8>>,
    /// The audit trail, in `seq` order.
    audit: Vec<AuditRow>,
    /// last_seq -> signed digest
    digests: BTreeMap<u64, AuditDigestRow>,
}

fn name_key(row: &SecretRow) -> (String, String, String) {
    (row.account_id.clone(), row.region.clone(), row.name.clone())
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>, StoreError> {
        // A panic while holding the lock could have left the maps half-updated; refuse
        // to serve from them rather than guess.
        self.inner
            .lock()
            .map_err(|_| StoreError::Backend("memory store lock poisoned".to_owned()))
    }
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Contents are deliberately not printed.
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl Inner {
    fn write(&mut self, write: SecretWrite) -> Result<(), StoreError> {
        validate_write(&write)?;
        let SecretWrite {
            row,
            expected_revision,
            put_versions,
            drop_versions,
        } = write;

        let previous = self.rows.get(&row.uid);
        match (expected_revision, previous) {
            (None, Some(_)) => return Err(StoreError::Conflict),
            (None, None) => {}
            (Some(_), None) => return Err(StoreError::Conflict),
            (Some(expected), Some(stored)) if stored.revision != expected => {
                return Err(StoreError::Conflict)
            }
            (Some(_), Some(_)) => {}
        }
        let new_name = name_key(&row);
        let name_clash = self
            .by_name
            .get(&new_name)
            .is_some_and(|uid| *uid != row.uid);
        let arn_clash = self.by_arn.get(&row.arn).is_some_and(|uid| *uid != row.uid);
        if name_clash || arn_clash {
            return Err(StoreError::NameTaken);
        }

        // All checks passed; mutate.
        if let Some(old) = self.rows.get(&row.uid) {
            let old_name = name_key(old);
            let old_arn = old.arn.clone();
            self.by_name.remove(&old_name);
            self.by_arn.remove(&old_arn);
        }
        self.by_name.insert(new_name, row.uid.clone());
        self.by_arn.insert(row.arn.clone(), row.uid.clone());
        let versions = self.versions.entry(row.uid.clone()).or_default();
        for id in &drop_versions {
            versions.remove(id);
        }
        for (id, blob) in put_versions {
            versions.insert(id, blob);
        }
        self.rows.insert(row.uid.clone(), row);
        Ok(())
    }

    fn delete(&mut self, uid: &str, expected_revision: u64) -> Result<(), StoreError> {
        match self.rows.get(uid) {
            Some(row) if row.revision == expected_revision => {}
            _ => return Err(StoreError::Conflict),
        }
        if let Some(row) = self.rows.remove(uid) {
            self.by_name.remove(&name_key(&row));
            self.by_arn.remove(&row.arn);
        }
        self.versions.remove(uid);
        Ok(())
    }
}

#[async_trait]
impl Store for MemoryStore {
    async fn get_secret(&self, scope: &Scope, name: &str) -> Result<Option<SecretRow>, StoreError> {
        let inner = self.lock()?;
        let key = (
            scope.account_id.clone(),
            scope.region.clone(),
            name.to_owned(),
        );
        Ok(inner
            .by_name
            .get(&key)
            .and_then(|uid| inner.rows.get(uid))
            .cloned())
    }

    async fn get_secret_by_arn(&self, arn: &str) -> Result<Option<SecretRow>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .by_arn
            .get(arn)
            .and_then(|uid| inner.rows.get(uid))
            .cloned())
    }

    async fn list_secrets(&self, scope: &Scope) -> Result<Vec<SecretRow>, StoreError> {
        let inner = self.lock()?;
        let start = (
            scope.account_id.clone(),
            scope.region.clone(),
            String::new(),
        );
        Ok(inner
            .by_name
            .range(start..)
            .take_while(|((account, region, _), _)| {
                *account == scope.account_id && *region == scope.region
            })
            .filter_map(|(_, uid)| inner.rows.get(uid).cloned())
            .collect())
    }

    async fn get_version(
        &self,
        secret_uid: &str,
        version_id: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .versions
            .get(secret_uid)
            .and_then(|versions| versions.get(version_id))
            .cloned())
    }

    async fn write_secret(&self, write: SecretWrite) -> Result<(), StoreError> {
        self.lock()?.write(write)
    }

    async fn delete_secret(&self, uid: &str, expected_revision: u64) -> Result<(), StoreError> {
        self.lock()?.delete(uid, expected_revision)
    }

    async fn due_for_purge(&self, now_ms: i64) -> Result<Vec<SecretRow>, StoreError> {
        let inner = self.lock()?;
        let mut due: Vec<SecretRow> = inner
            .rows
            .values()
            .filter(|row| row.purge_at_ms.is_some_and(|at| at <= now_ms))
            .cloned()
            .collect();
        due.sort_by(|a, b| (a.purge_at_ms, &a.uid).cmp(&(b.purge_at_ms, &b.uid)));
        Ok(due)
    }

    async fn kv_get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .kv
            .get(&(namespace.to_owned(), key.to_owned()))
            .cloned())
    }

    async fn kv_put_if_absent(
        &self,
        namespace: &str,
        key: &str,
        value: Vec<u8>,
    ) -> Result<Vec<u8>, StoreError> {
        let mut inner = self.lock()?;
        Ok(inner
            .kv
            .entry((namespace.to_owned(), key.to_owned()))
            .or_insert(value)
            .clone())
    }

    async fn kv_put(&self, namespace: &str, key: &str, value: Vec<u8>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        inner
            .kv
            .insert((namespace.to_owned(), key.to_owned()), value);
        Ok(())
    }

    async fn kv_cas(
        &self,
        namespace: &str,
        key: &str,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        let k = (namespace.to_owned(), key.to_owned());
        if inner.kv.get(&k) != expected.as_ref() {
            return Ok(false);
        }
        match new {
            Some(v) => inner.kv.insert(k, v),
            None => inner.kv.remove(&k),
        };
        Ok(true)
    }

    async fn kv_delete(&self, namespace: &str, key: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock()?;
        Ok(inner
            .kv
            .remove(&(namespace.to_owned(), key.to_owned()))
            .is_some())
    }

    async fn kv_list(&self, namespace: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let inner = self.lock()?;
        let start = (namespace.to_owned(), String::new());
        Ok(inner
            .kv
            .range(start..)
            .take_while(|((ns, _), _)| ns == namespace)
            .map(|((_, key), value)| (key.clone(), value.clone()))
            .collect())
    }

    async fn audit_append(&self, rows: Vec<AuditRow>) -> Result<(), StoreError> {
        let mut inner = self.lock()?;
        check_contiguous(inner.audit.last().map(|r| r.seq), &rows)?;
        inner.audit.extend(rows);
        Ok(())
    }

    async fn audit_last(&self) -> Result<Option<AuditRow>, StoreError> {
        Ok(self.lock()?.audit.last().cloned())
    }

    async fn audit_scan(&self, after_seq: u64, limit: usize) -> Result<Vec<AuditRow>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .audit
            .iter()
            .filter(|r| r.seq > after_seq)
            .take(limit)
            .cloned()
            .collect())
    }

    async fn audit_lookup(&self, filter: &AuditFilter) -> Result<Vec<AuditRow>, StoreError> {
        let inner = self.lock()?;
        Ok(inner
            .audit
            .iter()
            .rev()
            .filter(|r| filter.matches(r))
            .take(filter.limit)
            .cloned()
            .collect())
    }

    async fn audit_put_digest(&self, digest: AuditDigestRow) -> Result<(), StoreError> {
        self.lock()?.digests.insert(digest.last_seq, digest);
        Ok(())
    }

    async fn audit_digests(&self) -> Result<Vec<AuditDigestRow>, StoreError> {
        Ok(self.lock()?.digests.values().cloned().collect())
    }

    async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        // One lock: nothing can change while the copy is taken.
        let inner = self.lock()?;
        let mut snapshot = Snapshot {
            secrets: inner.rows.values().cloned().collect(),
            versions: inner
                .versions
                .iter()
                .flat_map(|(uid, versions)| {
                    versions
                        .iter()
                        .map(|(id, blob)| (uid.clone(), id.clone(), blob.clone()))
                })
                .collect(),
            kv: inner
                .kv
                .iter()
                .map(|((ns, key), value)| (ns.clone(), key.clone(), value.clone()))
                .collect(),
            audit: inner.audit.clone(),
            digests: inner.digests.values().cloned().collect(),
        };
        snapshot.sort();
        Ok(snapshot)
    }

    async fn restore(&self, snapshot: Snapshot) -> Result<(), StoreError> {
        // Build the new contents aside with the ordinary write path (same checks as any
        // create), and swap them in only if everything was accepted.
        let mut fresh = Inner::default();
        let mut versions: HashMap<String, Vec<(String, Vec<u8>)>> = HashMap::new();
        for (uid, id, blob) in snapshot.versions {
            versions.entry(uid).or_default().push((id, blob));
        }
        for row in snapshot.secrets {
            let put_versions = versions.remove(&row.uid).unwrap_or_default();
            fresh.write(SecretWrite {
                row,
                expected_revision: None,
                put_versions,
                drop_versions: Vec::new(),
            })?;
        }
        if !versions.is_empty() {
            return Err(StoreError::Backend(
                "snapshot holds versions of a secret it does not hold".to_owned(),
            ));
        }
        for (ns, key, value) in snapshot.kv {
            fresh.kv.insert((ns, key), value);
        }
        check_contiguous(None, &snapshot.audit)?;
        fresh.audit = snapshot.audit;
        for digest in snapshot.digests {
            fresh.digests.insert(digest.last_seq, digest);
        }
        let mut inner = self.lock()?;
        if !(inner.rows.is_empty()
            && inner.kv.is_empty()
            && inner.audit.is_empty()
            && inner.digests.is_empty())
        {
            return Err(StoreError::Backend(RESTORE_TARGET_NOT_EMPTY.to_owned()));
        }
        *inner = fresh;
        Ok(())
    }
}
