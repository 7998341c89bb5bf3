//! rule: RC102
//! A builder method applied in one branch of an `if` / `match` sets its
//! field on some paths only: the field is unknown, not the branch's value.

use backon::{ExponentialBuilder, Retryable};

pub async fn bad_never_jittered(cfg: &Config, op: impl Fn() -> Fut) -> Result<(), Error> {
    let builder = ExponentialBuilder::default().with_max_times(cfg.retries);
    op.retry(builder).when(|e: &Error| e.is_transient()).await
}

pub async fn ok_jitter_when_configured(cfg: &Config, op: impl Fn() -> Fut) -> Result<(), Error> {
    let mut builder = ExponentialBuilder::default().with_max_times(cfg.retries);
    if cfg.jitter {
        builder = builder.with_jitter();
    }
    op.retry(builder).when(|e: &Error| e.is_transient()).await
}
