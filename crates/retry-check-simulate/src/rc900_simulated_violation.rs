//! RC900 `simulated_violation`: a counterexample that no contract rule
//! stands for, found by `simulate` (or `check`) on a client -> server pair,
//! or by `model` in the user's harness tests.

use retry_check_diagnostics::{Group, Job, Level, Lint};

pub static SIMULATED_VIOLATION: Lint = Lint {
    code: "RC900",
    name: "simulated_violation",
    group: Group::Correctness,
    default_level: Level::Deny,
    job: Job::Simulate,
    summary: "a simulated or model-checked run broke an at-most-once property",
    explain: EXPLAIN,
};

const EXPLAIN: &str = r#"## What it does
The harness drove a store through concurrent duplicates, lost responses,
crashes, restarts and clock jumps and found a run where a property breaks
(at most once, mismatch rejected, stale owner fenced, ...). `simulate` runs
every client -> server pair of the contracts against the reference store
the server's contract describes; `model` runs your own harness tests. A
counterexample that proves a contract rule is reported under that rule
(RC001 for a record that expired inside the retry window, RC022 for a lease
that expired in flight, RC027 for a record lost on a crash of a volatile
store); any other is RC900. The finding carries the shrunk timeline and the
replay file.

## Why it matters
A counterexample is not a heuristic: it is a concrete sequence of events,
replayable step by step, in which one logical operation had two side
effects (a card charged twice) or a duplicate got a wrong answer.

## Example
```text
error[RC900]: simulating `checkout` -> `payments` violates `at_most_once`: ...
  = note: counterexample (seed 1, sqlite reference store):
          1. client sends Charge(k1) ...
  = help: re-run it step by step: cargo retry-check replay target/retry-check/...json
```

## How to fix
Re-run the counterexample with `cargo retry-check replay FILE` (the finding
names the file), read the timeline, and fix the store or the contract until
it passes: claim the key atomically, fence a stale owner, keep records for
the whole retry window, commit the record with the side effect.

## Source
PRODUCT.md section 5 (the harness and its oracle); the IETF
Idempotency-Key draft (a key identifies one operation).
"#;
