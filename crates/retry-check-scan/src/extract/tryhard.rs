//! tryhard: `retry_fn(f).retries(n)` with `exponential_backoff(d)`,
//! `fixed_backoff(d)`, `linear_backoff(d)`, `no_backoff()`,
//! `custom_backoff(f)`, `max_delay(d)`, and `RetryFutureConfig::new(n)`
//! shared through `.with_config(config)`.
//!
//! tryhard's default is no backoff at all: every retry is immediate until
//! a backoff is chosen. It never adds jitter, and retries every error
//! unless a custom backoff returns `RetryPolicy::Break`.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::Expr;

use super::syntax::mentions;
use super::Scanner;
use crate::policy::{Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    /// `retry_fn(f)` (the operation is visited) or, with `config`,
    /// `RetryFutureConfig::new(n)`.
    pub(super) fn tryhard(&mut self, args: &[&'ast Expr], span: Span, config: bool) -> usize {
        if !config {
            args.iter().for_each(|a| self.visit_expr(a));
        }
        let id = self.new_policy(RetryCrate::Tryhard, Schedule::Constant, span.clone());
        let attempts = match (config, args.first()) {
            (true, Some(a)) => self.retries(a),
            _ => Val::Unknown("no `.retries(n)`".to_string()),
        };
        let p = &mut self.policies[id];
        p.max_attempts = attempts;
        p.initial_delay = Val::Default(Dur(0));
        p.max_delay = Val::Default(OptDur(None));
        p.multiplier = Val::Default(1.0);
        p.jitter = Val::Known(Jitter::None);
        p.max_elapsed = Val::Known(OptDur(None));
        if !config {
            p.predicate = Val::Known(Predicate::EveryError);
            p.field_spans.insert("predicate", span);
        }
        id
    }

    /// `.with_config(config)`: the retry is the config's policy.
    pub(super) fn tryhard_with_config(&mut self, pid: usize, args: &[&'ast Expr]) -> Option<usize> {
        let cfg = args.first().and_then(|a| self.chain_or_visit(a));
        let Some(cfg) = cfg.filter(|c| self.policies[*c].krate == RetryCrate::Tryhard) else {
            let why = "set by `.with_config(..)`".to_string();
            let p = &mut self.policies[pid];
            p.max_attempts = Val::Unknown(why.clone());
            p.initial_delay = Val::Unknown(why.clone());
            p.max_delay = Val::Unknown(why.clone());
            p.multiplier = Val::Unknown(why);
            return Some(pid);
        };
        let (pred, at) = {
            let p = &self.policies[pid];
            (p.predicate.clone(), p.span_of("predicate"))
        };
        let c = &mut self.policies[cfg];
        c.predicate = pred;
        c.field_spans.insert("predicate", at);
        self.dead.push(pid);
        Some(cfg)
    }

    /// A tryhard builder method.
    pub(super) fn apply_tryhard(
        &mut self,
        id: usize,
        name: &str,
        a0: Option<&'ast Expr>,
        sp: &Span,
    ) {
        let growth = |s: &mut Self, schedule: Schedule, k: f64, a: &'ast Expr| {
            s.policies[id].schedule = schedule;
            set!(s, id, sp, initial_delay, s.dur(a));
            set!(s, id, sp, multiplier, Val::Known(k));
        };
        match (name, a0) {
            ("retries", Some(a)) => set!(self, id, sp, max_attempts, self.retries(a)),
            ("exponential_backoff", Some(a)) => growth(self, Schedule::Exponential, 2.0, a),
            ("linear_backoff", Some(a)) => growth(self, Schedule::Linear, 1.0, a),
            ("fixed_backoff", Some(a)) => {
                growth(self, Schedule::Constant, 1.0, a);
                let cap = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, cap)
            }
            ("no_backoff", _) => {
                self.policies[id].schedule = Schedule::Constant;
                set!(self, id, sp, initial_delay, Val::Known(Dur(0)))
            }
            ("max_delay", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, d)
            }
            ("custom_backoff", Some(a)) => {
                let why = format!("computed by `{}`", self.text_of(a.span()));
                self.policies[id].schedule = Schedule::Other;
                set!(self, id, sp, initial_delay, Val::Unknown(why.clone()));
                set!(self, id, sp, multiplier, Val::Unknown(why.clone()));
                set!(self, id, sp, max_delay, Val::Unknown(why.clone()));
                set!(self, id, sp, jitter, Val::Unknown(why));
                let pred = match a {
                    Expr::Closure(c) if mentions(&c.body, &["Break"]) => {
                        Val::Known(Predicate::Custom)
                    }
                    Expr::Closure(_) => Val::Known(Predicate::EveryError),
                    _ => Val::Unknown(format!("decided by `{}`", self.text_of(a.span()))),
                };
                set!(self, id, sp, predicate, pred)
            }
            _ => {}
        }
    }
}
