//! `fix`: the fixes of the fixable rules applied to contracts written in
//! every TOML layout (inline tables, standard tables, dotted keys,
//! multi-line arrays with comments): the finding is gone, the file parses,
//! and everything else of it stays byte for byte.

use retry_check_diagnostics::SourceMap;
use retry_check_rules::fix::{fix_until_stable, FixRun};
use retry_check_rules::LintLevels;

const SERVER: &str = r#"version = 1

[server.payments]
key_source = "header:Idempotency-Key"
key_required = true
key_ttl = "1h"   # keep this comment
in_progress_lease = "30s"
handler_timeout = "10s"
store = { kind = "postgres", durability = "durable" }
fencing = true
fingerprint = ["amount"]
key_scope = ["tenant"]

[server.payments.operations.Charge]
method = "POST"
idempotency = "key"
side_effects = "money"
"#;

fn fix(client: &str) -> (FixRun, SourceMap) {
    let mut sources = SourceMap::new();
    sources.add("server.toml", SERVER);
    sources.add("client.toml", client);
    let levels = LintLevels::new();
    let run = fix_until_stable(&sources, &mut |s| {
        let (set, errors) = retry_check_contract::load(s);
        assert!(errors.is_empty(), "a fix broke the file: {errors:?}");
        retry_check_rules::lint(&set, &levels)
    });
    (run, sources)
}

fn text(run: &FixRun, file: usize) -> String {
    run.sources.files().nth(file).unwrap().1.text.clone()
}

fn codes(run: &FixRun) -> Vec<String> {
    run.applied.iter().map(|a| a.code.clone()).collect()
}

#[test]
fn a_standard_backoff_table_and_a_multi_line_retry_on() {
    let client = r#"version = 1

# The checkout client.
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 4
retry_window = "72h"
deadline = "30s"
per_attempt_timeout = "2s"
retry_on = [
  "INVALID_ARGUMENT", # never gets better
  "UNAVAILABLE",
  "4xx",
]
budget = { ratio = 0.1 }
idempotency_key = { reused_across_retries = true }
on_exhausted = "failed"

[client.checkout.backoff]
initial = "100ms"   # the first delay
multiplier = 2.0
"#;
    let (run, _) = fix(client);
    let fixed = text(&run, 1);
    let mut applied = codes(&run);
    applied.sort();
    assert_eq!(
        applied,
        ["RC001", "RC003", "RC005", "RC010", "RC012", "RC020"],
        "{fixed}"
    );
    assert!(run.failed.is_empty(), "{:?}", run.failed);
    assert_eq!(
        fixed,
        r#"version = 1

# The checkout client.
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 4
retry_window = "72h"
deadline = "30s"
per_attempt_timeout = "2s"
retry_on = [
  "UNAVAILABLE", 408, 429,
]
budget = { ratio = 0.1 }
idempotency_key = { reused_across_retries = true }
on_exhausted = "failed"
honor_retry_after = true

[client.checkout.backoff]
initial = "100ms"   # the first delay
multiplier = 2.0
jitter = "full"
max = "20s"
"#
    );
    // The server's TTL now covers the window; its comment stays.
    assert!(
        text(&run, 0).contains("key_ttl = \"72h\"   # keep this comment\n"),
        "{}",
        text(&run, 0)
    );
    let left: Vec<&str> = run.remaining.iter().map(|d| &*d.code).collect();
    for code in applied {
        assert!(!left.contains(&code.as_str()), "{code} left: {left:?}");
    }
}

#[test]
fn inline_tables_and_dotted_keys() {
    let client = r#"version = 1
[client.checkout]
calls = ["payments.Charge"]
max_attempts = 4
deadline = "5s"
backoff.initial = "100ms"
backoff.multiplier = 2.0
retry_on = ["NOT_FOUND", "UNAVAILABLE"]
budget = { ratio = 0.1 }
idempotency_key = { reused_across_retries = true }
on_exhausted = "failed"

[client.poller]
calls = ["payments.Charge"]
max_attempts = 3
deadline = "5s"
backoff = { initial = "1s", multiplier = 2.0 }
retry_on = ["UNAVAILABLE"]
budget = { ratio = 0.1 }
idempotency_key = { reused_across_retries = true }
on_exhausted = "failed"
"#;
    let (run, _) = fix(client);
    let fixed = text(&run, 1);
    assert!(
        fixed.contains(
            "backoff.initial = \"100ms\"\nbackoff.multiplier = 2.0\nbackoff.jitter = \"full\"\nbackoff.max = \"5s\"\n"
        ),
        "dotted keys stay dotted, the cap is the deadline:\n{fixed}"
    );
    assert!(fixed.contains("retry_on = [\"UNAVAILABLE\"]\n"), "{fixed}");
    assert!(
        fixed.contains(
            "backoff = { initial = \"1s\", multiplier = 2.0, jitter = \"full\", max = \"5s\" }\n"
        ),
        "{fixed}"
    );
}

/// A fix that cannot apply is reported, and nothing of it is written.
#[test]
fn a_fix_that_cannot_apply_is_reported() {
    use retry_check_diagnostics::fix::{Change, Edit};
    use retry_check_diagnostics::SourceId;

    let edit = Edit {
        file: SourceId(0),
        table: vec!["client".into(), "missing".into()],
        change: Change::Set {
            key: "honor_retry_after".into(),
            value: "true".into(),
        },
    };
    let e = retry_check_rules::fix::edit_text("version = 1\n", &[&edit]).unwrap_err();
    assert_eq!(e, "no table `client`");
}

#[test]
fn the_diff_is_unified() {
    let diff = retry_check_rules::fix::unified_diff("a.toml", "x = 1\ny = 2\n", "x = 1\ny = 3\n");
    assert_eq!(
        diff,
        "--- a/a.toml\n+++ b/a.toml\n@@ -1,2 +1,2 @@\n x = 1\n-y = 2\n+y = 3\n"
    );
}
