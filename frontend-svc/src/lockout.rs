//! Counting failed logins per account (Basic and session login alike) and deciding when the
//! account locks, per the AccountService policy. Counters live in memory: a restart forgives
//! failures not yet turned into a lockout; lockouts themselves are stored with the account.

use crate::policy::AccountPolicy;
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy)]
struct Tally {
    count: u64,
    last_ms: i64,
}

/// What one failure led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failure {
    /// Consecutive failures counted so far (including this one).
    pub count: u64,
    /// Some when the account must now be locked: until this epoch ms, or None = until an
    /// administrator unlocks it.
    pub lock: Option<Option<i64>>,
    /// True when this failure should be logged as a warning (AuthFailureLoggingThreshold).
    pub log: bool,
}

#[derive(Debug, Default)]
pub struct FailureCounter {
    tallies: Mutex<HashMap<i64, Tally>>,
}

impl FailureCounter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn record_failure(&self, account_id: i64, now_ms: i64, policy: &AccountPolicy) -> Failure {
        let mut tallies = self.tallies.lock().unwrap_or_else(|e| e.into_inner());
        let tally = tallies.entry(account_id).or_insert(Tally {
            count: 0,
            last_ms: now_ms,
        });
        let window_ms =
            i64::try_from(policy.counter_reset_after_s.saturating_mul(1000)).unwrap_or(i64::MAX);
        if policy.counter_reset_enabled && now_ms.saturating_sub(tally.last_ms) >= window_ms {
            tally.count = 0;
        }
        tally.count += 1;
        tally.last_ms = now_ms;
        let count = tally.count;
        let log = policy.auth_failure_logging_threshold > 0
            && count.is_multiple_of(policy.auth_failure_logging_threshold);
        let reached = policy.lockout_threshold > 0 && count >= policy.lockout_threshold;
        let lock = if !reached {
            None
        } else if !policy.counter_reset_enabled {
            Some(None)
        } else if policy.lockout_duration_s == 0 {
            // AccountService schema: "If this value is 0, no lockout shall occur."
            None
        } else {
            let duration_ms =
                i64::try_from(policy.lockout_duration_s.saturating_mul(1000)).unwrap_or(i64::MAX);
            Some(Some(now_ms.saturating_add(duration_ms)))
        };
        if lock.is_some() {
            tallies.remove(&account_id);
        }
        Failure { count, lock, log }
    }

    /// A successful login, or an administrator unlocking the account.
    pub fn clear(&self, account_id: i64) {
        self.tallies
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&account_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(threshold: u64, duration: u64, reset: u64, reset_enabled: bool) -> AccountPolicy {
        AccountPolicy {
            lockout_threshold: threshold,
            lockout_duration_s: duration,
            counter_reset_after_s: reset,
            counter_reset_enabled: reset_enabled,
            ..AccountPolicy::default()
        }
    }

    #[test]
    fn locks_at_the_threshold_for_the_duration() {
        let c = FailureCounter::new();
        let p = policy(3, 60, 30, true);
        assert_eq!(c.record_failure(1, 0, &p).lock, None);
        assert_eq!(c.record_failure(1, 1000, &p).lock, None);
        let f = c.record_failure(1, 2000, &p);
        assert_eq!((f.count, f.lock), (3, Some(Some(62_000))));
        // The counter starts over after a lockout.
        assert_eq!(c.record_failure(1, 70_000, &p).count, 1);
    }

    #[test]
    fn counter_resets_after_the_window_or_on_success() {
        let c = FailureCounter::new();
        let p = policy(3, 60, 30, true);
        c.record_failure(1, 0, &p);
        c.record_failure(1, 1000, &p);
        assert_eq!(c.record_failure(1, 31_000, &p).count, 1);
        c.record_failure(1, 32_000, &p);
        c.clear(1);
        assert_eq!(c.record_failure(1, 33_000, &p).count, 1);
        // Accounts are counted separately.
        assert_eq!(c.record_failure(2, 33_000, &p).count, 1);
    }

    #[test]
    fn zero_threshold_or_duration_never_locks_and_no_reset_locks_for_good() {
        let c = FailureCounter::new();
        for _ in 0..10 {
            assert_eq!(c.record_failure(1, 0, &policy(0, 60, 30, true)).lock, None);
            assert_eq!(c.record_failure(2, 0, &policy(2, 0, 30, true)).lock, None);
        }
        let p = policy(2, 60, 30, false);
        c.record_failure(3, 0, &p);
        assert_eq!(c.record_failure(3, 1_000_000, &p).lock, Some(None));
    }

    #[test]
    fn logging_every_nth_failure() {
        let c = FailureCounter::new();
        let p = AccountPolicy {
            lockout_threshold: 0,
            auth_failure_logging_threshold: 3,
            ..AccountPolicy::default()
        };
        let logged: Vec<bool> = (0..6).map(|i| c.record_failure(1, i, &p).log).collect();
        assert_eq!(logged, [false, false, true, false, false, true]);
    }
}
