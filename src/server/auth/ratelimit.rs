//! Slows down repeated failed sign-ins, per account and per client address.
//!
//! After a few failures in the window each further failure doubles a wait (capped), during
//! which sign-in attempts for that key are refused with `rate_limited` before any password
//! is checked. An address gets more room than an account because offices and phone carriers
//! put many people behind one address. Kept in memory: one server process per database for
//! now; a multi-node deployment would move this to the database.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(15 * 60);
const ACCOUNT_FREE_FAILURES: u32 = 5;
const ADDRESS_FREE_FAILURES: u32 = 20;
const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Beyond this many tracked keys, stale entries are swept on the next failure.
const SWEEP_AT: usize = 10_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    first: Instant,
    blocked_until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct LoginLimiter {
    entries: Mutex<HashMap<String, Entry>>,
    /// Accounts with a password check under way. One at a time per account, so a burst of
    /// parallel guesses cannot all pass `check` before the first failure is counted.
    in_flight: Mutex<HashSet<String>>,
}

/// Marks an account's password check as under way until dropped.
pub struct InFlight<'a> {
    limiter: &'a LoginLimiter,
    key: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.limiter
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

fn account_key(email: &str) -> String {
    format!("account:{}", email.trim().to_lowercase())
}

fn address_key(addr: &str) -> String {
    format!("address:{addr}")
}

impl LoginLimiter {
    /// `Err(seconds)` when the account or the address must wait before trying again.
    pub fn check(&self, email: &str, addr: &str, now: Instant) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let wait = [account_key(email), address_key(addr)]
            .iter()
            .filter_map(|k| entries.get(k)?.blocked_until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        match wait {
            Some(d) => Err(d.as_secs().max(1)),
            None => Ok(()),
        }
    }

    /// Claims the account for one password check; `None` while another is under way.
    pub fn begin(&self, email: &str) -> Option<InFlight<'_>> {
        let key = account_key(email);
        let claimed = self
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone());
        // The lock is released before a guard can exist: a guard's drop takes it again.
        if claimed {
            Some(InFlight { limiter: self, key })
        } else {
            None
        }
    }

    pub fn record_failure(&self, email: &str, addr: &str, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            entries.retain(|_, e| {
                now.duration_since(e.first) < WINDOW || e.blocked_until.is_some_and(|u| u > now)
            });
        }
        for (key, free) in [
            (account_key(email), ACCOUNT_FREE_FAILURES),
            (address_key(addr), ADDRESS_FREE_FAILURES),
        ] {
            let entry = entries.entry(key).or_insert(Entry {
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
            if entry.failures >= free {
                let exp = (entry.failures - free).min(16);
                let delay = Duration::from_secs(1u64 << exp).min(MAX_DELAY);
                entry.blocked_until = Some(now + delay);
            }
        }
    }

    /// A successful sign-in clears the account's count (not the address's).
    pub fn record_success(&self, email: &str) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.remove(&account_key(email));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_is_slowed_after_free_failures_and_delay_grows() {
        let l = LoginLimiter::default();
        let t0 = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES - 1 {
            assert!(l.check("a@x.io", "1.1.1.1", t0).is_ok());
            l.record_failure("a@x.io", "1.1.1.1", t0);
        }
        assert!(l.check("a@x.io", "1.1.1.1", t0).is_ok());
        l.record_failure("A@X.io", "1.1.1.1", t0); // 5th failure, case-insensitive account
        assert_eq!(
            l.check("a@x.io", "2.2.2.2", t0),
            Err(1),
            "blocked from any address"
        );
        let t1 = t0 + Duration::from_secs(2);
        assert!(l.check("a@x.io", "1.1.1.1", t1).is_ok());
        l.record_failure("a@x.io", "1.1.1.1", t1);
        assert_eq!(l.check("a@x.io", "1.1.1.1", t1), Err(2));
        assert!(
            l.check("b@x.io", "3.3.3.3", t1).is_ok(),
            "other accounts unaffected"
        );
    }

    #[test]
    fn address_is_slowed_across_accounts_and_success_clears_account() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for i in 0..ADDRESS_FREE_FAILURES {
            l.record_failure(&format!("u{i}@x.io"), "9.9.9.9", t);
        }
        assert!(l.check("new@x.io", "9.9.9.9", t).is_err());
        assert!(l.check("new@x.io", "8.8.8.8", t).is_ok());
        l.record_success("u1@x.io");
        assert!(l.check("u1@x.io", "8.8.8.8", t).is_ok());
    }

    #[test]
    fn one_password_check_per_account_at_a_time() {
        let l = LoginLimiter::default();
        let first = l.begin("a@x.io").expect("free");
        assert!(l.begin("A@x.io").is_none(), "same account, any case");
        assert!(l.begin("b@x.io").is_some(), "other accounts unaffected");
        drop(first);
        assert!(l.begin("a@x.io").is_some(), "free again");
    }

    #[test]
    fn window_expires() {
        let l = LoginLimiter::default();
        let t = Instant::now();
        for _ in 0..ACCOUNT_FREE_FAILURES - 1 {
            l.record_failure("a@x.io", "1.1.1.1", t);
        }
        let later = t + WINDOW + Duration::from_secs(1);
        l.record_failure("a@x.io", "1.1.1.1", later);
        assert!(
            l.check("a@x.io", "1.1.1.1", later).is_ok(),
            "old failures forgotten"
        );
    }
}
