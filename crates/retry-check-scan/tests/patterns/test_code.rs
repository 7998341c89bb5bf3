//! rule: RC102
//! Findings in test code (`#[cfg(test)]` modules, `#[test]` and
//! `#[tokio::test]` functions) are skipped by default; `--include-tests`
//! (`ScanOptions::include_tests`) turns them on.

use backon::{ExponentialBuilder, Retryable};

pub async fn bad_production_code(api: &Api) -> Result<Reply, ApiError> {
    (|| api.call())
        .retry(ExponentialBuilder::default().with_max_times(3))
        .when(|e| e.is_transient())
        .await
}

#[cfg(test)]
mod ok_tests {
    use super::*;

    #[tokio::test]
    async fn retries_three_times() {
        let api = Api::failing(2);
        (|| api.call())
            .retry(ExponentialBuilder::default().with_max_times(3))
            .await
            .unwrap();
    }
}

#[test]
fn ok_test_function() {
    let _ = ExponentialBuilder::default().with_max_times(9);
}

#[cfg(all(test, feature = "slow"))]
fn ok_cfg_all_test() {
    let _ = ExponentialBuilder::default().with_max_times(9);
}
