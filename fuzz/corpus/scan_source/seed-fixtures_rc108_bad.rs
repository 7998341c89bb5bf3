use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    // retry-check: allow(RC103) -- the delay is capped below
    let policy = ExponentialBuilder::default()
        .with_jitter()
        .with_max_delay(Duration::from_secs(10));
    (|| async { client.get().await }).retry(policy).when(|e: &Error| e.is_transient()).await
}
