//! [`PolicyCache`]: compiled policies keyed by document text, so the request path parses a
//! document once, not on every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::document::{Policy, PolicyKind};
use crate::error::PolicyError;

/// Default number of compiled policies kept.
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// Default bound on the document text kept as keys (bytes).
pub const DEFAULT_CACHE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Debug)]
struct Entry {
    policy: Arc<Policy>,
    last_used: u64,
}

#[derive(Debug, Default)]
struct Inner {
    /// One map per [`PolicyKind`], so lookups borrow the document as `&str`.
    maps: [HashMap<Box<str>, Entry>; 4],
    entries: usize,
    bytes: usize,
    clock: u64,
}

fn slot(kind: PolicyKind) -> usize {
    match kind {
        PolicyKind::Identity => 0,
        PolicyKind::Resource => 1,
        PolicyKind::Trust => 2,
        PolicyKind::Session => 3,
    }
}

/// A bounded, thread-safe cache of compiled policies keyed by (kind, document text).
///
/// Least-recently-used entries are evicted once either bound is reached (entry count, or
/// total bytes of document text). Parse failures are not cached: they are cheap to recompute
/// and rare on the request path (documents are validated when stored).
#[derive(Debug)]
pub struct PolicyCache {
    inner: Mutex<Inner>,
    max_entries: usize,
    max_bytes: usize,
}

impl Default for PolicyCache {
    fn default() -> PolicyCache {
        PolicyCache::new(DEFAULT_CACHE_ENTRIES)
    }
}

impl PolicyCache {
    /// A cache of at most `max_entries` policies (and [`DEFAULT_CACHE_BYTES`] of text).
    pub fn new(max_entries: usize) -> PolicyCache {
        PolicyCache::with_limits(max_entries, DEFAULT_CACHE_BYTES)
    }

    /// A cache bounded by entry count and by total document bytes.
    pub fn with_limits(max_entries: usize, max_bytes: usize) -> PolicyCache {
        PolicyCache {
            inner: Mutex::new(Inner::default()),
            max_entries: max_entries.max(1),
            max_bytes,
        }
    }

    /// The compiled policy for `json`, parsing it on a miss.
    ///
    /// Parsing happens outside the lock, so a slow document never blocks other lookups.
    pub fn get_or_parse(&self, json: &str, kind: PolicyKind) -> Result<Arc<Policy>, PolicyError> {
        {
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            inner.clock += 1;
            let now = inner.clock;
            if let Some(e) = inner.maps[slot(kind)].get_mut(json) {
                e.last_used = now;
                return Ok(Arc::clone(&e.policy));
            }
        }
        let policy = Arc::new(Policy::parse(json, kind)?);
        if json.len() > self.max_bytes {
            // Too big to keep: serve it uncached.
            return Ok(policy);
        }
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        inner.clock += 1;
        let now = inner.clock;
        let map = &mut inner.maps[slot(kind)];
        if let Some(e) = map.get_mut(json) {
            // Another thread got here first; share its copy.
            e.last_used = now;
            return Ok(Arc::clone(&e.policy));
        }
        map.insert(
            json.into(),
            Entry {
                policy: Arc::clone(&policy),
                last_used: now,
            },
        );
        inner.entries += 1;
        inner.bytes += json.len();
        while inner.entries > self.max_entries || inner.bytes > self.max_bytes {
            if !inner.evict_oldest() {
                break;
            }
        }
        Ok(policy)
    }

    /// Number of cached policies.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached policy.
    pub fn clear(&self) {
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *inner = Inner::default();
    }
}

impl Inner {
    /// Removes the least recently used entry (a linear scan, done only when full).
    fn evict_oldest(&mut self) -> bool {
        let oldest = self
            .maps
            .iter()
            .enumerate()
            .flat_map(|(i, m)| m.iter().map(move |(k, e)| (e.last_used, i, k)))
            .min_by_key(|(t, _, _)| *t)
            .map(|(_, i, k)| (i, k.clone()));
        let Some((i, key)) = oldest else {
            return false;
        };
        if self.maps[i].remove(&key).is_some() {
            self.entries -= 1;
            self.bytes -= key.len();
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: usize) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":{{"Sid":"S{n}","Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}}}}"#
        )
    }

    #[test]
    fn caches_and_evicts_lru() {
        let cache = PolicyCache::new(2);
        let a = cache.get_or_parse(&doc(1), PolicyKind::Identity).unwrap();
        let a2 = cache.get_or_parse(&doc(1), PolicyKind::Identity).unwrap();
        assert!(Arc::ptr_eq(&a, &a2));
        cache.get_or_parse(&doc(2), PolicyKind::Identity).unwrap();
        // Touch 1 so that 2 is the oldest.
        cache.get_or_parse(&doc(1), PolicyKind::Identity).unwrap();
        cache.get_or_parse(&doc(3), PolicyKind::Identity).unwrap();
        assert_eq!(cache.len(), 2);
        let a3 = cache.get_or_parse(&doc(1), PolicyKind::Identity).unwrap();
        assert!(Arc::ptr_eq(&a, &a3), "recently used entry kept");
        // The same text under another kind is another entry (and here another result).
        assert!(cache.get_or_parse(&doc(1), PolicyKind::Resource).is_err());
        assert_eq!(cache.len(), 2);
        cache.clear();
        assert!(cache.is_empty());
    }

    #[test]
    fn byte_bound() {
        let cache = PolicyCache::with_limits(100, doc(1).len() * 2);
        for n in 1..=5 {
            cache.get_or_parse(&doc(n), PolicyKind::Identity).unwrap();
        }
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn shared_across_threads() {
        let cache = Arc::new(PolicyCache::default());
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || {
                    for n in 0..50 {
                        cache
                            .get_or_parse(&doc(n % 10 + t), PolicyKind::Identity)
                            .unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(cache.len(), 13);
    }
}
