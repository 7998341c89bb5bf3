use backon::{ExponentialBuilder, Retryable};

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    // retry-check: allow(RC103) -- the server enforces a 30 s deadline on the whole call
    let policy = ExponentialBuilder::default().with_jitter().without_max_delay();
    (|| async { client.get().await }).retry(policy).when(|e: &Error| e.is_transient()).await
}
