//! rule: RC110
//! tryhard is read like backon: `retries(n)`, `exponential_backoff(d)`,
//! `fixed_backoff(d)`, `linear_backoff(d)`, `max_delay(d)`,
//! `custom_backoff(f)` and shared `RetryFutureConfig`s. Its default is no
//! backoff at all.

use std::time::Duration;

use tryhard::RetryFutureConfig;

pub async fn bad_default_no_backoff(url: &str) -> Result<Page, FetchError> {
    tryhard::retry_fn(|| fetch(url)).retries(5).await
}

pub async fn bad_shared_config_without_backoff(url: &str) -> Result<Page, FetchError> {
    let config = RetryFutureConfig::new(4);
    tryhard::retry_fn(|| fetch(url)).with_config(config).await
}

pub async fn ok_exponential(url: &str) -> Result<Page, FetchError> {
    tryhard::retry_fn(|| fetch(url))
        .retries(5)
        .exponential_backoff(Duration::from_millis(50))
        .max_delay(Duration::from_secs(2))
        .await
}

pub async fn ok_fixed(url: &str) -> Result<Page, FetchError> {
    tryhard::retry_fn(|| fetch(url))
        .retries(2)
        .fixed_backoff(Duration::from_millis(300))
        .await
}

pub async fn ok_custom_stops_early(url: &str) -> Result<Page, FetchError> {
    tryhard::retry_fn(|| fetch(url))
        .retries(8)
        .custom_backoff(|attempt, err: &FetchError| {
            if err.is_fatal() {
                tryhard::RetryPolicy::Break
            } else {
                tryhard::RetryPolicy::Delay(Duration::from_millis(100 * u64::from(attempt)))
            }
        })
        .await
}
