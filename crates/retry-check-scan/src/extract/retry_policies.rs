//! retry-policies (reqwest-retry's backoff): `ExponentialBackoff::builder()`,
//! `build_with_*`, `RetryTransientMiddleware`.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::Expr;

use super::Scanner;
use crate::eval::Value;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn retry_policies_defaults(&mut self, span: Span) -> usize {
        let id = self.new_policy(RetryCrate::RetryPolicies, Schedule::Exponential, span);
        let p = &mut self.policies[id];
        p.max_attempts = Val::Unknown("no build_with_* call".to_string());
        p.initial_delay = Val::Default(Dur::secs(1));
        p.max_delay = Val::Default(OptDur(Some(Dur::secs(30 * 60))));
        p.multiplier = Val::Default(2.0);
        p.jitter = Val::Default(Jitter::Full);
        p.max_elapsed = Val::Default(OptDur(None));
        id
    }

    /// A retry-policies builder method (or struct field, when `field`).
    pub(super) fn apply_retry_policies(
        &mut self,
        id: usize,
        name: &str,
        args: &[&'ast Expr],
        sp: &Span,
        field: bool,
    ) {
        let a0 = args.first().copied();
        match (name, a0) {
            ("retry_bounds", Some(a)) => {
                set!(self, id, sp, initial_delay, self.dur(a));
                if let Some(b) = args.get(1) {
                    let d = self.dur(b).map(|d| OptDur(Some(d)));
                    set!(self, id, sp, max_delay, d)
                }
            }
            ("min_retry_interval", Some(a)) => {
                set!(self, id, sp, initial_delay, self.dur(a))
            }
            ("max_retry_interval", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, d)
            }
            ("jitter", Some(a)) => {
                let v = match self.eval(a) {
                    Ok(Value::Path(p)) if p == "None" => Val::Known(Jitter::None),
                    Ok(Value::None) => Val::Known(Jitter::None),
                    Ok(Value::Path(p)) if p == "Full" => Val::Known(Jitter::Full),
                    Ok(Value::Path(p)) if p == "Bounded" => Val::Known(Jitter::Bounded),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(self, id, sp, jitter, v)
            }
            ("base", Some(a)) => {
                set!(self, id, sp, multiplier, self.float(a))
            }
            ("build_with_max_retries", Some(a)) => {
                set!(self, id, sp, max_attempts, self.retries(a))
            }
            ("max_n_retries", Some(a)) if field => {
                let v = match self.eval(a) {
                    Ok(Value::None) => Val::Known(Attempts::Unbounded),
                    Ok(Value::Some(n)) => match n.as_u64() {
                        Some(n) => Val::Known(Attempts::Finite(n.saturating_add(1))),
                        None => Val::Unknown(self.text_of(a.span())),
                    },
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(self, id, sp, max_attempts, v)
            }
            ("build_with_total_retry_duration", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_elapsed, d);
                set!(self, id, sp, max_attempts, Val::Known(Attempts::Unbounded))
            }
            ("build_with_total_retry_duration_and_limit_retries", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_elapsed, d);
                set!(
                    self,
                    id,
                    sp,
                    max_attempts,
                    Val::Unknown("computed by retry-policies from the total duration".to_string())
                )
            }
            _ => {}
        }
    }

    /// `RetryTransientMiddleware::new_with_policy(policy)` (the crate's
    /// default strategy) or `new_with_policy_and_strategy(policy, strategy)`.
    pub(super) fn retry_middleware(
        &mut self,
        args: &[&'ast Expr],
        with_strategy: bool,
        span: Span,
    ) -> Option<usize> {
        self.out.middleware.push(span.clone());
        let krate = Some(RetryCrate::RetryPolicies);
        if with_strategy {
            return self.entry(args, Predicate::Custom, span, krate);
        }
        let pred = Predicate::CrateDefault(
            "DefaultRetryableStrategy: 5xx, 408, 429, connect and timeout errors",
        );
        self.entry(args, pred, span, krate)
    }
}
