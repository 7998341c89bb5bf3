//! tower: `impl Policy<..> for T` with a `retry` method, and retry budgets.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::Expr;

use super::syntax::mentions_block;
use super::Scanner;
use crate::policy::{Dur, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    /// `impl Policy<Req, Res, E> for T` with a `retry` method: attempt
    /// limits, classification and backoff live in that method's code, so
    /// they are unknown to the scanner unless it is trivially bounded.
    pub(super) fn tower_policy(&mut self, i: &'ast syn::ItemImpl) {
        let Some((path, _)) = &i.trait_ else { return };
        let Some(last) = path.segments.last() else {
            return;
        };
        let generic = matches!(last.arguments, syn::PathArguments::AngleBracketed(_));
        let tower_path = path
            .segments
            .iter()
            .any(|s| s.ident == "retry" || s.ident == "tower");
        if last.ident != "Policy" || !(generic || tower_path) {
            return;
        }
        let retry = i.items.iter().find_map(|it| match it {
            syn::ImplItem::Fn(f) if f.sig.ident == "retry" => Some(f),
            _ => None,
        });
        let Some(retry) = retry else { return };
        let ty = self.text_of(i.self_ty.span());
        let start = i.impl_token.span.byte_range().start;
        let end = i.self_ty.span().byte_range().end;
        let span = Span::new(self.source, start.min(end)..end.min(self.text.len()));
        let id = self.new_policy(RetryCrate::Tower, Schedule::Other, span);
        fn in_retry<T>(ty: &str, what: &str) -> Val<T> {
            Val::Unknown(format!("{what} decided in `{ty}::retry`"))
        }
        let sleeps = mentions_block(
            &retry.block,
            &["sleep", "Sleep", "backoff", "Backoff", "delay"],
        );
        let p = &mut self.policies[id];
        p.max_attempts = in_retry(&ty, "attempts");
        (p.initial_delay, p.max_delay, p.multiplier, p.jitter) = if sleeps {
            (
                in_retry(&ty, "delay"),
                in_retry(&ty, "cap"),
                in_retry(&ty, "growth"),
                in_retry(&ty, "jitter"),
            )
        } else {
            // No sleep or backoff in `retry()`: the retry is immediate.
            (
                Val::Known(Dur(0)),
                Val::Known(OptDur(Some(Dur(0)))),
                Val::Known(1.0),
                Val::Known(Jitter::None),
            )
        };
        p.max_elapsed = in_retry(&ty, "total time");
        p.predicate = Val::Known(Predicate::Custom);
    }

    /// `TpsBudget::new(ttl, min_per_sec, retry_percent)` (0.4: `Budget::new`).
    pub(super) fn tower_budget(&mut self, args: &[&'ast Expr], span: Span) {
        let budget = crate::TowerBudget {
            span,
            ttl: self.dur(args[0]),
            min_per_sec: self.float(args[1]),
            retry_percent: self.float(args[2]),
        };
        self.out.budgets.push(budget);
    }

    /// `TpsBudget::default()`: `(10s, 10, 0.2)`.
    pub(super) fn tower_default_budget(&mut self, span: Span) {
        self.out.budgets.push(crate::TowerBudget {
            span,
            ttl: Val::Default(Dur::secs(10)),
            min_per_sec: Val::Default(10.0),
            retry_percent: Val::Default(0.2),
        });
    }
}
