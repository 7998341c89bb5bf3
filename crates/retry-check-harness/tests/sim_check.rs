//! `Sim::check`, the `#[test]` entry point: it panics with the rendered
//! counterexample and writes the replay file. (Its own test binary: it sets
//! `RETRY_CHECK_REPLAY_DIR`.)

mod sim_support;

use retry_check_harness::{ReplayFile, Sim};
use sim_support::{Defect, TinyFactory};

#[test]
fn check_panics_with_the_report_and_writes_the_replay_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::env::set_var("RETRY_CHECK_REPLAY_DIR", dir.path());
    let result = std::panic::catch_unwind(|| {
        Sim::new(TinyFactory::new(Defect::CheckThenAct))
            .seed(11)
            .check();
    });
    let payload = result.expect_err("check() panics on a broken store");
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("retry-check sim: property `"), "{message}");
    assert!(message.contains("seed:      11"), "{message}");
    assert!(message.contains("replay:    "), "{message}");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("replay dir exists")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    // Named after the test (libtest's thread name), then the store.
    assert!(
        name.starts_with(
            "check_panics_with_the_report_and_writes_the_replay_file-tiny_store_checkthenact-"
        ),
        "{name}"
    );
    assert!(name.ends_with("-11.json"), "{name}");
    let text = std::fs::read_to_string(&files[0]).expect("readable");
    let file = ReplayFile::from_json(&text).expect("valid replay file");
    assert_eq!(file.seed, 11);
    // The verdict `cargo retry-check model` reports.
    let verdict = file.verdict.expect("check() records the verdict");
    assert_eq!(
        verdict.test.as_deref(),
        Some("check_panics_with_the_report_and_writes_the_replay_file")
    );
    assert!(message.contains(&format!("property `{}`", verdict.property)));
    assert!(message.contains(verdict.timeline.trim_end()), "{message}");
    assert!(verdict.cases_explored >= 1);
    assert!(
        message.contains(&files[0].display().to_string()),
        "{message}"
    );

    // A correct store passes silently.
    Sim::new(TinyFactory::new(Defect::None)).cases(100).check();

    // `cargo retry-check model`'s variables win over the code's values.
    std::env::set_var("RETRY_CHECK_SEED", "23");
    std::env::set_var("RETRY_CHECK_CASES", "7");
    std::env::set_var("RETRY_CHECK_PARTITION", "2/3");
    let sim = Sim::new(TinyFactory::new(Defect::None))
        .seed(1)
        .cases(100)
        .env_overrides()
        .expect("valid variables");
    let report = sim.run().expect("a correct store passes");
    assert_eq!(report.seed, 23);
    assert_eq!(report.cases_run, 2, "cases 1 and 4 of 0..7");
    assert_eq!(
        report
            .case_digests
            .iter()
            .map(|c| c.index)
            .collect::<Vec<_>>(),
        vec![1, 4]
    );
    std::env::set_var("RETRY_CHECK_PARTITION", "4/3");
    let err = Sim::new(TinyFactory::new(Defect::None))
        .env_overrides()
        .err()
        .expect("an invalid partition is refused");
    assert!(err.contains("RETRY_CHECK_PARTITION"), "{err}");
    std::env::set_var("RETRY_CHECK_CASES", "many");
    std::env::remove_var("RETRY_CHECK_PARTITION");
    let err = Sim::new(TinyFactory::new(Defect::None))
        .env_overrides()
        .err()
        .expect("an invalid budget is refused");
    assert!(err.contains("RETRY_CHECK_CASES"), "{err}");
    for v in ["RETRY_CHECK_SEED", "RETRY_CHECK_CASES"] {
        std::env::remove_var(v);
    }
}
