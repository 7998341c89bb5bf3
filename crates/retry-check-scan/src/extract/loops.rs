//! Hand-written `loop` / `for` / `while` retry loops.
//!
//! Only a retry loop is a policy: an error path must reach a sleep (in the
//! error branch, or through `continue` to a sleep before the operation),
//! and success must leave the loop. Polling until a state changes (no error
//! path), heartbeats (every error leaves through `?`) and reconnect-forever
//! watchers (success does not leave) are not retries of a failed call.
//! With no sleep at all, a loop of awaited calls whose error path goes
//! round again is an immediate retry (zero delay).
//!
//! Limits, classification and the delay come from [`Flow`]; a delay the
//! scanner cannot follow within the file is unknown, never "no jitter".

use syn::spanned::Spanned;
use syn::{Expr, Pat};

use super::delay::{DelayFacts, DelaySource};
use super::flow::{find_policy_next, guard, policy_next, ExitKind, Flow, Sleep, States};
use super::Scanner;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

#[derive(Clone, Copy)]
pub(super) enum LoopKind<'ast> {
    Loop,
    /// The pattern, the iterator, and the policy the iterator is (if any).
    For(&'ast Pat, &'ast Expr, Option<usize>),
    While(&'ast Expr),
}

/// What the flow analysis says about one loop.
struct Verdict<'f, 'ast> {
    /// The sleep between attempts (`None`: an immediate retry).
    sleep: Option<&'f Sleep<'ast>>,
    attempts: Val<Attempts>,
    max_elapsed: Val<OptDur>,
    predicate: Predicate,
}

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn loop_policy(
        &mut self,
        e: &'ast Expr,
        body: &'ast syn::Block,
        kind: LoopKind<'ast>,
    ) {
        let (label, keyword) = match e {
            Expr::Loop(l) => (&l.label, l.loop_token.span),
            Expr::ForLoop(f) => (&f.label, f.for_token.span),
            Expr::While(w) => (&w.label, w.while_token.span),
            _ => return,
        };
        let label = label.as_ref().map(|l| l.name.ident.to_string());
        let sleepy = self.names.sleepy_calls(body, &mut self.sleepy_cache);
        let known = (sleepy, self.names.control_macros.clone());
        let mut flow = Flow::new(self.uses_thread_sleep, known, label);
        let for_var = match kind {
            LoopKind::For(p, Expr::Range(_), _) => Some(p),
            _ => None,
        };
        flow.find_counters(body, for_var);
        let (start, while_bits) = match kind {
            LoopKind::While(cond) => flow.enter_while(cond),
            _ => (States::START, 0),
        };
        let end = flow.block(body, start);
        flow.loop_back = flow.loop_back.union(end);
        if let Some(name) = &flow.opaque_macro {
            if !flow.sleeps.is_empty() || flow.first_error.is_some() {
                let sp = self.span(keyword);
                self.note_not_analysed(
                    sp,
                    format!("a loop whose control flow goes through `{name}!`"),
                );
            }
            return;
        }
        let Some(v) = self.verdict(&flow, kind, while_bits) else {
            return;
        };
        let span = self.span(keyword);
        let in_async = self.in_async();
        if let LoopKind::For(_, _, Some(pid)) = kind {
            self.consume(pid, &span, v.predicate, in_async);
            return;
        }
        let source = v.sleep.and_then(|s| self.delay_source(&flow, s.arg));
        if let Some(DelaySource::Policy(pid)) = source {
            self.consume(pid, &span, v.predicate, in_async);
            return;
        }
        let id = self.new_policy(RetryCrate::HandWritten, Schedule::Constant, span.clone());
        let facts = match v.sleep {
            Some(s) => self.loop_delay(&flow, s, source),
            None => DelayFacts::immediate(),
        };
        let p = &mut self.policies[id];
        p.schedule = facts.schedule;
        p.max_attempts = v.attempts;
        p.initial_delay = facts.initial;
        p.multiplier = facts.multiplier;
        p.max_delay = facts.max_delay;
        p.jitter = facts.jitter;
        p.max_elapsed = v.max_elapsed;
        p.predicate = Val::Known(v.predicate);
        p.in_async = in_async;
        if let Some(s) = v.sleep {
            let sp = self.span(s.span);
            self.policies[id].field_spans.insert("initial_delay", sp);
        }
        for s in flow.sleeps.iter().filter(|s| s.is_thread && s.on_error) {
            if in_async {
                let sp = self.span(s.span);
                self.out.blocking_sleeps.push((sp, span.clone()));
            }
        }
    }

    /// A policy the loop drives (`for d in policy`, `policy.next()` as the
    /// delay): the loop is where it is consumed, not a policy of its own.
    fn consume(&mut self, pid: usize, at: &crate::Span, pred: Predicate, in_async: bool) {
        let p = &mut self.policies[pid];
        if matches!(p.predicate, Val::Unknown(_)) {
            p.predicate = Val::Known(pred);
            p.field_spans.insert("predicate", at.clone());
        }
        p.in_async |= in_async;
    }

    fn verdict<'f>(
        &self,
        flow: &'f Flow<'ast>,
        kind: LoopKind<'ast>,
        while_bits: u8,
    ) -> Option<Verdict<'f, 'ast>> {
        let back_edge = flow.loop_back.err_unslept();
        // A sleep that polling paths also reach waits for a state.
        let sleep = flow
            .sleeps
            .iter()
            .find(|s| s.on_error && !s.polling)
            .or_else(|| {
                (back_edge && flow.slept_before_error)
                    .then(|| flow.sleeps.iter().find(|s| s.before_error))
                    .flatten()
            });
        let while_success = matches!(kind, LoopKind::While(_)) && flow.while_observes_error;
        let success = while_success
            || flow.exits.iter().any(|x| {
                x.kind != ExitKind::Try
                    && x.states.has_ok()
                    && (x.ok_value
                        || x.inner & guard::SUCCESS != 0
                        || (x.inner & (guard::LIMIT | guard::DECIDED) == 0 && !x.err_value))
            });
        if !success {
            return None;
        }
        let limit = flow
            .exits
            .iter()
            .find(|x| is_limit_exit(x))
            .map(|x| x.limit)
            .or_else(|| sleep.and_then(|s| s.limit).map(Some))
            .or_else(|| self.deadline.last().map(|_| None));
        // Without a sleep, only a counted loop of awaited calls is a retry
        // (an immediate one): other sleepless loops that go round on an
        // error are pools, state machines and stream consumers.
        let counted = match kind {
            LoopKind::For(_, iter, _) => matches!(iter, Expr::Range(_)),
            _ => flow
                .exits
                .iter()
                .any(|x| is_limit_exit(x) && x.guards & guard::TIME == 0),
        };
        let immediate =
            sleep.is_none() && flow.sleeps.is_empty() && back_edge && flow.awaits && counted;
        if sleep.is_none() && !immediate {
            return None;
        }

        let decided = flow.exits.iter().find_map(|x| x.decided);
        let time = flow.exits.iter().any(|x| x.guards & guard::TIME != 0)
            || while_bits & guard::TIME != 0
            || !self.deadline.is_empty();
        let bounded = |what: Option<proc_macro2::Span>| match (what, self.deadline.last()) {
            (Some(s), _) => format!("bounded by `{}`", self.text_of(s)),
            (None, Some(d)) => format!("bounded by `{d}`"),
            (None, None) => "bounded by the policy's `next()`".to_string(),
        };
        let attempts = match kind {
            LoopKind::For(_, iter, _) => self.for_attempts(iter),
            LoopKind::While(cond) => {
                Val::Unknown(format!("bounded by `{}`", self.text_of(cond.span())))
            }
            LoopKind::Loop => match (limit, decided) {
                (Some(l), _) => Val::Unknown(bounded(l)),
                (None, Some(d)) => Val::Unknown(format!("decided by `{}`", self.text_of(d))),
                (None, None) => Val::Known(Attempts::Unbounded),
            },
        };
        let max_elapsed = if time {
            let l = limit
                .flatten()
                .map(|s| self.text_of(s))
                .or_else(|| self.deadline.last().cloned())
                .unwrap_or_default();
            Val::Unknown(format!("bounded by `{l}`"))
        } else {
            Val::Known(OptDur(None))
        };
        // An error that leaves without a limit, or any exit a
        // classification decides, means not every error is retried.
        let classified = decided.is_some()
            || flow.classified_result
            || flow.exits.iter().any(|x| {
                !is_limit_exit(x) && (x.states.has_err() || x.guards & guard::CLASSIFY != 0)
            });
        let predicate = if classified {
            Predicate::Custom
        } else {
            Predicate::EveryError
        };
        Some(Verdict {
            sleep,
            attempts,
            max_elapsed,
            predicate,
        })
    }

    fn for_attempts(&self, iter: &Expr) -> Val<Attempts> {
        let Expr::Range(r) = iter else {
            return Val::Unknown(format!(
                "one attempt per item of `{}`",
                self.text_of(iter.span())
            ));
        };
        let start = match &r.start {
            Some(s) => self.eval(s).ok().and_then(|v| v.as_u64()),
            None => Some(0),
        };
        let end = r
            .end
            .as_ref()
            .and_then(|x| self.eval(x).ok())
            .and_then(|v| v.as_u64());
        let inclusive = matches!(r.limits, syn::RangeLimits::Closed(_));
        match (start, end) {
            (Some(s), Some(e)) => {
                Val::Known(Attempts::Finite(e.saturating_sub(s) + u64::from(inclusive)))
            }
            _ => Val::Unknown(self.text_of(iter.span())),
        }
    }

    /// Where the delay of a loop's sleep comes from, when that is a policy
    /// object (`backoff.next_backoff()`, `Some(d) = strategy.next()`).
    fn delay_source(&self, flow: &Flow<'ast>, arg: Option<&'ast Expr>) -> Option<DelaySource> {
        let arg = arg?;
        let from = match super::delay::delay_var(arg) {
            Some(v) => {
                let name = v.to_string();
                let bound = flow
                    .lets
                    .get(&name)
                    .copied()
                    .or_else(|| {
                        flow.pattern_bindings
                            .iter()
                            .rev()
                            .find(|b| b.name == name)
                            .map(|b| b.from)
                    })
                    .or_else(|| self.let_of(&name))?;
                // `let d = adjust(policy.next()); match d { Some(x) => .. }`
                let bound = match bound {
                    Expr::Path(p) => p
                        .path
                        .get_ident()
                        .and_then(|i| flow.lets.get(&i.to_string()).copied())
                        .unwrap_or(bound),
                    _ => bound,
                };
                // `hint.or_else(|| backoff.next())`: the policy's delays,
                // unless a hint overrides them.
                policy_next(bound).or_else(|| find_policy_next(bound))?
            }
            None => policy_next(arg)?,
        };
        let Expr::Path(p) = from else {
            return Some(DelaySource::Unknown(self.text_of(from.span())));
        };
        let name = p.path.get_ident()?.to_string();
        match self.bindings.get(&name) {
            Some(&pid) => Some(DelaySource::Policy(pid)),
            None => Some(DelaySource::Unknown(format!("{name}.next()"))),
        }
    }

    fn loop_delay(
        &self,
        flow: &Flow<'ast>,
        sleep: &Sleep<'ast>,
        source: Option<DelaySource>,
    ) -> DelayFacts {
        if let Some(DelaySource::Unknown(t)) = source {
            return DelayFacts::unknown(&format!("delay from `{t}`"));
        }
        let Some(arg) = sleep.arg else {
            return DelayFacts::unknown(&format!("delay inside `{}`", self.text_of(sleep.span)));
        };
        if let Some(d) = self.consts.eval(arg).and_then(|v| v.as_dur()) {
            return DelayFacts::fixed(d);
        }
        self.delay_facts(flow, arg, sleep.span.byte_range().start)
    }
}

/// An exit a limit decides. A `?` leaves with the error of its own
/// operand: it is a limit only when that operand is one (a policy's next
/// delay, a deadline check), not because a limit encloses it.
fn is_limit_exit(x: &super::flow::Exit) -> bool {
    match x.kind {
        ExitKind::Try => x.own & guard::LIMIT != 0,
        _ => x.guards & guard::LIMIT != 0,
    }
}

impl DelayFacts {
    pub(super) fn immediate() -> Self {
        DelayFacts::fixed(Dur(0))
    }

    pub(super) fn fixed(d: Dur) -> Self {
        DelayFacts {
            schedule: Schedule::Constant,
            initial: Val::Known(d),
            multiplier: Val::Known(1.0),
            max_delay: Val::Known(OptDur(Some(d))),
            jitter: Val::Known(Jitter::None),
        }
    }

    pub(super) fn unknown(why: &str) -> Self {
        DelayFacts {
            schedule: Schedule::Other,
            initial: Val::Unknown(why.to_string()),
            multiplier: Val::Unknown(why.to_string()),
            max_delay: Val::Unknown(why.to_string()),
            jitter: Val::Unknown(why.to_string()),
        }
    }
}
