//! rule: RC104
//! Calls to a policy object (`should_retry`, `on_error`, `is_retryable`,
//! `test`, `retry_method`, ...) classify errors; so does a decision the
//! policy returns and the loop matches on.

use std::time::Duration;

pub async fn bad_no_policy(client: &Client) -> Result<Doc, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let res = client.fetch().await;
        if res.is_ok() || attempt >= 4 {
            return res;
        }
        tokio::time::sleep(Duration::from_millis(100 * attempt)).await;
    }
}

pub async fn ok_should_retry(client: &Client, policy: &dyn RetryPolicy) -> Result<Doc, Error> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let err = match client.fetch().await {
            Ok(doc) => return Ok(doc),
            Err(e) => e,
        };
        if attempt >= 4 || !policy.should_retry(&err) {
            return Err(err);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn ok_is_retryable(client: &Client) -> Result<Doc, Error> {
    for _ in 0..4 {
        match client.fetch().await {
            Ok(doc) => return Ok(doc),
            Err(e) if !e.is_retryable() => return Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    client.fetch().await
}

pub async fn ok_policy_decision(client: &Client, retry_policy: &Policy) -> Result<Doc, Error> {
    let mut wait = None;
    loop {
        if let Some(d) = wait.take() {
            tokio::time::sleep(d).await;
        }
        match client.fetch().await {
            Ok(doc) => return Ok(doc),
            Err(e) => match retry_policy.on_error(&e) {
                Decision::Stop => return Err(e),
                Decision::RetryAfter(d) => wait = Some(d),
            },
        }
    }
}

pub async fn ok_strategy_test(client: &Client, strategy: &Strategy) -> Result<Doc, Error> {
    let mut tries = 0;
    let mut last = None;
    loop {
        return match strategy.test(last.as_ref(), tries) {
            Verdict::GiveUp => Err(last.unwrap_or(Error::NoAttempt)),
            Verdict::Again(d) => {
                tokio::time::sleep(d).await;
                match client.fetch().await {
                    Ok(doc) => Ok(doc),
                    Err(e) => {
                        last = Some(e);
                        tries += 1;
                        continue;
                    }
                }
            }
        };
    }
}
