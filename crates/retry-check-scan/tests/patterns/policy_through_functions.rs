//! rule: RC101
//! `.take(n)`, `.with_max_times(n)` and `.map(jitter)` apply to a strategy
//! wherever in the file they are added: after it was returned from a
//! function, or in the function it was passed to.

use backon::{ExponentialBuilder, Retryable};
use tokio_retry::strategy::{jitter, ExponentialBackoff};
use tokio_retry::Retry;

fn base_strategy() -> ExponentialBackoff {
    ExponentialBackoff::from_millis(10)
}

fn shared_builder(min: std::time::Duration) -> ExponentialBuilder {
    ExponentialBuilder::default().with_min_delay(min).with_jitter()
}

pub async fn bad_returned_never_bounded(op: impl FnMut() -> Fut) -> Result<(), Error> {
    Retry::spawn(base_strategy().map(jitter), op).await
}

pub async fn ok_returned_then_taken(op: impl FnMut() -> Fut) -> Result<(), Error> {
    Retry::spawn(base_strategy().map(jitter).take(4), op).await
}

pub async fn ok_builder_with_args_then_bounded(op: impl Fn() -> Fut) -> Result<(), Error> {
    let b = shared_builder(std::time::Duration::from_millis(20)).with_max_times(3);
    op.retry(b).when(|e: &Error| e.is_transient()).await
}

async fn run_bounded(strategy: ExponentialBackoff, op: impl FnMut() -> Fut) -> Result<(), Error> {
    Retry::spawn(strategy.map(jitter).take(5), op).await
}

pub async fn ok_passed_to_a_bounding_fn(op: impl FnMut() -> Fut) -> Result<(), Error> {
    run_bounded(ExponentialBackoff::from_millis(50), op).await
}
