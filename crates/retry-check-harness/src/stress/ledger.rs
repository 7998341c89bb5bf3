//! What stress mode's workers saw, and a key's history as the shared
//! judges read it.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use crate::sim::oracle::{Finish, Grant, KeyHistory};
use crate::store::{Claim, Fenced, FencingToken, Fingerprint, VirtualTime};
use crate::tokens::TokenTable;

/// One answer observed by a worker.
#[derive(Clone, Debug)]
pub(super) enum Seen {
    Begin {
        worker: usize,
        fp: u64,
        claim: Claim,
    },
    Effect {
        worker: usize,
        token: FencingToken,
    },
    Complete {
        worker: usize,
        outcome: String,
        fenced: Fenced,
    },
}

/// What the workers saw, per key; `T` is the store's token.
pub(super) struct Ledger<T> {
    pub(super) seen: Mutex<BTreeMap<String, Vec<Seen>>>,
    /// Per key, the harness's numbers for the store's tokens.
    tokens: Mutex<BTreeMap<String, TokenTable<T>>>,
    pub(super) calls: Mutex<u64>,
}

impl<T> Default for Ledger<T> {
    fn default() -> Self {
        Ledger {
            seen: Mutex::default(),
            tokens: Mutex::default(),
            calls: Mutex::default(),
        }
    }
}

impl<T: Eq> Ledger<T> {
    /// The number of `key`'s `token`.
    pub(super) fn number(&self, key: &str, token: T) -> FencingToken {
        let mut tables = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tables.entry(key.to_string()).or_default().number(token)
    }

    pub(super) fn push(&self, key: &str, seen: Seen) -> usize {
        let mut map = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let list = map.entry(key.to_string()).or_default();
        list.push(seen);
        list.iter()
            .filter(|s| matches!(s, Seen::Effect { .. }))
            .count()
    }

    pub(super) fn call(&self) {
        *self.calls.lock().unwrap_or_else(PoisonError::into_inner) += 1;
    }
}

/// A key's history as the shared judges read it: a grant per `Acquired`,
/// an execution per side effect, the accepted completions.
pub(super) fn history_of(list: &[Seen]) -> KeyHistory {
    let mut history = KeyHistory::default();
    let mut grant_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, s) in list.iter().enumerate() {
        match s {
            Seen::Begin {
                worker,
                fp,
                claim: Claim::Acquired(token),
            } => {
                let g = history.grant(Grant::new(
                    format!("worker {worker}"),
                    *token,
                    Fingerprint(*fp),
                    VirtualTime::ZERO,
                    i + 1,
                ));
                grant_of.insert(*worker, g);
            }
            Seen::Effect { worker, token } => {
                debug_assert!(grant_of
                    .get(worker)
                    .is_some_and(|&g| history.grants[g].token == *token));
                if let Some(&g) = grant_of.get(worker) {
                    history.execute(g, i + 1);
                }
            }
            Seen::Complete {
                worker,
                fenced: Fenced::Accepted,
                ..
            } => {
                if let Some(&g) = grant_of.get(worker) {
                    history.grants[g].finished = Some(Finish {
                        line: i + 1,
                        at: VirtualTime::ZERO,
                        released: false,
                    });
                }
            }
            _ => {}
        }
    }
    history
}
