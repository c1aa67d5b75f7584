//! Per-access-key rate limiting: a token bucket per authenticated access key. A request
//! over the limit is answered as AWS does, `400 ThrottlingException: Rate exceeded`, before
//! it reaches the domain (and so changes nothing).
//!
//! The limit applies after the signature is verified, so nobody can spend another key's
//! budget by sending requests in its name. Buckets are kept for at most [`MAX_KEYS`] keys;
//! beyond that, full (idle) buckets are dropped first.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// Most access keys whose buckets are kept.
pub const MAX_KEYS: usize = 100_000;

/// The limit: a sustained rate and a burst.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Requests per second, sustained.
    pub per_second: f64,
    /// Requests that may arrive at once after a quiet period.
    pub burst: f64,
}

/// The buckets.
#[derive(Debug, Default)]
pub struct Throttle {
    limit: Option<RateLimit>,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Throttle {
    /// A throttle with `limit` (`None`: no limit).
    pub fn new(limit: Option<RateLimit>) -> Self {
        Self {
            limit: limit.filter(|l| l.per_second > 0.0),
            buckets: Mutex::default(),
        }
    }

    /// Whether a request signed with `access_key_id` may proceed now.
    pub fn allow(&self, access_key_id: &str) -> bool {
        self.allow_at(access_key_id, Instant::now())
    }

    fn allow_at(&self, access_key_id: &str, now: Instant) -> bool {
        let Some(limit) = self.limit else {
            return true;
        };
        let burst = limit.burst.max(1.0);
        let Ok(mut buckets) = self.buckets.lock() else {
            return true;
        };
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(access_key_id) {
            buckets.retain(|_, b| {
                let refilled = b.tokens + now.duration_since(b.at).as_secs_f64() * limit.per_second;
                refilled < burst
            });
            if buckets.len() >= MAX_KEYS {
                // Every bucket is in use: the newcomer waits like everyone else.
                return false;
            }
        }
        let b = buckets.entry(access_key_id.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * limit.per_second).min(burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bucket_allows_the_burst_then_the_rate() {
        let t = Throttle::new(Some(RateLimit {
            per_second: 10.0,
            burst: 5.0,
        }));
        let t0 = Instant::now();
        let allowed = (0..8).filter(|_| t.allow_at("AKIA1", t0)).count();
        assert_eq!(allowed, 5, "the burst");
        assert!(t.allow_at("AKIA2", t0), "keys have their own buckets");
        assert!(!t.allow_at("AKIA1", t0 + Duration::from_millis(50)));
        assert!(
            t.allow_at("AKIA1", t0 + Duration::from_millis(100)),
            "10/s refills one in 100 ms"
        );
        assert!(!t.allow_at("AKIA1", t0 + Duration::from_millis(110)));
        let later = t0 + Duration::from_secs(60);
        let allowed = (0..8).filter(|_| t.allow_at("AKIA1", later)).count();
        assert_eq!(allowed, 5, "refilled only up to the burst");
    }

    #[test]
    fn no_limit_allows_everything() {
        let t = Throttle::new(None);
        assert!((0..10_000).all(|_| t.allow("AKIA1")));
        let zero = Throttle::new(Some(RateLimit {
            per_second: 0.0,
            burst: 0.0,
        }));
        assert!(zero.allow("AKIA1"), "a zero rate means no limit");
    }
}
