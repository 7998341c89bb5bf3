//! Clients and reconcilers: who sends when, and what a send delivers.

use std::fmt::Write as _;
use std::time::Duration;

use super::{fingerprint, Actor, Driver, Executor, Role};
use crate::sim::case::SimCase;
use crate::sim::config::SimConfig;
use crate::sim::oracle::online::op_name;
use crate::sim::schedule::unit_draw;
use crate::store::VirtualTime;

/// The clients of every operation (`c1..`), then one reconciler per
/// operation (`r1..`) when configured.
pub(super) fn actors(config: &SimConfig, case: &SimCase, ops: usize) -> Vec<Actor> {
    let mut actors = Vec::new();
    for op in 0..ops {
        let dups = case.operations.get(op).map_or(1, |o| o.duplicates.max(1));
        for _ in 0..dups {
            let n = actors.len() + 1;
            actors.push(Actor {
                name: format!("c{n}"),
                op,
                reconciler: false,
                draw_id: n as u64,
                attempts: 0,
                first_sent: None,
                waiting: None,
                next_at: Some(VirtualTime::ZERO),
                prev_sleep: config.schedule.initial_backoff,
                done: false,
            });
        }
    }
    if config.reconciler.is_some() {
        for op in 0..ops {
            actors.push(Actor {
                name: format!("r{}", op + 1),
                op,
                reconciler: true,
                draw_id: 1000 + op as u64,
                attempts: 0,
                first_sent: None,
                waiting: None,
                next_at: None,
                prev_sleep: Duration::ZERO,
                done: false,
            });
        }
    }
    actors
}

impl<D: Driver> Executor<'_, D> {
    /// The latest instant the clock may reach: no live owner may exceed
    /// `handler_time` since its claim (the harness only generates handler
    /// delays up to `handler_time`). A handler inside `begin` counts as an
    /// owner from the moment its call was made: the lease it may get runs
    /// from there.
    pub(super) fn cap(&self) -> VirtualTime {
        self.handlers
            .iter()
            .filter(|h| h.alive && !h.stalled)
            .filter_map(|h| match &h.call {
                Some(c) if c.kind == super::CallKind::Begin => Some(c.started_at),
                _ => h.phase.holds_claim().then_some(h.claimed_at),
            })
            .map(|at| at + self.config.handler_time)
            .min()
            .unwrap_or(VirtualTime(u64::MAX))
    }

    /// When actor `a` could send next, if it may.
    pub(super) fn next_send(&self, a: usize) -> Option<VirtualTime> {
        let actor = &self.actors[a];
        if actor.done {
            return None;
        }
        let t = self.now.max(actor.next_at?);
        if t > self.cap() {
            return None;
        }
        let op_start = self.oracle.keys[actor.op].op_start;
        if actor.reconciler {
            let start = op_start?;
            let until = self.config.reconciler?.until;
            return (t.saturating_since(start) < until).then_some(t);
        }
        let s = &self.config.schedule;
        if actor.attempts >= s.max_attempts.max(1) {
            return None;
        }
        if let (Some(first), Some(deadline)) = (actor.first_sent, s.deadline) {
            if t.saturating_since(first) >= deadline {
                return None;
            }
        }
        if let (Some(start), Some(window)) = (op_start, s.retry_window) {
            if t.saturating_since(start) >= window {
                return None;
            }
        }
        Some(t)
    }

    /// The jittered sleep after actor `a`'s latest attempt.
    pub(super) fn sleep_after(&mut self, a: usize) -> Duration {
        let actor = &self.actors[a];
        let u = unit_draw(
            self.case.jitter_seed,
            actor.draw_id,
            u64::from(actor.attempts),
        );
        let d = self
            .config
            .schedule
            .sleep(actor.attempts, u, actor.prev_sleep);
        self.actors[a].prev_sleep = d;
        d
    }

    /// Actor `a` sends its next attempt (the armed request faults apply).
    pub(super) fn send(&mut self, a: usize) {
        let Some(t) = self.next_send(a) else {
            return;
        };
        self.now = t;
        self.steps += 1;
        let op = self.actors[a].op;
        self.oracle.keys[op].op_start.get_or_insert(t);
        let actor = &mut self.actors[a];
        actor.first_sent.get_or_insert(t);
        let timed_out = actor.waiting.is_some() && !actor.reconciler;
        actor.attempts += 1;
        let attempt = actor.attempts;
        let reconciler = actor.reconciler;
        let name = actor.name.clone();

        let changed = self.armed.change_payload > 0;
        if changed {
            self.armed.change_payload -= 1;
        }
        let fp = fingerprint(op, u64::from(changed));
        let req = self.next_req;
        self.next_req += 1;
        let copies = if self.armed.lose_request > 0 {
            self.armed.lose_request -= 1;
            0
        } else if self.armed.duplicate_request > 0 {
            self.armed.duplicate_request -= 1;
            2
        } else {
            1
        };

        let mut text = if reconciler {
            format!("reconcile {} {fp}", op_name(op))
        } else {
            let max = self.config.schedule.max_attempts.max(1);
            format!("send attempt {attempt}/{max} {} {fp}", op_name(op))
        };
        if timed_out {
            text.push_str(" (previous attempt timed out)");
        }
        if changed {
            text.push_str(" [payload changed, same key]");
        }
        let mut names = Vec::new();
        for _ in 0..copies {
            let h = self.receive(op, Some(a), req, fp, Role::Request);
            names.push(self.actor_label(h));
        }
        match copies {
            0 => text.push_str(" -> request lost"),
            1 => {
                let _ = write!(text, " -> {}", names[0]);
            }
            _ => {
                let _ = write!(text, " -> delivered twice: {}", names.join(", "));
            }
        }
        self.tl.push(self.now, name, text);

        // Schedule the next attempt.
        if reconciler {
            let every = self
                .config
                .reconciler
                .map_or(Duration::from_secs(1), |r| r.every);
            self.actors[a].next_at = Some(self.now + every.max(Duration::from_millis(1)));
        } else {
            let sleep = self.sleep_after(a);
            let actor = &mut self.actors[a];
            actor.waiting = Some((req, self.now));
            actor.next_at = self
                .config
                .schedule
                .per_attempt_timeout
                .map(|timeout| self.now + timeout + sleep);
        }
        let first = self.handlers.len().saturating_sub(copies);
        for h in first..self.handlers.len() {
            self.maybe_crash_at(h);
        }
    }
}
