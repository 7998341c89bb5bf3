use backon::{ExponentialBuilder, Retryable};

pub async fn fetch() -> Result<Body, Error> {
    get.retry(ExponentialBuilder::default().with_jitter())
        .when(|e: &Error| e.is_transient())
        .await
}
