//! Faults: node crashes, store restarts, stalls, clock jumps.

use std::fmt::Write as _;
use std::time::Duration;

use super::{Driver, Executor, Phase, Reply, Role};
use crate::sim::case::{CrashPoint, Jump, JumpKind};
use crate::sim::oracle::online::dur;

impl<D: Driver> Executor<'_, D> {
    /// Handler `h` pauses (a GC pause) until just past its lease end; the
    /// clock moves with it, held back only by other live owners. While
    /// paused it has the lowest priority: the others run first.
    pub(super) fn stall(&mut self, h: usize) {
        self.steps += 1;
        self.handlers[h].stalled = true;
        self.handlers[h].priority = self.next_low;
        self.next_low += 1;
        if let Some(g) = self.handlers[h].grant {
            self.oracle.stalled(self.handlers[h].op, g);
        }
        let until = self.handlers[h].claimed_at + self.config.lease;
        let wanted = until + Duration::from_millis(1);
        let target = wanted.min(self.cap()).max(self.now);
        let from = self.now;
        self.now = target;
        let mut text = format!("stalls (GC pause) past its lease end at {until}");
        if target > from {
            let _ = write!(text, ": clock +{}", dur(target.saturating_since(from)));
        }
        if target < wanted {
            let _ = write!(text, ", held at {target} by another owner's handler time");
        }
        self.tl.push(self.now, self.actor_label(h), text);
    }

    /// Handler `h` takes its time: the clock moves to the end of its
    /// handler time since its claim (held back by older owners), and the
    /// other handlers run while it works (it drops to the lowest priority).
    pub(super) fn slow(&mut self, h: usize) {
        self.handlers[h].priority = self.next_low;
        self.next_low += 1;
        let until = self.handlers[h].claimed_at + self.config.handler_time;
        let target = until.min(self.cap()).max(self.now);
        if target <= self.now {
            return;
        }
        self.steps += 1;
        let from = self.now;
        self.now = target;
        self.tl.push(
            self.now,
            self.actor_label(h),
            format!(
                "works slowly: clock +{} (its handler time runs until {until})",
                dur(target.saturating_since(from))
            ),
        );
    }

    pub(super) fn jump(&mut self, jump: Jump) {
        let c = self.config;
        let base = match jump.kind {
            JumpKind::Small => Some(Duration::ZERO),
            JumpKind::KeyTtl => c.key_ttl,
            JumpKind::Lease => Some(c.lease),
            JumpKind::HandlerTime => Some(c.handler_time),
            JumpKind::RetryWindow => c.schedule.retry_window,
            JumpKind::AttemptTimeout => c.schedule.per_attempt_timeout,
        };
        let base_ms = base.map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let ms = if jump.delta_ms >= 0 {
            base_ms.saturating_add(jump.delta_ms.unsigned_abs())
        } else {
            base_ms.saturating_sub(jump.delta_ms.unsigned_abs())
        }
        .max(1);
        let wanted = self.now + Duration::from_millis(ms);
        let target = wanted.min(self.cap());
        if target <= self.now {
            return;
        }
        let from = self.now;
        self.now = target;
        self.steps += 1;
        let mut text = format!("+{} ({jump})", dur(target.saturating_since(from)));
        if target < wanted {
            let holder = self
                .handlers
                .iter()
                .filter(|h| h.alive && !h.stalled && (h.phase.holds_claim() || h.call.is_some()))
                .min_by_key(|h| h.call.as_ref().map_or(h.claimed_at, |c| c.started_at))
                .map_or(String::new(), |h| h.name.clone());
            let _ = write!(
                text,
                ", held at {target}: {holder} may take at most the handler time ({})",
                dur(c.handler_time)
            );
        }
        self.tl.push(self.now, "clock", text);
    }

    /// Strike the armed crash if handler `h` is at its point.
    pub(super) fn maybe_crash_at(&mut self, h: usize) {
        if let Some(point) = self.armed.crash {
            let handler = &self.handlers[h];
            if handler.alive && handler.call.is_none() && handler.phase.at(point) {
                self.armed.crash = None;
                self.crash(handler.node, point, Some(h));
            }
        }
    }

    /// Node `node` crashes (at `point` of handler `at`): its in-flight
    /// handlers die, their store calls abandoned; it restarts at once. The
    /// store and the other nodes keep running.
    pub(super) fn crash(&mut self, node: usize, point: CrashPoint, at: Option<usize>) {
        self.steps += 1;
        let line = self.tl.len() + 1;
        let mut killed = Vec::new();
        for h in self.live_handlers() {
            if self.handlers[h].node != node || self.handlers[h].role != Role::Request {
                continue;
            }
            let in_call = self.handlers[h].call.take();
            let handler = &mut self.handlers[h];
            let gap = matches!(handler.phase, Phase::Effected(..))
                || in_call
                    .as_ref()
                    .is_some_and(|c| matches!(c.kind, super::CallKind::Complete(..)));
            let what = match &in_call {
                Some(c) => format!("{} (inside {})", handler.name, c.text),
                None => format!("{} ({})", handler.name, handler.phase.describe()),
            };
            killed.push(what);
            handler.alive = false;
            if let Some(g) = handler.grant {
                let op = handler.op;
                self.oracle.crashed(op, g, line, gap);
            }
            if let Some(c) = in_call {
                // Let the statement in flight land first: the node died
                // after it, deterministically.
                let _ = self.driver.wait(&c.call, self.waits.lock_wait);
                if c.kind == super::CallKind::Begin {
                    let ghost = (handler.name.clone(), c.started_at, line);
                    self.oracle.ghosts[handler.op].push(ghost);
                }
                if let (super::CallKind::Release(_), Some(g)) = (&c.kind, handler.grant) {
                    self.oracle.release_failed(handler.op, g, line);
                }
                self.driver.abandon(c.call);
            }
        }
        let mut text = match at {
            Some(h) => format!(
                "CRASH of node n{} {} of {}",
                node + 1,
                point.describe(),
                self.handlers[h].name
            ),
            None => format!("CRASH of node n{} (idle)", node + 1),
        };
        if !killed.is_empty() {
            let _ = write!(text, "; lost in flight: {}", killed.join(", "));
        }
        let _ = write!(
            text,
            "; node n{} restarts (the store keeps running)",
            node + 1
        );
        let n = self.tl.push(self.now, "server", text);
        debug_assert_eq!(n, line);
    }

    /// The store restarts (or fails over): its instance is dropped, calls
    /// in flight fail, and it is reopened over the same location.
    pub(super) fn restart_store(&mut self) {
        self.steps += 1;
        let mut failed = Vec::new();
        for h in self.live_handlers() {
            let Some(c) = self.handlers[h].call.take() else {
                continue;
            };
            failed.push(format!("{} ({})", self.handlers[h].name, c.text));
            let after_complete = matches!(c.kind, super::CallKind::Complete(..));
            let _ = self.driver.wait(&c.call, self.waits.lock_wait);
            let (op, line) = (self.handlers[h].op, self.tl.len() + 1);
            match (&c.kind, self.handlers[h].grant) {
                (super::CallKind::Begin, _) => {
                    let ghost = (self.handlers[h].name.clone(), c.started_at, line);
                    self.oracle.ghosts[op].push(ghost);
                }
                (super::CallKind::Complete(..), Some(g)) => {
                    self.oracle.complete_failed(op, g, line)
                }
                (super::CallKind::Release(_), Some(g)) => self.oracle.release_failed(op, g, line),
                _ => {}
            }
            self.driver.abandon(c.call);
            self.completed_calls += 1;
            self.handlers[h].phase = Phase::Ready {
                reply: Reply::store_error("the store restarted during the call"),
                after_complete,
            };
        }
        if let Some(store) = self.store.take() {
            self.driver.close(store);
        }
        let mut text = "STORE RESTART: the store instance is dropped".to_string();
        if !failed.is_empty() {
            let _ = write!(text, "; calls in flight fail: {}", failed.join(", "));
        }
        match self.driver.reopen(self.location) {
            Ok(s) => {
                self.store = Some(s);
                text.push_str("; reopened over the same location");
            }
            Err(e) => {
                let _ = write!(text, "; reopening it failed: {e}");
            }
        }
        let line = self.tl.push(self.now, "store", text);
        self.oracle.restarts.push(line);
    }
}
