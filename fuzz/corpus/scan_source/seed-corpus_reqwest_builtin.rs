//! reqwest's own retries (0.12.23+): `reqwest::retry::for_host(..)`.

use reqwest::retry;

pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .retry(
            reqwest::retry::for_host("api.example.com")
                .max_retries_per_request(4)
                .max_extra_load(0.1)
                .classify_fn(|rr| match (rr.method(), rr.status()) {
                    (&http::Method::GET, Some(s)) if s == 503 => rr.retryable(),
                    _ => rr.success(),
                }),
        )
        .build()
}

pub fn defaults() -> reqwest::Result<reqwest::Client> {
    // Two retries on top of the first attempt, and no classifier yet.
    let policy = retry::for_host("billing.example.com");
    reqwest::Client::builder().retry(policy).build()
}

pub fn off() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().retry(retry::never()).build()
}
