//! Simulating only as far as needed: pairs with the same effective
//! configuration (store, key TTL, lease, handler time, schedule, faults;
//! not the names) are one simulation, run with the largest budget any of
//! them asks for; the simulations run on every core and are returned in
//! plan order.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};

use retry_check_harness::{Partition, ReferenceStore, SimConfig, SimError, SimReport};

use crate::pairs::Pair;
use crate::store::run_sim;
use crate::{Progress, Settings};

/// One simulation: a configuration and the pairs that share it.
pub(crate) struct Simulation {
    pub config: SimConfig,
    pub store: ReferenceStore,
    /// Indices into the pairs, in pair order; the first names the run.
    pub pairs: Vec<usize>,
}

/// The harness's verdict on one simulation.
pub(crate) type Verdict = Result<SimReport, SimError>;

/// Group `pairs` by configuration. A pair `suspect` says is broken gets
/// `settings.cases` (the search for a trace), any other
/// `settings.clean_cases`; a shared simulation gets the larger.
pub(crate) fn plan(
    pairs: &[Pair<'_>],
    settings: &Settings,
    suspect: &dyn Fn(&Pair<'_>) -> bool,
) -> Result<Vec<Simulation>, String> {
    let mut sims: Vec<Simulation> = Vec::new();
    let mut by_config: HashMap<String, usize> = HashMap::new();
    for (i, pair) in pairs.iter().enumerate() {
        let (mut config, store) = pair.config()?;
        config.seed = settings.seed;
        config.cases = 0;
        let key = serde_json::to_string(&(&config, store))
            .map_err(|e| format!("cannot key the configuration of `{}`: {e}", pair.label()))?;
        let cases = if suspect(pair) {
            settings.cases
        } else {
            settings.clean_cases.min(settings.cases)
        };
        let at = *by_config.entry(key).or_insert_with(|| {
            sims.push(Simulation {
                config,
                store,
                pairs: Vec::new(),
            });
            sims.len() - 1
        });
        let sim = &mut sims[at];
        sim.pairs.push(i);
        sim.config.cases = sim.config.cases.max(cases);
    }
    Ok(sims)
}

/// Run every simulation, on as many threads as there are cores (at most
/// one per simulation). Each is seeded, so the verdicts, returned in plan
/// order, do not depend on the number of threads.
pub(crate) fn run_all(
    sims: &[Simulation],
    pairs: &[Pair<'_>],
    partition: Option<Partition>,
    progress: Option<&dyn Progress>,
) -> Vec<Result<Verdict, String>> {
    let one = |sim: &Simulation| -> Verdict {
        let label = pairs[sim.pairs[0]].label();
        if let Some(p) = progress {
            p.started(&label);
        }
        let verdict = run_sim(
            sim.store,
            sim.config.clone(),
            Some(label.clone()),
            partition.unwrap_or(Partition::ALL),
        );
        if let Some(p) = progress {
            let cases = match &verdict {
                Ok(report) => report.cases_run,
                Err(SimError::Violation(cx)) => cx.cases_explored,
                Err(SimError::Harness(_)) => 0,
            };
            p.finished(&label, sim.pairs.len(), u64::from(cases));
        }
        verdict
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(sims.len());
    if threads <= 1 {
        return sims.iter().map(|s| Ok(one(s))).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Verdict>>> = sims.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(sim) = sims.get(i) else { break };
                let verdict = one(sim);
                *slots[i].lock().unwrap_or_else(PoisonError::into_inner) = Some(verdict);
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .ok_or_else(|| "a simulation thread panicked".to_string())
        })
        .collect()
}
