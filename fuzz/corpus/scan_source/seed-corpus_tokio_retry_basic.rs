use std::time::Duration;

use tokio_retry::strategy::{jitter, ExponentialBackoff, FixedInterval};
use tokio_retry::{Retry, RetryIf};

pub async fn spawn_all(action: impl FnMut() -> Fut) -> Result<(), Error> {
    let strategy = ExponentialBackoff::from_millis(10).map(jitter).take(3);
    Retry::spawn(strategy, action).await?;

    let capped = ExponentialBackoff::from_millis(2)
        .factor(100)
        .max_delay(Duration::from_secs(5))
        .map(jitter)
        .take(5);
    RetryIf::spawn(capped, || async { call().await }, |e: &Error| e.is_transient()).await?;

    // Forever: no .take(n), no max_delay, no jitter.
    Retry::spawn(ExponentialBackoff::from_millis(100), || async { call().await }).await?;

    Retry::spawn(FixedInterval::from_millis(500).take(2), || async { call().await }).await
}
