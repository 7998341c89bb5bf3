//! Property tests of the contract layer: generated valid contracts parse
//! without error, their values come back unchanged, and lint never panics.
//! (Bytes, text and single-character mutations: `parser_robustness.rs`.)

use proptest::prelude::*;
use retry_check_contract::{load_str, Duration, GrpcCode, Status, Transport};
use retry_check_rules::{lint, LintLevels};
use retry_check_tests::generate::{ClientSpec, ContractSpec, ServerSpec};

fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![
        (0u64..10_000).prop_map(Duration::from_millis),
        (1u64..100_000).prop_map(Duration::from_secs),
        // Up to a year, in milliseconds: compound forms like `2h3m4s5ms`.
        (0u64..31_536_000_000).prop_map(Duration::from_millis),
    ]
}

/// A duration above zero: what a key TTL, lease, handler timeout, deadline
/// or retry window must be.
fn positive_duration() -> impl Strategy<Value = Duration> {
    duration().prop_map(|d| Duration::from_millis(d.as_millis().max(1)))
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![
        proptest::sample::select(GrpcCode::ALL).prop_map(Status::Grpc),
        (100u16..=599).prop_map(Status::Http),
        (1u8..=5).prop_map(Status::HttpClass),
        proptest::sample::select(Transport::ALL).prop_map(Status::Transport),
    ]
}

fn server(i: usize) -> impl Strategy<Value = ServerSpec> {
    (
        (
            positive_duration(),
            positive_duration(),
            positive_duration(),
        ),
        (any::<bool>(), any::<bool>(), any::<bool>()),
        proptest::sample::select(vec!["POST", "PUT", "GET", "PATCH", "DELETE"]),
        proptest::sample::select(vec!["key", "natural", "conditional", "none"]),
        proptest::sample::select(vec!["none", "local", "foreign", "money"]),
    )
        .prop_map(
            move |(
                (key_ttl, lease, handler_timeout),
                (durable, fencing, fingerprint),
                method,
                idempotency,
                side_effects,
            )| ServerSpec {
                name: format!("server{i}"),
                key_ttl,
                lease,
                handler_timeout,
                durable,
                fencing,
                fingerprint,
                method,
                idempotency,
                side_effects,
            },
        )
}

fn client(i: usize) -> impl Strategy<Value = ClientSpec> {
    (
        (0usize..3, 1i64..20, duration(), 1.0f64..5.0),
        proptest::option::of(duration()),
        proptest::sample::select(vec!["none", "full", "equal", "decorrelated"]),
        (
            proptest::option::of(positive_duration()),
            proptest::option::of(positive_duration()),
        ),
        proptest::collection::vec(status(), 0..6),
        (proptest::option::of(0.01f64..1.0), any::<bool>()),
    )
        .prop_map(
            move |(
                (calls, max_attempts, initial, multiplier),
                max,
                jitter,
                (deadline, retry_window),
                retry_on,
                (budget_ratio, reuses_key),
            )| ClientSpec {
                name: format!("client{i}"),
                calls,
                max_attempts,
                initial,
                multiplier,
                max,
                jitter,
                deadline,
                retry_window,
                retry_on,
                budget_ratio,
                reuses_key,
            },
        )
}

fn contract() -> impl Strategy<Value = ContractSpec> {
    (1usize..4, 1usize..5).prop_flat_map(|(servers, clients)| {
        (
            (0..servers).map(server).collect::<Vec<_>>(),
            (0..clients).map(client).collect::<Vec<_>>(),
        )
            .prop_map(|(servers, clients)| ContractSpec { servers, clients })
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    /// Every generated contract parses with no error, every value comes
    /// back as written (durations and status sets round-trip through their
    /// printed form), and linting it does not panic.
    #[test]
    fn generated_contracts_parse_round_trip_and_lint(spec in contract()) {
        let text = spec.to_toml();
        let (set, errors) = load_str("generated.toml", &text);
        prop_assert!(errors.is_empty(), "{text}\n{errors:#?}");
        prop_assert_eq!(set.servers.len(), spec.servers.len());
        prop_assert_eq!(set.clients.len(), spec.clients.len());
        for (parsed, written) in set.servers.iter().zip(&spec.servers) {
            prop_assert_eq!(parsed.key_ttl.as_ref().map(|d| d.value), Some(written.key_ttl));
            prop_assert_eq!(parsed.in_progress_lease.as_ref().map(|d| d.value), Some(written.lease));
            prop_assert_eq!(parsed.handler_timeout.as_ref().map(|d| d.value), Some(written.handler_timeout));
        }
        for (parsed, written) in set.clients.iter().zip(&spec.clients) {
            prop_assert_eq!(parsed.max_attempts.as_ref().map(|m| m.value), Some(written.max_attempts));
            let backoff = parsed.backoff.as_ref().expect("backoff written");
            prop_assert_eq!(backoff.initial.as_ref().map(|d| d.value), Some(written.initial));
            prop_assert_eq!(backoff.max.as_ref().map(|d| d.value), written.max);
            prop_assert_eq!(backoff.multiplier.as_ref().map(|m| m.value), Some(written.multiplier));
            prop_assert_eq!(parsed.deadline.as_ref().map(|d| d.value), written.deadline);
            prop_assert_eq!(parsed.retry_window.as_ref().map(|d| d.value), written.retry_window);
            let statuses: Vec<Status> = parsed.retry_on().iter().map(|s| s.value).collect();
            prop_assert_eq!(&statuses, &written.retry_on);
        }
        let _ = lint(&set, &LintLevels::new());
    }

    /// A status set printed the way a user writes it (strings, or integers
    /// for HTTP codes) parses back to the same list, in order.
    #[test]
    fn status_sets_round_trip(statuses in proptest::collection::vec(status(), 0..12), as_strings in any::<bool>()) {
        let items: Vec<String> = statuses
            .iter()
            .map(|s| match s {
                Status::Http(code) if !as_strings => code.to_string(),
                other => format!("\"{other}\""),
            })
            .collect();
        let text = format!(
            "version = 1\n[client.c]\ncalls = [\"s\"]\nretry_on = [{}]\n[server.s]\n",
            items.join(", ")
        );
        let (set, errors) = load_str("statuses.toml", &text);
        prop_assert!(errors.is_empty(), "{text}\n{errors:#?}");
        let parsed: Vec<Status> = set.clients[0].retry_on().iter().map(|s| s.value).collect();
        prop_assert_eq!(parsed, statuses);
    }
}

/// The benchmark's numbered contracts are valid too (a benchmark of files
/// that only produce parse errors would measure the wrong thing).
#[test]
fn numbered_contracts_are_valid() {
    for i in 0..200 {
        let text = retry_check_tests::generate::numbered_contract(i).to_toml();
        let (_, errors) = load_str("numbered.toml", &text);
        assert!(errors.is_empty(), "contract {i}:\n{text}\n{errors:#?}");
    }
}

/// The `check` benchmark's clean pairs are clean: every one of the 29,160
/// configurations (every thirteenth, and the first 100) lints with no
/// finding at the default levels, and pair `i` has configuration
/// `i % configurations`, whatever its names.
#[test]
fn clean_pairs_are_clean_and_share_their_configuration() {
    use retry_check_tests::generate::clean_pair;
    let mut sources = retry_check_diagnostics::SourceMap::new();
    for i in (0..100).chain((100..29_160).step_by(13)) {
        sources.add(format!("c{i}.toml"), clean_pair(i, 29_160));
    }
    let (set, errors) = retry_check_contract::load(&sources);
    assert!(errors.is_empty(), "{errors:#?}");
    let found = retry_check_rules::lint(&set, &retry_check_rules::LintLevels::new());
    assert!(
        found.is_empty(),
        "{}",
        retry_check_diagnostics::render::human_report(&found, &sources, 1, false)
    );
    let unnamed = |i: usize, k: usize| {
        clean_pair(i, k)
            .replace(&format!("svc{i}"), "svc")
            .replace(&format!("caller{i}"), "caller")
    };
    assert_eq!(unnamed(3, 24), unnamed(27, 24));
    assert_ne!(unnamed(3, 24), unnamed(4, 24));
}
