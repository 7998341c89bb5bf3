//! rule: RC101
//! Time bounds a loop: `Instant::now() - start > timeout`, `elapsed() > x`,
//! a deadline compared with now, a `?` on a deadline check, or the loop
//! running inside `timeout(..)`.

use std::time::{Duration, Instant};

pub async fn bad_no_clock(pool: &Pool) -> Result<Conn, PoolError> {
    let mut wait = Duration::from_millis(20);
    loop {
        match pool.open().await {
            Ok(c) => return Ok(c),
            Err(_) => {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(2));
            }
        }
    }
}

pub async fn ok_now_minus_start(pool: &Pool, limit: Duration) -> Result<Conn, PoolError> {
    let started = Instant::now();
    loop {
        match pool.open().await {
            Ok(c) => return Ok(c),
            Err(e) => {
                if Instant::now() - started > limit {
                    return Err(e);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

pub async fn ok_elapsed(pool: &Pool) -> Result<Conn, PoolError> {
    let clock = Instant::now();
    loop {
        match pool.open().await {
            Ok(c) => break Ok(c),
            Err(e) if clock.elapsed() >= Duration::from_secs(30) => break Err(e),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

pub async fn ok_deadline_check(pool: &Pool, deadline: Instant) -> Result<Conn, PoolError> {
    loop {
        let left = time_left(deadline)?;
        match pool.open_within(left).await {
            Ok(c) => return Ok(c),
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

pub async fn ok_inside_timeout(pool: &Pool) -> Result<Conn, PoolError> {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match pool.open().await {
                Ok(c) => return c,
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    })
    .await
    .map_err(|_| PoolError::TimedOut)
}
