//! Hand-written `loop` / `for` / `while` retry loops.

use proc_macro2::Ident;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{BinOp, Expr, ExprMethodCall, Pat};

use super::syntax::{is, last2};
use super::Scanner;
use crate::eval::{Consts, Value};
use crate::policy::{Attempts, Jitter, OptDur, Predicate, RetryCrate, Schedule, Val};

impl<'ast> Scanner<'ast, '_> {
    pub(super) fn loop_policy(
        &mut self,
        e: &'ast Expr,
        body: &'ast syn::Block,
        kind: LoopKind<'ast>,
    ) {
        let mut ls = LoopScan {
            uses_thread_sleep: self.uses_thread_sleep,
            ..LoopScan::default()
        };
        ls.visit_block(body);
        if let LoopKind::While(cond) = kind {
            ls.visit_expr(cond);
        }
        if ls.sleeps.is_empty() || !(ls.has_try || ls.has_err_check) {
            return;
        }
        let loop_span = match e {
            Expr::Loop(l) => l.loop_token.span,
            Expr::ForLoop(f) => f.for_token.span,
            Expr::While(w) => w.while_token.span,
            _ => e.span(),
        };
        let span = self.span(loop_span);
        let id = self.new_policy(RetryCrate::HandWritten, Schedule::Constant, span.clone());
        let in_async = self.in_async();

        // Attempts.
        let attempts = match kind {
            LoopKind::For(iter) => match iter {
                Expr::Range(r) => {
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
                            let n = e.saturating_sub(s) + u64::from(inclusive);
                            Val::Known(Attempts::Finite(n))
                        }
                        _ => Val::Unknown(self.text_of(iter.span())),
                    }
                }
                _ => Val::Unknown(self.text_of(iter.span())),
            },
            LoopKind::While(cond) => {
                Val::Unknown(format!("bounded by `{}`", self.text_of(cond.span())))
            }
            LoopKind::Loop => match ls.bounds.first() {
                Some(b) => Val::Unknown(format!("bounded by `{}`", self.text_of(*b))),
                None => Val::Known(Attempts::Unbounded),
            },
        };

        // Delay.
        let (sleep_span, sleep_arg, _) = ls.sleeps[0];
        let mut schedule = Schedule::Constant;
        let (initial, multiplier, max_delay) = match sleep_arg.map(|a| (a, self.consts.eval(a))) {
            Some((_, Some(Value::Dur(d)))) => {
                (Val::Known(d), Val::Known(1.0), Val::Known(OptDur(Some(d))))
            }
            Some((a, _)) if delay_var(a).is_some() => {
                let name = delay_var(a).map(|i| i.to_string()).unwrap_or_default();
                let init = match self.lets.get(&name).map(|x| self.consts.eval(x)) {
                    Some(Some(Value::Dur(d))) => Val::Known(d),
                    Some(_) => Val::Unknown(format!("let {name} = ...")),
                    None => Val::Unknown(name.clone()),
                };
                let assigns: Vec<&(String, Option<f64>, Option<&Expr>)> =
                    ls.assigns.iter().filter(|(n, _, _)| *n == name).collect();
                let cap = ls
                    .caps
                    .iter()
                    .find_map(|c| self.consts.eval(c).and_then(|v| v.as_dur()));
                if assigns.is_empty() {
                    let cap = match &init {
                        Val::Known(d) => Val::Known(OptDur(Some(*d))),
                        _ => Val::Unknown(name.clone()),
                    };
                    (init, Val::Known(1.0), cap)
                } else if let Some(k) = assigns.iter().find_map(|(_, k, _)| *k) {
                    schedule = Schedule::Exponential;
                    let cap = match cap {
                        Some(c) => Val::Known(OptDur(Some(c))),
                        None if ls.caps.is_empty() => Val::Known(OptDur(None)),
                        None => Val::Unknown(self.text_of(ls.caps[0].span())),
                    };
                    (init, Val::Known(k), cap)
                } else {
                    schedule = Schedule::Other;
                    let t = assigns
                        .first()
                        .and_then(|(_, _, rhs)| rhs.map(|r| self.text_of(r.span())))
                        .unwrap_or_default();
                    (init, Val::Unknown(t.clone()), Val::Unknown(t))
                }
            }
            Some((a, _)) => {
                schedule = Schedule::Other;
                let t = self.text_of(a.span());
                (
                    Val::Unknown(t.clone()),
                    Val::Unknown(t.clone()),
                    Val::Unknown(t),
                )
            }
            None => (
                Val::Unknown(String::new()),
                Val::Unknown(String::new()),
                Val::Unknown(String::new()),
            ),
        };
        let jitter = if ls.randomness {
            Val::Known(Jitter::Present)
        } else {
            Val::Known(Jitter::None)
        };
        let max_elapsed = match ls.elapsed {
            Some(s) => Val::Unknown(format!("bounded by `{}`", self.text_of(s))),
            None => Val::Known(OptDur(None)),
        };
        let predicate = if ls.classifies {
            Predicate::Custom
        } else {
            Predicate::EveryError
        };
        let sleep_sp = self.span(sleep_span);
        let p = &mut self.policies[id];
        p.schedule = schedule;
        p.max_attempts = attempts;
        p.initial_delay = initial;
        p.multiplier = multiplier;
        p.max_delay = max_delay;
        p.jitter = jitter;
        p.max_elapsed = max_elapsed;
        p.predicate = Val::Known(predicate);
        p.in_async = in_async;
        p.field_spans.insert("initial_delay", sleep_sp.clone());
        for (s, _, is_thread) in &ls.sleeps {
            if *is_thread && in_async {
                let sp = self.span(*s);
                self.out.blocking_sleeps.push((sp, span.clone()));
            }
        }
    }
}

#[derive(Clone, Copy)]
pub(super) enum LoopKind<'ast> {
    Loop,
    For(&'ast Expr),
    While(&'ast Expr),
}

/// What a loop body holds, not looking into nested loops, closures or items.
#[derive(Default)]
struct LoopScan<'ast> {
    uses_thread_sleep: bool,
    /// (call span, argument, is `std::thread::sleep`)
    sleeps: Vec<(proc_macro2::Span, Option<&'ast Expr>, bool)>,
    has_try: bool,
    has_err_check: bool,
    /// Comparisons of a counter against a constant.
    bounds: Vec<proc_macro2::Span>,
    /// (variable, multiplier if `x *= k` / `x = x * k`, rhs)
    assigns: Vec<(String, Option<f64>, Option<&'ast Expr>)>,
    /// Arguments of `.min(..)`.
    caps: Vec<&'ast Expr>,
    randomness: bool,
    classifies: bool,
    elapsed: Option<proc_macro2::Span>,
}

const CLASSIFIERS: &[&str] = &[
    "is_transient",
    "is_retryable",
    "is_retriable",
    "should_retry",
    "retryable",
    "is_timeout",
    "is_connect",
    "is_server_error",
    "is_recoverable",
    "is_temporary",
    "is_permanent",
];

impl<'ast> Visit<'ast> for LoopScan<'ast> {
    fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {}
    fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {}
    fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {}
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}

    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*c.func {
            let (prev, last) = last2(&p.path);
            if is(last, "sleep") || is(last, "delay_for") {
                let is_thread = is(prev, "thread") || (prev.is_none() && self.uses_thread_sleep);
                self.sleeps.push((c.span(), c.args.first(), is_thread));
            }
        }
        visit::visit_expr_call(self, c);
    }

    fn visit_expr_method_call(&mut self, m: &'ast ExprMethodCall) {
        let n = m.method.to_string();
        match n.as_str() {
            "is_err" | "err" | "is_ok" | "ok" => self.has_err_check = true,
            "min" => {
                if let Some(a) = m.args.first() {
                    self.caps.push(a);
                }
            }
            "elapsed" => self.elapsed = Some(m.span()),
            _ => {}
        }
        visit::visit_expr_method_call(self, m);
    }

    fn visit_expr_try(&mut self, t: &'ast syn::ExprTry) {
        self.has_try = true;
        visit::visit_expr_try(self, t);
    }

    fn visit_pat(&mut self, p: &'ast Pat) {
        if let Pat::TupleStruct(ts) = p {
            if is(last2(&ts.path).1, "Err") {
                self.has_err_check = true;
            }
        }
        visit::visit_pat(self, p);
    }

    fn visit_ident(&mut self, i: &'ast Ident) {
        let s = i.to_string();
        if s.contains("rand") || s.contains("jitter") || s == "random" || s.contains("fastrand") {
            self.randomness = true;
        }
        if CLASSIFIERS.contains(&s.as_str()) || s.contains("transient") {
            self.classifies = true;
        }
    }

    fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
        let is_cmp = matches!(
            b.op,
            BinOp::Lt(_) | BinOp::Le(_) | BinOp::Gt(_) | BinOp::Ge(_) | BinOp::Eq(_)
        );
        if is_cmp {
            let consts = Consts::default();
            let const_side = |e: &Expr| {
                matches!(e, Expr::Lit(_)) || consts.eval(e).is_some() || is_upper_path(e)
            };
            if const_side(&b.left) || const_side(&b.right) {
                self.bounds.push(b.span());
            }
        }
        if let (BinOp::MulAssign(_), Expr::Path(p)) = (&b.op, &*b.left) {
            if let Some(id) = p.path.get_ident() {
                let k = Consts::default().eval(&b.right).and_then(|v| v.as_f64());
                self.assigns.push((id.to_string(), k, Some(&b.right)));
            }
        }
        visit::visit_expr_binary(self, b);
    }

    fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
        if let Expr::Path(p) = &*a.left {
            if let Some(id) = p.path.get_ident() {
                let k = mul_of(id, &a.right);
                self.assigns.push((id.to_string(), k, Some(&a.right)));
            }
        }
        visit::visit_expr_assign(self, a);
    }
}

/// The variable a sleep argument reads: `delay`, `delay.mul_f64(..)`,
/// `delay.min(..)`, `delay.clone()`.
fn delay_var(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Reference(r) => delay_var(&r.expr),
        Expr::MethodCall(m)
            if matches!(
                m.method.to_string().as_str(),
                "mul_f64" | "mul_f32" | "min" | "clone" | "saturating_mul" | "mul"
            ) =>
        {
            delay_var(&m.receiver)
        }
        _ => None,
    }
}

/// `MAX_ATTEMPTS`-style const names.
fn is_upper_path(e: &Expr) -> bool {
    match e {
        Expr::Path(p) => p.path.segments.last().is_some_and(|s| {
            let t = s.ident.to_string();
            t.len() > 1
                && t.chars()
                    .all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        }),
        _ => false,
    }
}

/// `x * k`, `(x * k).min(..)`, `x.mul_f64(k)`, `x.saturating_mul(k)`, `x.checked_mul(k)...` → k.
fn mul_of(var: &Ident, e: &Expr) -> Option<f64> {
    let consts = Consts::default();
    match e {
        Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
            let is_var = |x: &Expr| matches!(x, Expr::Path(p) if p.path.get_ident() == Some(var));
            if is_var(&b.left) {
                consts.eval(&b.right).and_then(|v| v.as_f64())
            } else if is_var(&b.right) {
                consts.eval(&b.left).and_then(|v| v.as_f64())
            } else {
                None
            }
        }
        Expr::Paren(p) => mul_of(var, &p.expr),
        Expr::MethodCall(m) => {
            let n = m.method.to_string();
            let is_mul = matches!(
                n.as_str(),
                "mul_f64" | "mul_f32" | "saturating_mul" | "checked_mul" | "mul"
            );
            if is_mul && matches!(&*m.receiver, Expr::Path(p) if p.path.get_ident() == Some(var)) {
                return m
                    .args
                    .first()
                    .and_then(|a| consts.eval(a))
                    .and_then(|v| v.as_f64());
            }
            mul_of(var, &m.receiver)
        }
        _ => None,
    }
}
