//! rule: RC110
//! A counted loop of awaited calls that goes round on an error without any
//! sleep retries immediately. Loops that sleep, and uncounted sleepless
//! loops (pools handing out another connection, stream consumers), are not
//! immediate retries.

use std::time::Duration;

pub async fn bad_counted_for(rpc: &Rpc) -> Result<Answer, RpcError> {
    let mut last = None;
    for _ in 0..4 {
        match rpc.ask().await {
            Ok(a) => return Ok(a),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(RpcError::NoAttempt))
}

pub async fn bad_counted_loop(rpc: &Rpc) -> Result<Answer, RpcError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match rpc.ask().await {
            Ok(a) => return Ok(a),
            Err(e) if attempts >= 5 => return Err(e),
            Err(_) => continue,
        }
    }
}

pub async fn ok_with_sleep(rpc: &Rpc) -> Result<Answer, RpcError> {
    for _ in 0..4 {
        match rpc.ask().await {
            Ok(a) => return Ok(a),
            Err(_) => tokio::time::sleep(Duration::from_millis(30)).await,
        }
    }
    rpc.ask().await
}

pub async fn ok_pool_checkout(pool: &Pool) -> Result<Conn, PoolError> {
    loop {
        let conn = pool.take_idle().await?;
        match conn.ping().await {
            Ok(()) => return Ok(conn),
            Err(_) => {
                pool.discard(conn);
                continue;
            }
        }
    }
}
