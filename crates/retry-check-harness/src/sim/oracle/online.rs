//! The online oracle of sim mode: the executor reports every store answer,
//! side effect and reply as it happens, and this judges it against the
//! key's history, with a "because" chain naming the lines involved.

use std::time::Duration;

use super::{Finish, Grant, KeyHistory, Property, Violation, ViolationClass};
use crate::sim::config::SimConfig;
use crate::store::{FencingToken, Fingerprint, Outcome, VirtualTime};

mod duplicate;
#[cfg(test)]
mod tests;

/// `op1`, `op2`, ...: the key of operation `op` (0-based).
pub(crate) fn op_name(op: usize) -> String {
    format!("op{}", op + 1)
}

/// `1.250s`.
pub(crate) fn dur(d: Duration) -> String {
    let ms = d.as_millis();
    format!("{}.{:03}s", ms / 1000, ms % 1000)
}

/// Outcomes the harness's ledger produces start with `charged:`; anything
/// else a store answers is a failure verdict of its own.
pub(crate) fn is_failure(o: &Outcome) -> bool {
    !o.0.starts_with("charged:")
}

/// A violation found, with the extra marks to print on other lines.
struct Found {
    violation: Violation,
    marks: Vec<(usize, String)>,
}

/// The sim-mode oracle of one case.
pub(crate) struct Oracle {
    lease: Duration,
    key_ttl: Option<Duration>,
    /// The instant after which no client of an operation may send, as an
    /// offset from its first attempt (`None`: unbounded).
    horizon: Option<Duration>,
    pub(crate) keys: Vec<KeyHistory>,
    /// Lines of the store's restarts, in order.
    pub(crate) restarts: Vec<usize>,
    found: Vec<Found>,
    /// Notes for the timeline (excused re-runs).
    notes: Vec<(usize, String)>,
    /// The outcomes of `complete` calls made and not answered yet, per
    /// operation: the store may already have recorded them.
    completing: Vec<Vec<Outcome>>,
    /// The grants whose `release` was made and not answered, per
    /// operation (abandoned ones stay: they may have landed).
    releasing: Vec<Vec<usize>>,
    /// `begin` calls abandoned in flight (their handler died, or the store
    /// restarted), per operation: who, when it was made, and the line it
    /// was lost at. Each may have claimed the key.
    pub(crate) ghosts: Vec<Vec<(String, VirtualTime, usize)>>,
}

impl Oracle {
    pub(crate) fn new(config: &SimConfig, operations: usize) -> Self {
        let s = &config.schedule;
        let client = s.retry_window.or(s.deadline);
        let horizon = match (client, config.reconciler) {
            (None, _) => None,
            (Some(c), None) => Some(c),
            (Some(c), Some(r)) => Some(c.max(r.until)),
        };
        Oracle {
            lease: config.lease,
            key_ttl: config.key_ttl,
            horizon,
            keys: (0..operations).map(|_| KeyHistory::default()).collect(),
            restarts: Vec::new(),
            found: Vec::new(),
            notes: Vec::new(),
            completing: vec![Vec::new(); operations],
            releasing: vec![Vec::new(); operations],
            ghosts: vec![Vec::new(); operations],
        }
    }

    /// The end of operation `op`'s retry window, once it started.
    pub(crate) fn op_horizon(&self, op: usize) -> Option<VirtualTime> {
        Some(self.keys[op].op_start? + self.horizon?)
    }

    /// The violation to report (the most specific, see [`Property::rank`]),
    /// the marks to print with it, and the notes.
    pub(crate) fn verdict(mut self) -> (Option<Violation>, Vec<(usize, String)>) {
        // A store that loses its records on a restart loses its token
        // counter with them: the lost record is the cause to report.
        let lost = self
            .found
            .iter()
            .any(|f| f.violation.class == ViolationClass::RecordLostOnCrash);
        if lost {
            self.found
                .retain(|f| f.violation.class != ViolationClass::TokenReissued);
        }
        let mut marks = self.notes;
        let chosen = self
            .found
            .into_iter()
            .min_by_key(|f| (f.violation.property.rank(), f.violation.line));
        let violation = chosen.map(|f| {
            marks.extend(f.marks);
            marks.push((f.violation.line, f.violation.mark.clone()));
            f.violation
        });
        (violation, marks)
    }

    fn violate(
        &mut self,
        property: Property,
        class: ViolationClass,
        line: usize,
        mark: &str,
        because: Vec<String>,
        marks: Vec<(usize, String)>,
    ) {
        if self.found.iter().any(|f| f.violation.property == property) {
            return;
        }
        self.found.push(Found {
            violation: Violation {
                property,
                class,
                line,
                mark: mark.to_string(),
                because,
            },
            marks,
        });
    }

    // ----- begin answers ----------------------------------------------------

    /// `begin`, made on line `started`, answered `Acquired(token)` to
    /// `who` on `line`; returns the grant's index.
    pub(crate) fn acquired(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        token: FencingToken,
        (started, line): (usize, usize),
        now: VirtualTime,
    ) -> usize {
        self.check_reissue(op, who, token, line, now);
        self.check_foreign_claim(op, who, fp, line, now, "Acquired");
        self.check_ttl(op, who, fp, (started, line), now, "Acquired");
        let g = self.keys[op].grant(Grant::new(who.to_string(), token, fp, now, line));
        self.keys[op].grants[g].started = Some(started);
        g
    }

    /// `begin`, made on line `started`, answered `InProgress` on `line`.
    pub(crate) fn in_progress(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        lines: (usize, usize),
        now: VirtualTime,
    ) {
        self.check_ttl(op, who, fp, lines, now, "InProgress");
    }

    /// `begin` answered `Completed(outcome)`.
    pub(crate) fn replayed(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        outcome: &Outcome,
        line: usize,
        now: VirtualTime,
    ) {
        self.check_foreign_claim(op, who, fp, line, now, "Completed");
        self.check_failure_answer(op, who, fp, line, outcome);
        self.check_replay(op, line, outcome, "store.begin replayed");
    }

    /// `begin`, made on line `started`, answered `Mismatch` on `line`.
    pub(crate) fn mismatch(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        (started, line): (usize, usize),
        now: VirtualTime,
    ) {
        let ks = &self.keys[op];
        let ttl_over = match (self.key_ttl, ks.record_created_at) {
            (Some(ttl), Some(created)) => now >= created + ttl,
            _ => false,
        };
        if ttl_over {
            return;
        }
        // Only an effect that ran before this begin started binds its
        // answer: one that ran while the call was in the store may have
        // come after the store read the key, when another payload's claim
        // held it (a Mismatch that was true when the store looked).
        let Some(e) = ks
            .executions
            .iter()
            .find(|e| e.line < started && ks.grants[e.grant].fp == fp && ks.excuse(e).is_none())
        else {
            return;
        };
        let because = vec![
            format!(
                "{} ran the side effect of {} with this very payload ({fp}) at line {}",
                ks.grants[e.grant].owner,
                op_name(op),
                e.line
            ),
            format!(
                "the store answered {who}'s unchanged payload with Mismatch at line {line}: a final failure for an operation that happened"
            ),
        ];
        self.violate(
            Property::NoFalseFailure,
            ViolationClass::FalseFailure,
            line,
            "!! false failure",
            because,
            Vec::new(),
        );
    }

    /// A token still usable by a taken-over owner issued again.
    fn check_reissue(
        &mut self,
        op: usize,
        who: &str,
        token: FencingToken,
        line: usize,
        now: VirtualTime,
    ) {
        let ks = &self.keys[op];
        let Some(g) = ks.reissued(token, now, self.lease) else {
            return;
        };
        let old = &ks.grants[g];
        let mut because = vec![format!(
            "{} was granted {} with {token} at line {}; its lease ({}) ended at {} and it still runs, neither completed nor released",
            old.owner,
            op_name(op),
            old.line,
            dur(self.lease),
            old.at + self.lease
        )];
        if let Some(r) = self.restarts.iter().find(|&&r| r > old.line && r < line) {
            because.push(format!(
                "the store restarted at line {r}: its fencing-token counter did not survive the restart"
            ));
        }
        because.push(format!(
            "the store issued the same {token} again, to {who}, at line {line}: the old owner's late complete or release can no longer be told from the new owner's"
        ));
        self.violate(
            Property::StaleOwnerFenced,
            ViolationClass::TokenReissued,
            line,
            "!! token issued twice",
            because,
            vec![(old.line, "first issued".to_string())],
        );
    }

    /// The grant whose payload a different payload must not get past: the
    /// latest `Acquired` not released, unless its lease ended before it
    /// completed (a takeover is allowed) or the record outlived the promised
    /// key TTL.
    fn binding_owner(&self, op: usize, now: VirtualTime) -> Option<&Grant> {
        let ks = &self.keys[op];
        let g = ks.owner?;
        let owner = &ks.grants[g];
        // A release in flight (not yet answered), cut off, or failed may
        // already have freed the key in the store.
        let unbound = now >= owner.at + self.lease
            || self.releasing[op].contains(&g)
            || owner.release_failed.is_some();
        if owner.finished.is_none() && unbound {
            return None;
        }
        if let (Some(ttl), Some(created)) = (self.key_ttl, ks.record_created_at) {
            if now >= created + ttl {
                return None;
            }
        }
        Some(owner)
    }

    fn check_foreign_claim(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        line: usize,
        now: VirtualTime,
        answer: &str,
    ) {
        let Some(owner) = self.binding_owner(op, now) else {
            return;
        };
        if owner.fp == fp {
            return;
        }
        let state = match owner.finished {
            Some(Finish { line: l, .. }) => format!("completed at line {l}"),
            None => "in progress, lease live".to_string(),
        };
        let because = vec![
            format!(
                "{} owns {} with {} since line {} ({state})",
                owner.owner,
                op_name(op),
                owner.fp,
                owner.line,
            ),
            format!(
                "{who} reused the key with another payload ({fp}) and the store answered {answer} at line {line} instead of Mismatch"
            ),
        ];
        self.violate(
            Property::MismatchRejected,
            ViolationClass::MismatchAccepted,
            line,
            "!! mismatch accepted",
            because,
            Vec::new(),
        );
    }

    /// `ttl_honoured`: within the key TTL after the key's completion, a
    /// duplicate of the completed payload whose `begin` was made after the
    /// completion was answered must be answered `Completed`.
    fn check_ttl(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        (started, line): (usize, usize),
        now: VirtualTime,
        answer: &str,
    ) {
        let Some(ttl) = self.key_ttl else {
            return;
        };
        let ks = &self.keys[op];
        let Some((outcome, done_line, done_at)) = &ks.first_outcome else {
            return;
        };
        let completed_by = ks.grants.iter().find(|g| {
            g.finished
                .is_some_and(|f| f.line == *done_line && !f.released)
        });
        if completed_by.is_none_or(|g| g.fp != fp) || now >= *done_at + ttl || *done_line >= started
        {
            return;
        }
        let (done_line, done_at, outcome) = (*done_line, *done_at, outcome.clone());
        let restart = self
            .restarts
            .iter()
            .copied()
            .find(|&r| r > done_line && r < line);
        let mut because = vec![format!(
            "{} was completed at line {done_line} ({done_at}) with {outcome}; the key TTL ({}) keeps it until {}",
            op_name(op),
            dur(ttl),
            done_at + ttl
        )];
        let claimed = completed_by.map(|g| (g.line, g.at));
        let class = match restart {
            Some(r) => {
                because.push(format!(
                    "the store restarted at line {r}: the completed record did not survive it"
                ));
                ViolationClass::RecordLostOnCrash
            }
            None => {
                if let Some((claim_line, claim_at)) = claimed.filter(|(_, at)| now >= *at + ttl) {
                    because.push(format!(
                        "a TTL counted from the claim (line {claim_line}, {claim_at}) would have ended at {}: the store may count it from the claim",
                        claim_at + ttl
                    ));
                }
                ViolationClass::RecordExpiredEarly
            }
        };
        because.push(format!(
            "at {now}, {} after the completion, the store answered {who}'s duplicate with {answer} instead of the recorded outcome",
            dur(now.saturating_since(done_at))
        ));
        self.violate(
            Property::TtlHonoured,
            class,
            line,
            "!! key TTL not honoured",
            because,
            vec![(done_line, "completed".to_string())],
        );
    }

    fn check_failure_answer(
        &mut self,
        op: usize,
        who: &str,
        fp: Fingerprint,
        line: usize,
        outcome: &Outcome,
    ) {
        if !is_failure(outcome) {
            return;
        }
        let ks = &self.keys[op];
        let Some(e) = ks.executions.iter().find(|e| ks.grants[e.grant].fp == fp) else {
            return;
        };
        let g = &ks.grants[e.grant];
        let mut because = vec![format!(
            "{} ran the side effect of {} at line {} (execution #{})",
            g.owner,
            op_name(op),
            e.line,
            e.n
        )];
        if let Some((cl, true)) = g.crashed {
            because.push(format!(
                "its node crashed at line {cl} before {} could complete the key",
                g.owner
            ));
        }
        because.push(format!(
            "the store answered {who} with the final failure {outcome} at line {line}, although the effect happened"
        ));
        self.violate(
            Property::NoFalseFailure,
            ViolationClass::FalseFailure,
            line,
            "!! false failure",
            because,
            Vec::new(),
        );
    }

    /// Grant `g`'s `release` was made (`started`) or answered. Until it is
    /// answered the store may already have released the key, so the key
    /// no longer binds the grant's payload.
    pub(crate) fn releasing(&mut self, op: usize, g: usize, started: bool) {
        let list = &mut self.releasing[op];
        if started {
            list.push(g);
        } else if let Some(i) = list.iter().position(|&x| x == g) {
            list.remove(i);
        }
    }

    /// A `complete` carrying `outcome` was made (`started`) or answered.
    pub(crate) fn completing(&mut self, op: usize, outcome: &Outcome, started: bool) {
        let list = &mut self.completing[op];
        if started {
            list.push(outcome.clone());
        } else if let Some(i) = list.iter().position(|o| o == outcome) {
            list.remove(i);
        }
    }

    fn check_replay(&mut self, op: usize, line: usize, outcome: &Outcome, what: &str) {
        if self.keys[op].first_outcome.is_none() && self.completing[op].contains(outcome) {
            // A complete still in flight carries it: the store recorded it
            // before answering that call.
            return;
        }
        let because = match &self.keys[op].first_outcome {
            Some((o, _, _)) if o == outcome => return,
            Some((o, l, _)) => vec![
                format!(
                    "the first outcome recorded for {} was {o} (line {l})",
                    op_name(op)
                ),
                format!("{what} {outcome} at line {line}"),
            ],
            // Nothing recorded and a failure answered: the store's own
            // verdict that the operation did not happen, judged by
            // `no_false_failure`, not a divergent replay.
            None if is_failure(outcome) => return,
            None => vec![
                format!(
                    "no outcome was ever recorded for {} by complete()",
                    op_name(op)
                ),
                format!("{what} {outcome} at line {line}"),
            ],
        };
        self.violate(
            Property::ReplayConsistent,
            ViolationClass::DivergentReplay,
            line,
            "!! divergent replay",
            because,
            Vec::new(),
        );
    }

    // ----- the owner's calls ------------------------------------------------

    /// `complete` or `release`, made at line `started`, accepted from grant
    /// `g` at `line`.
    pub(crate) fn finished(
        &mut self,
        op: usize,
        g: usize,
        (started, line): (usize, usize),
        now: VirtualTime,
        outcome: Option<&Outcome>,
    ) {
        self.check_fenced(op, g, started, line, outcome.is_none());
        let ks = &mut self.keys[op];
        let grant = &mut ks.grants[g];
        if grant.finished.is_none() {
            grant.finished = Some(Finish {
                line,
                at: now,
                released: outcome.is_none(),
            });
        }
        match outcome {
            Some(o) => {
                if ks.first_outcome.is_none() {
                    ks.first_outcome = Some((o.clone(), line, now));
                }
            }
            None => {
                if ks.owner == Some(g) {
                    ks.owner = None;
                    ks.record_created_at = None;
                }
            }
        }
    }

    fn check_fenced(&mut self, op: usize, g: usize, started: usize, line: usize, release: bool) {
        let ks = &self.keys[op];
        let Some(newer) = ks.takeover_of(g, self.lease, started) else {
            return;
        };
        let (mine, theirs) = (&ks.grants[g], &ks.grants[newer]);
        let call = if release { "release" } else { "complete" };
        let because = vec![
            format!(
                "{} was issued {} at {}; once its lease ({}) had ended the store handed the key over with {} at line {}",
                mine.owner,
                mine.token,
                mine.at,
                dur(self.lease),
                theirs.token,
                theirs.line
            ),
            if release {
                format!(
                    "release() with the stale {} was Accepted at line {line}: the old owner freed the new owner's claim",
                    mine.token
                )
            } else {
                format!(
                    "complete() with the stale {} was Accepted at line {line}: the old owner overwrote the new owner's key",
                    mine.token
                )
            },
        ];
        let class = if release {
            ViolationClass::StaleTokenRelease
        } else {
            ViolationClass::StaleTokenCompletion
        };
        self.violate(
            Property::StaleOwnerFenced,
            class,
            line,
            &format!("!! stale token accepted by {call}"),
            because,
            Vec::new(),
        );
    }

    /// The store refused grant `g`'s `complete` or `release` at `line`.
    pub(crate) fn refused(&mut self, op: usize, g: usize, line: usize) {
        self.keys[op].grants[g].refused.get_or_insert(line);
    }

    /// Grant `g`'s `complete` failed at `line` (a store error, or the store
    /// restarted during it).
    pub(crate) fn complete_failed(&mut self, op: usize, g: usize, line: usize) {
        self.keys[op].grants[g].complete_failed.get_or_insert(line);
    }

    /// Grant `g`'s `release` was cut off at `line`: it may have taken
    /// effect.
    pub(crate) fn release_failed(&mut self, op: usize, g: usize, line: usize) {
        self.keys[op].grants[g].release_failed.get_or_insert(line);
    }

    /// Grant `g`'s owner stopped (replied) at `line`.
    pub(crate) fn gone(&mut self, op: usize, g: usize, line: usize) {
        self.keys[op].grants[g].gone.get_or_insert(line);
    }

    /// Grant `g`'s owner stalled, meant to go past its lease (a GC pause).
    pub(crate) fn stalled(&mut self, op: usize, g: usize) {
        let grant = &mut self.keys[op].grants[g];
        grant.stalled = Some(grant.at + self.lease);
    }

    /// Grant `g`'s owner died with its node at `line` (in the effect-record
    /// gap when `gap`).
    pub(crate) fn crashed(&mut self, op: usize, g: usize, line: usize, gap: bool) {
        let grant = &mut self.keys[op].grants[g];
        grant.crashed = Some((line, gap));
        grant.gone.get_or_insert(line);
    }

    // ----- the ledger -------------------------------------------------------

    /// The side effect of `op` ran under grant `g` at `line`; returns the
    /// execution's number.
    pub(crate) fn effect(&mut self, op: usize, g: usize, line: usize) -> usize {
        let e = self.keys[op].execute(g, line);
        let last = self.keys[op].executions.len() - 1;
        match self.keys[op].repeated_execution() {
            Some((first, second)) if second == last => self.duplicate_effect(op, first, line),
            _ => self.note_excused(op, &e, line),
        }
        e.n
    }

    // ----- replies ----------------------------------------------------------

    /// A reply carrying `outcome` was sent at `line`.
    pub(crate) fn reply_outcome(&mut self, op: usize, outcome: &Outcome, line: usize) {
        self.check_replay(op, line, outcome, "the reply");
    }

    /// The final retry of `op` (faults stopped) got `reply`, not a final
    /// outcome, at `line`.
    pub(crate) fn stuck(&mut self, op: usize, reply: &str, line: usize, now: VirtualTime) {
        let ks = &self.keys[op];
        let key = op_name(op);
        let mut because = vec![format!(
            "the schedule ended and faults stopped at or before {now}"
        )];
        let open: Vec<&Grant> = ks.grants.iter().filter(|g| g.finished.is_none()).collect();
        match ks.owner.map(|g| &ks.grants[g]) {
            Some(owner) if owner.finished.is_none() => {
                let end = owner.at + self.lease;
                let fate = match owner.crashed {
                    Some((l, _)) => format!("its node crashed at line {l} before it completed"),
                    None if owner.stalled.is_some_and(|lease_end| now >= lease_end) => {
                        "it stalled past its lease".to_string()
                    }
                    None => "no complete or release of it was accepted".to_string(),
                };
                let all_over = open.iter().all(|g| now >= g.at + self.lease);
                because.push(format!(
                    "{} claimed {key} at line {} and {fate}; the lease it asked for ({}) ended at {end}{}",
                    owner.owner,
                    owner.line,
                    dur(self.lease),
                    if all_over {
                        format!(", and by {now} the lease of every open claim of {key} had ended")
                    } else {
                        String::new()
                    }
                ));
            }
            _ => match self.ghosts[op].last() {
                Some((who, at, lost)) => because.push(format!(
                    "{who}'s begin of {key}, made at {at}, was cut off at line {lost}: it may have claimed the key until {}",
                    *at + self.lease
                )),
                None => because.push(format!("no handler held a live claim on {key}")),
            },
        }
        because.push(format!(
            "a retry inside the retry window still got {reply} at line {line}, not a final outcome"
        ));
        self.violate(
            Property::EventualOutcome,
            ViolationClass::StuckInProgress,
            line,
            "!! no final outcome",
            because,
            Vec::new(),
        );
    }
}
