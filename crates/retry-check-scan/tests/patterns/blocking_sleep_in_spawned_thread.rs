//! rule: RC105
//! `std::thread::sleep` in a retry loop blocks the executor only when the
//! loop runs on it: inside `thread::spawn` / `spawn_blocking` closures it
//! runs on a thread of its own.

use std::time::Duration;

pub async fn bad_in_async_fn(dev: &Device) -> Result<Reading, DevError> {
    for _ in 0..3 {
        match dev.read() {
            Ok(r) => return Ok(r),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    dev.read()
}

pub async fn ok_spawn_blocking(dev: Device) -> Result<Reading, DevError> {
    tokio::task::spawn_blocking(move || {
        for _ in 0..3 {
            match dev.read() {
                Ok(r) => return Ok(r),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        dev.read()
    })
    .await
    .expect("reader thread")
}

pub async fn ok_thread_spawn(dev: Device) {
    let worker = std::thread::spawn(move || {
        for _ in 0..3 {
            match dev.read() {
                Ok(r) => return Ok(r),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
        dev.read()
    });
    let _ = worker.join();
}
