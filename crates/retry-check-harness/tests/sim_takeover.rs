//! A read-then-write takeover across an `.await`: an in-process async store
//! whose fresh claim is atomic, but whose takeover of an ended lease (or an
//! expired record) reads the record, awaits, and writes by key alone, so
//! two duplicates that both read the dead owner's record both acquire. The
//! default check must find it on every seed within a quarter of the budget
//! (the race needs a dead or stalled owner, a lease that ended, two
//! duplicates in `begin` at once, and a switch between one's read and its
//! write), and must not flag the same store when its write is conditional
//! on the record it read.

#![cfg(not(loom))]

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use retry_check_harness::{
    checkpoint, replay_async, AsyncIdempotencyStore, AsyncStoreFactory, Claim, DurableState,
    Fenced, FencingToken, Fingerprint, Held, Mode, Outcome, Property, ReplayFile, Sim, SimError,
    SimReport, StorageLocation, StoreError, ViolationClass, VirtualTime, DEFAULT_CASES,
};
use serde::{Deserialize, Serialize};

/// One key's record; times in virtual milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Rec {
    fp: u64,
    token: u64,
    lease_until: u64,
    outcome: Option<String>,
    expires_at: u64,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct State {
    records: BTreeMap<String, Rec>,
    last_token: u64,
}

/// The store: every step is one critical section committed to the case's
/// location, then an `.await` (a database round trip).
struct Takeover {
    /// The takeover's write checks that the record is still the one read.
    conditional: bool,
    key_ttl: Duration,
    durable: DurableState<State>,
    state: Mutex<State>,
}

impl Takeover {
    fn step<T>(&self, f: impl FnOnce(&mut State) -> T) -> Result<T, StoreError> {
        let mut state = self.state.lock().map_err(|_| StoreError::new("poisoned"))?;
        let out = f(&mut state);
        self.durable.commit(&state)?;
        Ok(out)
    }

    fn fresh(&self, st: &mut State, fp: u64, now: u64, lease: u64) -> Rec {
        st.last_token += 1;
        Rec {
            fp,
            token: st.last_token,
            lease_until: now + lease,
            outcome: None,
            expires_at: now + ms(self.key_ttl),
        }
    }
}

/// A fenced call's answer, after its round trip.
async fn answered(accepted: bool) -> Fenced {
    tokio::task::yield_now().await;
    if accepted {
        Fenced::Accepted
    } else {
        Fenced::StaleToken
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl AsyncIdempotencyStore for Takeover {
    type Token = FencingToken;

    async fn begin(
        &self,
        key: &str,
        fingerprint: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let (now, lease) = (now.as_millis(), ms(lease));
        // Insert if absent, atomically; else read the record.
        checkpoint("insert if absent, else read");
        let read = self.step(|st| match st.records.get(key) {
            Some(r) => Err(r.clone()),
            None => {
                let r = self.fresh(st, fingerprint.0, now, lease);
                st.records.insert(key.to_string(), r.clone());
                Ok(r.token)
            }
        })?;
        tokio::task::yield_now().await;
        let current = match read {
            Ok(token) => return Ok(Claim::Acquired(FencingToken(token))),
            Err(r) => r,
        };
        let gone =
            now >= current.expires_at && (current.outcome.is_some() || now >= current.lease_until);
        if !gone {
            if current.fp != fingerprint.0 {
                return Ok(Claim::Mismatch);
            }
            if let Some(o) = &current.outcome {
                return Ok(Claim::Completed(Outcome(o.clone())));
            }
            if now < current.lease_until {
                return Ok(Claim::InProgress);
            }
        }
        checkpoint("write the takeover");
        let won = self.step(|st| {
            if self.conditional && st.records.get(key) != Some(&current) {
                return None;
            }
            let mut r = self.fresh(st, fingerprint.0, now, lease);
            if !gone {
                r.expires_at = r.expires_at.max(current.expires_at);
            }
            st.records.insert(key.to_string(), r.clone());
            Some(r.token)
        })?;
        tokio::task::yield_now().await;
        Ok(match won {
            Some(token) => Claim::Acquired(FencingToken(token)),
            // Someone else took it over between the read and the write.
            None => Claim::InProgress,
        })
    }

    async fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let ttl = ms(self.key_ttl);
        let done = self.step(|st| match st.records.get_mut(key) {
            Some(r) if r.outcome.is_none() && r.token == token.0 => {
                r.outcome = Some(outcome.0.clone());
                r.expires_at = now.as_millis() + ttl;
                true
            }
            _ => false,
        })?;
        Ok(answered(done).await)
    }

    async fn release(
        &self,
        key: &str,
        held: &Held,
        _now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let done = self.step(|st| match st.records.get(key) {
            Some(r) if r.outcome.is_none() && r.token == token.0 => {
                st.records.remove(key);
                true
            }
            _ => false,
        })?;
        Ok(answered(done).await)
    }
}

#[derive(Clone, Copy)]
struct TakeoverFactory {
    conditional: bool,
}

impl AsyncStoreFactory for TakeoverFactory {
    type Store = Takeover;

    async fn open(&self, location: &StorageLocation) -> Result<Takeover, StoreError> {
        let (durable, state) = DurableState::open(location, "takeover")?;
        Ok(Takeover {
            conditional: self.conditional,
            key_ttl: Duration::from_secs(24 * 3600),
            durable,
            state: Mutex::new(state),
        })
    }

    fn name(&self) -> String {
        if self.conditional {
            "takeover store (conditional write)".to_string()
        } else {
            "takeover store (read, await, write by key)".to_string()
        }
    }
}

fn check(conditional: bool, seed: u64, cases: u32) -> Result<SimReport, SimError> {
    Sim::new_async(TakeoverFactory { conditional })
        .seed(seed)
        .cases(cases)
        .run()
}

#[test]
fn a_takeover_read_then_written_by_key_is_caught_within_a_quarter_of_the_budget() {
    for seed in 1..=8 {
        let cx = match check(false, seed, DEFAULT_CASES / 4) {
            Ok(report) => panic!("seed {seed}: the racy takeover was not caught: {report}"),
            Err(e) => e.expect_violation(),
        };
        assert_eq!(cx.mode, Mode::AwaitPoints, "seed {seed}: {cx}");
        assert!(
            matches!(
                cx.property,
                Property::AtMostOnce | Property::StaleOwnerFenced | Property::MismatchRejected
            ),
            "seed {seed}: {cx}"
        );
    }
}

/// The store keeps every record for a day, far past the retry window, so a
/// duplicate effect here is never an expired record: when the second claim
/// read the key before the first owner's completion, the cause is that
/// race, and the explanation says so.
#[test]
fn a_takeover_that_raced_a_completion_is_not_blamed_on_expiry() {
    let mut raced = 0;
    for seed in 1..=60 {
        let Err(e) = check(false, seed, DEFAULT_CASES / 4) else {
            continue;
        };
        let cx = e.expect_violation();
        assert_ne!(
            cx.violation.class,
            ViolationClass::RecordExpiredInWindow,
            "seed {seed}: {cx}"
        );
        if cx
            .violation
            .because
            .iter()
            .any(|b| b.contains("a begin and a complete raced inside the store"))
        {
            assert_eq!(
                cx.violation.class,
                ViolationClass::DuplicateEffect,
                "seed {seed}: {cx}"
            );
            raced += 1;
        }
    }
    assert!(raced > 0, "no seed of 1-60 raced a begin with a complete");
}

#[test]
fn the_takeover_race_replays_and_shows_both_reads_before_either_write() {
    let cx = check(false, 1, DEFAULT_CASES)
        .expect_err("caught")
        .expect_violation();
    assert!(cx.replays, "{cx}");
    let text = cx.timeline.render();
    let lines: Vec<&str> = text.lines().collect();
    let reads: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("[insert if absent, else read]"))
        .collect();
    let writes: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("[write the takeover]"))
        .collect();
    assert!(reads.len() >= 2 && writes.len() >= 2, "{cx}");
    assert!(reads[reads.len() - 1] < writes[0], "{cx}");
    // Same seed, same bytes; the replay file reproduces the timeline, and
    // the same case against the conditional write passes.
    let again = check(false, 1, DEFAULT_CASES)
        .expect_err("caught")
        .expect_violation();
    assert_eq!(cx.to_string().as_bytes(), again.to_string().as_bytes());
    let file = ReplayFile::from_json(&cx.replay.to_json()).expect("parses");
    let trace = replay_async(TakeoverFactory { conditional: false }, &file).expect("replays");
    assert_eq!(trace.timeline.render(), text);
    let fixed = replay_async(TakeoverFactory { conditional: true }, &file).expect("replays");
    assert_eq!(fixed.violation, None, "{}", fixed.timeline.render());
}

#[test]
fn the_same_takeover_written_conditionally_passes() {
    for seed in 1..=2 {
        check(true, seed, DEFAULT_CASES).unwrap_or_else(|e| {
            panic!("seed {seed}: false alarm on the conditional takeover:\n{e}")
        });
    }
}
