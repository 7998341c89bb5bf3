//! Mapping a retry contract (PRODUCT.md section 3) onto a [`SimConfig`].

use std::time::Duration;

use retry_check_contract::derive::retry_window;
use retry_check_contract::{Client, ContractSet, Jitter};

use super::config::{Reconciler, RetrySchedule, SimConfig};

fn ms(d: retry_check_contract::Duration) -> Duration {
    Duration::from_millis(d.as_millis())
}

fn schedule(client: &Client) -> RetrySchedule {
    let backoff = client.backoff.as_ref();
    let max_attempts = if client.retries() {
        client.max_attempts.as_ref().map_or(u32::MAX, |m| {
            u32::try_from(m.value.max(1)).unwrap_or(u32::MAX)
        })
    } else {
        1
    };
    RetrySchedule {
        max_attempts,
        initial_backoff: backoff
            .and_then(|b| b.initial.as_ref())
            .map_or(Duration::ZERO, |d| ms(d.value)),
        multiplier: backoff
            .and_then(|b| b.multiplier.as_ref())
            .map(|m| m.value)
            .filter(|m| *m > 0.0)
            .unwrap_or(1.0),
        max_backoff: backoff.and_then(|b| b.max.as_ref()).map(|d| ms(d.value)),
        jitter: backoff
            .and_then(|b| b.jitter.as_ref())
            .map_or(Jitter::None, |j| j.value),
        deadline: client.deadline.as_ref().map(|d| ms(d.value)),
        per_attempt_timeout: client.per_attempt_timeout.as_ref().map(|d| ms(d.value)),
        retry_window: retry_window(client).duration().map(ms),
    }
}

fn calls(client: &Client, server: &str) -> bool {
    client.calls.iter().any(|c| c.value.server == server)
}

impl SimConfig {
    /// The configuration that simulates `client` calling `server` as their
    /// contracts declare them:
    ///
    /// - the server's `key_ttl` (what the store promises), its
    ///   `in_progress_lease` (the lease passed to `begin`) and its
    ///   `handler_timeout` (the handler's maximum time from claim to side
    ///   effect); an absent lease or timeout keeps the default;
    /// - the client's attempts, backoff and jitter, deadline, per-attempt
    ///   timeout and retry window (the derived one when not written: the
    ///   worst case of the schedule, bounded by the deadline);
    /// - a reconciler: another client of the same server that reuses the
    ///   key across retries (the first one, in file order) retries every
    ///   `backoff.initial` (1 s when unset) for its own retry window.
    ///
    /// Every fault stays enabled, including crashes whatever the declared
    /// durability: a volatile store is expected to fail them.
    pub fn from_contract(
        set: &ContractSet,
        client: &str,
        server: &str,
    ) -> Result<SimConfig, String> {
        let Some((_, srv)) = set.server(server) else {
            return Err(format!("no server `{server}` in the contracts"));
        };
        let Some((client_index, cli)) = set.client(client) else {
            return Err(format!("no client `{client}` in the contracts"));
        };
        if !calls(cli, server) {
            return Err(format!("client `{client}` does not call server `{server}`"));
        }
        let defaults = SimConfig::default();
        let reconciler = set
            .clients
            .iter()
            .enumerate()
            .find(|(i, c)| *i != client_index && calls(c, server) && c.reuses_key() && c.retries())
            .and_then(|(_, c)| {
                let until = retry_window(c).duration().map(ms)?;
                let every = c
                    .backoff
                    .as_ref()
                    .and_then(|b| b.initial.as_ref())
                    .map_or(Duration::from_secs(1), |d| ms(d.value))
                    .max(Duration::from_millis(1));
                Some(Reconciler { every, until })
            });
        Ok(SimConfig {
            schedule: schedule(cli),
            reconciler,
            lease: srv
                .in_progress_lease
                .as_ref()
                .map_or(defaults.lease, |d| ms(d.value)),
            handler_time: srv
                .handler_timeout
                .as_ref()
                .map_or(defaults.handler_time, |d| ms(d.value)),
            key_ttl: srv.key_ttl.as_ref().map(|d| ms(d.value)),
            ..defaults
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_check_contract::load_str;

    const CONTRACT: &str = r#"
version = 1
[server.payments]
key_ttl = "7d"
in_progress_lease = "30s"
handler_timeout = "10s"
[server.payments.operations.Charge]
method = "POST"
idempotency = "key"
side_effects = "money"
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "3s"
per_attempt_timeout = "800ms"
backoff = { initial = "200ms", multiplier = 2.0, max = "2s", jitter = "decorrelated" }
idempotency_key = { reused_across_retries = true }
[client.reconciler]
calls = ["payments.Charge"]
retry_window = "72h"
max_attempts = 20
backoff = { initial = "1m", multiplier = 2.0, max = "6h", jitter = "full" }
idempotency_key = { reused_across_retries = true }
[client.other]
calls = ["ledger.Post"]
"#;

    #[test]
    fn maps_the_server_the_client_and_the_reconciler() {
        let (set, errors) = load_str("payments.toml", CONTRACT);
        assert!(errors.is_empty(), "{errors:?}");
        let c = SimConfig::from_contract(&set, "checkout", "payments").expect("maps");
        assert_eq!(c.key_ttl, Some(Duration::from_secs(7 * 24 * 3600)));
        assert_eq!(c.lease, Duration::from_secs(30));
        assert_eq!(c.handler_time, Duration::from_secs(10));
        let s = &c.schedule;
        assert_eq!(s.max_attempts, 3);
        assert_eq!(s.initial_backoff, Duration::from_millis(200));
        assert_eq!(s.multiplier, 2.0);
        assert_eq!(s.max_backoff, Some(Duration::from_secs(2)));
        assert_eq!(s.jitter, Jitter::Decorrelated);
        assert_eq!(s.deadline, Some(Duration::from_secs(3)));
        assert_eq!(s.per_attempt_timeout, Some(Duration::from_millis(800)));
        // Derived: the schedule's worst case (3 x 800ms + 600ms + 1800ms)
        // exceeds the deadline, which bounds it.
        assert_eq!(s.retry_window, Some(Duration::from_secs(3)));
        assert_eq!(
            c.reconciler,
            Some(Reconciler {
                every: Duration::from_secs(60),
                until: Duration::from_secs(72 * 3600),
            })
        );
        assert_eq!(c.faults, SimConfig::default().faults);
    }

    #[test]
    fn unknown_names_and_unrelated_pairs_are_errors() {
        let (set, _) = load_str("payments.toml", CONTRACT);
        let err = SimConfig::from_contract(&set, "nobody", "payments").expect_err("unknown client");
        assert!(err.contains("no client `nobody`"), "{err}");
        let err =
            SimConfig::from_contract(&set, "checkout", "nowhere").expect_err("unknown server");
        assert!(err.contains("no server `nowhere`"), "{err}");
        let err = SimConfig::from_contract(&set, "other", "payments").expect_err("not a caller");
        assert!(err.contains("does not call"), "{err}");
    }

    #[test]
    fn a_client_without_retries_sends_one_attempt_and_absent_values_keep_defaults() {
        let (set, errors) = load_str(
            "t.toml",
            r#"
version = 1
[server.s]
[client.c]
calls = ["s"]
"#,
        );
        assert!(errors.is_empty(), "{errors:?}");
        let c = SimConfig::from_contract(&set, "c", "s").expect("maps");
        assert_eq!(c.schedule.max_attempts, 1);
        assert_eq!(c.key_ttl, None);
        assert_eq!(c.lease, SimConfig::default().lease);
        assert_eq!(c.reconciler, None);
    }
}
