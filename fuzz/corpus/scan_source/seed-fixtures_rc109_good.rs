use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

pub async fn charge(client: &Client) -> Result<Receipt, Error> {
    // retry-check: client = "checkout"
    let policy = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(2)
        .with_jitter()
        .with_total_delay(Some(Duration::from_secs(10)));
    (|| async { client.charge().await })
        .retry(policy)
        .when(|e: &Error| e.is_transient())
        .await
}

/// A multiplier computed at run time is unknown: reported as `info`, not
/// compared as if known.
pub async fn tuned(client: &Client, factor: f32) -> Result<Receipt, Error> {
    // retry-check: client = "checkout"
    let policy = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(2))
        .with_factor(factor)
        .with_max_times(2)
        .with_jitter()
        .with_total_delay(Some(Duration::from_secs(10)));
    (|| async { client.charge().await })
        .retry(policy)
        .when(|e: &Error| e.is_transient())
        .await
}
