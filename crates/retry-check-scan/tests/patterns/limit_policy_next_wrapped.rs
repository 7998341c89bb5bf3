//! rule: RC101
//! A policy's `next()` / `next_backoff()` / `next_delay()` still bounds the
//! loop when its result is wrapped before the `None` check: combined with a
//! server's hint through `or_else` / `or`, or handed to an adjusting
//! function, directly or through a local. The end must still leave the
//! loop, and the wrapped call must be a policy's, not any `Option`.

pub async fn ok_hint_or_else_policy(mut backoff: Backoff, db: &Db) -> Result<Row, DbError> {
    loop {
        let failure = match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => failure,
        };
        match failure.wait_hint().or_else(|| backoff.next_backoff()) {
            None => return Err(failure),
            Some(pause) => tokio::time::sleep(pause).await,
        }
    }
}

pub async fn ok_adjusted_by_a_callback(
    tuner: &dyn Fn(&DbError, Option<Duration>) -> Option<Duration>,
    mut retry_policy: Policy,
    db: &Db,
) -> Result<Row, DbError> {
    loop {
        match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => {
                let tuned = (tuner)(&failure, retry_policy.next());
                match tuned {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => return Err(failure),
                }
            }
        }
    }
}

pub async fn ok_call_argument_in_scrutinee(mut schedule: Backoff, db: &Db) -> Result<Row, DbError> {
    loop {
        match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => match cap_at_ten_seconds(schedule.next_delay()) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(failure),
            },
        }
    }
}

pub async fn ok_let_else_wrapped(mut strategy: Strategy, db: &Db) -> Result<Row, DbError> {
    loop {
        let failure = match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => failure,
        };
        let Some(pause) = with_floor(strategy.next(), MIN_PAUSE) else {
            return Err(failure);
        };
        tokio::time::sleep(pause).await;
    }
}

pub async fn ok_if_let_or_else_break(mut backoff: Backoff, db: &Db) -> Result<Row, DbError> {
    let outcome = loop {
        match db.fetch_row().await {
            Ok(row) => break Ok(row),
            Err(failure) => {
                if let Some(pause) = failure.wait_hint().or(backoff.next_backoff()) {
                    tokio::time::sleep(pause).await;
                } else {
                    break Err(failure);
                }
            }
        }
    };
    outcome
}

pub async fn bad_wrapped_end_keeps_waiting(mut backoff: Backoff, db: &Db) -> Result<Row, DbError> {
    loop {
        match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => match failure.wait_hint().or_else(|| backoff.next_backoff()) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => tokio::time::sleep(LONGEST_PAUSE).await,
            },
        }
    }
}

pub async fn bad_only_the_server_hint(db: &Db) -> Result<Row, DbError> {
    loop {
        match db.fetch_row().await {
            Ok(row) => return Ok(row),
            Err(failure) => match failure.wait_hint().or(config_default_pause()) {
                Some(pause) => tokio::time::sleep(pause).await,
                None => return Err(failure),
            },
        }
    }
}
