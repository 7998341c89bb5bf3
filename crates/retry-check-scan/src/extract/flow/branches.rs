//! Branches of the walk: `let` (and `let .. else`), `if` / `if let`, and
//! `match`, where errors are observed and conditions are tagged.

use syn::spanned::Spanned;
use syn::{Expr, Pat};

use super::conditions::{
    asks_for_delay, compares_retry_variant, is_error_method, pat_kind, pat_names, retry_variant,
    split_guard, PatKind, Pol,
};
use super::{guard, Flow, PatternBinding, States};

impl<'ast> Flow<'ast> {
    pub(super) fn local(&mut self, l: &'ast syn::Local, s: States) -> States {
        let Some(init) = &l.init else { return s };
        let mut s = self.expr(&init.expr, s);
        let mut names = Vec::new();
        pat_names(&l.pat, &mut names);
        let ident = match &l.pat {
            Pat::Ident(i) => Some(i.ident.to_string()),
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(i) => Some(i.ident.to_string()),
                _ => None,
            },
            _ => None,
        };
        match &ident {
            Some(n) => {
                self.lets.insert(n.clone(), &init.expr);
                let bits = self.cond_bits(&init.expr);
                if bits & (guard::CLASSIFY | guard::DECIDED) != 0 {
                    let sp = self.decided_span(&init.expr).unwrap_or(init.expr.span());
                    self.decision_vars
                        .insert(n.clone(), (bits & !guard::NEUTRAL, sp));
                }
                if self.mentions_error(&init.expr) {
                    self.error_names.insert(n.clone());
                }
            }
            None => {
                for n in names {
                    self.pattern_bindings.push(PatternBinding {
                        name: n,
                        from: &init.expr,
                    });
                }
            }
        }
        if let Some((_, diverge)) = &init.diverge {
            // `let PAT = e else { .. }`: the else block runs when PAT fails.
            let (pol, bits) = match pat_kind(&l.pat) {
                PatKind::Some | PatKind::Ok if asks_for_delay(&init.expr) => {
                    (Pol::Keep, guard::LIMIT)
                }
                PatKind::Some if self.wraps_policy_next(&init.expr).is_some() => {
                    (Pol::Keep, guard::LIMIT)
                }
                PatKind::Ok => (Pol::Err, 0),
                PatKind::Some if is_error_method(&init.expr) => (Pol::Keep, 0),
                _ => (Pol::Keep, 0),
            };
            let es = self.apply(pol, s, diverge.span());
            let bits = if bits == 0 { guard::NEUTRAL } else { bits };
            let out = self.with_guard(bits, init.expr.span(), |f| f.expr(diverge, es));
            s = s.union(out);
        }
        s
    }

    pub(super) fn if_expr(&mut self, i: &'ast syn::ExprIf, s: States) -> States {
        let s = self.expr(&i.cond, s);
        if let Expr::Let(l) = &*i.cond {
            self.bind_pattern(&l.pat, &l.expr);
        }
        let (tp, ep) = self.polarity(&i.cond);
        if compares_retry_variant(&i.cond).is_some() {
            // `strategy.handle(&r) == Some(Kind::Transient)`: classified.
            self.classified_result = true;
        }
        let mut bits = self.cond_bits(&i.cond);
        if let Expr::Let(l) = &*i.cond {
            // `if let Some(d) = policy.next()`: the else branch is exhaustion.
            let kind = pat_kind(&l.pat);
            let wrapped = kind == PatKind::Some && self.wraps_policy_next(&l.expr).is_some();
            if wrapped || (matches!(kind, PatKind::Some | PatKind::Ok) && asks_for_delay(&l.expr)) {
                let ts = self.apply(tp, s, i.cond.span());
                let t = self.with_guard(bits, i.cond.span(), |f| f.block(&i.then_branch, ts));
                let es = self.apply(ep, s, i.cond.span());
                let e = match &i.else_branch {
                    Some((_, e)) => self.with_guard(guard::LIMIT, l.expr.span(), |f| f.expr(e, es)),
                    None => es,
                };
                return t.union(e);
            }
            if matches!(pat_kind(&l.pat), PatKind::Err { specific: true }) {
                bits = (bits & !guard::NEUTRAL) | guard::CLASSIFY;
            }
        }
        let ts = self.apply(tp, s, i.cond.span());
        let t = self.with_guard(bits, i.cond.span(), |f| f.block(&i.then_branch, ts));
        let es = self.apply(ep, s, i.cond.span());
        let e = match &i.else_branch {
            Some((_, e)) => self.with_guard(bits, i.cond.span(), |f| f.expr(e, es)),
            None => es,
        };
        t.union(e)
    }

    /// Remember names a pattern binds from a scrutinee.
    pub(super) fn bind_pattern(&mut self, p: &'ast Pat, from: &'ast Expr) {
        let mut names = Vec::new();
        pat_names(p, &mut names);
        // Names bound from an error (or from something read off one) are
        // the error: conditions on them classify it.
        let err = matches!(pat_kind(p), PatKind::Err { .. }) || self.mentions_error(from);
        // `Attempt::Retry(e)`, `Some(Kind::Transient)`: the operation or a
        // strategy decided which outcomes are retried.
        self.classified_result |= retry_variant(p);
        for n in names {
            if err {
                self.error_names.insert(n.clone());
            }
            self.pattern_bindings.push(PatternBinding { name: n, from });
        }
    }

    pub(super) fn match_expr(&mut self, m: &'ast syn::ExprMatch, s: States) -> States {
        let s = self.expr(&m.expr, s);
        let scrutinee = &*m.expr;
        let next_policy = asks_for_delay(scrutinee);
        // `match hint.or_else(|| backoff.next()) { None => return .. }`:
        // only `None` is the policy's end; an `Err` arm stays an error.
        let wrapped = self.wraps_policy_next(scrutinee);
        let on_error_method = is_error_method(scrutinee);
        let scrut_bits = {
            let b = self.cond_bits(scrutinee);
            if b & (guard::CLASSIFY | guard::DECIDED) != 0 {
                b & !guard::NEUTRAL
            } else {
                0
            }
        };
        let mut out = States::NONE;
        // The guard an `Err(e)` / `_` arm inherits from earlier guarded
        // error arms (`Err(e) if n < max => .., Err(e) => return Err(e)`).
        let mut inherited = 0u8;
        let mut seen_plain_ok = false;
        let mut seen_specific_ok = false;
        for arm in &m.arms {
            let (pat, arm_guard) = split_guard(&arm.pat);
            let kind = pat_kind(pat);
            self.bind_pattern(pat, scrutinee);
            let mut bits = scrut_bits;
            // `match policy.next_decision() { Decision::Retry(d) => .. }`:
            // a variant to retry is not the policy's end.
            let retry_arm = retry_variant(pat);
            let is_err_arm = match kind {
                // A policy's "no more delays" is a limit, not an error.
                PatKind::Err { .. } if next_policy && !retry_arm => false,
                PatKind::Err { specific } => {
                    if specific {
                        bits |= guard::CLASSIFY;
                    }
                    true
                }
                PatKind::Wild => seen_plain_ok,
                PatKind::Some => on_error_method,
                _ => false,
            };
            if next_policy && !retry_arm && matches!(kind, PatKind::None | PatKind::Err { .. }) {
                bits |= guard::LIMIT;
            }
            let wrapped_end = wrapped.filter(|_| kind == PatKind::None);
            if wrapped_end.is_some() {
                bits |= guard::LIMIT;
            }
            if kind == PatKind::Ok && arm_guard.is_none() {
                seen_plain_ok = true;
            }
            let maybe = kind == PatKind::Wild && !is_err_arm && seen_specific_ok;
            if kind == PatKind::OkSpecific {
                seen_specific_ok = true;
            }
            if matches!(kind, PatKind::Ok | PatKind::OkSpecific) && arm_guard.is_some() {
                bits |= guard::SUCCESS;
            }
            if let Some(g) = arm_guard {
                let gb = self.cond_bits(g);
                bits |= gb;
                if is_err_arm {
                    inherited |= gb & (guard::LIMIT | guard::CLASSIFY | guard::TIME);
                    if gb & guard::LIMIT == 0 {
                        bits |= guard::CLASSIFY;
                        inherited |= guard::CLASSIFY;
                    }
                }
            } else if is_err_arm || kind == PatKind::Wild {
                bits |= inherited;
            }
            if matches!(kind, PatKind::Err { specific: true }) {
                inherited |= guard::CLASSIFY;
            }
            let arm_states = if is_err_arm {
                self.observe(s, arm.pat.span())
            } else if maybe {
                self.apply(Pol::Maybe, s, arm.pat.span())
            } else if matches!(kind, PatKind::Ok | PatKind::OkSpecific) {
                s.to_poll()
            } else {
                s
            };
            let bits = if bits == 0 { guard::NEUTRAL } else { bits };
            let span = match (bits & guard::DECIDED, arm_guard) {
                (0, _) if wrapped_end.is_some() => wrapped_end.unwrap_or(scrutinee.span()),
                (0, _) if next_policy && bits & guard::LIMIT != 0 => scrutinee.span(),
                (0, Some(g)) => g.span(),
                (0, None) => arm.pat.span(),
                _ => self.decided_span(scrutinee).unwrap_or(scrutinee.span()),
            };
            let r = self.with_guard(bits, span, |f| f.expr(&arm.body, arm_states));
            out = out.union(r);
        }
        out
    }
}
