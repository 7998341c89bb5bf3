use std::time::Duration;

use backoff::{future::retry, Error, ExponentialBackoff, ExponentialBackoffBuilder};

const MAX_ELAPSED: Duration = Duration::from_secs(60);

pub async fn with_struct() -> Result<(), Error<MyError>> {
    let b = ExponentialBackoff {
        initial_interval: Duration::from_millis(200),
        max_interval: Duration::from_secs(5),
        max_elapsed_time: Some(MAX_ELAPSED),
        ..Default::default()
    };
    retry(b, || async { call().await.map_err(classify) }).await
}

fn classify(e: MyError) -> Error<MyError> {
    if e.is_transient() { Error::transient(e) } else { Error::permanent(e) }
}

pub async fn forever() -> Result<(), MyError> {
    let b = ExponentialBackoff {
        max_elapsed_time: None,
        randomization_factor: 0.0,
        ..ExponentialBackoff::default()
    };
    backoff::future::retry(b, || async { Ok(call().await?) }).await
}

pub fn builder() -> Result<(), MyError> {
    let b = ExponentialBackoffBuilder::new()
        .with_initial_interval(Duration::from_millis(100))
        .with_multiplier(2.0)
        .with_max_interval(Duration::from_secs(10))
        .with_max_elapsed_time(Some(Duration::from_secs(120)))
        .build();
    backoff::retry_notify(b, || Ok(call_blocking()?), |e, d| log(e, d))
}

pub fn defaults_then_assign() -> Result<(), MyError> {
    let mut b = ExponentialBackoff::default();
    b.max_elapsed_time = None;
    backoff::retry(b, || Ok(call_blocking()?))
}
