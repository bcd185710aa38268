//! The circuit breaker of one BMC: once a request to it timed out, could not connect, or had the
//! aggregator's credentials refused, further requests answer at once (503, or 502 for refused
//! credentials) instead of each waiting out a timeout of its own or counting against the BMC's
//! account lockout. Discovery probes the BMC (its ServiceRoot, past the breaker, one probe at a
//! time) and closes the breaker as soon as a probe succeeds. Pure state; no I/O, no clock of its own.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why the breaker opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trip {
    /// Nothing reached the BMC (refused, DNS, TLS handshake, connect timeout).
    Unreachable(String),
    /// Connected, but no full reply within the request timeout.
    Timeout,
    /// The BMC refused the aggregator's credentials.
    Unauthorized,
    /// The BMC presented a certificate other than the one pinned (trust on first use).
    CertificateChanged,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open { trip: Trip, since: Instant },
}

#[derive(Debug)]
pub struct Breaker {
    state: Mutex<BreakerState>,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: Mutex::new(BreakerState::Closed),
        }
    }
}

impl Breaker {
    pub fn state(&self) -> BreakerState {
        self.state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(BreakerState::Closed)
    }

    /// Why requests must not go to the BMC now, if they must not.
    pub fn open_trip(&self) -> Option<Trip> {
        match self.state() {
            BreakerState::Closed => None,
            BreakerState::Open { trip, .. } => Some(trip),
        }
    }

    /// Opens the breaker (or records the newer cause); true when it was closed before.
    pub fn trip(&self, trip: Trip, now: Instant) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        let was_closed = *s == BreakerState::Closed;
        let since = match &*s {
            BreakerState::Open { since, .. } => *since,
            BreakerState::Closed => now,
        };
        *s = BreakerState::Open { trip, since };
        was_closed
    }

    /// Closes the breaker after a successful probe; true when it was open.
    pub fn close(&self) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return false;
        };
        let was_open = *s != BreakerState::Closed;
        *s = BreakerState::Closed;
        was_open
    }

    /// How long it has been open (for the log), if it is.
    pub fn open_for(&self, now: Instant) -> Option<Duration> {
        match self.state() {
            BreakerState::Closed => None,
            BreakerState::Open { since, .. } => Some(now.saturating_duration_since(since)),
        }
    }
}

/// The retry delay after `failures` consecutive failed probes: 1 s doubling, at most `max`.
pub fn backoff(failures: u32, max: Duration) -> Duration {
    let secs = 1u64.checked_shl(failures.min(30)).unwrap_or(u64::MAX);
    Duration::from_secs(secs)
        .min(max)
        .max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_on_a_trip_and_closes_on_success() {
        let b = Breaker::default();
        let t0 = Instant::now();
        assert_eq!(b.open_trip(), None);
        assert!(b.trip(Trip::Timeout, t0));
        assert_eq!(b.open_trip(), Some(Trip::Timeout));
        // A second failure while open is no new opening, and keeps when it opened.
        let later = t0 + Duration::from_secs(5);
        assert!(!b.trip(Trip::Unreachable("refused".into()), later));
        assert_eq!(b.open_trip(), Some(Trip::Unreachable("refused".into())));
        assert_eq!(b.open_for(later), Some(Duration::from_secs(5)));
        assert!(b.close());
        assert!(!b.close());
        assert_eq!(b.open_trip(), None);
        assert_eq!(b.open_for(later), None);
    }

    #[test]
    fn backoff_doubles_from_one_second_up_to_the_cap() {
        let max = Duration::from_secs(30);
        let got: Vec<u64> = (0..8).map(|n| backoff(n, max).as_secs()).collect();
        assert_eq!(got, [1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(backoff(u32::MAX, max), max);
        assert_eq!(
            backoff(3, Duration::from_secs(5)),
            Duration::from_secs(5),
            "never beyond the cap (the discovery interval)"
        );
    }
}
