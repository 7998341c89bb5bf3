//! Every seed of the fuzz corpora (`fuzz/corpus/TARGET/seed-*`, the
//! committed part; inputs a local fuzzer added are named by hash and left
//! out so the test is the same on every machine) and every input
//! that ever crashed a target (`fuzz/regressions/TARGET/`) runs through the
//! target's body on the stable toolchain, so `cargo test` alone guards
//! against regressions.

use std::path::{Path, PathBuf};

use retry_check_tests::fuzz_targets::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && !n.starts_with('.'))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_and_regression_input_runs_clean() {
    for (name, target) in TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(name), "seed-");
        assert!(
            corpus.len() >= 3,
            "fuzz/corpus/{name} has {} seed files; run fuzz/seed.sh",
            corpus.len()
        );
        let regressions = files(&fuzz_dir().join("regressions").join(name), "");
        for path in corpus.iter().chain(&regressions) {
            let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} panicked on {}", path.display());
        }
    }
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    for (name, _) in TARGETS {
        let file = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("fuzz_targets::{name}(")),
            "{} does not call fuzz_targets::{name}",
            file.display()
        );
    }
}
