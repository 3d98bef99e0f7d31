//! When to try a failed push again: exponential backoff with full jitter (so a
//! provider outage does not bring every retry back in the same second), the provider's
//! `Retry-After` honoured, and an age after which the delivery gives up.
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct RetryPolicy {
    /// The first retry waits up to this long; each further one doubles it.
    pub base_ms: u64,
    /// No wait is longer than this.
    pub max_backoff_seconds: u64,
    /// A delivery still failing this long after it fell due fails for good.
    pub max_age_minutes: i64,
}

/// The defaults of `config/default.toml`.
impl Default for RetryPolicy {
    fn default() -> Self {
        crate::config::Config::default().delivery.retry
    }
}

/// What to do after a failed attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    RetryAt(DateTime<Utc>),
    GiveUp,
}

impl RetryPolicy {
    /// `attempts` made so far (at least 1); `jitter` in `[0, 1)`; `due_since` is when
    /// the delivery first fell due.
    pub fn next(
        &self,
        attempts: u32,
        retry_after: Option<Duration>,
        jitter: f64,
        due_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Next {
        let exponent = attempts.saturating_sub(1).min(20);
        let ceiling = self
            .base_ms
            .saturating_mul(1 << exponent)
            .min(self.max_backoff_seconds * 1_000);
        // Full jitter, but never less than half the ceiling: retries spread out and
        // still back off.
        let backoff_ms = (ceiling as f64 * (0.5 + jitter.clamp(0.0, 1.0) / 2.0)) as i64;
        let wait_ms = match retry_after {
            Some(wish) => (wish.as_millis() as i64).max(backoff_ms),
            None => backoff_ms,
        };
        let at = now + chrono::Duration::milliseconds(wait_ms);
        if at > due_since + chrono::Duration::minutes(self.max_age_minutes) {
            Next::GiveUp
        } else {
            Next::RetryAt(at)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn wait(next: Next) -> i64 {
        match next {
            Next::RetryAt(at) => (at - now()).num_milliseconds(),
            Next::GiveUp => panic!("gave up"),
        }
    }

    #[test]
    fn waits_double_within_their_jitter_band() {
        let policy = RetryPolicy::default();
        for attempt in 1..=5u32 {
            let ceiling = 2_000 * (1 << (attempt - 1));
            let low = wait(policy.next(attempt, None, 0.0, now(), now()));
            let high = wait(policy.next(attempt, None, 0.999, now(), now()));
            assert_eq!(low, ceiling / 2, "attempt {attempt}");
            assert!(
                high < ceiling && high > ceiling * 9 / 10,
                "attempt {attempt}: {high}"
            );
        }
        let capped = wait(policy.next(30, None, 0.999, now(), now()));
        assert!(capped <= 600_000);
    }

    #[test]
    fn retry_after_is_honoured_when_longer() {
        let policy = RetryPolicy::default();
        let wished = wait(policy.next(1, Some(Duration::from_secs(30)), 0.5, now(), now()));
        assert_eq!(wished, 30_000);
        let shorter = wait(policy.next(4, Some(Duration::from_secs(1)), 0.0, now(), now()));
        assert_eq!(
            shorter, 8_000,
            "a shorter wish does not undercut the backoff"
        );
    }

    #[test]
    fn gives_up_past_the_maximum_age() {
        let policy = RetryPolicy::default();
        let due = now() - chrono::Duration::minutes(59);
        assert_eq!(policy.next(10, None, 0.0, due, now()), Next::GiveUp);
        assert!(matches!(
            policy.next(1, None, 0.0, due, now()),
            Next::RetryAt(_)
        ));
        assert!(matches!(
            policy.next(1, None, 0.0, now(), now()),
            Next::RetryAt(_)
        ));
    }
}
