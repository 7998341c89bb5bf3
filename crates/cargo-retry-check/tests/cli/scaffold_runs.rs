//! The `init` scaffold run as a user runs it: `init` (and `init --async`)
//! in a fresh crate, then `cargo test`. The correct store passes; edited
//! only to make its claim non-atomic (the sync store's claim split into two
//! lock sections, the async store's into two awaited statements), it fails
//! with a timeline that shows the interleaving.
//!
//! The crate reuses the model sample's lock file and target directory, so
//! the harness and its dependencies are built once for both.

use super::model::sample_target_dir;
use super::*;

/// The sync scaffold's claim, and the same claim in two lock sections.
const SYNC_ATOMIC: &str = r#"        checkpoint("look up key");
        let mut state = self.lock()?;
        let found = state.records.get(key).filter(|r| r.live(now)).cloned();
        if let Some(answer) = answer_from(found, fingerprint, now) {
            return Ok(answer);
        }
        checkpoint("claim key");
        state.last_token += 1;"#;
const SYNC_TWO_LOCKS: &str = r#"        checkpoint("look up key");
        let found = self.lock()?.records.get(key).filter(|r| r.live(now)).cloned();
        if let Some(answer) = answer_from(found, fingerprint, now) {
            return Ok(answer);
        }
        checkpoint("claim key");
        let mut state = self.lock()?;
        state.last_token += 1;"#;

/// The async scaffold's claim, and the same claim as two statements.
const ASYNC_ONE_TRANSACTION: &str = r#"        checkpoint("claim: SELECT and INSERT in one transaction");
        self.query(|conn| {
            let tx = conn.unchecked_transaction()?;
            let found = select(&tx, key)?;
            if let Some(answer) = answer_from(found, fingerprint, now) {
                return Ok(answer);
            }
            let token = next_token(&tx)?;
            insert(&tx, key, (fingerprint.0, token, lease_until, None, expires_at))?;
            tx.commit()?;
            Ok(Claim::Acquired(FencingToken(token)))
        })
        .await"#;
const ASYNC_TWO_STATEMENTS: &str = r#"        checkpoint("SELECT claim");
        let found = self.query(|conn| select(conn, key)).await?;
        if let Some(answer) = answer_from(found, fingerprint, now) {
            return Ok(answer);
        }
        checkpoint("INSERT claim");
        self.query(|conn| {
            let token = next_token(conn)?;
            insert(conn, key, (fingerprint.0, token, lease_until, None, expires_at))?;
            Ok(Claim::Acquired(FencingToken(token)))
        })
        .await"#;

/// A fresh crate `scaffold-<name>` depending on this workspace's harness,
/// scaffolded by `init` (with `extra` arguments). (The crates of two tests
/// have two names: cargo names a workspace member's test binary after the
/// package, not its path, in the shared target directory.)
fn scaffolded(name: &str, extra: &[&str]) -> PathBuf {
    let dir = sample_target_dir().join("scaffold-runs").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    let crates = root().join("crates").canonicalize().unwrap();
    let path = |c: &str| crates.join(c).display().to_string();
    let manifest = format!(
        "[workspace]\n\n[package]\nname = \"scaffold-{name}\"\nversion = \"0.1.0\"\n\
         edition = \"2021\"\npublish = false\n\n[dev-dependencies]\n\
         retry-check-harness = {{ path = {:?} }}\n\
         retry-check-contract = {{ path = {:?} }}\n\
         serde = {{ version = \"1\", features = [\"derive\"] }}\n\
         rusqlite = {{ version = \"0.37\", features = [\"bundled\"] }}\n\
         tokio = {{ version = \"1\", features = [\"rt\"] }}\n\n\
         [profile.dev.package.\"*\"]\nopt-level = 1\n",
        path("retry-check-harness"),
        path("retry-check-contract"),
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(
        root().join("tests/model-sample/Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    let mut args = vec!["init"];
    args.extend_from_slice(extra);
    let out = cmd_in(&dir, &args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

/// `cargo test --test retry_check_store` in `dir`; its output.
fn cargo_test(dir: &Path) -> Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()))
        .arg("test")
        .arg("--offline")
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml"))
        .args(["--test", "retry_check_store"])
        .env("CARGO_TARGET_DIR", sample_target_dir())
        .env("RETRY_CHECK_REPLAY_DIR", dir.join("replays"))
        .env("CARGO_TERM_COLOR", "never")
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap()
}

/// Replace the claim in the scaffolded test: the only edit.
fn edit(dir: &Path, from: &str, to: &str) {
    let file = dir.join("tests/retry_check_store.rs");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches(from).count(), 1, "the scaffold's claim moved");
    std::fs::write(&file, text.replace(from, to)).unwrap();
}

fn passes(dir: &Path) {
    let out = cargo_test(dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
}

/// The failing test's output (`cargo test` prints the panic on stdout).
fn fails(dir: &Path) -> String {
    let out = cargo_test(dir);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(101), "{stdout}");
    assert!(
        stdout.contains("property `at_most_once` violated"),
        "{stdout}"
    );
    stdout
}

/// The position of the first line containing `needle`, after line `from`.
fn line_of(text: &str, needle: &str, from: usize) -> usize {
    text.lines()
        .enumerate()
        .skip(from)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i)
        .unwrap_or_else(|| panic!("no line with {needle:?} after line {from}:\n{text}"))
}

#[test]
fn the_sync_scaffold_passes_and_its_two_lock_claim_fails_with_the_race() {
    let dir = scaffolded("sync", &[]);
    passes(&dir);
    edit(&dir, SYNC_ATOMIC, SYNC_TWO_LOCKS);
    let out = fails(&dir);
    // Found by the threaded phase: both begins started, both looked the key
    // up, then both claimed it.
    assert!(out.contains("mode:      threaded duplicates"), "{out}");
    let first = line_of(&out, "store.begin(op", 0);
    let second = line_of(&out, "store.begin(op", first + 1);
    let acquired = line_of(&out, "-> Acquired", 0);
    assert!(
        second < acquired,
        "both began before either was answered:\n{out}"
    );
    assert!(out.contains("... claim key"), "{out}");
    assert!(out.contains("!! second execution"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_async_scaffold_passes_and_its_two_statement_claim_fails_with_the_race() {
    let dir = scaffolded("async", &["--async"]);
    passes(&dir);
    edit(&dir, ASYNC_ONE_TRANSACTION, ASYNC_TWO_STATEMENTS);
    let out = fails(&dir);
    // Found at the await points: both SELECTs before either INSERT.
    assert!(
        out.contains("mode:      fault scenarios with await-point interleavings"),
        "{out}"
    );
    let first = line_of(&out, "[SELECT claim]", 0);
    let second = line_of(&out, "[SELECT claim]", first + 1);
    let insert = line_of(&out, "[INSERT claim]", 0);
    assert!(second < insert, "both SELECTs before an INSERT:\n{out}");
    assert!(out.contains("!! second execution"), "{out}");
    std::fs::remove_dir_all(&dir).unwrap();
}
