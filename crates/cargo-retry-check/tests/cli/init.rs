//! `init`: the scaffold in a fresh crate, and what it refuses to do.

use super::*;

/// An empty crate in a fresh directory outside this workspace.
fn scratch_crate(test: &str, manifest: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retry-check-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    dir
}

const DEMO_MANIFEST: &str = "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";

fn in_dir(dir: &std::path::Path, args: &[&str]) -> Command {
    let mut c = cmd(args);
    c.current_dir(dir);
    c
}

#[test]
fn help_init() {
    assert_cmd_snapshot!(cmd(&["init", "--help"]));
}

#[test]
fn init_scaffolds_a_clean_start() {
    let dir = scratch_crate("init_scaffolds", DEMO_MANIFEST);
    // The dependency points at this checkout, wherever it is.
    let checkout = root().canonicalize().unwrap();
    let checkout = regex_escape(&checkout.to_string_lossy());
    insta::with_settings!({ filters => vec![(checkout.as_str(), "[CHECKOUT]")] }, {
        assert_cmd_snapshot!(in_dir(&dir, &["init"]));
    });
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let harness = root()
        .join("crates/retry-check-harness")
        .canonicalize()
        .unwrap();
    assert!(
        manifest.contains(&format!(
            "[dev-dependencies]\nretry-check-harness = {{ version = \"{}\", path = \"{}\" }}\n",
            env!("CARGO_PKG_VERSION"),
            harness.display()
        )),
        "{manifest}"
    );
    let contract = std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap();
    assert!(contract.contains("[server.payments]"));
    assert!(contract.contains("[consumer.ledger-projector]"));
    let test = std::fs::read_to_string(dir.join("tests/retry_check_store.rs")).unwrap();
    assert!(test.contains("fn my_store_keeps_at_most_once"));
    assert!(
        manifest.starts_with(DEMO_MANIFEST),
        "the manifest is appended to"
    );
    assert_eq!(
        manifest.matches("[package.metadata.retry-check]").count(),
        1
    );

    // The scaffolded contract lints and simulates clean, found through the
    // new configuration; Cargo.toml scans clean (2 files: the contract and
    // Cargo.toml; the harness test under tests/ is test code, not scanned).
    let checked = in_dir(&dir, &["check", "--format", "short"])
        .output()
        .unwrap();
    let stdout = String::from_utf8(checked.stdout).unwrap();
    assert_eq!(checked.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with("checked 2 files: no findings; simulated 1 pair"),
        "{stdout}"
    );
    assert!(stdout.contains(": 0 violations"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = scratch_crate("init_refuses", DEMO_MANIFEST);
    assert_eq!(
        in_dir(&dir, &["init"]).output().unwrap().status.code(),
        Some(0)
    );
    std::fs::write(dir.join("contracts/example.toml"), "# mine\n").unwrap();
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert_cmd_snapshot!(in_dir(&dir, &["init"]));
    assert_eq!(
        std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap(),
        "# mine\n",
        "nothing is overwritten without --force"
    );

    let forced = in_dir(&dir, &["init", "--force"]).output().unwrap();
    assert_eq!(forced.status.code(), Some(0));
    let stdout = String::from_utf8(forced.stdout).unwrap();
    assert!(
        stdout.contains("overwrote contracts/example.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("kept the existing retry-check configuration"),
        "{stdout}"
    );
    assert_ne!(
        std::fs::read_to_string(dir.join("contracts/example.toml")).unwrap(),
        "# mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest,
        "the configuration table is never added twice"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_keeps_an_existing_workspace_table() {
    let manifest = "[workspace]\nmembers = [\"store\"]\n\n[workspace.metadata.retry-check]\n\
                    contracts = [\"contracts/*.toml\"]\n";
    let dir = scratch_crate("init_keeps_table", manifest);
    std::fs::create_dir_all(dir.join("store")).unwrap();
    std::fs::write(dir.join("store/Cargo.toml"), DEMO_MANIFEST).unwrap();
    let out = in_dir(&dir, &["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest
    );
    // The only member owns the test and the dependency.
    assert!(dir.join("store/tests/retry_check_store.rs").is_file());
    let member = std::fs::read_to_string(dir.join("store/Cargo.toml")).unwrap();
    assert!(
        member.contains("[dev-dependencies]\nretry-check-harness = "),
        "{member}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A virtual workspace without packages has nowhere to put the test:
/// nothing is written.
#[test]
fn init_in_an_empty_virtual_workspace_is_a_usage_error() {
    let manifest = "[workspace]\nmembers = []\n";
    let dir = scratch_crate("init_empty_workspace", manifest);
    let out = in_dir(&dir, &["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("virtual workspace with no package"),
        "{stderr}"
    );
    assert!(!dir.join("contracts").exists() && !dir.join("tests").exists());
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn init_without_a_manifest_is_a_usage_error() {
    let dir = std::env::temp_dir().join(format!("retry-check-init-none-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = in_dir(&dir, &["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("no Cargo.toml found"));
    assert!(!dir.join("contracts").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `text` with the characters of a regular expression escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `--harness registry` writes the crates.io form, `--store-in src` a
/// normal dependency.
#[test]
fn init_writes_the_dependency_form_asked_for() {
    let dir = scratch_crate("init_registry", DEMO_MANIFEST);
    let out = in_dir(
        &dir,
        &["init", "--harness", "registry", "--store-in", "src"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "[dependencies]\nretry-check-harness = \"{}\"\n",
            env!("CARGO_PKG_VERSION")
        )),
        "{manifest}"
    );
    let bad = in_dir(&dir, &["init", "--force", "--harness", "/no/such/checkout"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("neither a retry-check checkout"));
    std::fs::remove_dir_all(&dir).unwrap();
}
