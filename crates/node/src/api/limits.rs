//! Per-key rate limits: a token bucket per key (a wallet, or a client address when anonymous),
//! in shards so that concurrent requests rarely meet on one lock.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    Wallet([u8; 32]),
    Address(std::net::IpAddr),
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

pub struct RateLimiter {
    per_s: f64,
    burst: f64,
    shards: Vec<Mutex<HashMap<Key, Bucket>>>,
}

const SHARDS: usize = 16;
/// Past this many keys in a shard, full buckets (idle keys) are dropped.
const SHARD_KEYS: usize = 65_536;

impl RateLimiter {
    /// `per_s` = 0 turns limiting off.
    pub fn new(per_s: u32, burst: u32) -> RateLimiter {
        RateLimiter {
            per_s: per_s as f64,
            burst: burst.max(1).max(per_s) as f64,
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }

    /// Takes `n` requests' worth for `key`; on refusal, the seconds until there is room.
    /// (Floats here count request tokens, never money.)
    pub fn take(&self, key: Key, n: u32, now: Instant) -> Result<(), u64> {
        if self.per_s == 0.0 {
            return Ok(());
        }
        let shard = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            key.hash(&mut h);
            (h.finish() as usize) % SHARDS
        };
        let mut map = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= SHARD_KEYS {
            let (per_s, burst) = (self.per_s, self.burst);
            map.retain(|_, b| b.tokens + now.duration_since(b.at).as_secs_f64() * per_s < burst);
        }
        let b = map.entry(key).or_insert(Bucket { tokens: self.burst, at: now });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * self.per_s).min(self.burst);
        b.at = now;
        let n = n as f64;
        if b.tokens >= n {
            b.tokens -= n;
            Ok(())
        } else {
            Err(((n - b.tokens) / self.per_s).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_key_gets_its_burst_then_its_rate_and_others_are_unaffected() {
        let l = RateLimiter::new(10, 20);
        let t = Instant::now();
        let a = Key::Wallet([1; 32]);
        for _ in 0..20 {
            assert!(l.take(a, 1, t).is_ok());
        }
        assert_eq!(l.take(a, 1, t), Err(1));
        assert!(l.take(Key::Wallet([2; 32]), 1, t).is_ok());
        // After half a second, five more.
        let later = t + Duration::from_millis(500);
        for _ in 0..5 {
            assert!(l.take(a, 1, later).is_ok());
        }
        assert!(l.take(a, 1, later).is_err());
    }

    #[test]
    fn zero_rate_means_unlimited() {
        let l = RateLimiter::new(0, 0);
        for _ in 0..1000 {
            assert!(l.take(Key::Wallet([1; 32]), 1, Instant::now()).is_ok());
        }
    }
}
