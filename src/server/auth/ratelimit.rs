//! Slows down repeated failures (sign-ins, a member's guesses at a printed card's security
//! code, a channel key's wrong codes, requests with an unknown API key), and holds each
//! channel key to its request rate.
//!
//! Failures are counted per key ("account:a@x.io", "pair:a@x.io|1.2.3.4", ...) in a window.
//! Past a key's free failures each further failure doubles a wait (capped), during which
//! attempts under that key are refused with `rate_limited` before anything is checked. A
//! sign-in is counted per account and address together, so an attacker elsewhere does not
//! lock out an account's owner; the account alone has a much higher ceiling (a spray from
//! many addresses), and so does an address alone (offices and phone carriers put many
//! people behind one). Kept in memory: one server process per database for now; what must
//! hold across servers (a code's PIN, a card's security code) is counted in the database
//! (`store::attempts`).

use std::collections::{HashMap, HashSet};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Beyond this many tracked keys, stale entries are swept on a failure (at most once a
/// minute: a flood of failures must not turn every one into a scan of the map).
const SWEEP_AT: usize = 10_000;
const SWEEP_EVERY: Duration = Duration::from_secs(60);
/// The most keys kept: past it, keys not waiting out a block are dropped (memory stays
/// bounded under a flood from many addresses; what is blocked stays blocked).
const MAX_KEYS: usize = 200_000;

/// A counted key and the failures it may have in a window before it is slowed down.
#[derive(Debug, Clone)]
pub struct Limit {
    key: String,
    free: u32,
}

impl Limit {
    pub fn new(key: impl Into<String>, free: u32) -> Self {
        Self {
            key: key.into(),
            free,
        }
    }
}

/// The limits of a sign-in: the account from this address (5), the account from anywhere
/// (50), the address for any account (20).
pub fn sign_in(email: &str, addr: &str) -> [Limit; 3] {
    let account = email.trim().to_lowercase();
    [
        Limit::new(format!("pair:{account}|{addr}"), 5),
        Limit::new(format!("account:{account}"), 50),
        Limit::new(format!("address:{addr}"), 20),
    ]
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    first: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<String, Entry>,
    swept: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct Throttle {
    entries: Mutex<Entries>,
    /// Keys with a check under way. One at a time per key, so a burst of parallel guesses
    /// cannot all pass `check` before the first failure is counted.
    in_flight: Mutex<HashSet<String>>,
}

/// Marks a key's check as under way until dropped.
pub struct InFlight<'a> {
    throttle: &'a Throttle,
    key: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.throttle
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

impl Throttle {
    /// `Err(seconds)` when any of the limits must wait before trying again.
    pub fn check(&self, limits: &[Limit], now: Instant) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = limits
            .iter()
            .filter_map(|l| entries.map.get(&l.key)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(d) => Err(d.as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Claims a key for one check; `None` while another is under way.
    pub fn begin(&self, limit: &Limit) -> Option<InFlight<'_>> {
        let claimed = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(limit.key.clone());
        // The lock is released before a guard can exist: a guard's drop takes it again.
        claimed.then(|| InFlight {
            throttle: self,
            key: limit.key.clone(),
        })
    }

    /// Counts a failure under every limit.
    pub fn record_failure(&self, limits: &[Limit], now: Instant) {
        let mut guard = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let entries = &mut *guard;
        let due = entries.swept.is_none_or(|t| now.duration_since(t) >= SWEEP_EVERY);
        if (entries.map.len() >= SWEEP_AT && due) || entries.map.len() >= MAX_KEYS {
            entries.swept = Some(now);
            let live =
                |e: &Entry| now.duration_since(e.first) < WINDOW || e.blocked_until.is_some_and(|u| u > now);
            entries.map.retain(|_, e| live(e));
            if entries.map.len() >= MAX_KEYS {
                entries
                    .map
                    .retain(|_, e| e.blocked_until.is_some_and(|u| u > now));
            }
        }
        for limit in limits {
            let entry = entries.map.entry(limit.key.clone()).or_insert(Entry {
                failures: 0,
                first: now,
                blocked_until: None,
            });
            if now.duration_since(entry.first) >= WINDOW && entry.blocked_until.is_none_or(|u| u <= now) {
                *entry = Entry {
                    failures: 0,
                    first: now,
                    blocked_until: None,
                };
            }
            entry.failures += 1;
            if entry.failures >= limit.free {
                let exp = (entry.failures - limit.free).min(16);
                let delay = Duration::from_secs(1u64 << exp).min(MAX_DELAY);
                entry.blocked_until = Some(now + delay);
            }
        }
    }

    /// A success clears the count of this limit (a sign-in clears its pair only: an
    /// attacker's failures elsewhere still count against the account).
    pub fn clear(&self, limit: &Limit) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.map.remove(&limit.key);
    }
}

/// Channel API keys' request rates: one token bucket per key, sized by the key's own rate (burst = one second's worth).
#[derive(Default)]
pub struct KeyLimiter {
    buckets: Mutex<HashMap<i64, (i64, Arc<DefaultDirectRateLimiter>)>>,
}

impl KeyLimiter {
    /// Ok, or the whole seconds to wait, for the key `key_id` allowed `rate_per_sec`.
    pub fn check(&self, key_id: i64, rate_per_sec: i64) -> Result<(), u64> {
        let bucket = {
            let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
            let entry = map.entry(key_id).or_insert_with(|| (0, Arc::new(limiter(1))));
            if entry.0 != rate_per_sec {
                *entry = (rate_per_sec, Arc::new(limiter(rate_per_sec)));
            }
            entry.1.clone()
        };
        bucket.check().map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
        })
    }
}

fn limiter(rate: i64) -> DefaultDirectRateLimiter {
    let rate = NonZeroU32::new(u32::try_from(rate).unwrap_or(u32::MAX).max(1)).unwrap_or(NonZeroU32::MIN);
    RateLimiter::direct(Quota::per_second(rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pair_is_slowed_after_five_failures_and_the_delay_grows() {
        let t = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..4 {
            assert!(t.check(&sign_in("a@x.io", "1.1.1.1"), t0).is_ok());
            t.record_failure(&sign_in("a@x.io", "1.1.1.1"), t0);
        }
        assert!(t.check(&sign_in("a@x.io", "1.1.1.1"), t0).is_ok());
        t.record_failure(&sign_in("A@X.io", "1.1.1.1"), t0); // 5th, account case-insensitive
        assert_eq!(t.check(&sign_in("a@x.io", "1.1.1.1"), t0), Err(1));
        let t1 = t0 + Duration::from_secs(2);
        assert!(t.check(&sign_in("a@x.io", "1.1.1.1"), t1).is_ok());
        t.record_failure(&sign_in("a@x.io", "1.1.1.1"), t1);
        assert_eq!(t.check(&sign_in("a@x.io", "1.1.1.1"), t1), Err(2));
    }

    #[test]
    fn an_attacker_elsewhere_does_not_lock_out_the_owner() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..19 {
            // Nineteen failures from one address: the pair and the address slow down.
            t.record_failure(&sign_in("owner@x.io", "6.6.6.6"), now + Duration::from_secs(i));
        }
        let later = now + Duration::from_secs(20);
        assert!(t.check(&sign_in("owner@x.io", "6.6.6.6"), later).is_err());
        assert!(
            t.check(&sign_in("owner@x.io", "2.2.2.2"), later).is_ok(),
            "the owner at home signs in"
        );
    }

    #[test]
    fn the_account_has_a_ceiling_across_addresses() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..50 {
            t.record_failure(&sign_in("a@x.io", &format!("10.0.0.{i}")), now);
        }
        assert!(t.check(&sign_in("a@x.io", "2.2.2.2"), now).is_err());
        assert!(t.check(&sign_in("b@x.io", "2.2.2.2"), now).is_ok());
    }

    #[test]
    fn an_address_is_slowed_across_accounts_and_success_clears_the_pair() {
        let t = Throttle::default();
        let now = Instant::now();
        for i in 0..20 {
            t.record_failure(&sign_in(&format!("u{i}@x.io"), "9.9.9.9"), now);
        }
        assert!(t.check(&sign_in("new@x.io", "9.9.9.9"), now).is_err());
        assert!(t.check(&sign_in("new@x.io", "8.8.8.8"), now).is_ok());
        let pair = &sign_in("u1@x.io", "8.8.8.8");
        for _ in 0..5 {
            t.record_failure(pair, now);
        }
        assert!(t.check(pair, now).is_err());
        t.clear(&pair[0]);
        assert!(t.check(pair, now).is_ok());
    }

    #[test]
    fn one_check_per_key_at_a_time() {
        let t = Throttle::default();
        let a = Limit::new("account:a@x.io", 5);
        let first = t.begin(&a).expect("free");
        assert!(t.begin(&a).is_none());
        assert!(t.begin(&Limit::new("account:b@x.io", 5)).is_some());
        drop(first);
        assert!(t.begin(&a).is_some(), "free again");
    }

    #[test]
    fn window_expires() {
        let t = Throttle::default();
        let now = Instant::now();
        let limits = sign_in("a@x.io", "1.1.1.1");
        for _ in 0..4 {
            t.record_failure(&limits, now);
        }
        let later = now + WINDOW + Duration::from_secs(1);
        t.record_failure(&limits, later);
        assert!(t.check(&limits, later).is_ok(), "old failures forgotten");
    }
}
