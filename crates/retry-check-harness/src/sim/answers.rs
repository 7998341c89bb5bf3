//! The store's answers, counted per kind over a run, so that a report
//! shows which paths of the store a pass went through, and warns when an
//! interesting one (a takeover, a stale token, a mismatch, ...) never
//! occurred: a pass that never reached it says nothing about it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::driver::Answer;
use super::oracle::KeyHistory;
use crate::store::{Claim, Fenced};

/// How often the store gave each answer (sim mode's cases; the threaded
/// phase does not count). `Claim::Acquired` is split by what the harness
/// knows of the key: a fresh claim, a takeover of an owner that neither
/// completed nor released, or a claim of a key whose completed record the
/// store no longer had (expired, or lost).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerCounts {
    /// `begin` → `Acquired`, no earlier owner holding the key.
    pub acquired: u64,
    /// `begin` → `Acquired` while an earlier owner had neither completed
    /// nor released (its lease ended, or the store lost its claim).
    pub takeover: u64,
    /// `begin` → `Acquired` on a key whose outcome had been recorded.
    pub reclaimed: u64,
    /// `begin` → `InProgress`.
    pub in_progress: u64,
    /// `begin` → `Completed` (an outcome replayed).
    pub replayed: u64,
    /// `begin` → `Mismatch`.
    pub mismatch: u64,
    /// `complete` → `Accepted`.
    pub completed: u64,
    /// `complete` → `StaleToken`.
    pub stale_complete: u64,
    /// `release` → `Accepted`.
    pub released: u64,
    /// `release` → `StaleToken`.
    pub stale_release: u64,
    /// Any call → a store error.
    pub errors: u64,
}

impl AnswerCounts {
    /// Count one answer: `release` tells a fenced answer of `release` from
    /// one of `complete`; `key` is the key's history before the answer.
    pub(crate) fn record(&mut self, release: bool, answer: &Answer, key: &KeyHistory) {
        let slot = match answer {
            Answer::Claim(Ok(Claim::Acquired(_))) => {
                match key.owner.map(|g| key.grants[g].finished) {
                    Some(None) => &mut self.takeover,
                    Some(Some(f)) if !f.released => &mut self.reclaimed,
                    _ => &mut self.acquired,
                }
            }
            Answer::Claim(Ok(Claim::InProgress)) => &mut self.in_progress,
            Answer::Claim(Ok(Claim::Completed(_))) => &mut self.replayed,
            Answer::Claim(Ok(Claim::Mismatch)) => &mut self.mismatch,
            Answer::Fenced(Ok(Fenced::Accepted)) if release => &mut self.released,
            Answer::Fenced(Ok(Fenced::StaleToken)) if release => &mut self.stale_release,
            Answer::Fenced(Ok(Fenced::Accepted)) => &mut self.completed,
            Answer::Fenced(Ok(Fenced::StaleToken)) => &mut self.stale_complete,
            Answer::Claim(Err(_)) | Answer::Fenced(Err(_)) => &mut self.errors,
        };
        *slot += 1;
    }

    /// Add another run's (or case's) counts.
    pub(crate) fn add(&mut self, o: &AnswerCounts) {
        self.acquired += o.acquired;
        self.takeover += o.takeover;
        self.reclaimed += o.reclaimed;
        self.in_progress += o.in_progress;
        self.replayed += o.replayed;
        self.mismatch += o.mismatch;
        self.completed += o.completed;
        self.stale_complete += o.stale_complete;
        self.released += o.released;
        self.stale_release += o.stale_release;
        self.errors += o.errors;
    }

    /// Every answer counted.
    pub fn total(&self) -> u64 {
        self.acquired
            + self.takeover
            + self.reclaimed
            + self.in_progress
            + self.replayed
            + self.mismatch
            + self.completed
            + self.stale_complete
            + self.released
            + self.stale_release
            + self.errors
    }

    /// The interesting answers that never occurred, by name: a pass that
    /// never reached them checked nothing about them.
    pub fn not_exercised(&self) -> Vec<&'static str> {
        [
            ("in progress", self.in_progress),
            ("replayed outcome", self.replayed),
            ("takeover", self.takeover),
            ("stale token", self.stale_complete + self.stale_release),
            ("mismatch", self.mismatch),
        ]
        .into_iter()
        .filter(|&(_, n)| n == 0)
        .map(|(name, _)| name)
        .collect()
    }
}

impl fmt::Display for AnswerCounts {
    /// `begin: 10 acquired, 2 takeovers, ...; complete: ...; release: ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "begin: {} acquired, {} takeover, {} re-claimed after an outcome, {} in progress, {} replayed, {} mismatch; \
             complete: {} accepted, {} stale token; release: {} accepted, {} stale token; {} store errors",
            self.acquired,
            self.takeover,
            self.reclaimed,
            self.in_progress,
            self.replayed,
            self.mismatch,
            self.completed,
            self.stale_complete,
            self.released,
            self.stale_release,
            self.errors
        )
    }
}
