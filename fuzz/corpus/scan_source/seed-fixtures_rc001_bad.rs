use std::time::Duration;

use tokio_retry::strategy::{jitter, ExponentialBackoff};
use tokio_retry::RetryIf;

/// 10 attempts, delays 60s, 120s, ... capped at 30m: the worst case of the
/// schedule is about 2h13m, longer than the server's 1h key TTL.
pub async fn reconcile(client: &Client) -> Result<Receipt, Error> {
    // retry-check: client = "reconciler"
    let strategy = ExponentialBackoff::from_millis(2)
        .factor(30_000)
        .max_delay(Duration::from_secs(30 * 60))
        .map(jitter)
        .take(9);
    RetryIf::spawn(strategy, || client.charge(), |e: &Error| e.is_transient()).await
}
