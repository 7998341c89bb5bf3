use std::time::Duration;

use reqwest_middleware::ClientBuilder;
use reqwest_retry::policies::ExponentialBackoff;
use reqwest_retry::{Jitter, RetryTransientMiddleware};

const RETRIES: u32 = 3;

pub fn client() -> ClientWithMiddleware {
    let policy = ExponentialBackoff::builder()
        .retry_bounds(Duration::from_millis(100), Duration::from_secs(5))
        .jitter(Jitter::Bounded)
        .base(2)
        .build_with_max_retries(RETRIES);
    ClientBuilder::new(reqwest::Client::new())
        .with(RetryTransientMiddleware::new_with_policy(policy))
        .build()
}

pub fn timed_client() -> ClientWithMiddleware {
    let policy = ExponentialBackoff::builder()
        .jitter(Jitter::None)
        .build_with_total_retry_duration(Duration::from_secs(30));
    ClientBuilder::new(reqwest::Client::new())
        .with(RetryTransientMiddleware::new_with_policy_and_strategy(policy, OnlyGets))
        .build()
}

pub async fn charge(client: &ClientWithMiddleware, body: &Charge) -> reqwest_middleware::Result<Response> {
    client.post("https://pay.example/charges").json(body).send().await
}
