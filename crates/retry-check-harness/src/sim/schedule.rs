//! Retry-schedule math: backoff, jitter, and the deterministic draws that
//! feed it.

use std::time::Duration;

use super::config::RetrySchedule;

/// SplitMix64: a tiny, well-mixed deterministic hash used for jitter draws.
pub(crate) fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A draw in `[0, 1)` for (seed, actor, attempt): independent of the order in
/// which actors run, so shrinking the event list keeps every jitter value.
pub(crate) fn unit_draw(seed: u64, actor: u64, attempt: u64) -> f64 {
    let h = mix(seed ^ mix(actor.wrapping_mul(0x1000_0000_01b3) ^ mix(attempt)));
    (h >> 11) as f64 / (1u64 << 53) as f64
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl RetrySchedule {
    /// The un-jittered backoff before retry number `retry` (1 = the first
    /// retry): `initial * multiplier^(retry-1)`, capped by `max_backoff`.
    pub fn base_backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(64) as i32;
        let mult = if self.multiplier.is_finite() && self.multiplier > 0.0 {
            self.multiplier
        } else {
            1.0
        };
        let raw = millis(self.initial_backoff) as f64 * mult.powi(exp);
        let cap = self.max_backoff.map(millis).unwrap_or(u64::MAX);
        let ms = if raw.is_finite() && raw < cap as f64 {
            raw as u64
        } else {
            cap.min(if raw.is_finite() {
                raw as u64
            } else {
                u64::MAX
            })
        };
        Duration::from_millis(ms)
    }

    /// The jittered sleep before retry number `retry`, given a uniform draw
    /// `u` in `[0, 1)` and the previous sleep (for decorrelated jitter).
    ///
    /// - `None`: the base backoff;
    /// - `Full`: `u * base`;
    /// - `Equal`: `base/2 + u * base/2`;
    /// - `Decorrelated`: `initial + u * (3 * previous - initial)`, capped by
    ///   `max_backoff`.
    pub fn sleep(&self, retry: u32, u: f64, previous: Duration) -> Duration {
        // The formulas are shared with the storm simulator (one definition,
        // in the contract crate).
        let ms = retry_check_contract::derive::jittered_delay_ms(
            self.jitter,
            millis(self.base_backoff(retry)),
            millis(self.initial_backoff),
            millis(previous),
            self.max_backoff.map(millis),
            u,
        );
        Duration::from_millis(ms)
    }

    /// The latest moment (since the client's first attempt) at which the
    /// client may still send: the tighter of the deadline and the retry
    /// window, `None` when neither is set.
    pub fn send_horizon(&self) -> Option<Duration> {
        match (self.deadline, self.retry_window) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// May attempt number `attempt` (1-based) be sent `elapsed` after the
    /// client's first attempt? The horizon is exclusive, like a record's TTL:
    /// a store keeping records for exactly the window is enough.
    pub fn may_send(&self, attempt: u32, elapsed: Duration) -> bool {
        attempt >= 1
            && attempt <= self.max_attempts.max(1)
            && self.send_horizon().is_none_or(|h| elapsed < h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::config::Jitter;

    fn schedule(jitter: Jitter) -> RetrySchedule {
        RetrySchedule {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            multiplier: 2.0,
            max_backoff: Some(Duration::from_millis(1000)),
            jitter,
            deadline: Some(Duration::from_secs(10)),
            per_attempt_timeout: None,
            retry_window: Some(Duration::from_secs(30)),
        }
    }

    fn draws() -> impl Iterator<Item = f64> {
        (0..2000u64).map(|i| unit_draw(7, i % 13, i))
    }

    #[test]
    fn base_backoff_grows_geometrically_and_is_capped() {
        let s = schedule(Jitter::None);
        let ms: Vec<u128> = (1..=6).map(|r| s.base_backoff(r).as_millis()).collect();
        assert_eq!(ms, vec![100, 200, 400, 800, 1000, 1000]);
        let uncapped = RetrySchedule {
            max_backoff: None,
            ..s.clone()
        };
        assert_eq!(uncapped.base_backoff(6).as_millis(), 3200);
        // Absurd exponents saturate instead of overflowing.
        assert_eq!(
            uncapped.base_backoff(u32::MAX),
            Duration::from_millis(u64::MAX)
        );
    }

    #[test]
    fn unit_draws_are_in_range_deterministic_and_spread() {
        let all: Vec<f64> = draws().collect();
        assert!(all.iter().all(|u| (0.0..1.0).contains(u)));
        assert_eq!(all, draws().collect::<Vec<_>>());
        assert!(all.iter().any(|&u| u < 0.1) && all.iter().any(|&u| u > 0.9));
        assert_ne!(unit_draw(1, 2, 3), unit_draw(2, 2, 3));
    }

    #[test]
    fn no_jitter_sleeps_the_base_backoff() {
        let s = schedule(Jitter::None);
        for u in draws() {
            assert_eq!(s.sleep(3, u, Duration::ZERO), Duration::from_millis(400));
        }
    }

    #[test]
    fn full_jitter_stays_within_zero_and_the_base() {
        let s = schedule(Jitter::Full);
        let sleeps: Vec<u128> = draws()
            .map(|u| s.sleep(3, u, Duration::ZERO).as_millis())
            .collect();
        assert!(sleeps.iter().all(|&ms| ms < 400));
        assert!(sleeps.iter().any(|&ms| ms < 40) && sleeps.iter().any(|&ms| ms > 360));
    }

    #[test]
    fn equal_jitter_stays_within_half_and_the_base() {
        let s = schedule(Jitter::Equal);
        let sleeps: Vec<u128> = draws()
            .map(|u| s.sleep(3, u, Duration::ZERO).as_millis())
            .collect();
        assert!(
            sleeps.iter().all(|&ms| (200..=400).contains(&ms)),
            "{sleeps:?}"
        );
        assert!(sleeps.iter().any(|&ms| ms < 220) && sleeps.iter().any(|&ms| ms > 380));
    }

    #[test]
    fn decorrelated_jitter_stays_within_initial_and_three_times_previous_capped() {
        let s = schedule(Jitter::Decorrelated);
        for u in draws() {
            let ms = s.sleep(2, u, Duration::from_millis(150)).as_millis();
            assert!((100..=450).contains(&ms), "{ms}");
            // The cap applies.
            let capped = s.sleep(2, u, Duration::from_secs(5)).as_millis();
            assert!((100..=1000).contains(&capped), "{capped}");
        }
        // The first sleep starts from the initial backoff.
        assert!(s.sleep(1, 0.999, Duration::ZERO).as_millis() <= 300);
    }

    #[test]
    fn out_of_range_draws_are_treated_as_zero() {
        let s = schedule(Jitter::Full);
        assert_eq!(s.sleep(1, 1.5, Duration::ZERO), Duration::ZERO);
        assert_eq!(s.sleep(1, f64::NAN, Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn the_send_horizon_is_the_tighter_of_deadline_and_window() {
        let s = schedule(Jitter::None);
        assert_eq!(s.send_horizon(), Some(Duration::from_secs(10)));
        let no_deadline = RetrySchedule {
            deadline: None,
            ..s.clone()
        };
        assert_eq!(no_deadline.send_horizon(), Some(Duration::from_secs(30)));
        let unbounded = RetrySchedule {
            deadline: None,
            retry_window: None,
            ..s.clone()
        };
        assert_eq!(unbounded.send_horizon(), None);
        assert!(unbounded.may_send(5, Duration::from_secs(1_000_000)));
    }

    #[test]
    fn attempts_stop_at_the_deadline_and_the_attempt_budget() {
        let s = schedule(Jitter::None);
        assert!(s.may_send(1, Duration::ZERO));
        assert!(s.may_send(5, Duration::from_millis(9_999)));
        assert!(
            !s.may_send(5, Duration::from_secs(10)),
            "the deadline is exclusive"
        );
        assert!(
            !s.may_send(6, Duration::ZERO),
            "max_attempts includes the first"
        );
        assert!(!s.may_send(0, Duration::ZERO));
    }
}
