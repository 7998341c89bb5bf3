use backon::{ExponentialBuilder, Retryable};

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    (|| async { client.get().await })
        .retry(ExponentialBuilder::default().with_jitter())
        .await
}
