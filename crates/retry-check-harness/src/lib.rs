//! The model-checking harness of retry-check: hand it your idempotency
//! store, and it looks for a side effect that runs twice.
//!
//! A store author adds one `#[test]`. The harness (sim mode) generates
//! scenarios with proptest — concurrent duplicates of a request, lost and
//! duplicated requests, lost replies, server crashes at every step followed
//! by a restart over the same storage, clock jumps aimed at the key TTL, the
//! lease and the retry window, stalled handlers, a reused key with another
//! payload — runs each one step by step against the store in virtual time,
//! and judges every answer with an exact oracle. A failure is shrunk to a
//! short scenario and reported as a numbered timeline, with a replay file
//! that re-runs it byte for byte.
//!
//! ```
//! use std::time::Duration;
//! use retry_check_harness::stores::MemoryStore;
//! use retry_check_harness::{Sim, SimConfig};
//!
//! // The in-process reference store forgets everything on restart, so this
//! // run leaves crashes out (a durable store keeps them on).
//! let mut config = SimConfig::default();
//! config.faults.crashes = false;
//! Sim::new(MemoryStore::factory(Duration::from_secs(24 * 3600)))
//!     .config(config)
//!     .cases(64)
//!     .seed(7)
//!     .check(); // in a #[test]: panics with the timeline on a violation
//! ```
//!
//! `examples/store_author.rs` is the version to copy: your store behind
//! [`IdempotencyStore`], a factory that reopens it over the case's
//! [`StorageLocation`], and a configuration read from your contract with
//! [`SimConfig::from_contract`].
//!
//! # What the harness simulates
//!
//! A case has 1 to [`SimConfig::operations`] logical operations (keys `op1`,
//! `op2`, ...), each sent by 2 to [`SimConfig::duplicates`] client actors
//! (`c1`, `c2`, ...) and, when configured, a reconciler (`r1`, ...) that
//! re-sends the same key every [`Reconciler::every`]. Every delivered request
//! gets a server handler (`h1`, `h2`, ...) that runs, one step at a time:
//!
//! 1. `begin(key, fingerprint, now, lease)`;
//! 2. on `Acquired(token)`: the side effect on the harness's ledger (the
//!    "card provider", which numbers executions per operation; the outcome
//!    is `"charged:op1:#1"`, naming the execution), or, on an injected
//!    handler error, `release(key, token)`;
//! 3. `complete(key, token, outcome)`;
//! 4. the reply: the outcome, "in progress" (retryable), the mismatch
//!    status (final), or a retryable error (store error, refused
//!    `complete`, handler error).
//!
//! Clients follow the [`RetrySchedule`]: attempts, exponential backoff with
//! the configured [`Jitter`] (each draw is a hash of the case's jitter seed,
//! the client and the attempt, so shrinking never changes it), a
//! per-attempt timeout after which a client retries, a deadline since its
//! first attempt, and the retry window since the operation's first attempt.
//! No client or reconciler sends outside its window, and a request that
//! reaches its handler after the operation's window is dropped before any
//! store call: every execution happens while a client may still retry.
//!
//! The scenario's event list ([`Event`]) interleaves them: `Step(i)` moves
//! the `i`-th actor able to act (in-flight handlers oldest first, then
//! clients, then reconcilers; a client whose backoff is not over moves the
//! clock to its next send); the faults arm themselves and strike the next
//! matching moment — `LoseRequest`, `LoseResponse`, `DuplicateRequest`,
//! `ChangePayload` (the next request reuses its key with another payload),
//! `HandlerError`, `Crash(point)` (when a handler is before its claim, after
//! its claim, after its side effect, after `complete`, or before its reply;
//! every in-flight handler dies, the store is dropped and reopened over the
//! same location), `Stall` (an owner pauses past its lease end, like a GC
//! pause), and `AdvanceClock` (a small step, or the key TTL, the lease, the
//! handler time, the retry window or the attempt timeout, each ± 3 ms).
//!
//! The clock never takes a live, non-stalled owner past
//! [`SimConfig::handler_time`] since its claim: the harness only generates
//! handler delays up to that bound. So a store that honours the lease
//! (`lease > handler_time`, the default) never has a live owner's lease run
//! out, except through an explicit `Stall`. Configure `lease <=
//! handler_time` and a duplicate effect is a real finding: the contract
//! gap is proven.
//!
//! When the event list ends, faults stop: in-flight handlers finish, the
//! clock moves past the lease of any key still in progress, and every
//! operation inside its retry window is retried once more.
//!
//! # The oracle (exact: never a false alarm on a correct store)
//!
//! A correct store claims atomically, checks fingerprints, fences stale
//! tokens, honours the lease and keeps records at least as long as the
//! longest retry window (window, or deadline without one, or the
//! reconciler's horizon). Against such a store none of these fire:
//!
//! - [`Property::AtMostOnce`]: two ledger executions `e1 < e2` of one
//!   operation, unless `e1` is excused. **The effect-record gap**: an owner
//!   that crashed after its side effect and before its `complete` leaves an
//!   in-progress record whose lease runs out; a retry then runs the effect
//!   again, and no store can prevent it alone. Real systems close the gap by
//!   passing the idempotency key downstream (as Stripe does with its own
//!   API), so the harness assumes the effect's provider does that and marks
//!   the re-run in the timeline ("re-run after a crash in the effect-record
//!   gap") instead of reporting it. Likewise an owner that stalled past its
//!   lease and was taken over before its `complete` was accepted: its
//!   effect, earlier or later, is excused (only fencing downstream can stop
//!   it), but its late `complete` must be refused.
//! - [`Property::MismatchRejected`]: the owner fingerprint of a key is that
//!   of the latest `Acquired` not followed by an accepted `release`; a
//!   `begin` with another fingerprint answered `Acquired` or `Completed`
//!   while that owner binds is a violation. The owner stops binding when its
//!   lease ended before it completed (a takeover is allowed) or when the
//!   record is older than [`SimConfig::key_ttl`]. A different payload that
//!   arrives before anyone claimed the key legitimately acquires it.
//! - [`Property::ReplayConsistent`]: every `Completed(o)` answer and every
//!   reply carrying an outcome equals the first outcome accepted by
//!   `complete` for the key. (A failure outcome answered when nothing was
//!   ever recorded is the store's own verdict, judged by the next property.)
//! - [`Property::NoFalseFailure`]: the store answers a final failure — a
//!   `Completed` outcome that is not one of the harness's `"charged:"`
//!   outcomes, or `Mismatch` for a request's own unchanged payload — for an
//!   operation whose effect ran with that payload (for `Mismatch`, an effect
//!   not excused as above).
//! - [`Property::StaleOwnerFenced`]: `complete` or `release` with a token
//!   other than the latest one issued for the key is `Accepted`, when the
//!   newer token was issued after the older one's lease ended (a takeover).
//!   A newer token issued while the older lease was live is a double grant,
//!   reported as `at_most_once` once both owners run the effect.
//! - [`Property::EventualOutcome`]: once faults stop, the extra retry of an
//!   operation whose window is still open must get a final outcome (a
//!   replayed or new outcome, or the mismatch status), not "in progress" or
//!   an error. Skipped when the window has ended.
//!
//! A case runs to its end; when it violates several properties the most
//! specific is reported ([`Property::rank`]: stale-token completion, then
//! duplicate effect, mismatch, false failure, divergent replay, stuck key),
//! and the timeline stops at the violating line. While shrinking, only the
//! property first found counts. A store that loses records violates more
//! than one property (a lost record also lets a changed payload in), so the
//! property reported for it depends on the case found first.
//!
//! # Reports, determinism and replay
//!
//! [`Sim::run`] returns a [`SimReport`] or a [`Counterexample`] whose
//! `Display` is the full report: the numbered timeline in virtual time (one
//! line per step: client sends, store calls with their answers, ledger
//! executions with running totals, crashes, clock jumps; the duplicate
//! effect marked `!! second execution`, the first one `first execution`),
//! a "because" chain, the property and its [`ViolationClass`], the store
//! (`StoreFactory::name`), the seed, the shrink statistics (events in the
//! first failing case and in the shrunk one, shrink iterations) and the
//! cases explored. [`Sim::check`] panics with it, prints the seed on stderr
//! and writes a [`ReplayFile`] (JSON: format, tool version, seed, config,
//! shrunk scenario, and the [`Verdict`]: property, class, timeline, test
//! name) under `$RETRY_CHECK_REPLAY_DIR`, else `target/retry-check/`;
//! [`replay`] re-runs it step by step.
//!
//! # Under `cargo retry-check model`
//!
//! [`Sim::check`] applies [`Sim::env_overrides`] first: `$RETRY_CHECK_SEED`,
//! `$RETRY_CHECK_CASES` and `$RETRY_CHECK_PARTITION` (`k/n`, see
//! [`Partition`]) win over the values in the test's code when set;
//! `$RETRY_CHECK_CONTRACT` ([`contract_path`]) names a contract the test may
//! read. `cargo retry-check model` sets them, runs the test through cargo
//! and reports each counterexample from the replay file's verdict.
//!
//! Everything is deterministic: proptest runs with a ChaCha RNG seeded from
//! the seed, no persistence file, no fork and no time limits, and never
//! reads `PROPTEST_*` variables; the harness never iterates a hash map. The
//! same seed gives the same output byte for byte (`tests/determinism.rs`).
//! Shrinking is proptest's, followed by a delta-debugging pass over the
//! event list (chunks, then single events, then simpler events and fewer
//! operations and duplicates).
//!
//! Each case gets a fresh directory under a temporary directory of the run
//! (under `/dev/shm` when it exists: a simulated crash is a process crash,
//! which memory-backed files survive as well as a disk's; removed at the end) and a namespace `case_000123`; restarts reopen over
//! the same location.
//!
//! The default budget is [`DEFAULT_CASES`] = 512 cases per run: every store
//! of the zoo (`stores::zoo`, feature `zoo`) is caught on each of 20 seeds
//! within it (`benches/sim.rs` measures cases and time to the first
//! counterexample).
//!
//! # Stress and loom modes
//!
//! Sim mode interleaves between store calls. [`Stress`] runs real threads
//! (or tokio tasks) against a real store — the in-process ones, SQLite, or
//! PostgreSQL ([`stores::PostgresStore`]) — and checks the ledger after each
//! round. Under `RUSTFLAGS="--cfg loom"`, `loom_mode::check` explores every
//! interleaving of duplicate handlers for a store written against [`sync`].

pub mod contracts;
#[cfg(loom)]
pub mod loom_mode;
pub mod sim;
pub mod store;
pub mod stores;
#[cfg(not(loom))]
pub mod stress;
pub mod sync;

pub use sim::{
    contract_path, replay, CaseDigest, Counterexample, CrashPoint, Event, Faults, Jitter, Jump,
    JumpKind, OpSpec, Partition, Property, Reconciler, ReferenceStore, ReferenceStoreKind,
    ReplayFile, RetrySchedule, Scenario, ShrinkStats, Sim, SimConfig, SimReport, Timeline,
    TimelineLine, Trace, Verdict, Violation, ViolationClass, CASES_ENV, CONTRACT_ENV,
    DEFAULT_CASES, PARTITION_ENV, REPLAY_DIR_ENV, SEED_ENV,
};
pub use store::*;
#[cfg(not(loom))]
pub use stress::{Stress, StressFailure, StressReport};
