use backon::{ExponentialBuilder, Retryable};

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    (|| async { client.get().await })
        .retry(ExponentialBuilder::default().with_max_times(5).with_jitter())
        .when(|e: &Error| e.is_transient())
        .await
}
