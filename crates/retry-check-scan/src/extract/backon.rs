//! backon: `ExponentialBuilder`, `ConstantBuilder`, `FibonacciBuilder`,
//! their `with_*` methods, `.retry(builder)` and `.when(..)`.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::{Expr, ExprMethodCall};

use super::Scanner;
use crate::policy::{Attempts, Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn backon(&mut self, ty: &str, span: Span) -> usize {
        let schedule = match ty {
            "ConstantBuilder" => Schedule::Constant,
            "FibonacciBuilder" => Schedule::Fibonacci,
            _ => Schedule::Exponential,
        };
        let id = self.new_policy(RetryCrate::Backon, schedule, span);
        let p = &mut self.policies[id];
        p.max_attempts = Val::Default(Attempts::Finite(4));
        p.initial_delay = Val::Default(Dur::secs(1));
        p.jitter = Val::Default(Jitter::None);
        p.max_elapsed = Val::Default(OptDur(None));
        match schedule {
            Schedule::Constant => {
                p.max_delay = Val::Default(OptDur(Some(Dur::secs(1))));
                p.multiplier = Val::Default(1.0);
            }
            Schedule::Fibonacci => {
                p.max_delay = Val::Default(OptDur(Some(Dur::secs(60))));
                p.multiplier = Val::Default(1.618);
            }
            _ => {
                p.max_delay = Val::Default(OptDur(Some(Dur::secs(60))));
                p.multiplier = Val::Default(2.0);
            }
        }
        id
    }

    /// A backon builder method.
    pub(super) fn apply_backon(
        &mut self,
        id: usize,
        name: &str,
        a0: Option<&'ast Expr>,
        sp: &Span,
    ) {
        let schedule = self.policies[id].schedule;
        match (name, a0) {
            ("with_max_times", Some(a)) => {
                set!(self, id, sp, max_attempts, self.retries(a))
            }
            ("without_max_times", _) => {
                set!(self, id, sp, max_attempts, Val::Known(Attempts::Unbounded))
            }
            ("with_min_delay" | "with_delay", Some(a)) => {
                let d = self.dur(a);
                if schedule == Schedule::Constant {
                    let cap = match &d {
                        Val::Known(d) => Val::Known(OptDur(Some(*d))),
                        _ => Val::Unknown(self.text_of(a.span())),
                    };
                    set!(self, id, sp, max_delay, cap);
                }
                set!(self, id, sp, initial_delay, d)
            }
            ("with_max_delay", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(self, id, sp, max_delay, d)
            }
            ("without_max_delay", _) => {
                set!(self, id, sp, max_delay, Val::Known(OptDur(None)))
            }
            ("with_factor", Some(a)) => {
                set!(self, id, sp, multiplier, self.float(a))
            }
            ("with_jitter", _) => {
                set!(self, id, sp, jitter, Val::Known(Jitter::Additive))
            }
            ("with_total_delay", Some(a)) => {
                set!(self, id, sp, max_elapsed, self.opt_dur(a))
            }
            ("when", _) => {
                set!(self, id, sp, predicate, Val::Known(Predicate::Custom))
            }
            // A sleeper that does not sleep (`|_| future::ready(())`):
            // every retry is immediate, whatever the builder says.
            ("sleep", Some(a)) if no_op_sleeper(a) => {
                set!(self, id, sp, initial_delay, Val::Known(Dur(0)));
                set!(self, id, sp, max_delay, Val::Known(OptDur(Some(Dur(0)))));
                set!(self, id, sp, multiplier, Val::Known(1.0));
            }
            _ => {}
        }
    }

    /// backon's `Retryable::retry(builder)`: every error is retried unless
    /// `.when(..)` follows.
    pub(super) fn backon_retry(
        &mut self,
        m: &'ast ExprMethodCall,
        builder: &'ast Expr,
    ) -> Option<usize> {
        let param = self.param_index(super::chain::chain_root(builder));
        let found = self.chain(builder);
        let sp = self.span(m.method.span());
        let pid = match found {
            Some(pid) => Some(pid),
            // `.retry(x)` with `x` built elsewhere is still a backon retry,
            // when it reads as one: an operation retried with a backoff.
            None if self.names.uses("backon") && looks_like_backon_retry(m, builder) => {
                Some(self.placeholder(RetryCrate::Backon, builder, sp.clone()))
            }
            None => None,
        };
        if let Some(pid) = pid {
            let in_async = self.in_async();
            let p = &mut self.policies[pid];
            if p.krate == RetryCrate::Backon {
                p.predicate = Val::Known(Predicate::EveryError);
                p.field_spans.insert("predicate", sp.clone());
                p.in_async |= in_async;
            }
        }
        if let (Some(ix), None) = (param, found) {
            self.note_param_entry(ix, Val::Known(Predicate::EveryError), sp, pid);
        }
        pid
    }
}

/// `|_| future::ready(())`, `|_| async {}`: a sleeper that returns at once.
fn no_op_sleeper(e: &Expr) -> bool {
    let Expr::Closure(c) = e else { return false };
    match &*c.body {
        Expr::Call(call) => {
            let ready = matches!(&*call.func, Expr::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "ready"));
            let unit = matches!(call.args.first(), Some(Expr::Tuple(t)) if t.elems.is_empty());
            ready && unit
        }
        Expr::Async(a) => a.block.stmts.is_empty(),
        _ => false,
    }
}

/// `op.retry(backoff)`: the receiver is an operation (a closure or a name
/// bound to one) and the argument names a backoff or builder.
fn looks_like_backon_retry(m: &ExprMethodCall, builder: &Expr) -> bool {
    // `{ || op() }.retry(..)` too: a block whose value is the closure.
    let op = matches!(
        super::chain::chain_root(&m.receiver),
        Expr::Closure(_) | Expr::Path(_) | Expr::Paren(_) | Expr::Block(_)
    );
    let arg = super::flow::expr_path_text(builder).to_ascii_lowercase();
    let backoff = [
        "backoff", "builder", "policy", "strategy", "retry", "retries",
    ]
    .iter()
    .any(|w| arg.contains(w));
    op && backoff
}
