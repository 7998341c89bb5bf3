//! The `backoff` crate: `ExponentialBackoff { .. }`, `ExponentialBackoffBuilder`,
//! `retry` / `retry_notify` and its field setters.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::Expr;

use super::syntax::{member_is, mentions};
use super::Scanner;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn backoff_defaults(&mut self, span: Span) -> usize {
        let id = self.new_policy(RetryCrate::Backoff, Schedule::Exponential, span);
        let p = &mut self.policies[id];
        p.max_attempts = Val::Default(Attempts::Unbounded);
        p.initial_delay = Val::Default(Dur::ms(500));
        p.max_delay = Val::Default(OptDur(Some(Dur::secs(60))));
        p.multiplier = Val::Default(1.5);
        p.jitter = Val::Default(Jitter::Proportional(0.5));
        p.max_elapsed = Val::Default(OptDur(Some(Dur::secs(15 * 60))));
        id
    }

    pub(super) fn backoff_struct(&mut self, s: &'ast syn::ExprStruct) -> usize {
        let span = self.span(s.span());
        let is_rp = s
            .fields
            .iter()
            .any(|f| member_is(&f.member, "max_n_retries"));
        let id = if is_rp {
            self.retry_policies_defaults(span)
        } else {
            self.backoff_defaults(span)
        };
        for f in &s.fields {
            let syn::Member::Named(name) = &f.member else {
                continue;
            };
            let name = name.to_string();
            let sp = self.span(f.span());
            self.apply(id, &name, &[&f.expr], sp, true);
        }
        id
    }

    /// A backoff builder method or struct field.
    pub(super) fn apply_backoff(
        &mut self,
        id: usize,
        name: &str,
        a0: Option<&'ast Expr>,
        sp: &Span,
    ) {
        match (name, a0) {
            ("with_initial_interval" | "initial_interval", Some(a)) => {
                set!(self, id, sp, initial_delay, self.dur(a))
            }
            ("with_max_interval" | "max_interval", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, d)
            }
            ("with_multiplier" | "multiplier", Some(a)) => {
                set!(self, id, sp, multiplier, self.float(a))
            }
            ("with_randomization_factor" | "randomization_factor", Some(a)) => {
                let v = match self.float(a) {
                    Val::Known(0.0) => Val::Known(Jitter::None),
                    Val::Known(r) => Val::Known(Jitter::Proportional(r)),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(self, id, sp, jitter, v)
            }
            ("with_max_elapsed_time" | "max_elapsed_time", Some(a)) => {
                set!(self, id, sp, max_elapsed, self.opt_dur(a))
            }
            _ => {}
        }
    }

    /// `backoff::retry(policy, op)` / `retry_notify(policy, op, notify)`:
    /// every error is transient unless the operation builds
    /// `Error::permanent`.
    pub(super) fn backoff_retry(&mut self, args: &[&'ast Expr], span: Span) -> Option<usize> {
        let op = args[1];
        if mentions(op, &["permanent", "Permanent"]) {
            return self.entry(args, Predicate::Custom, span, Some(RetryCrate::Backoff));
        }
        if mentions(op, &["map_err"]) {
            // Errors go through a conversion the scanner does not follow.
            let id = self.entry(args, Predicate::Custom, span, Some(RetryCrate::Backoff));
            if let Some(id) = id {
                self.policies[id].predicate = Val::Unknown(format!(
                    "errors classified through `map_err` in `{}`",
                    self.text_of(op.span())
                ));
            }
            return id;
        }
        self.entry(args, Predicate::EveryError, span, Some(RetryCrate::Backoff))
    }
}
