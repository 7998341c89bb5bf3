use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

pub async fn sync_bounded(client: &Client) -> Result<(), Error> {
    let policy = ExponentialBuilder::default()
        .with_jitter()
        .without_max_times()
        .with_total_delay(Some(Duration::from_secs(60)));
    (|| async { client.sync().await }).retry(policy).when(|e: &Error| e.is_transient()).await
}
