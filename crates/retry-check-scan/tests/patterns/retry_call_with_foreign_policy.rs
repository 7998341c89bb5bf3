//! rule: RC104
//! `.retry(x)` and `Retry::spawn(x, ..)` are retry sites whatever `x` is:
//! built in another module, passed in, or read from a field. Their fields
//! are unknown, but "every error is retried" is not.

use backon::Retryable;
use tokio_retry::{Retry, RetryIf};

pub async fn bad_backon_field(svc: &Service) -> Result<Reply, Error> {
    (|| svc.call()).retry(svc.backoff_builder()).await
}

pub async fn bad_tokio_retry_param(strategy: Strategy, svc: &Service) -> Result<Reply, Error> {
    Retry::spawn(strategy, || svc.call()).await
}

pub async fn ok_backon_with_when(svc: &Service) -> Result<Reply, Error> {
    (|| svc.call())
        .retry(svc.backoff_builder())
        .when(|e| e.is_transient())
        .await
}

pub async fn ok_tokio_retry_if(strategy: Strategy, svc: &Service) -> Result<Reply, Error> {
    RetryIf::spawn(strategy, || svc.call(), |e: &Error| e.is_transient()).await
}

pub fn ok_queue_retry_is_not_backon(queue: &mut Outbox, msg: Msg) {
    // A method that happens to be called `retry`: not an operation retried
    // with a backoff.
    queue.pending.retry(msg);
}
