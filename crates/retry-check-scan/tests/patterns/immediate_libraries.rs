//! rule: RC110
//! Library retries with a zero delay: a backon builder with a zero delay
//! or a sleeper that does not sleep, tokio-retry `FixedInterval` of 0 ms,
//! a tower policy that never sleeps. A retry budget (reqwest's own retries
//! carry one) keeps the extra load bounded.

use std::time::Duration;

use backon::{ConstantBuilder, ExponentialBuilder, Retryable};
use tokio_retry::strategy::FixedInterval;
use tokio_retry::Retry;

pub async fn bad_backon_zero_delay(op: impl Fn() -> Fut) -> Result<(), Error> {
    op.retry(ConstantBuilder::default().with_delay(Duration::ZERO).with_max_times(5))
        .when(|e: &Error| e.is_transient())
        .await
}

pub async fn bad_backon_sleeper_that_does_not_sleep(op: impl Fn() -> Fut) -> Result<(), Error> {
    op.retry(ExponentialBuilder::default().with_jitter())
        .sleep(|_| std::future::ready(()))
        .when(|e: &Error| e.is_transient())
        .await
}

pub async fn bad_fixed_interval_zero(op: impl FnMut() -> Fut) -> Result<(), Error> {
    Retry::spawn(FixedInterval::from_millis(0).take(3), op).await
}

pub async fn ok_backon_real_delay(op: impl Fn() -> Fut) -> Result<(), Error> {
    op.retry(ConstantBuilder::default().with_delay(Duration::from_millis(80)).with_max_times(5))
        .when(|e: &Error| e.is_transient())
        .await
}

pub fn ok_reqwest_budgeted() -> reqwest::retry::Builder {
    reqwest::retry::for_host("api.example.net")
        .max_retries_per_request(3)
        .classify_fn(|req| req.retryable())
}
