//! The corpus: small files written the way services use each retry crate.
//! The extracted policies of each file are snapshotted exactly
//! (`tests/snapshots/corpus__<file>.snap`), and a few are asserted field by
//! field below.

use std::path::Path;

use retry_check_diagnostics::{render, SourceMap};
use retry_check_scan::{
    lint_scan_at_defaults, scan_source, Attempts, Dur, FileScan, Jitter, OptDur, Predicate,
    RetryCrate, Val,
};

fn scan(name: &str) -> (SourceMap, FileScan) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut sources = SourceMap::new();
    let id = sources.add(format!("tests/corpus/{name}"), text);
    let scan = scan_source(&sources, id).unwrap_or_else(|d| panic!("{}", d.message));
    (sources, scan)
}

fn render_policies(sources: &SourceMap, scan: &FileScan) -> String {
    let mut out = String::new();
    for p in &scan.policies {
        let lc = sources.line_col(&p.span);
        out.push_str(&format!(
            "{}:{}:{} {p}\n\n",
            sources.path(p.span.source),
            lc.line,
            lc.column
        ));
    }
    let diags = lint_scan_at_defaults(scan);
    out.push_str("--- findings ---\n");
    out.push_str(&render::short_report(&diags, sources, 1));
    out
}

macro_rules! corpus_tests {
    ($($name:ident),* $(,)?) => {
        $(#[test] fn $name() {
            let (sources, scan) = scan(concat!(stringify!($name), ".rs"));
            insta::assert_snapshot!(stringify!($name), render_policies(&sources, &scan));
        })*

        #[test]
        fn every_corpus_file_has_a_test() {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
            let tested = [$(concat!(stringify!($name), ".rs")),*];
            for e in std::fs::read_dir(dir).unwrap() {
                let name = e.unwrap().file_name().to_string_lossy().to_string();
                assert!(tested.contains(&name.as_str()), "{name} has no corpus test");
            }
        }
    };
}

corpus_tests! {
    backon_basic,
    backon_split_lets_consts,
    tokio_retry_basic,
    backoff_struct,
    reqwest_retry_basic,
    loops,
    tower_policy,
    reqwest_builtin,
}

#[test]
fn tower_policy_impls_and_budgets() {
    let (_, scan) = scan("tower_policy.rs");
    // Two `impl Policy` with a `retry` method; the other crate's `Policy`
    // (no `retry`) is not one.
    assert_eq!(scan.policies.len(), 2, "{:#?}", scan.policies);
    assert!(scan.policies.iter().all(|p| p.krate == RetryCrate::Tower));
    let counter = &scan.policies[0];
    assert!(matches!(counter.max_attempts, Val::Unknown(ref t) if t.contains("Attempts::retry")));
    // No sleep in `retry()`: immediate retries.
    assert_eq!(counter.initial_delay, Val::Known(Dur(0)));
    assert_eq!(counter.predicate, Val::Known(Predicate::Custom));
    let backoff = &scan.policies[1];
    assert!(matches!(backoff.initial_delay, Val::Unknown(_)));
    assert_eq!(scan.budgets.len(), 2);
    assert_eq!(scan.budgets[0].ttl, Val::Known(Dur::secs(10)));
    assert_eq!(scan.budgets[0].min_per_sec, Val::Known(10.0));
    assert_eq!(scan.budgets[0].retry_percent, Val::Known(0.2));
    assert_eq!(scan.budgets[1].retry_percent, Val::Known(2.5));
}

#[test]
fn reqwest_builtin_retries_count_retries_and_have_no_backoff() {
    let (_, scan) = scan("reqwest_builtin.rs");
    assert_eq!(scan.policies.len(), 3, "{:#?}", scan.policies);
    assert!(scan.policies.iter().all(|p| p.krate == RetryCrate::Reqwest));
    let explicit = &scan.policies[0];
    // max_retries_per_request(4): 4 retries on top of the original.
    assert_eq!(explicit.max_attempts, Val::Known(Attempts::Finite(5)));
    assert_eq!(explicit.initial_delay, Val::Known(Dur(0)));
    assert_eq!(explicit.predicate, Val::Known(Predicate::Custom));
    let defaults = &scan.policies[1];
    assert_eq!(defaults.max_attempts, Val::Default(Attempts::Finite(3)));
    assert!(matches!(
        defaults.predicate,
        Val::Default(Predicate::CrateDefault(_))
    ));
    assert_eq!(
        scan.policies[2].max_attempts,
        Val::Known(Attempts::Finite(1))
    );
}

#[test]
fn backon_chain_is_extracted_exactly() {
    let (_, scan) = scan("backon_basic.rs");
    assert_eq!(scan.policies.len(), 1);
    let p = &scan.policies[0];
    assert_eq!(p.krate, RetryCrate::Backon);
    // with_max_times(4) is 4 retries: 5 attempts.
    assert_eq!(p.max_attempts, Val::Known(Attempts::Finite(5)));
    assert_eq!(p.initial_delay, Val::Known(Dur::ms(100)));
    assert_eq!(p.max_delay, Val::Known(OptDur(Some(Dur::secs(10)))));
    assert_eq!(p.multiplier, Val::Known(2.0));
    assert_eq!(p.jitter, Val::Known(Jitter::Additive));
    assert_eq!(p.max_elapsed, Val::Known(OptDur(Some(Dur::secs(30)))));
    assert_eq!(p.predicate, Val::Known(Predicate::Custom));
    assert!(p.in_async);
}

#[test]
fn tokio_retry_base_is_the_growth_factor_and_take_counts_retries() {
    let (_, scan) = scan("tokio_retry_basic.rs");
    let p = &scan.policies[0];
    assert_eq!(p.krate, RetryCrate::TokioRetry);
    assert_eq!(p.initial_delay, Val::Known(Dur::ms(10)));
    assert_eq!(p.multiplier, Val::Known(10.0));
    assert_eq!(p.max_attempts, Val::Known(Attempts::Finite(4)));
    assert_eq!(p.jitter, Val::Known(Jitter::Full));
    assert_eq!(p.predicate, Val::Known(Predicate::EveryError));
    // from_millis(2).factor(100): 200 ms first delay, growth factor 2.
    let capped = &scan.policies[1];
    assert_eq!(capped.initial_delay, Val::Known(Dur::ms(200)));
    assert_eq!(capped.multiplier, Val::Known(2.0));
    assert_eq!(capped.max_delay, Val::Known(OptDur(Some(Dur::secs(5)))));
    assert_eq!(capped.predicate, Val::Known(Predicate::Custom));
}

#[test]
fn unresolvable_values_are_unknown_not_guessed() {
    let (_, scan) = scan("backon_split_lets_consts.rs");
    let fib = scan
        .policies
        .iter()
        .find(|p| p.schedule == retry_check_scan::Schedule::Fibonacci)
        .unwrap();
    assert_eq!(
        fib.max_attempts,
        Val::Unknown("compute_times()".to_string())
    );
}
