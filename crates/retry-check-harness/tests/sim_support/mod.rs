//! Tiny in-test stores that validate the simulator's oracle independently
//! of the shipped reference stores: one correct, several broken on purpose.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_check_harness::{
    Claim, Fenced, FencingToken, Fingerprint, Held, IdempotencyStore, Outcome, StorageLocation,
    StoreError, StoreFactory, VirtualTime,
};

/// A deliberate defect of [`TinyStore`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Defect {
    /// None: a correct store (atomic claim, fingerprint check, fencing,
    /// lease honoured, durable records, TTL from the config).
    None,
    /// `begin` only looks at completed records and writes nothing.
    CheckThenAct,
    /// `complete` accepts any token.
    NoFencing,
    /// No fingerprint comparison.
    NoFingerprint,
    /// Volatile: a reopen forgets everything.
    Volatile,
    /// Records live for 1 s only.
    ShortTtl,
    /// A replayed outcome is rewritten.
    WrongReplay,
    /// An in-progress record never expires: no takeover after a crash.
    NoTakeover,
    /// An in-progress record whose lease ended is recorded as failed.
    ExpiredIsFailure,
}

#[derive(Clone, Debug)]
enum State {
    InProgress { lease_until: VirtualTime },
    Done(Outcome),
}

#[derive(Clone, Debug)]
struct Rec {
    fp: Fingerprint,
    token: FencingToken,
    /// The last write (claim, takeover or completion): the key TTL counts
    /// from it.
    created: VirtualTime,
    state: State,
}

#[derive(Default, Debug)]
struct Disk {
    records: BTreeMap<String, Rec>,
    /// CheckThenAct: the fingerprint each token was issued for.
    issued: BTreeMap<u64, Fingerprint>,
    next_token: u64,
}

type Disks = Arc<Mutex<BTreeMap<PathBuf, Arc<Mutex<Disk>>>>>;

/// Opens [`TinyStore`]s; "disk" state lives in the factory, keyed by the
/// storage directory, so a reopen sees what the previous instance wrote.
#[derive(Clone)]
pub struct TinyFactory {
    pub defect: Defect,
    pub ttl: Duration,
    disks: Disks,
}

impl TinyFactory {
    pub fn new(defect: Defect) -> Self {
        TinyFactory {
            defect,
            ttl: Duration::from_secs(24 * 3600),
            disks: Arc::default(),
        }
    }
}

pub struct TinyStore {
    defect: Defect,
    ttl: Duration,
    disk: Arc<Mutex<Disk>>,
}

impl StoreFactory for TinyFactory {
    type Store = TinyStore;
    fn open(&self, location: &StorageLocation) -> Result<TinyStore, StoreError> {
        let mut disks = self.disks.lock().map_err(|_| StoreError::new("poisoned"))?;
        let key = location.dir().to_path_buf();
        let disk = if self.defect == Defect::Volatile {
            let fresh = Arc::new(Mutex::new(Disk::default()));
            disks.insert(key, Arc::clone(&fresh));
            fresh
        } else {
            Arc::clone(disks.entry(key).or_default())
        };
        Ok(TinyStore {
            defect: self.defect,
            ttl: if self.defect == Defect::ShortTtl {
                Duration::from_secs(1)
            } else {
                self.ttl
            },
            disk,
        })
    }
    fn name(&self) -> String {
        format!("tiny store ({:?})", self.defect)
    }
}

impl IdempotencyStore for TinyStore {
    type Token = FencingToken;

    fn begin(
        &self,
        key: &str,
        fp: Fingerprint,
        now: VirtualTime,
        lease: Duration,
    ) -> Result<Claim, StoreError> {
        let mut d = self.disk.lock().map_err(|_| StoreError::new("poisoned"))?;
        let live = d
            .records
            .get(key)
            .filter(|r| now < r.created + self.ttl)
            .cloned();
        d.next_token += 1;
        let token = FencingToken(d.next_token);
        let fresh = Rec {
            fp,
            token,
            created: now,
            state: State::InProgress {
                lease_until: now + lease,
            },
        };
        d.issued.insert(token.0, fp);
        let Some(rec) = live else {
            if self.defect != Defect::CheckThenAct {
                d.records.insert(key.to_string(), fresh);
            }
            return Ok(Claim::Acquired(token));
        };
        if rec.fp != fp && self.defect != Defect::NoFingerprint {
            return Ok(Claim::Mismatch);
        }
        match rec.state {
            State::Done(o) => {
                if self.defect == Defect::WrongReplay {
                    return Ok(Claim::Completed(Outcome(format!("{} (replayed)", o.0))));
                }
                Ok(Claim::Completed(o))
            }
            State::InProgress { lease_until }
                if now < lease_until || self.defect == Defect::NoTakeover =>
            {
                Ok(Claim::InProgress)
            }
            State::InProgress { .. } if self.defect == Defect::ExpiredIsFailure => {
                let failed = Outcome("failed: abandoned".to_string());
                if let Some(r) = d.records.get_mut(key) {
                    r.state = State::Done(failed.clone());
                }
                Ok(Claim::Completed(failed))
            }
            State::InProgress { .. } => {
                let created = rec.created;
                d.records.insert(
                    key.to_string(),
                    Rec {
                        fp,
                        token,
                        created,
                        state: State::InProgress {
                            lease_until: now + lease,
                        },
                    },
                );
                Ok(Claim::Acquired(token))
            }
        }
    }

    fn complete(
        &self,
        key: &str,
        held: &Held,
        outcome: &Outcome,
        now: VirtualTime,
    ) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut d = self.disk.lock().map_err(|_| StoreError::new("poisoned"))?;
        if self.defect == Defect::CheckThenAct {
            let fp = d.issued.get(&token.0).copied().unwrap_or(Fingerprint(0));
            d.records.insert(
                key.to_string(),
                Rec {
                    fp,
                    token,
                    created: now,
                    state: State::Done(outcome.clone()),
                },
            );
            return Ok(Fenced::Accepted);
        }
        let ok = match d.records.get_mut(key) {
            Some(r)
                if matches!(r.state, State::InProgress { .. })
                    && (r.token == token || self.defect == Defect::NoFencing) =>
            {
                r.state = State::Done(outcome.clone());
                r.created = now;
                true
            }
            Some(r) if self.defect == Defect::NoFencing => {
                r.state = State::Done(outcome.clone());
                r.created = now;
                true
            }
            _ => false,
        };
        Ok(if ok {
            Fenced::Accepted
        } else {
            Fenced::StaleToken
        })
    }

    fn release(&self, key: &str, held: &Held, _now: VirtualTime) -> Result<Fenced, StoreError> {
        let token = held.token;
        let mut d = self.disk.lock().map_err(|_| StoreError::new("poisoned"))?;
        let ok = matches!(d.records.get(key), Some(r) if r.token == token && matches!(r.state, State::InProgress { .. }));
        if ok {
            d.records.remove(key);
            Ok(Fenced::Accepted)
        } else {
            Ok(Fenced::StaleToken)
        }
    }
}
