use backon::{ExponentialBuilder, Retryable};

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    let policy = ExponentialBuilder::default()
        .with_jitter()
        .with_max_times(8)
        .without_max_delay();
    (|| async { client.get().await }).retry(policy).when(|e: &Error| e.is_transient()).await
}
