//! tokio-retry: `ExponentialBackoff::from_millis`, `FibonacciBackoff`,
//! `FixedInterval`, `.factor`, `.max_delay`, `.map(jitter)`, `.take`,
//! `Retry::spawn` / `RetryIf::spawn`.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::Expr;

use super::syntax::{is, last2};
use super::Scanner;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn tokio_retry(
        &mut self,
        ty: &str,
        ctor: &str,
        args: &[&Expr],
        span: Span,
    ) -> usize {
        let schedule = match ty {
            "FixedInterval" => Schedule::Constant,
            "FibonacciBackoff" => Schedule::Fibonacci,
            _ => Schedule::Exponential,
        };
        let id = self.new_policy(RetryCrate::TokioRetry, schedule, span.clone());
        let arg = args.first().copied();
        let (initial, mult) = match (ctor, arg) {
            ("new", Some(a)) => (self.dur(a), Val::Known(1.0)),
            (_, Some(a)) => match self.eval(a).map(|v| v.as_u64()) {
                Ok(Some(ms)) => {
                    let m = match schedule {
                        Schedule::Constant => Val::Known(1.0),
                        Schedule::Fibonacci => Val::Known(1.618),
                        _ => Val::Known(ms as f64),
                    };
                    (Val::Known(Dur::ms(ms as u128)), m)
                }
                _ => {
                    let t = self.text_of(a.span());
                    (Val::Unknown(t.clone()), Val::Unknown(t))
                }
            },
            (_, None) => (Val::Unknown(String::new()), Val::Unknown(String::new())),
        };
        let p = &mut self.policies[id];
        p.field_spans.insert("initial_delay", span);
        p.max_attempts = Val::Default(Attempts::Unbounded);
        p.max_delay = if schedule == Schedule::Constant {
            match &initial {
                Val::Known(d) => Val::Known(OptDur(Some(*d))),
                _ => Val::Unknown("the fixed interval".to_string()),
            }
        } else {
            Val::Default(OptDur(None))
        };
        p.initial_delay = initial;
        p.multiplier = mult;
        p.jitter = Val::Default(Jitter::None);
        p.max_elapsed = Val::Default(OptDur(None));
        id
    }

    /// A tokio-retry strategy adapter.
    pub(super) fn apply_tokio_retry(
        &mut self,
        id: usize,
        name: &str,
        a0: Option<&'ast Expr>,
        sp: &Span,
    ) {
        let schedule = self.policies[id].schedule;
        match (name, a0) {
            ("factor", Some(a)) => {
                let v = match (
                    self.policies[id].initial_delay.value().copied(),
                    self.eval(a).ok().and_then(|v| v.as_u64()),
                ) {
                    (Some(d), Some(f)) => match d.0.checked_mul(f as u128) {
                        Some(n) => Val::Known(Dur(n)),
                        None => Val::Unknown(self.text_of(a.span())),
                    },
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                if schedule == Schedule::Constant {
                    let cap = match &v {
                        Val::Known(d) => Val::Known(OptDur(Some(*d))),
                        _ => Val::Unknown(self.text_of(a.span())),
                    };
                    set!(self, id, sp, max_delay, cap);
                }
                set!(self, id, sp, initial_delay, v)
            }
            ("max_delay", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, d)
            }
            ("map", Some(a)) => {
                let v = match a {
                    Expr::Path(p) if is(last2(&p.path).1, "jitter") => Val::Known(Jitter::Full),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(self, id, sp, jitter, v)
            }
            ("take", Some(a)) => {
                set!(self, id, sp, max_attempts, self.retries(a))
            }
            _ => {}
        }
    }

    /// `Retry::spawn(strategy, action)` retries every error;
    /// `RetryIf::spawn(strategy, action, condition)` classifies.
    pub(super) fn tokio_retry_spawn(
        &mut self,
        retry_if: bool,
        args: &[&'ast Expr],
        span: Span,
    ) -> Option<usize> {
        let pred = if retry_if {
            Predicate::Custom
        } else {
            Predicate::EveryError
        };
        let evidence = super::chain::TOKIO_RETRY.iter().any(|c| self.names.uses(c));
        self.entry(args, pred, span, evidence.then_some(RetryCrate::TokioRetry))
    }
}
