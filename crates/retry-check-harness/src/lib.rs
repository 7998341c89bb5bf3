//! The model-checking harness of retry-check: hand it your idempotency
//! store, and it looks for a side effect that runs twice.
//!
//! A store author adds one `#[test]` that calls [`Sim::check`]. It runs
//! every mode that applies to the store, each within its budget, and says in
//! its report which ran and what each explored:
//!
//! - **fault scenarios** ([`Mode::Scenarios`], [`Mode::AwaitPoints`]):
//!   proptest generates cases of concurrent duplicates, lost and duplicated
//!   requests, lost replies, node crashes at five points of a handler,
//!   restarts of the store, stalls and slow handlers, clock jumps aimed at
//!   the key TTL, the lease and the retry window, and a reused key with
//!   another payload; each case runs step by step in virtual time and every
//!   answer is judged by an exact oracle. An async store's concurrent calls
//!   are interleaved at every `.await` ([`Sim::new_async`]);
//! - **threaded duplicates** ([`Mode::Threads`], sync stores): duplicate
//!   handlers race inside `begin` on real threads against one store
//!   instance, many short rounds.
//!
//! A failure is shrunk to a short case and reported as a numbered timeline,
//! with a replay file that re-runs it byte for byte.
//!
//! ```
//! use std::time::Duration;
//! use retry_check_harness::stores::MemoryStore;
//! use retry_check_harness::{Sim, SimConfig};
//!
//! // The in-process reference store forgets everything when it restarts, so
//! // this run leaves store restarts out (a durable store keeps them on).
//! let mut config = SimConfig::default();
//! config.faults.store_restarts = false;
//! Sim::new(MemoryStore::factory(Duration::from_secs(24 * 3600)))
//!     .config(config)
//!     .cases(64)
//!     .threaded_rounds(8)
//!     .seed(7)
//!     .check(); // in a #[test]: panics with the timeline on a violation
//! ```
//!
//! `examples/store_author.rs` is a test to copy (`cargo retry-check init`
//! scaffolds one, sync or `--async`): your store behind
//! [`IdempotencyStore`] (or [`AsyncIdempotencyStore`]), a factory that
//! reopens it over the case's [`StorageLocation`], and a configuration read
//! from your contract with [`SimConfig::from_contract`].
//!
//! # What the harness simulates
//!
//! A case has 1 to [`SimConfig::operations`] logical operations (keys
//! `op1`, `op2`, ...), each sent by 2 to [`SimConfig::duplicates`] client
//! actors (`c1`, `c2`, ...) and, when configured, a reconciler (`r1`, ...)
//! that re-sends the same key every [`Reconciler::every`]. Every delivered
//! request gets a handler (`h1`, `h2`, ...) on one of [`SimConfig::nodes`]
//! server nodes (in turn: the timeline writes `n1 h3`), and the nodes share
//! one store instance. A handler runs:
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
//! The case's event list ([`Event`]) interleaves them: `Step(i)` advances
//! the `i`-th choice able to act (the server, then clients, then
//! reconcilers; a client whose backoff is not over moves the clock to its
//! next send). The server takes a turn: steps of the handlers the case's
//! [`Interleaving`] picks, PCT style (the runnable handler with the highest
//! priority, a preemption point dropping the one that just ran below the
//! others), until a step is not a poll that stopped at an `.await`. A step
//! is a side effect, a reply, or one *poll* of a store call: a sync store's
//! call completes in one poll (a turn is one step), an async store's stops
//! at each `.await` (`Pending`), and another handler may run before it is
//! polled again; a turn then lasts until some call answers, so the faults
//! of the schedule meet handlers after their claims as often as with a
//! sync store. For an async store the case also draws an await-point yield
//! ([`Interleaving::yield_at`]): every call still pending after its `n`-th
//! poll drops its handler below the others, so two calls on one key have
//! their reads and writes apart at the same `.await` wherever in the case
//! the race needs them (a fresh claim, or a takeover long after the first
//! server steps, where the preemption points are drawn). And when faults
//! stop with a key claimed by an owner that died, two duplicates retry it
//! at once past its lease, interleaved the same way: the herd of retries a
//! dead owner leaves behind, which a takeover that reads the record and
//! writes it in two steps lets in twice.
//! The harness drives async calls on a tokio runtime of its own that
//! only runs while it waits for the call it picked, so the interleaving is
//! its choice, recorded in the case: it shrinks and replays. The faults arm
//! themselves and strike the next matching moment: `LoseRequest`,
//! `LoseResponse`, `DuplicateRequest`, `ChangePayload` (the next request
//! reuses its key with another payload), `HandlerError`, `Crash(point)` (a
//! node crashes when one of its handlers is before its claim, after its
//! claim, after its side effect, after `complete`, or before its reply: the
//! node's handlers die, their calls in flight are abandoned, the node
//! restarts; the store and the other nodes keep running), `StoreRestart`
//! (the store instance is dropped, calls in flight fail, and it is reopened
//! over the same location; see [`store`] for what survives), `Stall` (an
//! owner pauses past its lease end, like a GC pause, and runs last),
//! `SlowHandler` (an owner takes its whole handler time) and `AdvanceClock`
//! (a small step, or the key TTL, the lease, the handler time, the retry
//! window or the attempt timeout, each ± 3 ms).
//!
//! The clock never takes a live, non-stalled owner past
//! [`SimConfig::handler_time`] since its claim: the harness only generates
//! handler delays up to that bound. So a store that honours the lease
//! (`lease > handler_time`, the default) never has a live owner's lease run
//! out, except through an explicit `Stall`. Configure `lease <=
//! handler_time` and a duplicate effect is a real finding: the contract gap
//! is proven.
//!
//! When the event list ends, faults stop: in-flight handlers finish (still
//! interleaved), the clock moves past the lease of any key still in
//! progress (or any `begin` cut off in flight), every operation inside its
//! retry window is retried once more, and a late duplicate of each
//! completed key arrives 1 ms before its key TTL ends, counted from the
//! completion.
//!
//! # The oracle (exact: never a false alarm on a correct store)
//!
//! A correct store claims atomically, checks fingerprints, fences stale
//! tokens and never issues one twice, honours the lease and keeps records
//! for the key TTL after their completion (at least as long as the longest
//! retry window). Against such a store none of these fire (the judges are
//! in `sim/oracle`, shared with stress and loom mode):
//!
//! - [`Property::AtMostOnce`]: two ledger executions `e1 < e2` of one
//!   operation, unless one is excused. **The effect-record gap**: an owner
//!   that crashed after its side effect and before its `complete` landed, or
//!   whose `complete` failed (a store error, a store restart during the
//!   call), leaves an in-progress record whose lease runs out; a retry then
//!   runs the effect again, and no store can prevent it alone. Real systems
//!   close the gap by passing the idempotency key downstream (as Stripe does
//!   with its own API), so the harness assumes the effect's provider does
//!   that and marks the re-run in the timeline instead of reporting it.
//!   Likewise an owner that stalled past its lease and was taken over
//!   before its `complete` was accepted: its effect, earlier or later, is
//!   excused (only fencing downstream can stop it), but its late `complete`
//!   must be refused.
//! - [`Property::MismatchRejected`]: the owner fingerprint of a key is that
//!   of the latest `Acquired` not followed by an accepted `release`; a
//!   `begin` with another fingerprint answered `Acquired` or `Completed`
//!   while that owner binds is a violation. The owner stops binding when its
//!   lease ended before it completed (a takeover is allowed) or when the
//!   record is older than [`SimConfig::key_ttl`]. A different payload that
//!   arrives before anyone claimed the key legitimately acquires it.
//! - [`Property::ReplayConsistent`]: every `Completed(o)` answer and every
//!   reply carrying an outcome equals the first outcome accepted by
//!   `complete` for the key (or one a `complete` still in flight carries).
//! - [`Property::NoFalseFailure`]: the store answers a final failure (a
//!   `Completed` outcome that is not one of the harness's `"charged:"`
//!   outcomes, or `Mismatch` for a request's own unchanged payload) for an
//!   operation whose effect ran with that payload.
//! - [`Property::StaleOwnerFenced`]: `complete` or `release` with a token
//!   other than the latest one is `Accepted` after the newer token was
//!   issued once the older one's lease had ended (a takeover); or a token
//!   still held by a live, unfinished owner whose lease ended is issued
//!   again (reported on the line that issues it).
//! - [`Property::EventualOutcome`]: once faults stop, the extra retry of an
//!   operation whose window is still open must get a final outcome, not
//!   "in progress" or an error. A store error there is not a violation: the
//!   check stops with a [`HarnessError`].
//! - [`Property::TtlHonoured`]: a duplicate of the completed payload whose
//!   `begin` is made within the key TTL after the completion (counted from
//!   the completion) must be answered with the recorded outcome; a store
//!   that counts its TTL from the claim, or collects records early, breaks
//!   it even where `at_most_once` holds.
//!
//! For an async store a call takes effect somewhere between the poll that
//! made it and the one that answered it, so the oracle judges each answer
//! against what was known when its call was made: a `complete` made before
//! a takeover was answered may be accepted, a `begin` made before the
//! completion was answered may see the key in progress.
//!
//! A case runs to its end; when it violates several properties the most
//! specific is reported ([`Property::rank`]), and the timeline stops at the
//! violating line. While shrinking, only the property first found counts.
//! A store that loses records violates more than one property (a lost
//! record also lets a changed payload and a late duplicate in), so the
//! property reported depends on the case found first; the
//! [`ViolationClass`] names the cause.
//!
//! # Reports, determinism and replay
//!
//! [`Sim::run`] returns a [`SimReport`] (every mode's figures), or a
//! [`SimError`]: a [`Counterexample`], whose `Display` is the full report
//! (the numbered timeline in virtual time, a "because" chain, the property
//! and its class, the store, the mode, the seed, the shrink statistics and
//! the cases explored), or a [`HarnessError`] when the store could not be
//! judged (it did not open, failed where an answer was needed, never
//! answered): never reported as a property. [`Sim::check`] panics with it,
//! prints the seed on stderr and writes a [`ReplayFile`] (JSON: format,
//! tool version, seed, config, shrunk case, and the [`Verdict`]) under
//! `$RETRY_CHECK_REPLAY_DIR`, else `target/retry-check/`; [`replay`] (and
//! [`replay_async`]) re-runs it step by step.
//!
//! Everything is deterministic: proptest runs with a ChaCha RNG seeded from
//! the seed, no persistence file, no fork and no time limits, and never
//! reads `PROPTEST_*` variables; the harness never iterates a hash map. The
//! same seed gives the same output byte for byte (`tests/determinism.rs`,
//! `tests/sim_async.rs`), the interleaving of async calls included. Two
//! limits: an async store that hands its work to other threads
//! (`spawn_blocking`, a worker thread) may finish a step before the harness
//! polls again or after, so where its await points fall depends on thread
//! timing (the report then notes that the shrunk case did not replay the
//! same); and a call that does not wake within [`Sim::lock_wait`] is taken
//! for blocked on a database lock another handler holds. Shrinking is
//! proptest's, then delta debugging over the whole case (any event,
//! operation, duplicate, preemption point or priority), keeping preemption
//! points on the same server steps (and it drops the await-point yield
//! when not needed). The threaded phase is the machine's: its rounds are
//! seeded, their interleaving is not, and its failures are not
//! replayable.
//!
//! Each case gets a fresh directory under a temporary directory of the run
//! (under `/dev/shm` when it exists) and a namespace `case_000123`; store
//! restarts reopen over the same location, never another case's.
//! [`DurableState`] keeps an in-process store's state there.
//!
//! The default budget is [`DEFAULT_CASES`] = 512 cases and
//! [`DEFAULT_THREAD_ROUNDS`] = 128 threaded rounds: every store of the zoo
//! (`stores::zoo`, feature `zoo`) is caught within a quarter of it on each
//! of the seeds measured (`benches/sim.rs`; the figures, and how many seeds
//! each PostgreSQL store ran, are in BENCHMARKS.md), the PostgreSQL
//! takeover without `SELECT ... FOR UPDATE` included (a race between two
//! duplicates taking over a dead owner's key, at their await points).
//! A failing threaded round is shrunk by re-running smaller rounds (fewer
//! keys, then fewer threads) up to 32 times each, since threads are not
//! deterministic; the report says what it reached.
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
//! # Stress and loom modes, checkpoints
//!
//! [`Stress`] runs real threads (or tokio tasks) against a real store for a
//! bounded number of rounds (a connection per worker, restarts, a fencing
//! probe). Under `RUSTFLAGS="--cfg loom"`, `loom_mode::check` explores
//! every interleaving of duplicate handlers for a store written against
//! [`sync`]. A store may mark its own steps with [`checkpoint`]: the label
//! shows on the timeline, and in the threaded phase it is a yield point.

mod checkpoint;
pub mod contracts;
pub mod durable;
mod location;
#[cfg(loom)]
pub mod loom_mode;
pub mod sim;
pub mod store;
pub mod stores;
#[cfg(not(loom))]
pub mod stress;
pub mod sync;
mod tokens;

pub use checkpoint::checkpoint;
pub use durable::DurableState;
pub use sim::{
    contract_path, replay, AnswerCounts, CaseDigest, CaseStats, Counterexample, CrashPoint, Event,
    Faults, HarnessError, Interleaving, Jitter, Jump, JumpKind, Mode, ModeReport, OpSpec,
    Partition, Property, Reconciler, ReferenceStore, ReferenceStoreKind, ReplayFile, Rerun,
    RetrySchedule, ShrinkStats, Sim, SimCase, SimConfig, SimError, SimReport, SyncDriver,
    ThreadShrink, Timeline, TimelineLine, Trace, Verdict, Violation, ViolationClass, CASES_ENV,
    CONTRACT_ENV, DEFAULT_CASES, DEFAULT_THREAD_ROUNDS, PARTITION_ENV, REPLAY_DIR_ENV,
    REPLAY_FORMAT, SEED_ENV,
};
#[cfg(not(loom))]
pub use sim::{replay_async, AsyncDriver};
pub use store::*;
#[cfg(not(loom))]
pub use stress::{Stress, StressFailure, StressReport};
