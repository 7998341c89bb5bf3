//! rule: RC101
//! `ExponentialBackoff` is the `backoff` crate's only when the file says
//! so (a `use backoff::..` or a `backoff::` path): this crate's own type of
//! the same name is not.

/// This crate's own backoff settings.
pub struct ExponentialBackoff {
    pub max_elapsed_time: Option<std::time::Duration>,
    pub step: std::time::Duration,
}

impl ExponentialBackoff {
    pub fn default() -> Self {
        ExponentialBackoff {
            max_elapsed_time: None,
            step: std::time::Duration::from_millis(10),
        }
    }
}

pub fn ok_own_type_with_the_same_name() -> ExponentialBackoff {
    let mut own = ExponentialBackoff::default();
    own.max_elapsed_time = None;
    own
}

pub async fn bad_backoff_crate_by_path() -> Result<(), Error> {
    let policy = backoff::ExponentialBackoff {
        max_elapsed_time: None,
        ..Default::default()
    };
    backoff::future::retry(policy, || async {
        ping().await.map_err(backoff::Error::transient)
    })
    .await
}
