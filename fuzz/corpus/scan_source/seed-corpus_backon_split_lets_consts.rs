use std::time::Duration;

use backon::{ConstantBuilder, ExponentialBuilder, FibonacciBuilder, Retryable};

const MAX_RETRIES: usize = 5;
const BASE_DELAY: Duration = Duration::from_millis(250);
const POLICY: ExponentialBuilder = ExponentialBuilder::new().with_max_times(2);

fn policy() -> ExponentialBuilder {
    ExponentialBuilder::default()
        .with_min_delay(BASE_DELAY)
        .with_max_times(MAX_RETRIES)
}

pub async fn split(client: &Client) -> Result<(), Error> {
    let builder = ExponentialBuilder::default().with_min_delay(BASE_DELAY);
    let builder = builder.without_max_times().without_max_delay();
    (|| async { client.ping().await }).retry(builder).await?;
    (|| async { client.ping().await }).retry(policy()).when(|e: &Error| e.is_timeout()).await?;
    (|| async { client.ping().await }).retry(POLICY).await?;
    Ok(())
}

pub fn blocking(client: &Client) -> Result<(), Error> {
    let constant = ConstantBuilder::default().with_delay(Duration::from_secs(2)).with_max_times(3);
    (|| client.ping_blocking()).retry(constant).call()?;
    let fib = FibonacciBuilder::default().with_max_times(compute_times());
    (|| client.ping_blocking()).retry(&fib).call()
}
