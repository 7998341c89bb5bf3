use backon::{ExponentialBuilder, Retryable};

pub async fn sync_forever(client: &Client) -> Result<(), Error> {
    let policy = ExponentialBuilder::default().with_jitter().without_max_times();
    (|| async { client.sync().await }).retry(policy).when(|e: &Error| e.is_transient()).await
}
