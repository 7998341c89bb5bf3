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
    assert!(name.starts_with("tiny_store_checkthenact-"), "{name}");
    assert!(name.ends_with("-11.json"), "{name}");
    let text = std::fs::read_to_string(&files[0]).expect("readable");
    let file = ReplayFile::from_json(&text).expect("valid replay file");
    assert_eq!(file.seed, 11);
    assert!(
        message.contains(&files[0].display().to_string()),
        "{message}"
    );

    // A correct store passes silently.
    Sim::new(TinyFactory::new(Defect::None)).cases(100).check();
}
