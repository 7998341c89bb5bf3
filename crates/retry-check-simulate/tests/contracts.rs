//! The bundled `contracts/` through the simulation: every counterexample
//! proves a lint finding (none is left alone), each gap once, and the
//! in-process durable store answers as the SQLite reference store does
//! (the replay of every counterexample on SQLite gives the same timeline).

use std::path::{Path, PathBuf};

use retry_check_diagnostics::SourceMap;
use retry_check_harness::ReplayFile;
use retry_check_simulate::store::{replay_on, DurableReplay};
use retry_check_simulate::{simulate_set, Settings};

fn contracts() -> SourceMap {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let mut files = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("contracts/ is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut sources = SourceMap::new();
    for f in files {
        let shown = f.strip_prefix(&root).unwrap_or(&f).display().to_string();
        sources.add(shown, std::fs::read_to_string(&f).expect("readable"));
    }
    sources
}

#[test]
fn every_counterexample_of_contracts_proves_one_lint_finding() {
    let sources = contracts();
    let (set, errors) = retry_check_contract::load(&sources);
    assert!(errors.is_empty(), "{errors:?}");
    let replay_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("simulate-contracts");
    let _ = std::fs::remove_dir_all(&replay_dir);
    let settings = Settings {
        seed: 1,
        cases: 256,
        clean_cases: 32,
        partition: None,
        replay_dir: replay_dir.clone(),
        cwd: PathBuf::from("/"),
    };
    let mut findings = retry_check_rules::findings(&set);
    let mut outcome = simulate_set(&set, &settings, &findings, None).expect("simulates");
    let attached = outcome.attach(&mut findings);
    assert!(
        attached.standalone.is_empty(),
        "a counterexample no finding stands for: {:?}",
        attached.standalone
    );
    let mut proven: Vec<String> = attached
        .proven
        .iter()
        .map(|&i| format!("{} {}", findings[i].0.code, findings[i].1.message))
        .collect();
    proven.sort();
    assert_eq!(
        proven,
        [
            "RC001 server `rc001-ledger` forgets keys after 1h but client \
             `rc001-settlement-reconciler` retries for up to 72h",
            "RC001 server `rc013-inventory` forgets keys after 24h but client \
             `rc013-stock-sync` retries without end",
            "RC022 server `rc022-payments` lets an in-progress claim expire after 5s \
             while its handler may run for 30s",
            "RC027 server `rc027-payments` keeps its idempotency records in process memory",
        ]
    );
    assert_eq!(outcome.violations(), 4);
    assert!(
        outcome.simulations < outcome.pairs,
        "pairs with one configuration run once"
    );

    let mut replayed = 0;
    for entry in std::fs::read_dir(&replay_dir).expect("replay files were written") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("readable");
        let file = ReplayFile::from_json(&text).expect("a replay file");
        let store = file.reference_store.expect("names its store");
        let model = replay_on(store, DurableReplay::InProcess, &file).expect("replays");
        let sqlite = replay_on(store, DurableReplay::Sqlite, &file).expect("replays");
        assert!(model.violation.is_some(), "{:?}", file.contract);
        assert_eq!(
            model.timeline.render(),
            sqlite.timeline.render(),
            "{:?}",
            file.contract
        );
        replayed += 1;
    }
    assert_eq!(replayed, 4);
}
