use super::*;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-init-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn options<'a>(package: Option<&'a str>, store_in: StoreIn) -> Options<'a> {
    Options {
        manifest_path: None,
        package,
        store_in,
        harness: HarnessSource::Registry {
            version: "0.1.0".into(),
        },
        force: false,
        contract: ("example.toml", "version = 1\n"),
        store_test: Some("// test\n"),
        test_dependencies: &[("serde", r#"{ version = "1", features = ["derive"] }"#)],
    }
}

fn virtual_workspace(name: &str) -> PathBuf {
    let root = scratch(name);
    write(
        &root.join("Cargo.toml"),
        "[workspace]\nmembers = [\"crates/*\"]\n",
    );
    for member in ["api", "store"] {
        write(
            &root.join(format!("crates/{member}/Cargo.toml")),
            &format!("[package]\nname = \"{member}\"\nversion = \"0.1.0\"\n\n# keep me\n[dependencies]\nserde = \"1\"\n"),
        );
    }
    root
}

#[test]
fn a_virtual_workspace_needs_a_package() {
    let root = virtual_workspace("virtual");
    let e = plan(&options(None, StoreIn::Auto), &root).unwrap_err();
    assert!(
        e.contains("2 packages (api, store); pass --package NAME"),
        "{e}"
    );
    let e = plan(&options(Some("nope"), StoreIn::Auto), &root).unwrap_err();
    assert!(e.contains("no package `nope`"), "{e}");

    let p = plan(&options(Some("store"), StoreIn::Auto), &root).unwrap();
    assert_eq!(p.package.as_deref(), Some("store"));
    p.write(&root).unwrap();
    assert!(root
        .join("crates/store/tests/retry_check_store.rs")
        .is_file());
    assert!(root.join("contracts/example.toml").is_file());
    let member = std::fs::read_to_string(root.join("crates/store/Cargo.toml")).unwrap();
    assert!(
        member.ends_with("serde = \"1\"\n\n[dev-dependencies]\nretry-check-harness = \"0.1.0\"\n"),
        "{member}"
    );
    assert!(member.contains("# keep me\n"), "comments stay: {member}");
    let root_manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(root_manifest.contains("[workspace.metadata.retry-check]"));
    assert!(!root_manifest.contains("retry-check-harness"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn inside_a_member_that_member_is_picked() {
    let root = virtual_workspace("inside");
    let p = plan(&options(None, StoreIn::Auto), &root.join("crates/api")).unwrap();
    assert_eq!(p.package.as_deref(), Some("api"));
    assert!(
        p.report
            .iter()
            .any(|l| l.contains("crates/api/Cargo.toml") || l.contains("Cargo.toml")),
        "{:?}",
        p.report
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_store_in_src_gets_a_normal_dependency() {
    let root = scratch("src-store");
    write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"ledger\"\nversion = \"0.1.0\"\n",
    );
    write(
        &root.join("src/lib.rs"),
        "use retry_check_harness::IdempotencyStore;\npub struct S;\n",
    );
    let mut o = options(None, StoreIn::Auto);
    o.harness = HarnessSource::Path {
        version: "0.1.0".into(),
        path: "/src/retry-check/crates/retry-check-harness".into(),
    };
    let p = plan(&o, &root).unwrap();
    p.write(&root).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains(
            "[dependencies]\nretry-check-harness = { version = \"0.1.0\", path = \"/src/retry-check/crates/retry-check-harness\" }\n"
        ),
        "{manifest}"
    );
    assert!(
        manifest.contains("[package.metadata.retry-check]"),
        "{manifest}"
    );
    let parsed: toml::Table = manifest.parse().unwrap();
    assert!(parsed["package"]["metadata"]["retry-check"].is_table());

    // Run again (with --force): the dependency and the table are kept.
    o.force = true;
    let again = plan(&o, &root).unwrap();
    assert!(
        again
            .report
            .iter()
            .any(|l| l.starts_with("kept the existing retry-check-harness dependency")),
        "{:?}",
        again.report
    );
    again.write(&root).unwrap();
    assert_eq!(
        std::fs::read_to_string(root.join("Cargo.toml")).unwrap(),
        manifest
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn dependency_forms() {
    let git = HarnessSource::Git {
        version: "0.1.0".into(),
        url: "https://example.org/rc".into(),
    };
    assert_eq!(
        git.item().to_string().trim(),
        "{ git = \"https://example.org/rc\", tag = \"v0.1.0\" }"
    );
    let doc: DocumentMut = "[package]\nname = \"a\"\n".parse().unwrap();
    let (text, line) = add_dependency(doc, "", StoreIn::Tests, &git);
    assert!(
        text.contains("[dev-dependencies]\nretry-check-harness = { git"),
        "{text}"
    );
    assert!(
        line.starts_with("added retry-check-harness to [dev-dependencies]"),
        "{line}"
    );
    assert!(
        line.ends_with("from git `https://example.org/rc`, tag v0.1.0"),
        "{line}"
    );
}

#[test]
fn an_unread_example_contract_is_pointed_out() {
    let root = scratch("globs");
    write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"a\"\nversion = \"0.1.0\"\n[package.metadata.retry-check]\ncontracts = [\"specs/*.toml\"]\n",
    );
    let p = plan(&options(None, StoreIn::Tests), &root).unwrap();
    assert!(
        p.report
            .iter()
            .any(|l| l.contains("do not read contracts/example.toml")),
        "{:?}",
        p.report
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_tests_dependencies_are_added_once_and_a_contract_alone_adds_none() {
    let root = scratch("test-deps");
    write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"solo\"\nversion = \"0.1.0\"\n",
    );
    let p = plan(&options(None, StoreIn::Tests), &root).unwrap();
    assert!(
        p.report
            .iter()
            .any(|l| l.starts_with("added serde to [dev-dependencies] of Cargo.toml")),
        "{:?}",
        p.report
    );
    p.write(&root).unwrap();
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        text.contains("serde = { version = \"1\", features = [\"derive\"] }"),
        "{text}"
    );
    assert!(text.contains("retry-check-harness = \"0.1.0\""), "{text}");

    // Again with --force: nothing is added twice.
    let mut again = options(None, StoreIn::Tests);
    again.force = true;
    let p = plan(&again, &root).unwrap();
    assert!(
        !p.report.iter().any(|l| l.contains("added serde")),
        "{:?}",
        p.report
    );

    // A contract only (`init --from`): no test, no dependency.
    let root = scratch("contract-only");
    write(
        &root.join("Cargo.toml"),
        "[package]\nname = \"solo\"\nversion = \"0.1.0\"\n",
    );
    let mut only = options(None, StoreIn::Tests);
    only.contract = ("imported.toml", "version = 1\n");
    only.store_test = None;
    let p = plan(&only, &root).unwrap();
    p.write(&root).unwrap();
    assert!(root.join("contracts/imported.toml").is_file());
    assert!(!root.join("tests/retry_check_store.rs").exists());
    let text = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(!text.contains("retry-check-harness"), "{text}");
    assert!(text.contains("[package.metadata.retry-check]"), "{text}");
}
