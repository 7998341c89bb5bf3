//! The end of the schedule: faults stop, live handlers finish, two
//! duplicates race for a key whose owner died (async stores), one retry
//! per operation must get a final outcome, and a late duplicate just inside
//! each completed key's TTL must get the recorded one.

use std::time::{Duration, Instant};

use super::{fingerprint, Armed, Driver, Executor, Phase, Role};
use crate::sim::driver::Flavour;
use crate::sim::oracle::online::{dur, op_name};

impl<D: Driver> Executor<'_, D> {
    pub(super) fn final_phase(&mut self) -> Result<(), String> {
        self.armed = Armed::default();
        let live = self.live_handlers();
        let has_ops = self.oracle.keys.iter().any(|k| k.op_start.is_some());
        if live.is_empty() && !has_ops {
            return Ok(());
        }
        self.tl.push(
            self.now,
            "harness",
            "end of schedule: faults stop; in-flight handlers finish, then one retry per operation",
        );
        self.drain()?;
        if self.driver.flavour() == Flavour::Async {
            self.racing_retries()?;
        }
        for op in 0..self.oracle.keys.len() {
            self.final_retry(op)?;
            if let Some(failure) = self.store_failure.take() {
                return Err(failure);
            }
        }
        self.ttl_probes()?;
        match self.store_failure.take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// Run every live handler to its end, interleaved as the case says.
    fn drain(&mut self) -> Result<(), String> {
        loop {
            if self.server_step() {
                continue;
            }
            let blocked: Vec<usize> = self
                .live_handlers()
                .into_iter()
                .filter(|&h| self.handlers[h].call.is_some())
                .collect();
            if blocked.is_empty() {
                return Ok(());
            }
            self.wait_for_any(&blocked)?;
        }
    }

    /// Every runnable handler is blocked: wait (up to the stuck limit) for
    /// one of them to wake, then make them pickable again.
    fn wait_for_any(&mut self, blocked: &[usize]) -> Result<(), String> {
        let start = Instant::now();
        let slice = Duration::from_millis(20);
        loop {
            let woken = blocked.iter().any(|&h| {
                self.handlers[h]
                    .call
                    .as_ref()
                    .is_some_and(|c| self.driver.wait(&c.call, slice))
            });
            if woken {
                for &h in blocked {
                    if let Some(c) = self.handlers[h].call.as_mut() {
                        c.blocked_at = None;
                    }
                }
                return Ok(());
            }
            if start.elapsed() >= self.waits.stuck {
                let calls: Vec<String> = blocked
                    .iter()
                    .filter_map(|&h| {
                        let hd = &self.handlers[h];
                        hd.call.as_ref().map(|c| format!("{}: {}", hd.name, c.text))
                    })
                    .collect();
                return Err(format!(
                    "store calls never returned (waited {} with every handler blocked): {}",
                    dur(self.waits.stuck),
                    calls.join(", ")
                ));
            }
        }
    }

    /// Run handler `h` alone to its end.
    fn run_alone(&mut self, h: usize) -> Result<(), String> {
        let start = Instant::now();
        while self.handlers[h].active() {
            let pended = self.handler_step(h);
            if pended {
                let woken = self.handlers[h]
                    .call
                    .as_ref()
                    .is_some_and(|c| self.driver.wait(&c.call, self.waits.stuck));
                if !woken && start.elapsed() >= self.waits.stuck {
                    let text = self.handlers[h]
                        .call
                        .as_ref()
                        .map_or(String::new(), |c| c.text.clone());
                    return Err(format!(
                        "a store call never returned (waited {}): {}: {text}",
                        dur(self.waits.stuck),
                        self.handlers[h].name
                    ));
                }
            }
        }
        Ok(())
    }

    /// When every live handler finished, a key still claimed was left by an
    /// owner that died (or a `begin` cut off in flight): its clients retry
    /// once its lease ended, and two of those retries race for the
    /// takeover, interleaved at their `.await`s as the case says (the
    /// herd of retries a dead owner leaves behind; a takeover that reads
    /// the record and writes it in two steps lets both in).
    fn racing_retries(&mut self) -> Result<(), String> {
        for op in 0..self.oracle.keys.len() {
            let ks = &self.oracle.keys[op];
            let abandoned = ks.owner.is_some_and(|g| ks.grants[g].finished.is_none())
                || (!self.oracle.ghosts[op].is_empty() && ks.first_outcome.is_none());
            if !abandoned || !self.past_lease(op) {
                continue;
            }
            self.reopen_if_needed();
            let fp = fingerprint(op, 0);
            let client = self.first_client(op);
            let pair = [0, 1].map(|_| self.receive(op, None, u64::MAX, fp, Role::RacingRetry));
            let to: Vec<String> = pair.iter().map(|&h| self.actor_label(h)).collect();
            self.tl.push(
                self.now,
                client,
                format!(
                    "two duplicates of {} {fp} retry at once, past the lease of a claim a handler that died may hold -> {}",
                    op_name(op),
                    to.join(", ")
                ),
            );
            self.drain()?;
            if self.store_failure.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Move the clock past the lease of `op`'s in-progress claim (and of a
    /// `begin` cut off in flight), if any; false when that is past `op`'s
    /// retry window (no retry may be sent).
    fn past_lease(&mut self, op: usize) -> bool {
        let ks = &self.oracle.keys[op];
        let mut target = self.now;
        let open_claim = ks
            .owner
            .map(|g| &ks.grants[g])
            .filter(|g| g.finished.is_none());
        if let Some(g) = open_claim {
            target = target.max(g.at + self.config.lease + Duration::from_millis(1));
        }
        // A begin cut off in flight may have claimed the key.
        for (_, at, _) in &self.oracle.ghosts[op] {
            target = target.max(*at + self.config.lease + Duration::from_millis(1));
        }
        if self.oracle.op_horizon(op).is_some_and(|end| target >= end) {
            return false;
        }
        if target > self.now {
            let from = self.now;
            self.now = target;
            self.tl.push(
                self.now,
                "clock",
                format!(
                    "+{} (past the lease of {}'s in-progress claim)",
                    dur(target.saturating_since(from)),
                    op_name(op)
                ),
            );
        }
        true
    }

    /// The extra retry of `op` once faults stopped, past the lease of its
    /// in-progress claim, if its window is still open.
    fn final_retry(&mut self, op: usize) -> Result<(), String> {
        if self.oracle.keys[op].op_start.is_none() || !self.past_lease(op) {
            return Ok(());
        }
        self.reopen_if_needed();
        let fp = fingerprint(op, 0);
        let client = self.first_client(op);
        let h = self.receive(op, None, u64::MAX, fp, Role::FinalRetry);
        let to = self.actor_label(h);
        self.tl.push(
            self.now,
            client,
            format!("final retry of {} {fp} -> {to}", op_name(op)),
        );
        self.run_alone(h)
    }

    /// A late duplicate of each completed key, 1 ms before its key TTL
    /// (counted from the completion) ends: it must be answered with the
    /// recorded outcome.
    fn ttl_probes(&mut self) -> Result<(), String> {
        let Some(ttl) = self.config.key_ttl else {
            return Ok(());
        };
        let mut probes: Vec<_> = (0..self.oracle.keys.len())
            .filter_map(|op| {
                let ks = &self.oracle.keys[op];
                let (_, line, at) = ks.first_outcome.as_ref()?;
                let fp = ks
                    .grants
                    .iter()
                    .find(|g| g.finished.is_some_and(|f| f.line == *line && !f.released))?
                    .fp;
                let when = (*at + ttl).0.checked_sub(1)?;
                Some((when, op, *line, fp))
            })
            .collect();
        probes.sort_unstable();
        for (when, op, line, fp) in probes {
            if when < self.now.0 {
                continue;
            }
            let from = self.now;
            self.now = crate::store::VirtualTime(when);
            self.tl.push(
                self.now,
                "clock",
                format!(
                    "+{} (1ms before the key TTL of {} ends, counted from its completion at line {line})",
                    dur(self.now.saturating_since(from)),
                    op_name(op)
                ),
            );
            self.reopen_if_needed();
            let client = self.first_client(op);
            let h = self.receive(op, None, u64::MAX, fp, Role::TtlProbe);
            let to = self.actor_label(h);
            self.tl.push(
                self.now,
                client,
                format!("late duplicate of {} {fp} -> {to}", op_name(op)),
            );
            self.run_alone(h)?;
            self.handlers[h].phase = Phase::Done;
        }
        Ok(())
    }

    fn first_client(&self, op: usize) -> String {
        self.actors
            .iter()
            .find(|a| a.op == op && !a.reconciler)
            .map_or_else(|| "c?".to_string(), |a| a.name.clone())
    }

    fn reopen_if_needed(&mut self) {
        if self.store.is_none() {
            if let Ok(s) = self.driver.reopen(self.location) {
                self.store = Some(s);
                self.tl.push(self.now, "store", "store reopened");
            }
        }
    }
}
