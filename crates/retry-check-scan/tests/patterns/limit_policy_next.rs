//! rule: RC101
//! A policy or iterator whose `next()` / `next_backoff()` / `next_delay()`
//! running out leads to `return` or `break` bounds the loop, and so does an
//! `exhausted()`-style guard. Using the delay but ignoring the end does not.

pub async fn bad_ignores_the_end(mut backoff: Backoff, api: &Api) -> Result<Reply, ApiError> {
    loop {
        match api.call().await {
            Ok(r) => return Ok(r),
            Err(_) => {
                let d = backoff.next_backoff().unwrap_or(MAX_WAIT);
                tokio::time::sleep(d).await;
            }
        }
    }
}

pub async fn ok_none_returns(mut backoff: Backoff, api: &Api) -> Result<Reply, ApiError> {
    loop {
        match api.call().await {
            Ok(r) => return Ok(r),
            Err(e) => match backoff.next_backoff() {
                Some(d) => tokio::time::sleep(d).await,
                None => return Err(e),
            },
        }
    }
}

pub async fn ok_if_let_else(mut delays: Delays, api: &Api) -> Result<Reply, ApiError> {
    loop {
        let err = match api.call().await {
            Ok(r) => return Ok(r),
            Err(e) => e,
        };
        if let Some(d) = delays.next_delay() {
            tokio::time::sleep(d).await;
        } else {
            return Err(err);
        }
    }
}

pub async fn ok_question_mark(mut schedule: Schedule, api: &Api) -> Result<Reply, ApiError> {
    loop {
        match api.call().await {
            Ok(r) => return Ok(r),
            Err(e) => {
                let d = schedule.next().ok_or(e)?;
                tokio::time::sleep(d).await;
            }
        }
    }
}

pub async fn ok_exhausted_guard(mut tracker: Attempts, api: &Api) -> Result<Reply, ApiError> {
    loop {
        match api.call().await {
            Ok(r) => return Ok(r),
            Err(e) => {
                if tracker.is_exhausted() {
                    return Err(e);
                }
                tokio::time::sleep(tracker.record_failure()).await;
            }
        }
    }
}

pub async fn ok_delay_fn_fails(api: &Api, cfg: &Config) -> Result<Reply, ApiError> {
    loop {
        if let Err(e) = api.call().await {
            let wait = match next_wait(cfg) {
                Ok(w) => w,
                Err(_) => return Err(e),
            };
            tokio::time::sleep(wait).await;
        } else {
            return Ok(Reply::default());
        }
    }
}
