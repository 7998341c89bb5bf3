//! Lint generated configuration files of each format against merely parsing
//! the same files with the format's parser (issue 19: at most 2x).
//!
//! `cargo bench -p retry-check-sources --bench sources [-- FILES]` (FILES
//! per format, default 300). Per format, both sides run interleaved ten
//! times and the best of each is kept:
//! - the parsers alone: the contract with `toml`, and the files with the
//!   format's parser: `saphyr-parser` events to the end (YAML, what
//!   retry-check reads it with), `jsonc-parser`'s AST (JSON: retry-check
//!   reads plain JSON directly and keeps this parser for escapes and
//!   errors; `serde_json::Value`, which keeps no positions, is shown beside
//!   it), a plain line split (the AWS config file, which has no parser
//!   crate);
//! - retry-check: `retry_check_sources::load` (parse with spans, sniff,
//!   validate, map, resolve against the contract) + every rule + notes.
//!
//! Each format's files come with one contract declaring the servers they
//! call, so targets resolve and the rules see real call paths.

// The allocator of the `cargo-retry-check` binary, so both sides run as
// the tool does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::fmt::Write;
use std::time::Instant;

use retry_check_diagnostics::SourceMap;
use retry_check_rules::{lint, LintLevels};

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut best = f64::MAX;
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        best = best.min(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    (best, last.expect("at least one run"))
}

/// The contract of services `svc0..svcN`: keyed on even numbers, with a
/// POST and a GET operation each.
fn contract(n: usize) -> String {
    let mut s = String::from("version = 1\n");
    for i in 0..n {
        if i % 2 == 0 {
            let _ = write!(
                s,
                "\n[server.svc{i}]\nkey_source = \"header:Idempotency-Key\"\nkey_ttl = \"24h\"\n\
                 in_progress_lease = \"30s\"\nkey_scope = [\"tenant\"]\nfingerprint = [\"body\"]\n"
            );
        } else {
            let _ = write!(s, "\n[server.svc{i}]\n");
        }
        let _ = write!(
            s,
            "[server.svc{i}.operations.Create]\nmethod = \"POST\"\nside_effects = \"money\"\n\
             [server.svc{i}.operations.Get]\nmethod = \"GET\"\n"
        );
    }
    s
}

fn istio(i: usize) -> String {
    let mut s = format!(
        "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: svc{i}\n  namespace: prod\n\
         spec:\n  hosts:\n    - svc{i}.prod.svc.cluster.local\n  http:\n"
    );
    for (j, method) in ["POST", "GET", "POST", "GET"].iter().enumerate() {
        let _ = write!(
            s,
            "    - name: route{j}\n      match:\n        - method:\n            exact: {method}\n          uri:\n            prefix: /v{j}\n\
             \x20     route:\n        - destination:\n            host: svc{i}.prod.svc.cluster.local\n            port:\n              number: 8080\n\
             \x20     timeout: {}s\n",
            j + 1
        );
        match (i + j) % 3 {
            0 => {} // Istio's default retries
            1 => s.push_str("      retries:\n        attempts: 0\n"),
            _ => {
                let _ = write!(
                    s,
                    "      retries:\n        attempts: {}\n        perTryTimeout: 500ms\n        retryOn: connect-failure,refused-stream,unavailable,503\n",
                    1 + j % 3
                );
            }
        }
    }
    s
}

fn grpc(i: usize) -> String {
    format!(
        r#"{{
  "loadBalancingConfig": [{{ "round_robin": {{}} }}],
  "methodConfig": [
    {{
      "name": [{{ "service": "svc{i}.v1.Service", "method": "Create" }}],
      "timeout": "3s",
      "retryPolicy": {{
        "maxAttempts": {},
        "initialBackoff": "0.1s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": {}
      }}
    }},
    {{
      "name": [{{ "service": "svc{i}.v1.Service", "method": "Get" }}],
      "timeout": "1s",
      "hedgingPolicy": {{ "maxAttempts": 2, "hedgingDelay": "0.05s", "nonFatalStatusCodes": ["UNAVAILABLE"] }}
    }}
  ],
  "retryThrottling": {{ "maxTokens": 10, "tokenRatio": 0.1 }}
}}
"#,
        2 + i % 4,
        // Every third file also retries a doubtful code (RC004).
        if i.is_multiple_of(3) {
            r#"["UNAVAILABLE", "RESOURCE_EXHAUSTED"]"#
        } else {
            r#"["UNAVAILABLE"]"#
        }
    )
}

fn envoy(i: usize) -> String {
    format!(
        "static_resources:\n  listeners:\n    - name: l{i}\n      filter_chains:\n        - filters:\n            - name: envoy.filters.network.http_connection_manager\n\
         \x20             typed_config:\n                \"@type\": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager\n\
         \x20               route_config:\n                  virtual_hosts:\n                    - name: vh{i}\n                      domains: [\"*\"]\n\
         \x20                     retry_policy: {{ retry_on: \"5xx,reset\", num_retries: 2 }}\n                      routes:\n\
         \x20                       - name: create\n                          match: {{ prefix: /create }}\n                          route: {{ cluster: svc{i}, timeout: 2s }}\n\
         \x20                       - name: get\n                          match: {{ prefix: /get }}\n\
         \x20                         route:\n                            cluster: svc{i}\n                            retry_policy:\n\
         \x20                             retry_on: connect-failure,refused-stream,gateway-error\n                              num_retries: 3\n\
         \x20                             per_try_timeout: 0.25s\n                              retry_back_off: {{ base_interval: 0.05s, max_interval: 0.5s }}\n\
         \x20 clusters:\n    - name: svc{i}\n      circuit_breakers:\n        thresholds:\n          - retry_budget: {{ budget_percent: {{ value: 20.0 }} }}\n"
    )
}

fn linkerd(i: usize) -> String {
    format!(
        "apiVersion: linkerd.io/v1alpha2\nkind: ServiceProfile\nmetadata:\n  name: svc{i}.prod.svc.cluster.local\nspec:\n  routes:\n\
         \x20   - name: POST /create\n      condition: {{ method: POST, pathRegex: /create }}\n      isRetryable: {}\n      timeout: 2s\n\
         \x20   - name: GET /get\n      condition:\n        all:\n          - method: GET\n          - pathRegex: /get\n      isRetryable: true\n\
         \x20     responseClasses:\n        - condition: {{ status: {{ min: 500, max: 599 }} }}\n          isFailure: true\n\
         \x20 retryBudget:\n    retryRatio: 0.2\n    minRetriesPerSecond: 10\n    ttl: 10s\n",
        i.is_multiple_of(2)
    )
}

fn openapi(i: usize) -> String {
    format!(
        "openapi: 3.0.3\ninfo:\n  title: svc{i}\n  version: \"1\"\nx-idempotency-key-ttl: 24h\npaths:\n  /create:\n    post:\n      operationId: Create\n\
         \x20     parameters:\n        - $ref: \"#/components/parameters/Key\"\n      responses:\n        \"201\": {{ description: created }}\n\
         \x20 /get:\n    get:\n      operationId: Get\n      responses:\n        \"200\": {{ description: ok }}\n\
         components:\n  parameters:\n    Key: {{ name: Idempotency-Key, in: header, required: true, schema: {{ type: string }} }}\n"
    )
}

fn aws(i: usize) -> String {
    format!(
        "[default]\nregion = us-east-1\n\n[profile svc{i}]\nregion = eu-west-1\nretry_mode = {}\nmax_attempts = {}\ns3 =\n  max_concurrent_requests = 20\n\n[sso-session corp]\nsso_region = us-east-1\n",
        ["standard", "adaptive", "legacy"][i % 3],
        1 + i % 5
    )
}

/// Parse with the format's parser alone; returns a count so nothing is
/// optimised away.
fn parse_only(ext: &str, texts: &[String]) -> usize {
    match ext {
        "json" => texts
            .iter()
            .filter(|t| {
                let options = jsonc_parser::ParseOptions::default();
                jsonc_parser::parse_to_ast(t, &Default::default(), &options).is_ok()
            })
            .count(),
        "serde_json" => texts
            .iter()
            .filter(|t| serde_json::from_str::<serde_json::Value>(t).is_ok())
            .count(),
        "yaml" => texts
            .iter()
            .map(|t| {
                let mut p = saphyr_parser::Parser::new_from_str(t);
                let mut events = 0;
                while let Some(Ok(_)) = p.next_event() {
                    events += 1;
                }
                events
            })
            .sum(),
        _ => texts
            .iter()
            .map(|t| t.lines().filter(|l| l.split_once('=').is_some()).count())
            .sum(),
    }
}

fn lint_all(name: &str, ext: &str, texts: &[String], contract: &str) -> (usize, usize) {
    let mut sources = SourceMap::new();
    sources.add("contracts/services.toml", contract);
    for (i, t) in texts.iter().enumerate() {
        let path = if ext == "ini" {
            format!("{name}/{i}/config")
        } else {
            format!("{name}/{i}.{ext}")
        };
        sources.add(path, t.as_str());
    }
    let none = |_: &str| Err(std::io::Error::from(std::io::ErrorKind::NotFound));
    let t = Instant::now();
    let loaded = retry_check_sources::load(&mut sources, &none);
    if std::env::var_os("SOURCES_BENCH_SPLIT").is_some() {
        eprintln!("  load {name}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    assert!(loaded.errors.is_empty(), "{:#?}", &loaded.errors[..1]);
    let t = Instant::now();
    let mut diags = lint(&loaded.set, &LintLevels::new());
    if std::env::var_os("SOURCES_BENCH_SPLIT").is_some() {
        eprintln!("  lint {name}: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    }
    retry_check_sources::annotate(&mut diags, &loaded.notes);
    (loaded.set.clients.len(), diags.len())
}

type Generator = fn(usize) -> String;

fn main() {
    let files: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(300);
    let contract = contract(files);
    let formats: [(&str, &str, Generator); 6] = [
        ("istio", "yaml", istio),
        ("envoy", "yaml", envoy),
        ("linkerd", "yaml", linkerd),
        ("openapi", "yaml", openapi),
        ("grpc", "json", grpc),
        ("aws", "ini", aws),
    ];
    println!("{files} generated files per format, with one contract of {files} servers (both sides parse it)");
    println!(
        "{:<9} {:>8} {:>14} {:>16} {:>8} {:>9} {:>9}",
        "format", "MB", "parser alone", "retry-check", "ratio", "clients", "findings"
    );
    let (mut parse_total, mut lint_total) = (0.0, 0.0);
    let only = std::env::var("SOURCES_BENCH_ONLY").ok();
    for (name, ext, generate) in formats {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let texts: Vec<String> = (0..files).map(generate).collect();
        let mb = texts.iter().map(String::len).sum::<usize>() as f64 / 1e6;
        // Interleaved, best of each: a load spike on the shared machine
        // hits both sides alike.
        let (mut parse, mut full) = (f64::MAX, f64::MAX);
        let mut counts = (0, 0);
        for _ in 0..10 {
            let (p, _) = best_of(1, || {
                let table = contract
                    .parse::<toml::Table>()
                    .map(|t| t.len())
                    .unwrap_or(0);
                table + parse_only(ext, &texts)
            });
            let (f, c) = best_of(1, || lint_all(name, ext, &texts, &contract));
            parse = parse.min(p);
            full = full.min(f);
            counts = c;
        }
        let (clients, findings) = counts;
        if std::env::var_os("SOURCES_BENCH_SPLIT").is_some() && ext != "ini" {
            let syntax = if ext == "json" {
                retry_check_sources::sniff::Syntax::Json
            } else {
                retry_check_sources::sniff::Syntax::Yaml
            };
            let (tree, _) = best_of(10, || {
                texts
                    .iter()
                    .filter_map(|t| retry_check_sources::sniff::documents(syntax, t).ok())
                    .count()
            });
            let (toml, _) = best_of(10, || {
                retry_check_contract::load_str("c.toml", &contract)
                    .0
                    .servers
                    .len()
            });
            eprintln!(
                "  {name}: tree {:.1} ms, contract {:.1} ms",
                tree * 1e3,
                toml * 1e3
            );
        }
        let parser = match ext {
            "yaml" => "saphyr-parser".to_string(),
            "json" => {
                let (serde, _) = best_of(10, || parse_only("serde_json", &texts));
                format!(
                    "jsonc-parser; serde_json::Value alone {:.1} ms",
                    serde * 1e3
                )
            }
            _ => "line split".to_string(),
        };
        if ext != "ini" {
            parse_total += parse;
            lint_total += full;
        }
        println!(
            "{name:<9} {mb:>8.2} {:>9.1} ms {:>13.1} ms {:>7.2}x {clients:>9} {findings:>9}   ({parser})",
            parse * 1e3,
            full * 1e3,
            full / parse
        );
    }
    println!(
        "YAML and JSON formats together: {:.1} ms parsing, {:.1} ms linting: {:.2}x (bar: at most 2x)",
        parse_total * 1e3,
        lint_total * 1e3,
        lint_total / parse_total
    );
}
