use std::time::Duration;

pub async fn fetch(client: &Client) -> Result<Body, Error> {
    for _ in 0..3 {
        match client.get().await {
            Ok(b) => return Ok(b),
            Err(e) if e.is_transient() => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => return Err(e),
        }
    }
    client.get().await
}

pub fn blocking_fetch(client: &BlockingClient) -> Result<Body, Error> {
    for _ in 0..3 {
        match client.get() {
            Ok(b) => return Ok(b),
            Err(e) if e.is_transient() => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => return Err(e),
        }
    }
    client.get()
}
