//! Which client -> server pairs a contract set has, and the configuration
//! each one is simulated with: its own client's and its own server's, and
//! nobody else's.

use retry_check_contract::{Client, ContractSet, ItemId, Server};
use retry_check_harness::{ReferenceStore, ReferenceStoreKind, SimConfig};

use crate::store::reference_kind;
use crate::DEFAULT_KEY_TTL;

/// One client -> server pair to simulate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pair<'a> {
    pub client: &'a Client,
    pub server: &'a Server,
    /// Indices into the set's clients and servers.
    pub client_index: usize,
    pub server_index: usize,
}

impl Pair<'_> {
    pub fn client_name(&self) -> &str {
        &self.client.name.value
    }

    pub fn server_name(&self) -> &str {
        &self.server.name.value
    }

    /// `client -> server`.
    pub fn label(&self) -> String {
        format!("{} -> {}", self.client_name(), self.server_name())
    }

    /// The items whose `allow` entries apply to its findings.
    pub fn items(&self) -> [ItemId; 2] {
        [
            ItemId::Client(self.client_index),
            ItemId::Server(self.server_index),
        ]
    }

    /// The harness configuration of this pair and the store it runs
    /// against: the server's `key_ttl`, lease and handler time, the
    /// client's attempts, backoff, deadline, per-attempt timeout and retry
    /// window. Built from a set holding only these two, so that no other
    /// client of the server (a reconciler with a longer window) leaks into
    /// it: each client is simulated, and blamed, for its own retries.
    pub fn config(&self) -> Result<(SimConfig, ReferenceStore), String> {
        let mut alone = ContractSet::default();
        alone.servers.push(self.server.clone());
        alone.clients.push(self.client.clone());
        let mut config = SimConfig::from_contract(&alone, self.client_name(), self.server_name())?;
        config.reconciler = None;
        let store = ReferenceStore {
            kind: reference_kind(self.server),
            key_ttl: config.key_ttl.unwrap_or(DEFAULT_KEY_TTL),
        };
        if store.kind == ReferenceStoreKind::Memory {
            // A lost record also lets a changed payload in; with payload
            // changes off the trace found is the restart that charges twice.
            config.faults.payload_changes = false;
        }
        Ok((config, store))
    }
}

/// The pairs to simulate, and a description of each skipped pair.
pub(crate) fn pairs(set: &ContractSet) -> (Vec<Pair<'_>>, Vec<String>) {
    let index = set.server_index();
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for (ci, client) in set.clients.iter().enumerate() {
        let mut seen: Vec<&str> = Vec::new();
        for call in &client.calls {
            let name = call.value.server.as_str();
            if seen.contains(&name) {
                continue;
            }
            seen.push(name);
            let label = || format!("{} -> {}", client.name.value, name);
            match index.get(name).map(|&si| (si, &set.servers[si])) {
                None => skipped.push(format!("{} (unknown server)", label())),
                Some((_, server)) if !server.is_keyed() => {
                    skipped.push(format!("{} (no key contract)", label()))
                }
                Some((si, server)) => run.push(Pair {
                    client,
                    server,
                    client_index: ci,
                    server_index: si,
                }),
            }
        }
    }
    (run, skipped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use retry_check_contract::load_str;
    use std::time::Duration;

    const TWO_CLIENTS: &str = r#"
version = 1
[server.payments]
key_ttl = "24h"
[server.payments.operations.Charge]
method = "POST"
idempotency = "key"
side_effects = "money"
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "3s"
idempotency_key = { reused_across_retries = true }
[client.reconciler]
calls = ["payments.Charge", "payments.Charge"]
retry_window = "48h"
max_attempts = 20
idempotency_key = { reused_across_retries = true }
[client.lost]
calls = ["nowhere.Op"]
"#;

    #[test]
    fn each_pair_is_simulated_with_its_own_client_only() {
        let (set, errors) = load_str("p.toml", TWO_CLIENTS);
        assert!(errors.is_empty(), "{errors:?}");
        let (pairs, skipped) = pairs(&set);
        assert_eq!(
            pairs.iter().map(Pair::label).collect::<Vec<_>>(),
            ["checkout -> payments", "reconciler -> payments"],
            "one pair per client and server, however often it is called"
        );
        assert_eq!(skipped, ["lost -> nowhere (unknown server)"]);
        let (checkout, store) = pairs[0].config().expect("maps");
        assert_eq!(checkout.reconciler, None, "the reconciler is its own pair");
        assert_eq!(
            checkout.schedule.retry_window,
            Some(Duration::from_secs(3)),
            "the checkout's own window: its deadline"
        );
        assert_eq!(store.kind, ReferenceStoreKind::Sqlite);
        assert_eq!(store.key_ttl, Duration::from_secs(24 * 3600));
        let (reconciler, _) = pairs[1].config().expect("maps");
        assert_eq!(
            reconciler.schedule.retry_window,
            Some(Duration::from_secs(48 * 3600))
        );
    }
}
