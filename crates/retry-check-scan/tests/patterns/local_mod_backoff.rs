//! rule: RC107
//! A local `mod backoff` is not the unmaintained `backoff` crate.

mod backoff {
    pub fn delay_for(attempt: u32) -> std::time::Duration {
        std::time::Duration::from_millis(100 << attempt.min(6))
    }
}

pub fn ok_local_module(attempt: u32) -> std::time::Duration {
    backoff::delay_for(attempt)
}

pub mod bad_client {
    use tokio_retry::strategy::FixedInterval;

    pub fn unmaintained_crate() -> impl Iterator<Item = std::time::Duration> {
        FixedInterval::from_millis(100).take(3)
    }
}
