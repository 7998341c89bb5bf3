//! The judgement of a side effect that ran twice: which cause the timeline
//! shows (a record lost on a crash, a lease that expired in flight, a
//! begin that raced a complete, a record expired inside the retry window,
//! two overlapping calls), and the
//! "because" chain that names the lines.

use super::super::{Excuse, Execution, Property, ViolationClass};
use super::{dur, op_name, Oracle};

impl Oracle {
    pub(super) fn note_excused(&mut self, op: usize, e: &Execution, line: usize) {
        let ks = &self.keys[op];
        if ks.excuse(e) == Some(Excuse::StalledTakeover) && e.n > 1 {
            let note = format!(
                "run by {} after its lease lapsed during a stall: only fencing downstream can stop it",
                ks.grants[e.grant].owner
            );
            self.notes.push((line, note));
            return;
        }
        let earlier = ks.executions[..e.n - 1]
            .iter()
            .rev()
            .find_map(|p| ks.excuse(p).map(|x| (p, x)));
        if let Some((prev, excuse)) = earlier {
            let why = match excuse {
                Excuse::CrashInGap if ks.grants[prev.grant].crashed.is_some() => {
                    "after a crash in the effect-record gap"
                }
                Excuse::CrashInGap => "after its owner's complete failed (the effect-record gap)",
                Excuse::StalledTakeover => "after the stalled owner's lease lapsed",
            };
            let note = format!("re-run {why} (execution #{} at line {})", prev.n, prev.line);
            self.notes.push((line, note));
        }
    }

    pub(super) fn duplicate_effect(&mut self, op: usize, first: usize, line: usize) {
        let ks = &self.keys[op];
        let prev = ks.executions[first];
        let now_exec = ks.executions[ks.executions.len() - 1];
        let (ga, gb) = (&ks.grants[prev.grant], &ks.grants[now_exec.grant]);
        let (older, newer) = if (ga.at, ga.line) <= (gb.at, gb.line) {
            (ga, gb)
        } else {
            (gb, ga)
        };
        let lease = self.lease;
        // A store restart after the older claim and before the newer grant
        // lost the older record when a durable store could not have granted
        // the key again: inside the older lease, after its completion, or
        // after refusing the older owner's own complete.
        let restart_between = self
            .restarts
            .iter()
            .copied()
            .find(|&r| r > older.line && r < newer.line)
            .filter(|_| {
                newer.at < older.at + lease
                    || older.finished.is_some_and(|f| !f.released)
                    || older.refused.is_some()
            });
        let older_was_running = older.gone.is_none_or(|l| l > newer.line)
            && older.finished.is_none_or(|f| f.at > newer.at);
        let completed = ks.first_outcome.as_ref().map(|(_, l, _)| *l);
        // The newer begin started before the older claim was answered: the
        // two calls overlapped (a race inside the store), whatever happened
        // to the record later.
        let overlapped = newer.started.is_some_and(|s| s < older.line);
        let key = op_name(op);
        let mut because = vec![format!(
            "{} claimed {key} at line {} and ran its side effect at line {} (execution #{})",
            ga.owner, ga.line, prev.line, prev.n
        )];
        let class = if let Some(r) = restart_between {
            because.push(format!(
                "{}the store restarted at line {r}; after it the store answered {}'s begin at line {} with Acquired: the record of {}'s claim was lost",
                completed.map_or(String::new(), |l| format!("the key was completed at line {l}; ")),
                newer.owner,
                newer.line,
                older.owner
            ));
            ViolationClass::RecordLostOnCrash
        } else if older_was_running && newer.at >= older.at + lease {
            because.push(format!(
                "{} was still running when its lease ({}) ended at {}; the store handed the key to {} at line {}",
                older.owner,
                dur(lease),
                older.at + lease,
                newer.owner,
                newer.line
            ));
            ViolationClass::LeaseExpiredInFlight
        } else if let (Some(done), Some(s), true, false) = (
            completed,
            completed.and_then(|done| gb.started.filter(|&s| s < done)),
            gb.at > ga.at,
            overlapped,
        ) {
            // The record was not gone when this begin looked: it read the
            // key in progress and claimed it after the completion.
            because.push(format!(
                "{}'s begin started at line {s}, before the key was completed at line {done}, and the store answered it with Acquired at line {}: a begin and a complete raced inside the store, and the claim went ahead on the record as it was before the completion",
                gb.owner, gb.line
            ));
            ViolationClass::DuplicateEffect
        } else if let (Some(done), true, false) = (completed, gb.at > ga.at, overlapped) {
            let window = self.op_horizon(op).map_or(String::new(), |end| {
                format!(" (retries of {key} may come until {end})")
            });
            because.push(format!(
                "the key was completed at line {done}; {} after the first claim the store answered {}'s begin at line {} with Acquired: the record was gone while clients could still retry{window}",
                dur(gb.at.saturating_since(ga.at)),
                gb.owner,
                gb.line
            ));
            ViolationClass::RecordExpiredInWindow
        } else {
            if let (true, Some(s)) = (overlapped, newer.started) {
                because.push(format!(
                    "{}'s begin started at line {s}, before {}'s was answered at line {}: the two calls overlapped inside the store",
                    newer.owner, older.owner, older.line
                ));
            }
            because.push(format!(
                "the store answered {}'s begin at line {} with Acquired while {}'s claim (line {}, leased until {}) was live and not released",
                newer.owner,
                newer.line,
                older.owner,
                older.line,
                older.at + lease
            ));
            ViolationClass::DuplicateEffect
        };
        because.push(format!(
            "so {} ran the side effect of {key} again at line {line} (execution #{}) while a client could still retry",
            gb.owner, now_exec.n
        ));
        self.violate(
            Property::AtMostOnce,
            class,
            line,
            "!! second execution",
            because,
            vec![(prev.line, "first execution".to_string())],
        );
    }
}
