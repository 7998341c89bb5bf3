use std::time::Duration;

const MAX_ATTEMPTS: u32 = 5;
const CAP: Duration = Duration::from_secs(2);

pub async fn for_range() -> Result<Body, Error> {
    for _attempt in 0..MAX_ATTEMPTS {
        match call().await {
            Ok(b) => return Ok(b),
            Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(200)).await,
            Err(e) => return Err(e),
        }
    }
    call().await
}

pub async fn exponential_loop() -> Result<Body, Error> {
    let mut delay = Duration::from_millis(50);
    let mut attempt = 0;
    loop {
        match call().await {
            Ok(b) => return Ok(b),
            Err(e) => {
                attempt += 1;
                if attempt >= MAX_ATTEMPTS {
                    return Err(e);
                }
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(CAP);
            }
        }
    }
}

pub async fn forever() -> Body {
    loop {
        if let Ok(b) = call().await {
            return b;
        }
        if let Err(e) = other().await {
            log(e);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

pub fn blocking_with_jitter() -> Result<Body, Error> {
    let mut delay = Duration::from_millis(100);
    for _ in 1..=3 {
        let r = call_blocking();
        if r.is_ok() {
            return r;
        }
        std::thread::sleep(delay.mul_f64(rand::random::<f64>()));
        delay *= 2;
    }
    call_blocking()
}

pub fn worker() {
    // Not a retry loop: no sleep.
    loop {
        let job = queue.recv()?;
        handle(job);
    }
}
