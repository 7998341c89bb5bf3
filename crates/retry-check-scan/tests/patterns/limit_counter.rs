//! rule: RC101
//! An attempt counter bounds a loop whatever it is compared with: a
//! constant, a field, a parameter or a method call, counted up or down.

use std::time::Duration;

const MAX_TRIES: u32 = 4;

pub async fn bad_no_counter(store: &Store) -> Result<Row, StoreError> {
    loop {
        match store.load().await {
            Ok(row) => return Ok(row),
            Err(e) => {
                log::warn!("load failed: {e}");
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

pub async fn ok_counter_vs_const(store: &Store) -> Result<Row, StoreError> {
    let mut tries = 0;
    loop {
        match store.load().await {
            Ok(row) => return Ok(row),
            Err(e) if tries >= MAX_TRIES => return Err(e),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
}

pub struct Loader {
    retry_limit: u32,
    store: Store,
}

impl Loader {
    pub async fn ok_counter_vs_field(&self) -> Result<Row, StoreError> {
        let mut failures = 0u32;
        loop {
            let err = match self.store.load().await {
                Ok(row) => return Ok(row),
                Err(e) => e,
            };
            failures += 1;
            if failures > self.retry_limit {
                return Err(err);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    pub async fn ok_counter_vs_method(&self) -> Result<Row, StoreError> {
        let mut n = 0;
        loop {
            if let Ok(row) = self.store.load().await {
                return Ok(row);
            }
            n += 1;
            if n == self.limits().max_attempts() {
                return Err(StoreError::GaveUp);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }
}

pub async fn ok_counter_vs_parameter(store: &Store, budget: usize) -> Result<Row, StoreError> {
    let mut remaining = budget;
    loop {
        match store.load().await {
            Ok(row) => return Ok(row),
            Err(e) => {
                if remaining == 0 {
                    return Err(e);
                }
                remaining -= 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

pub async fn ok_counter_guards_the_sleep(store: &Store) -> Result<Row, StoreError> {
    let mut throttled = 3;
    loop {
        let err = match store.load().await {
            Ok(row) => return Ok(row),
            Err(e) => e,
        };
        if throttled > 0 {
            throttled -= 1;
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        return Err(err);
    }
}
