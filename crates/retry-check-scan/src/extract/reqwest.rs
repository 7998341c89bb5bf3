//! reqwest's own retries (`reqwest::retry`, 0.12.23+).

use retry_check_diagnostics::Span;
use syn::Expr;

use super::Scanner;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    /// reqwest's own retries: `retry::for_host(..)`, `retry::never()`,
    /// `Builder::scoped(..)`. Two retries by default, no backoff at all
    /// (retries are immediate), and nothing is retried until a classifier
    /// is set (`never()` never retries).
    pub(super) fn reqwest(&mut self, ctor: &str, span: Span) -> usize {
        let id = self.new_policy(RetryCrate::Reqwest, Schedule::Constant, span);
        let p = &mut self.policies[id];
        p.max_attempts = if ctor == "never" {
            Val::Known(Attempts::Finite(1))
        } else {
            Val::Default(Attempts::Finite(3))
        };
        p.initial_delay = Val::Known(Dur(0));
        p.max_delay = Val::Known(OptDur(Some(Dur(0))));
        p.multiplier = Val::Known(1.0);
        p.jitter = Val::Known(Jitter::None);
        p.max_elapsed = Val::Default(OptDur(None));
        p.predicate = Val::Default(Predicate::CrateDefault(
            "none: nothing is retried until `classify_fn`",
        ));
        // Every builder starts with a budget of 20% extra load.
        p.has_budget = ctor != "never";
        id
    }

    /// A `reqwest::retry::Builder` method.
    pub(super) fn apply_reqwest(
        &mut self,
        id: usize,
        name: &str,
        a0: Option<&'ast Expr>,
        sp: &Span,
    ) {
        match (name, a0) {
            ("max_retries_per_request", Some(a)) => {
                set!(self, id, sp, max_attempts, self.retries(a))
            }
            ("classify_fn" | "classify", _) => {
                set!(self, id, sp, predicate, Val::Known(Predicate::Custom))
            }
            ("no_budget", _) => self.policies[id].has_budget = false,
            ("max_extra_load", Some(_)) => self.policies[id].has_budget = true,
            _ => {}
        }
    }
}
