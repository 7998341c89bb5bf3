//! Which client -> server pairs a contract set has, the reference store
//! each runs against, and running them (on every core, results in pair
//! order).

use retry_check_contract::{Client, ContractSet, Durability, ItemId, Server, StoreKind};
use retry_check_harness::stores::{MemoryStore, SqliteStore};
use retry_check_harness::{
    Counterexample, Partition, ReferenceStore, ReferenceStoreKind, Sim, SimConfig, SimReport,
};

use crate::{Progress, Settings, DEFAULT_KEY_TTL};

/// One client -> server pair to simulate.
pub(crate) struct Pair<'a> {
    pub client: &'a Client,
    pub server: &'a Server,
    /// The items whose `allow` entries apply to its findings.
    pub items: [ItemId; 2],
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
}

/// The pairs to simulate, and a description of each skipped pair.
pub(crate) fn pairs(set: &ContractSet) -> (Vec<Pair<'_>>, Vec<String>) {
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for (ci, client) in set.clients.iter().enumerate() {
        for call in &client.calls {
            let name = call.value.server.as_str();
            if seen.contains(&(client.name.value.as_str(), name)) {
                continue;
            }
            seen.push((client.name.value.as_str(), name));
            let label = format!("{} -> {}", client.name.value, name);
            match set.server(name) {
                None => skipped.push(format!("{label} (unknown server)")),
                Some((_, server)) if !server.is_keyed() => {
                    skipped.push(format!("{label} (no key contract)"))
                }
                Some((si, server)) => run.push(Pair {
                    client,
                    server,
                    items: [ItemId::Client(ci), ItemId::Server(si)],
                }),
            }
        }
    }
    (run, skipped)
}

/// The reference store a server's contract describes.
pub fn reference_kind(server: &Server) -> ReferenceStoreKind {
    let store = server.store.as_ref();
    let volatile = store
        .and_then(|s| s.durability.as_ref())
        .is_some_and(|d| d.value == Durability::Volatile)
        || store
            .and_then(|s| s.kind.as_ref())
            .is_some_and(|k| k.value == StoreKind::Memory);
    if volatile {
        ReferenceStoreKind::Memory
    } else {
        ReferenceStoreKind::Sqlite
    }
}

/// Run `config` (the cases of `partition`) against a reference store. The
/// durable store is [`SqliteStore::sim_factory`] (`synchronous=OFF`,
/// which loses nothing on the process crash the harness simulates; see its
/// docs): the fsync per commit of `synchronous=FULL` made simulation
/// minutes long on a loaded machine.
pub fn run_sim(
    store: ReferenceStore,
    config: SimConfig,
    contract: Option<String>,
    partition: Partition,
) -> Result<SimReport, Box<Counterexample>> {
    match store.kind {
        ReferenceStoreKind::Memory => {
            let sim = Sim::new(MemoryStore::factory(store.key_ttl))
                .config(config)
                .partition(partition);
            match contract {
                Some(c) => sim.contract(c).run(),
                None => sim.run(),
            }
        }
        ReferenceStoreKind::Sqlite => {
            let sim = Sim::new(SqliteStore::sim_factory(store.key_ttl))
                .config(config)
                .partition(partition);
            match contract {
                Some(c) => sim.contract(c).run(),
                None => sim.run(),
            }
        }
    }
}

/// What simulating one pair gives: the reference store it ran against and
/// the harness's verdict.
pub(crate) type PairRun = Result<(ReferenceStore, Result<SimReport, Box<Counterexample>>), String>;

/// Simulate one pair.
fn simulate_pair(
    set: &ContractSet,
    pair: &Pair<'_>,
    settings: &Settings,
    progress: Option<&dyn Progress>,
) -> PairRun {
    let label = pair.label();
    if let Some(p) = progress {
        p.started(&label);
    }
    let mut config = SimConfig::from_contract(set, pair.client_name(), pair.server_name())?;
    config.seed = settings.seed;
    config.cases = settings.cases;
    let store = ReferenceStore {
        kind: reference_kind(pair.server),
        key_ttl: config.key_ttl.unwrap_or(DEFAULT_KEY_TTL),
    };
    if store.kind == ReferenceStoreKind::Memory {
        // A lost record also lets a changed payload in; with payload
        // changes off the trace found is the restart that charges twice.
        config.faults.payload_changes = false;
    }
    let partition = settings.partition.unwrap_or(Partition::ALL);
    let result = run_sim(store, config, Some(label.clone()), partition);
    if let Some(p) = progress {
        p.finished(&label);
    }
    Ok((store, result))
}

/// Simulate every pair, on as many threads as there are cores (at most one
/// per pair). The pairs are independent and each one is seeded, so the
/// results, returned in pair order, do not depend on the number of threads.
pub(crate) fn simulate_pairs(
    set: &ContractSet,
    pairs: &[Pair<'_>],
    settings: &Settings,
    progress: Option<&dyn Progress>,
) -> Vec<PairRun> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(pairs.len());
    if threads <= 1 {
        return pairs
            .iter()
            .map(|p| simulate_pair(set, p, settings, progress))
            .collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<PairRun>>> =
        pairs.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(pair) = pairs.get(i) else { break };
                let run = simulate_pair(set, pair, settings, progress);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(run);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| Err("a simulation thread panicked".to_string()))
        })
        .collect()
}
