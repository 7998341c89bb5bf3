//! rule: RC102
//! A delay that comes from a call the file does not show, a parameter or
//! another object's backoff is unknown, jitter included: no "no jitter"
//! finding. A delay computed from constants in the loop is known.

use std::time::Duration;

pub async fn bad_doubling_constant(conn: &Conn) -> Result<Frame, NetError> {
    let mut pause = Duration::from_millis(100);
    for _ in 0..6 {
        match conn.read_frame().await {
            Ok(f) => return Ok(f),
            Err(_) => {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
        }
    }
    conn.read_frame().await
}

pub async fn ok_delay_from_backoff_object(
    conn: &Conn,
    backoff: &mut JitteredBackoff,
) -> Result<Frame, NetError> {
    for _ in 0..6 {
        match conn.read_frame().await {
            Ok(f) => return Ok(f),
            Err(_) => tokio::time::sleep(backoff.next_delay()).await,
        }
    }
    conn.read_frame().await
}

pub async fn ok_delay_parameter(conn: &Conn, pause: Duration) -> Result<Frame, NetError> {
    for _ in 0..6 {
        match conn.read_frame().await {
            Ok(f) => return Ok(f),
            Err(_) => tokio::time::sleep(pause).await,
        }
    }
    conn.read_frame().await
}

pub async fn ok_delay_from_callback(conn: &Conn, wait_for: &dyn Fn(u32) -> Duration) -> Result<Frame, NetError> {
    let mut n = 0;
    loop {
        n += 1;
        match conn.read_frame().await {
            Ok(f) => return Ok(f),
            Err(e) if n > 6 => return Err(e),
            Err(_) => {
                let d = wait_for(n);
                tokio::time::sleep(d).await;
            }
        }
    }
}

pub async fn ok_delay_with_randomness(conn: &Conn) -> Result<Frame, NetError> {
    let base = Duration::from_millis(100);
    for attempt in 0..6u32 {
        match conn.read_frame().await {
            Ok(f) => return Ok(f),
            Err(_) => {
                let spread = rand::random::<f64>();
                tokio::time::sleep(base.mul_f64(2f64.powi(attempt as i32) * spread)).await;
            }
        }
    }
    conn.read_frame().await
}
