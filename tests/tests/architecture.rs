//! The invariants of ARCHITECTURE.md that a machine can check: crates depend
//! only downwards, nothing below the CLI knows about clap or the terminal,
//! no two files of a crate import each other in a circle, no source
//! file or function outgrows the limits, and the CLI stays a thin layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use retry_check_test_support::rust_files;
use syn::visit::Visit;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every crate of the workspace and its layer: a crate may depend on
/// crates of lower layers only. Keep in step with ARCHITECTURE.md.
const LAYERS: &[(&str, u8)] = &[
    ("retry-check-diagnostics", 0),
    ("retry-check-contract", 1),
    ("retry-check-rules", 2),
    ("retry-check-harness", 2),
    ("retry-check-sources", 2),
    ("retry-check-scan", 3),
    ("retry-check-storm", 3),
    ("retry-check-simulate", 3),
    // Published crates behind the harness; nothing depends on it.
    ("retry-check-adapters", 3),
    ("retry-check-model-tests", 4),
    ("retry-check-catalog", 5),
    ("retry-check-workspace", 6),
    ("cargo-retry-check", 7),
    // Dev-dependency only: the tests' shared helpers.
    ("retry-check-test-support", 1),
];

/// Dependencies only the binary may have: argument parsing and the terminal.
const CLI_ONLY: &[&str] = &["clap", "indicatif", "anstream"];

fn manifest(dir: &Path) -> toml::Table {
    let text = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    text.parse().unwrap()
}

fn crate_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join("crates"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("Cargo.toml").is_file())
        .collect();
    dirs.sort();
    dirs
}

fn layer(name: &str) -> u8 {
    LAYERS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, l)| *l)
        .unwrap_or_else(|| {
            panic!("crate `{name}` has no layer: add it to LAYERS here and to ARCHITECTURE.md")
        })
}

/// The normal dependencies of a manifest, `[target.*.dependencies]` too.
fn dependencies(m: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(deps) = m.get("dependencies").and_then(|d| d.as_table()) {
        out.extend(deps.keys().cloned());
    }
    if let Some(targets) = m.get("target").and_then(|t| t.as_table()) {
        for t in targets.values() {
            if let Some(deps) = t.get("dependencies").and_then(|d| d.as_table()) {
                out.extend(deps.keys().cloned());
            }
        }
    }
    out
}

#[test]
fn crates_depend_only_downwards() {
    let mut problems = Vec::new();
    for dir in crate_dirs() {
        let m = manifest(&dir);
        let name = m["package"]["name"].as_str().unwrap().to_string();
        let own = layer(&name);
        for dep in dependencies(&m) {
            if dep == "retry-check-test-support" {
                problems.push(format!("{name}: test-support is a dev-dependency only"));
            } else if dep.starts_with("retry-check-") && layer(&dep) >= own {
                problems.push(format!(
                    "{name} (layer {own}) depends on {dep} (layer {})",
                    layer(&dep)
                ));
            } else if CLI_ONLY.contains(&dep.as_str()) && name != "cargo-retry-check" {
                problems.push(format!("{name} depends on {dep}: only the CLI may"));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// A module path inside a crate (`["parse", "values"]`; empty: the root).
type ModPath = Vec<String>;

fn module_of(src: &Path, file: &Path) -> ModPath {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: ModPath = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("lib" | "main" | "mod")
    ) {
        parts.pop();
    }
    parts
}

/// Paths a file names that start at the crate (`crate::`, `super::`,
/// `self::`), made absolute; `use` trees expanded. Test modules are left
/// out (they may use anything).
#[derive(Default)]
struct Refs {
    here: ModPath,
    paths: Vec<ModPath>,
    /// Names this module brings in with `use`: name -> absolute path.
    names: Vec<(String, ModPath)>,
}

impl Refs {
    fn absolute(&self, segments: &[String]) -> Option<ModPath> {
        let (first, rest) = segments.split_first()?;
        let mut base = match first.as_str() {
            "crate" => Vec::new(),
            "self" => self.here.clone(),
            "super" => {
                let mut p = self.here.clone();
                p.pop();
                p
            }
            _ => return None,
        };
        let mut rest = rest;
        while rest.first().is_some_and(|s| s == "super") {
            base.pop();
            rest = &rest[1..];
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.used(prefix, &n.ident.to_string(), &n.ident.to_string()),
            syn::UseTree::Rename(r) => {
                self.used(prefix, &r.ident.to_string(), &r.rename.to_string())
            }
            syn::UseTree::Glob(_) => {
                if let Some(p) = self.absolute(prefix) {
                    self.paths.push(p);
                }
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t);
                }
            }
        }
    }

    fn used(&mut self, prefix: &[String], ident: &str, alias: &str) {
        let mut full = prefix.to_vec();
        if ident != "self" {
            full.push(ident.to_string());
        }
        // A relative `use child::Item` names a child module of this one.
        let abs = self.absolute(&full).or_else(|| {
            let mut p = self.here.clone();
            p.extend(full.iter().cloned());
            Some(p)
        });
        if let Some(p) = abs {
            if full
                .first()
                .is_some_and(|s| ["crate", "self", "super"].contains(&s.as_str()))
            {
                self.paths.push(p.clone());
            }
            self.names.push((alias.to_string(), p));
        }
    }
}

impl<'ast> Visit<'ast> for Refs {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        let test = m.attrs.iter().any(|a| {
            a.path().is_ident("cfg")
                && a.meta
                    .require_list()
                    .is_ok_and(|l| l.tokens.to_string() == "test")
        });
        if !test {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &u.tree);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments: Vec<String> = p.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(abs) = self.absolute(&segments) {
            self.paths.push(abs);
        }
        syn::visit::visit_path(self, p);
    }
}

/// The module file a path ends in: follow modules, then names brought in
/// with `use` (re-exports), as far as they go.
fn resolve(
    path: &[String],
    modules: &BTreeSet<ModPath>,
    names: &BTreeMap<(ModPath, String), ModPath>,
    depth: u8,
) -> ModPath {
    let mut at: ModPath = Vec::new();
    for (i, seg) in path.iter().enumerate() {
        let mut next = at.clone();
        next.push(seg.clone());
        if modules.contains(&next) {
            at = next;
            continue;
        }
        if let Some(target) = names.get(&(at.clone(), seg.clone())) {
            if depth < 8 && target != path {
                let mut rest = target.clone();
                rest.extend(path[i + 1..].iter().cloned());
                return resolve(&rest, modules, names, depth + 1);
            }
        }
        break;
    }
    at
}

/// A circle of files that import each other, if any.
fn import_circle(src: &Path) -> Option<Vec<String>> {
    let files = rust_files(src);
    let modules: BTreeSet<ModPath> = files.iter().map(|f| module_of(src, f)).collect();
    let mut refs = Vec::new();
    let mut names = BTreeMap::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let Ok(ast) = syn::parse_file(&text) else {
            continue; // templates (the init scaffold) are checked elsewhere
        };
        let mut r = Refs {
            here: module_of(src, f),
            ..Refs::default()
        };
        r.visit_file(&ast);
        for (name, target) in &r.names {
            names.insert((r.here.clone(), name.clone()), target.clone());
        }
        refs.push(r);
    }
    let mut edges: BTreeMap<ModPath, BTreeSet<ModPath>> = BTreeMap::new();
    for r in &refs {
        for p in &r.paths {
            let target = resolve(p, &modules, &names, 0);
            // A module may use its own children: it declares them.
            if target != r.here && !target.starts_with(&r.here) {
                edges.entry(r.here.clone()).or_default().insert(target);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        m: &ModPath,
        edges: &BTreeMap<ModPath, BTreeSet<ModPath>>,
        stack: &mut Vec<ModPath>,
        done: &mut BTreeSet<ModPath>,
    ) -> Option<Vec<String>> {
        if let Some(at) = stack.iter().position(|s| s == m) {
            let show = |p: &ModPath| {
                if p.is_empty() {
                    "lib".into()
                } else {
                    p.join("::")
                }
            };
            return Some(stack[at..].iter().map(show).collect());
        }
        if !done.insert(m.clone()) {
            return None;
        }
        stack.push(m.clone());
        for next in edges.get(m).into_iter().flatten() {
            if let Some(circle) = visit(next, edges, stack, done) {
                return Some(circle);
            }
        }
        stack.pop();
        None
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        if let Some(c) = visit(m, &edges, &mut Vec::new(), &mut done) {
            return Some(c);
        }
    }
    None
}

/// Crates whose circle another change is removing (issue 21's harness
/// items). An entry must still have its circle: remove it when it is gone.
const PENDING_CIRCLES: &[&str] = &[];

#[test]
fn no_import_circle_between_the_files_of_a_crate() {
    let mut problems = Vec::new();
    for dir in crate_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let circle = import_circle(&dir.join("src"));
        match (circle, PENDING_CIRCLES.contains(&name.as_str())) {
            (Some(c), false) => problems.push(format!("{name}: {}", c.join(" -> "))),
            (None, true) => problems.push(format!(
                "{name} has no import circle any more: remove it from PENDING_CIRCLES"
            )),
            _ => {}
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_circle_check_finds_a_circle() {
    let dir = std::env::temp_dir().join(format!("rc-circle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\npub use a::A;\n").unwrap();
    std::fs::write(dir.join("a.rs"), "use crate::b::B;\npub struct A(B);\n").unwrap();
    std::fs::write(dir.join("b.rs"), "pub struct B;\nfn f(_: crate::A) {}\n").unwrap();
    let circle = import_circle(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(circle, Some(vec!["a".to_string(), "b".to_string()]));
}

/// At most this many lines per source file, and per function.
const MAX_FILE_LINES: usize = 800;
const MAX_FN_LINES: usize = 120;

/// Files (and `file::function`s) another change is splitting: each must
/// still be over its limit; remove an entry when it no longer is.
const PENDING_SPLITS: &[&str] = &[];

/// Every function of a file with its length in lines.
struct Functions(Vec<(String, usize)>);

impl Functions {
    fn add(&mut self, name: &syn::Ident, block: &syn::Block) {
        let start = name.span().start().line;
        let end = syn::spanned::Spanned::span(block).end().line;
        self.0.push((name.to_string(), end + 1 - start));
    }
}

impl<'ast> Visit<'ast> for Functions {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.add(&f.sig.ident, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.add(&f.sig.ident, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }
}

#[test]
fn no_file_over_800_lines_no_function_over_120() {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut files = Vec::new();
    for dir in crate_dirs() {
        files.extend(rust_files(&dir.join("src")));
    }
    // The largest file and function, for the record (`--nocapture`).
    let mut largest = (0, String::new());
    let mut longest = (0, String::new());
    for f in files {
        let rel = f
            .strip_prefix(root())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap();
        let mut over = Vec::new();
        let lines = text.lines().count();
        largest = largest.max((lines, rel.clone()));
        if lines > MAX_FILE_LINES {
            over.push((rel.clone(), format!("{lines} lines")));
        }
        if let Ok(ast) = syn::parse_file(&text) {
            let mut fns = Functions(Vec::new());
            fns.visit_file(&ast);
            for (name, n) in fns.0 {
                longest = longest.max((n, format!("{rel}::{name}")));
                if n > MAX_FN_LINES {
                    over.push((format!("{rel}::{name}"), format!("{n} lines")));
                }
            }
        }
        for (what, size) in over {
            if PENDING_SPLITS.contains(&what.as_str()) {
                seen.insert(what);
            } else {
                problems.push(format!("{what}: {size}"));
            }
        }
    }
    println!("largest file: {} ({} lines)", largest.1, largest.0);
    println!("longest function: {} ({} lines)", longest.1, longest.0);
    for p in PENDING_SPLITS {
        if !seen.contains(*p) {
            problems.push(format!(
                "{p} is within the limits now: remove it from PENDING_SPLITS"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// The CLI crate is a thin layer over the libraries (issue 21): fewer than
/// this many lines of Rust under its `src/`, every `.rs` file counted.
/// Logic a command needs goes into a library crate (ARCHITECTURE.md).
const MAX_CLI_LINES: usize = 2_000;

fn lines_of_rust(dir: &Path) -> usize {
    rust_files(dir)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap().lines().count())
        .sum()
}

#[test]
fn the_cli_crate_stays_thin() {
    let src = root().join("crates/cargo-retry-check/src");
    let lines = lines_of_rust(&src);
    println!("cargo-retry-check/src: {lines} lines of Rust");
    assert!(lines > 0, "no Rust found under {}", src.display());
    assert!(
        lines < MAX_CLI_LINES,
        "the CLI crate has {lines} lines of Rust (limit {MAX_CLI_LINES}): move logic into a \
         library crate and keep commands/*.rs a few calls into it"
    );
}
