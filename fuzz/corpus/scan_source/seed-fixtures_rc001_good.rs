use std::time::Duration;

use tokio_retry::strategy::{jitter, ExponentialBackoff};
use tokio_retry::RetryIf;

/// 3 attempts, delays 60s and 120s: done within 3 minutes, well inside the
/// server's 1h key TTL.
pub async fn reconcile(client: &Client) -> Result<Receipt, Error> {
    // retry-check: client = "reconciler"
    let strategy = ExponentialBackoff::from_millis(2)
        .factor(30_000)
        .max_delay(Duration::from_secs(30 * 60))
        .map(jitter)
        .take(2);
    RetryIf::spawn(strategy, || client.charge(), |e: &Error| e.is_transient()).await
}
