use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

async fn fetch() -> Result<String, Error> {
    Ok(String::new())
}

pub async fn load() -> Result<String, Error> {
    let content = fetch
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(100))
                .with_max_delay(Duration::from_secs(10))
                .with_factor(2.0)
                .with_max_times(4)
                .with_jitter()
                .with_total_delay(Some(Duration::from_secs(30))),
        )
        .when(|e| is_transient(e))
        .notify(|err, dur| tracing::warn!(?err, ?dur, "retrying"))
        .await?;
    Ok(content)
}
