use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

pub async fn charge(client: &Client) -> Result<Receipt, Error> {
    // retry-check: client = "checkout"
    let policy = ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(100))
        .with_max_delay(Duration::from_secs(2))
        .with_max_times(5)
        .with_jitter()
        .with_total_delay(Some(Duration::from_secs(10)));
    (|| async { client.charge().await })
        .retry(policy)
        .when(|e: &Error| e.is_transient())
        .await
}

// retry-check: client = "chekout"
pub fn misspelt() -> ExponentialBuilder {
    ExponentialBuilder::default().with_jitter()
}

// retry-check: client = "checkout"
pub const NOTHING_HERE: u32 = 3;
