//! Server handlers: claim, side effect, complete (or release), reply; each
//! store call polled until it answers.

use std::fmt::Write as _;
use std::task::Poll;

use super::{CallKind, Driver, Executor, InFlight, Phase, Reply, Role};
use crate::sim::driver::{Answer, Call};
use crate::sim::oracle::online::{dur, op_name};
use crate::store::{Claim, Fenced, FencingToken, Outcome, StoreError, VirtualTime};

impl<D: Driver> Executor<'_, D> {
    /// Advance handler `h` by one action. Returns true when it stopped at
    /// an `.await` inside a store call.
    pub(super) fn handler_step(&mut self, h: usize) -> bool {
        if !self.handlers[h].alive {
            return false;
        }
        self.steps += 1;
        let pended = if self.handlers[h].call.is_some() {
            self.poll_call(h)
        } else {
            match self.handlers[h].phase.clone() {
                Phase::Received => self.begin(h),
                Phase::Claimed(token) => {
                    if self.handlers[h].fail_before_effect {
                        self.start_call(h, CallKind::Release(token))
                    } else {
                        self.effect(h, token);
                        false
                    }
                }
                Phase::Effected(token, outcome) => {
                    self.start_call(h, CallKind::Complete(token, outcome))
                }
                Phase::Ready { reply, .. } => {
                    self.reply(h, reply);
                    false
                }
                Phase::Done => false,
            }
        };
        self.maybe_crash_at(h);
        pended
    }

    fn begin(&mut self, h: usize) -> bool {
        let op = self.handlers[h].op;
        if self.handlers[h].role == Role::Request {
            if let Some(end) = self.oracle.op_horizon(op).filter(|&end| self.now >= end) {
                self.tl.push(
                    self.now,
                    self.actor_label(h),
                    format!(
                        "request handled after {}'s retry window ended at {end}: dropped without a store call",
                        op_name(op)
                    ),
                );
                self.handlers[h].phase = Phase::Ready {
                    reply: Reply::error("request expired"),
                    after_complete: false,
                };
                return false;
            }
        }
        self.start_call(h, CallKind::Begin)
    }

    /// Start a store call for handler `h` and poll it once.
    fn start_call(&mut self, h: usize, kind: CallKind) -> bool {
        let key = op_name(self.handlers[h].op);
        let now = self.now;
        let (fp, lease) = (self.handlers[h].fp, self.config.lease);
        // The line's text only when the timeline keeps text (see
        // `Timeline::counting_only`): most cases pass and are never shown.
        let text = if self.tl.keeps_text() {
            match &kind {
                CallKind::Begin => format!("store.begin({key}, {fp}, lease {})", dur(lease)),
                CallKind::Complete(token, outcome) => {
                    format!("store.complete({key}, {token}, {outcome})")
                }
                CallKind::Release(token) => {
                    format!("handler fails before the side effect; store.release({key}, {token})")
                }
            }
        } else {
            String::new()
        };
        let call = match &kind {
            CallKind::Begin => Call::Begin {
                key,
                fingerprint: fp,
                now,
                lease,
            },
            CallKind::Complete(token, outcome) => Call::Complete {
                key,
                token: *token,
                fingerprint: fp,
                outcome: outcome.clone(),
                now,
            },
            CallKind::Release(token) => Call::Release {
                key,
                token: *token,
                fingerprint: fp,
                now,
            },
        };
        let started_line = self.tl.len() + 1;
        let Some(store) = &self.store else {
            let answer = match kind {
                CallKind::Begin => Answer::Claim(Err(unavailable())),
                _ => Answer::Fenced(Err(unavailable())),
            };
            self.answer(h, kind, text, (now, started_line), answer, Vec::new());
            return false;
        };
        self.driver.clock_at(now);
        let call = self.driver.start(store, call);
        if let CallKind::Complete(_, outcome) = &kind {
            self.oracle.completing(self.handlers[h].op, outcome, true);
        }
        if let (CallKind::Release(_), Some(g)) = (&kind, self.handlers[h].grant) {
            self.oracle.releasing(self.handlers[h].op, g, true);
        }
        self.handlers[h].call = Some(InFlight {
            kind,
            call,
            text,
            polls: 0,
            blocked_at: None,
            started_at: now,
            started_line,
        });
        self.poll_call(h)
    }

    /// Poll handler `h`'s call once; true when it is still pending.
    fn poll_call(&mut self, h: usize) -> bool {
        if self.handlers[h].call.is_none() {
            return false;
        }
        // The clock may have moved since the call last ran.
        self.driver.clock_at(self.now);
        let Some(inflight) = self.handlers[h].call.as_mut() else {
            return false;
        };
        // Picked again after another call completed: poll it (a spurious
        // poll is harmless) and wait for it anew.
        inflight.blocked_at = None;
        let (poll, labels) = self.driver.poll(&mut inflight.call);
        inflight.polls += 1;
        self.stats.polls += 1;
        match poll {
            Poll::Ready(answer) => {
                self.completed_calls += 1;
                if let Some(done) = self.handlers[h].call.take() {
                    let InFlight {
                        kind,
                        call,
                        text,
                        started_at,
                        started_line,
                        ..
                    } = done;
                    self.driver.abandon(call);
                    self.answer(h, kind, text, (started_at, started_line), answer, labels);
                }
                false
            }
            Poll::Pending => {
                self.stats.pending += 1;
                let woken = self.driver.wait(&inflight.call, self.waits.lock_wait);
                // A named step of the store (a checkpoint) or the call's
                // first stop gets a line; the driver's own round trips in
                // between stay scheduling points without one.
                let shown = !labels.is_empty() || inflight.polls == 1 || !woken;
                let keeps_text = self.tl.keeps_text();
                let mut text = if keeps_text {
                    format!("{}{} ... awaiting", inflight.text, shown_labels(&labels))
                } else {
                    String::new()
                };
                if !woken {
                    inflight.blocked_at = Some(self.completed_calls);
                    self.stats.blocked += 1;
                    if keeps_text {
                        let _ = write!(
                            text,
                            " (no wake-up within {}: waits for a lock another handler holds)",
                            dur(self.waits.lock_wait)
                        );
                    }
                }
                if shown {
                    let actor = self.actor_label(h);
                    self.tl.push(self.now, actor, text);
                }
                true
            }
        }
    }

    /// A store call of handler `h` answered.
    fn answer(
        &mut self,
        h: usize,
        kind: CallKind,
        text: String,
        (at, started): (VirtualTime, usize),
        answer: Answer,
        labels: Vec<String>,
    ) {
        let line_text = if self.tl.keeps_text() {
            let shown = match &answer {
                Answer::Claim(Ok(c)) => c.to_string(),
                Answer::Fenced(Ok(f)) => f.to_string(),
                Answer::Claim(Err(e)) | Answer::Fenced(Err(e)) => format!("error: {e}"),
            };
            let mut line_text = format!("{text}{} -> {shown}", shown_labels(&labels));
            if self.handlers[h].role == Role::TtlProbe {
                line_text.push_str(" (late duplicate: begin only)");
            }
            line_text
        } else {
            String::new()
        };
        let actor = self.actor_label(h);
        let line = self.tl.push(self.now, actor, line_text);
        let key = &self.oracle.keys[self.handlers[h].op];
        let release = matches!(kind, CallKind::Release(_));
        self.stats.answers.record(release, &answer, key);
        if let CallKind::Complete(_, outcome) = &kind {
            self.oracle.completing(self.handlers[h].op, outcome, false);
        }
        if let (CallKind::Release(_), Some(g)) = (&kind, self.handlers[h].grant) {
            self.oracle.releasing(self.handlers[h].op, g, false);
        }
        match (kind, answer) {
            (CallKind::Begin, Answer::Claim(claim)) => self.begun(h, at, (started, line), claim),
            (CallKind::Complete(_, outcome), Answer::Fenced(fenced)) => {
                self.completed(h, outcome, at, (started, line), fenced)
            }
            (CallKind::Release(_), Answer::Fenced(fenced)) => {
                self.released(h, at, (started, line), fenced)
            }
            (_, _) => {
                self.handlers[h].phase = Phase::Ready {
                    reply: Reply::store_error("harness: the answer does not match the call"),
                    after_complete: false,
                }
            }
        }
    }

    /// `begin`, made at `at` on line `started`, answered on `line`.
    fn begun(
        &mut self,
        h: usize,
        at: VirtualTime,
        (started, line): (usize, usize),
        claim: Result<Claim, StoreError>,
    ) {
        let (op, fp) = (self.handlers[h].op, self.handlers[h].fp);
        let who = self.handlers[h].name.clone();
        let ready = |reply| Phase::Ready {
            reply,
            after_complete: false,
        };
        let phase = match claim {
            Ok(Claim::Acquired(token)) => {
                let g = self
                    .oracle
                    .acquired(op, &who, fp, token, (started, line), at);
                let handler = &mut self.handlers[h];
                handler.claimed_at = at;
                handler.grant = Some(g);
                if handler.role == Role::TtlProbe {
                    handler.phase = Phase::Done;
                    return;
                }
                if self.armed.handler_error > 0 && handler.faults_apply() {
                    self.armed.handler_error -= 1;
                    handler.fail_before_effect = true;
                }
                handler.phase = Phase::Claimed(token);
                if self.armed.stall > 0 && self.handlers[h].faults_apply() {
                    self.armed.stall -= 1;
                    self.stall(h);
                } else if self.armed.slow > 0 && self.handlers[h].faults_apply() {
                    self.armed.slow -= 1;
                    self.slow(h);
                }
                return;
            }
            Ok(Claim::InProgress) => {
                self.oracle.in_progress(op, &who, fp, (started, line), at);
                ready(Reply::InProgress)
            }
            Ok(Claim::Completed(outcome)) => {
                self.oracle.replayed(op, &who, fp, &outcome, line, at);
                ready(Reply::Outcome(outcome))
            }
            Ok(Claim::Mismatch) => {
                self.oracle.mismatch(op, &who, fp, (started, line), at);
                ready(Reply::Mismatch)
            }
            Err(e) => ready(Reply::store_error(e.to_string())),
        };
        self.handlers[h].phase = if self.handlers[h].role == Role::TtlProbe {
            Phase::Done
        } else {
            phase
        };
    }

    fn effect(&mut self, h: usize, token: FencingToken) {
        let (op, fp) = (self.handlers[h].op, self.handlers[h].fp);
        let n = self.oracle.keys[op].executions.len() + 1;
        let outcome = Outcome(format!("charged:{}:#{n}", op_name(op)));
        let name = self.handlers[h].name.clone();
        let line = self.tl.push(
            self.now,
            "ledger",
            format!(
                "{name} runs the side effect of {op} ({fp}, {token}): execution #{n} of {op}",
                op = op_name(op)
            ),
        );
        if let Some(g) = self.handlers[h].grant {
            self.oracle.effect(op, g, line);
        }
        self.handlers[h].phase = Phase::Effected(token, outcome);
    }

    /// `complete`, made at `at`, answered.
    fn completed(
        &mut self,
        h: usize,
        outcome: Outcome,
        at: VirtualTime,
        lines: (usize, usize),
        fenced: Result<Fenced, StoreError>,
    ) {
        let op = self.handlers[h].op;
        let reply = match fenced {
            Ok(Fenced::Accepted) => {
                if let Some(g) = self.handlers[h].grant {
                    self.oracle.finished(op, g, lines, at, Some(&outcome));
                }
                Reply::Outcome(outcome)
            }
            Ok(Fenced::StaleToken) => {
                if let Some(g) = self.handlers[h].grant {
                    self.oracle.refused(op, g, lines.1);
                }
                Reply::error("complete refused: stale token")
            }
            Err(e) => {
                if let Some(g) = self.handlers[h].grant {
                    self.oracle.complete_failed(op, g, lines.1);
                }
                Reply::store_error(e.to_string())
            }
        };
        self.handlers[h].phase = Phase::Ready {
            reply,
            after_complete: true,
        };
    }

    fn released(
        &mut self,
        h: usize,
        at: VirtualTime,
        lines: (usize, usize),
        fenced: Result<Fenced, StoreError>,
    ) {
        let op = self.handlers[h].op;
        match (&fenced, self.handlers[h].grant) {
            (Ok(Fenced::Accepted), Some(g)) => self.oracle.finished(op, g, lines, at, None),
            (Ok(Fenced::StaleToken), Some(g)) => self.oracle.refused(op, g, lines.1),
            (Err(_), Some(g)) => self.oracle.release_failed(op, g, lines.1),
            _ => {}
        }
        self.handlers[h].phase = Phase::Ready {
            reply: Reply::error("handler failed before the side effect"),
            after_complete: false,
        };
    }

    fn reply(&mut self, h: usize, reply: Reply) {
        let op = self.handlers[h].op;
        self.handlers[h].phase = Phase::Done;
        let lost = self.armed.lose_response > 0 && self.handlers[h].faults_apply();
        if lost {
            self.armed.lose_response -= 1;
        }
        let to = match (self.handlers[h].from, self.handlers[h].role) {
            (Some(a), _) => self.actors[a].name.clone(),
            (None, Role::RacingRetry) => "the racing retry".to_string(),
            (None, _) => "the final retry".to_string(),
        };
        let mut text = format!("reply {} to {to}", reply.describe());
        if lost {
            text.push_str(" -> reply lost");
        } else if let Some(a) = self.handlers[h].from {
            let req = self.handlers[h].req;
            let actor = &self.actors[a];
            if actor.reconciler {
                if reply.is_final() {
                    self.actors[a].done = true;
                    text.push_str(" (reconciler done)");
                }
            } else if actor.waiting.map(|(r, _)| r) == Some(req) && !actor.done {
                self.actors[a].waiting = None;
                if reply.is_final() {
                    self.actors[a].done = true;
                    text.push_str(" (final)");
                } else {
                    let sleep = self.sleep_after(a);
                    let at = self.now + sleep;
                    self.actors[a].next_at = Some(at);
                    let _ = write!(text, " (retryable; next attempt not before {at})");
                }
            } else {
                text.push_str(" (late, ignored)");
            }
        }
        let line = self.tl.push(self.now, self.actor_label(h), text);
        if let Some(g) = self.handlers[h].grant {
            self.oracle.gone(op, g, line);
        }
        if let Reply::Outcome(o) = &reply {
            self.oracle.reply_outcome(op, o, line);
        }
        if self.handlers[h].role == Role::FinalRetry && !reply.is_final() {
            match &reply {
                Reply::Error { text, store: true } => {
                    self.store_failure.get_or_insert(format!(
                        "the store failed on the final retry of {} (line {line}): {text}",
                        op_name(op)
                    ));
                }
                _ => self.oracle.stuck(op, &reply.describe(), line, self.now),
            }
        }
    }
}

fn unavailable() -> StoreError {
    StoreError::new("store unavailable (reopening it failed)")
}

/// ` [SELECT claim; INSERT claim]`, or nothing.
fn shown_labels(labels: &[String]) -> String {
    if labels.is_empty() {
        String::new()
    } else {
        format!(" [{}]", labels.join("; "))
    }
}
