//! The delay of a hand-written retry loop: followed within the file
//! (`let`s, assignments in the loop, consts, local functions) and reported
//! only as far as it is known. A delay that comes from a call the scanner
//! cannot see into, a parameter, or another crate's backoff object is
//! unknown, jitter included.

use proc_macro2::Ident;
use syn::spanned::Spanned;
use syn::{BinOp, Expr};

use super::flow::Flow;
use super::syntax::last2;
use super::Scanner;
use crate::eval::{Consts, Value};
use crate::policy::{Dur, Jitter, OptDur, Schedule, Val};

/// The delay a loop sleeps, as far as the file tells.
pub(super) struct DelayFacts {
    pub schedule: Schedule,
    pub initial: Val<Dur>,
    pub multiplier: Val<f64>,
    pub max_delay: Val<OptDur>,
    pub jitter: Val<Jitter>,
}

/// A delay taken from a policy object's `next*()`.
pub(super) enum DelaySource {
    /// A policy this file builds: the loop consumes it.
    Policy(usize),
    /// An object the file does not build (a parameter, a field, a call).
    Unknown(String),
}

/// Whether a value is computed from what the file shows.
#[derive(Debug, PartialEq)]
enum Purity {
    /// Literals, consts, fields, counters and arithmetic on them.
    Pure,
    /// Randomness feeds it.
    Random,
    /// A call or a parameter the scanner does not follow.
    Opaque(String),
}

impl Purity {
    fn and(self, o: Purity) -> Purity {
        match (self, o) {
            (Purity::Random, _) | (_, Purity::Random) => Purity::Random,
            (Purity::Opaque(t), _) | (_, Purity::Opaque(t)) => Purity::Opaque(t),
            _ => Purity::Pure,
        }
    }
}

/// The variable a sleep argument reads: `delay`, `delay.mul_f64(..)`,
/// `delay.min(..)`, `delay.clone()`, `&delay`.
pub(super) fn delay_var(e: &Expr) -> Option<&Ident> {
    match e {
        Expr::Path(p) => p.path.get_ident(),
        Expr::Reference(r) => delay_var(&r.expr),
        Expr::Paren(p) => delay_var(&p.expr),
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

fn is_random_name(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    [
        "rand",
        "jitter",
        "random",
        "gen_range",
        "shuffle",
        "uniform",
    ]
    .iter()
    .any(|w| s.contains(w))
}

/// How deep an expression (and the variables it reads) is followed.
const MAX_DEPTH: u8 = 32;

/// Methods that compute a value from their receiver and arguments only.
const PURE_METHODS: &[&str] = &[
    "min",
    "max",
    "clamp",
    "mul_f64",
    "mul_f32",
    "div_f64",
    "div_f32",
    "mul",
    "div",
    "add",
    "sub",
    "pow",
    "powi",
    "powf",
    "abs",
    "round",
    "floor",
    "ceil",
    "unwrap",
    "expect",
    "unwrap_or",
    "unwrap_or_default",
    "unwrap_or_else",
    "ok",
    "clone",
    "into",
    "try_into",
    "to_owned",
    "as_millis",
    "as_secs",
    "as_secs_f64",
    "as_secs_f32",
    "as_micros",
    "as_nanos",
    "subsec_millis",
    "saturating_mul",
    "saturating_add",
    "saturating_sub",
    "saturating_pow",
    "checked_mul",
    "checked_add",
    "checked_sub",
    "checked_pow",
    "checked_shl",
    "wrapping_mul",
    "wrapping_add",
    "wrapping_shl",
    "count_ones",
    "leading_zeros",
];

/// Functions (by last path segment) that do the same.
const PURE_FNS: &[&str] = &[
    "from_millis",
    "from_secs",
    "from_secs_f64",
    "from_secs_f32",
    "from_micros",
    "from_nanos",
    "min",
    "max",
    "from",
    "try_from",
    "Some",
    "Ok",
];

impl<'ast> Scanner<'ast, '_> {
    /// Schedule, first delay, cap and jitter of a computed sleep argument.
    pub(super) fn delay_facts(&self, flow: &Flow<'ast>, arg: &'ast Expr, at: usize) -> DelayFacts {
        let purity = self.purity(flow, arg, MAX_DEPTH);
        let jitter = match &purity {
            Purity::Random => Val::Known(Jitter::Present),
            Purity::Pure => Val::Known(Jitter::None),
            Purity::Opaque(t) => Val::Unknown(format!("delay from `{t}`")),
        };
        let Some(var) = delay_var(arg) else {
            return self.expr_schedule(flow, arg, jitter);
        };
        let name = var.to_string();
        let init = flow.lets.get(&name).copied().or_else(|| self.let_of(&name));
        let assigns: Vec<&(String, &'ast Expr, Option<BinOp>, usize)> =
            flow.assigns.iter().filter(|(n, ..)| *n == name).collect();
        let recomputed_first = assigns.iter().any(|(.., pos)| *pos < at);
        let initial = match init.map(|x| self.consts.eval(x)) {
            Some(Some(Value::Dur(d))) if !recomputed_first => Val::Known(d),
            Some(_) if recomputed_first => {
                Val::Unknown(format!("`{name}` is recomputed before each sleep"))
            }
            Some(_) => Val::Unknown(format!("let {name} = ...")),
            None => Val::Unknown(name.clone()),
        };
        if flow.lets.contains_key(&name) && assigns.is_empty() {
            // Defined afresh in each iteration: its expression is the schedule.
            if let Some(init) = init {
                return self.expr_schedule(flow, init, jitter);
            }
        }
        if assigns.is_empty() {
            let cap = match &initial {
                Val::Known(d) => Val::Known(OptDur(Some(*d))),
                _ => Val::Unknown(name.clone()),
            };
            return DelayFacts {
                schedule: Schedule::Constant,
                initial,
                multiplier: Val::Known(1.0),
                max_delay: cap,
                jitter,
            };
        }
        let factor = assigns.iter().find_map(|(_, rhs, op, _)| match op {
            Some(BinOp::MulAssign(_)) => Consts::default().eval(rhs).and_then(|v| v.as_f64()),
            Some(BinOp::ShlAssign(_)) => Some(2.0),
            Some(_) => None,
            None => mul_of(var, rhs),
        });
        match factor {
            Some(k) => {
                let cap = assigns
                    .iter()
                    .find_map(|(_, rhs, ..)| cap_of(rhs))
                    .map_or(Val::Known(OptDur(None)), |c| self.cap_val(c));
                DelayFacts {
                    schedule: Schedule::Exponential,
                    initial,
                    multiplier: Val::Known(k),
                    max_delay: cap,
                    jitter,
                }
            }
            None => {
                let t = assigns
                    .first()
                    .map(|(_, rhs, ..)| self.text_of(rhs.span()))
                    .unwrap_or_default();
                DelayFacts {
                    schedule: Schedule::Other,
                    initial,
                    multiplier: Val::Unknown(t.clone()),
                    max_delay: Val::Unknown(t),
                    jitter,
                }
            }
        }
    }

    fn cap_val(&self, cap: &Expr) -> Val<OptDur> {
        match self.consts.eval(cap).and_then(|v| v.as_dur()) {
            Some(d) => Val::Known(OptDur(Some(d))),
            None => Val::Unknown(self.text_of(cap.span())),
        }
    }

    /// A delay computed in one expression: `base * 2u32.pow(attempt)`,
    /// `Duration::from_millis(100 << n)`, `backoff(attempt)`.
    fn expr_schedule(&self, flow: &Flow<'ast>, e: &'ast Expr, jitter: Val<Jitter>) -> DelayFacts {
        let t = self.text_of(e.span());
        let grows = exponent_of(e, flow);
        let (schedule, multiplier) = match grows {
            Some(k) => (
                Schedule::Exponential,
                k.map_or(Val::Unknown(t.clone()), Val::Known),
            ),
            None => (Schedule::Other, Val::Unknown(t.clone())),
        };
        let max_delay = match cap_of(e) {
            Some(c) => self.cap_val(c),
            None if grows.is_some() => Val::Known(OptDur(None)),
            None => Val::Unknown(t.clone()),
        };
        DelayFacts {
            schedule,
            initial: Val::Unknown(t),
            multiplier,
            max_delay,
            jitter,
        }
    }

    fn purity(&self, flow: &Flow<'ast>, e: &'ast Expr, depth: u8) -> Purity {
        self.purity_in(flow, e, depth, &mut Vec::new())
    }

    /// `seen`: variables being followed, so `delay = delay * 2` is judged
    /// by its other definitions.
    fn purity_in(
        &self,
        flow: &Flow<'ast>,
        e: &'ast Expr,
        depth: u8,
        seen: &mut Vec<String>,
    ) -> Purity {
        if depth == 0 {
            return Purity::Opaque(self.text_of(e.span()));
        }
        let d = depth - 1;
        let all = |s: &Self, it: &mut dyn Iterator<Item = &'ast Expr>, seen: &mut Vec<String>| {
            it.fold(Purity::Pure, |acc, x| {
                acc.and(s.purity_in(flow, x, d, seen))
            })
        };
        match e {
            Expr::Lit(_) | Expr::Field(_) => Purity::Pure,
            Expr::Path(p) => self.path_purity(flow, p, d, seen),
            Expr::Paren(p) => self.purity_in(flow, &p.expr, d, seen),
            Expr::Group(g) => self.purity_in(flow, &g.expr, d, seen),
            Expr::Reference(r) => self.purity_in(flow, &r.expr, d, seen),
            Expr::Cast(c) => self.purity_in(flow, &c.expr, d, seen),
            Expr::Unary(u) => self.purity_in(flow, &u.expr, d, seen),
            Expr::Binary(b) => all(self, &mut [&*b.left, &*b.right].into_iter(), seen),
            Expr::MethodCall(m) => {
                let n = m.method.to_string();
                if is_random_name(&n) {
                    Purity::Random
                } else if matches!(n.as_str(), "min" | "clamp") {
                    // A cap bounds the delay; it does not randomise it.
                    let args = m.args.iter().map(|a| self.purity_in(flow, a, d, seen));
                    let caps = args.fold(Purity::Pure, |acc, p| match p {
                        Purity::Random => Purity::Random,
                        _ => acc,
                    });
                    self.purity_in(flow, &m.receiver, d, seen).and(caps)
                } else if PURE_METHODS.contains(&n.as_str()) {
                    let args = m.args.iter().filter(|a| !matches!(a, Expr::Closure(_)));
                    all(self, &mut std::iter::once(&*m.receiver).chain(args), seen)
                } else if let Some(body) = self.names.fns.get(&n) {
                    self.body_purity(body)
                } else {
                    Purity::Opaque(self.text_of(e.span()))
                }
            }
            Expr::Call(c) => {
                let Expr::Path(f) = &*c.func else {
                    return Purity::Opaque(self.text_of(e.span()));
                };
                let path = self.text_of(f.span());
                let last = last2(&f.path).1.map(|i| i.to_string()).unwrap_or_default();
                if is_random_name(&path) {
                    Purity::Random
                } else if last == "min" && !c.args.is_empty() {
                    // `min(delay * 2, cap)`: known when one side is.
                    let ps: Vec<Purity> = c
                        .args
                        .iter()
                        .map(|a| self.purity_in(flow, a, d, seen))
                        .collect();
                    if ps.contains(&Purity::Random) {
                        Purity::Random
                    } else if ps.contains(&Purity::Pure) {
                        Purity::Pure
                    } else {
                        ps.into_iter().fold(Purity::Pure, Purity::and)
                    }
                } else if PURE_FNS.contains(&last.as_str()) {
                    all(self, &mut c.args.iter(), seen)
                } else if let Some(body) = self.names.fns.get(&last) {
                    self.body_purity(body)
                } else {
                    Purity::Opaque(self.text_of(e.span()))
                }
            }
            Expr::Macro(m) if is_random_name(&m.mac.tokens.to_string()) => Purity::Random,
            Expr::If(i) => {
                let t = self.block_tail(&i.then_branch);
                let f = i.else_branch.as_ref().map(|(_, x)| &**x);
                all(self, &mut t.into_iter().chain(f), seen)
            }
            Expr::Block(b) => all(self, &mut self.block_tail(&b.block).into_iter(), seen),
            _ => Purity::Opaque(self.text_of(e.span())),
        }
    }

    fn block_tail(&self, b: &'ast syn::Block) -> Option<&'ast Expr> {
        match b.stmts.last() {
            Some(syn::Stmt::Expr(e, None)) => Some(e),
            _ => None,
        }
    }

    fn path_purity(
        &self,
        flow: &Flow<'ast>,
        p: &'ast syn::ExprPath,
        d: u8,
        seen: &mut Vec<String>,
    ) -> Purity {
        let Some(id) = p.path.get_ident() else {
            // `Self::BASE`, `Duration::ZERO`, `config::DELAY`.
            return Purity::Pure;
        };
        let name = id.to_string();
        if seen.contains(&name) {
            return Purity::Pure;
        }
        if self.consts.map.contains_key(&name) || name.chars().all(|c| !c.is_lowercase()) {
            return Purity::Pure;
        }
        if is_random_name(&name) && !flow.lets.contains_key(&name) && self.let_of(&name).is_none() {
            return Purity::Random;
        }
        let mut defs: Vec<&'ast Expr> = flow
            .assigns
            .iter()
            .filter(|(n, ..)| *n == name)
            .map(|(_, rhs, ..)| *rhs)
            .collect();
        if let Some(init) = flow.lets.get(&name).copied().or_else(|| self.let_of(&name)) {
            defs.push(init);
        }
        if defs.is_empty() {
            return if flow.is_counter_name(&name) {
                Purity::Pure
            } else if self.params.contains(&name) {
                Purity::Opaque(format!("parameter `{name}`"))
            } else {
                Purity::Opaque(name)
            };
        }
        seen.push(name);
        let r = defs.into_iter().fold(Purity::Pure, |acc, x| {
            acc.and(self.purity_in(flow, x, d, seen))
        });
        seen.pop();
        r
    }

    /// A local function's result: random if its body mentions randomness,
    /// opaque if it calls something unknown.
    fn body_purity(&self, body: &'ast syn::Block) -> Purity {
        struct B<'s, 'ast, 't> {
            scanner: &'s Scanner<'ast, 't>,
            purity: Purity,
        }
        impl<'ast> syn::visit::Visit<'ast> for B<'_, 'ast, '_> {
            fn visit_ident(&mut self, i: &'ast Ident) {
                if is_random_name(&i.to_string()) {
                    self.purity = Purity::Random;
                }
            }
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                let n = m.method.to_string();
                if !PURE_METHODS.contains(&n.as_str()) && !is_random_name(&n) {
                    self.note_opaque(m.span());
                }
                syn::visit::visit_expr_method_call(self, m);
            }
            fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
                if let Expr::Path(p) = &*c.func {
                    let last = last2(&p.path).1.map(|i| i.to_string()).unwrap_or_default();
                    if !PURE_FNS.contains(&last.as_str()) && !is_random_name(&last) {
                        self.note_opaque(c.span());
                    }
                }
                syn::visit::visit_expr_call(self, c);
            }
            fn visit_macro(&mut self, m: &'ast syn::Macro) {
                if is_random_name(&m.tokens.to_string()) {
                    self.purity = Purity::Random;
                }
            }
        }
        impl B<'_, '_, '_> {
            fn note_opaque(&mut self, s: proc_macro2::Span) {
                if self.purity == Purity::Pure {
                    self.purity = Purity::Opaque(self.scanner.text_of(s));
                }
            }
        }
        let mut b = B {
            scanner: self,
            purity: Purity::Pure,
        };
        syn::visit::Visit::visit_block(&mut b, body);
        b.purity
    }
}

/// `x * k`, `(x * k).min(..)`, `min(cap, x * k)`, `x.mul_f64(k)`,
/// `x.saturating_mul(k)`, `x.checked_mul(k)...` → k.
fn mul_of(var: &Ident, e: &Expr) -> Option<f64> {
    let consts = Consts::default();
    let is_var = |x: &Expr| matches!(x, Expr::Path(p) if p.path.get_ident() == Some(var));
    match e {
        Expr::Binary(b) if matches!(b.op, BinOp::Mul(_)) => {
            if is_var(&b.left) {
                consts.eval(&b.right).and_then(|v| v.as_f64())
            } else if is_var(&b.right) {
                consts.eval(&b.left).and_then(|v| v.as_f64())
            } else {
                None
            }
        }
        Expr::Binary(b) if matches!(b.op, BinOp::Shl(_)) && is_var(&b.left) => Some(2.0),
        Expr::Paren(p) => mul_of(var, &p.expr),
        Expr::Call(c) => c.args.iter().find_map(|a| mul_of(var, a)),
        Expr::MethodCall(m) => {
            let n = m.method.to_string();
            let is_mul = matches!(
                n.as_str(),
                "mul_f64" | "mul_f32" | "saturating_mul" | "checked_mul" | "mul"
            );
            if is_mul && is_var(&m.receiver) {
                return m
                    .args
                    .first()
                    .and_then(|a| consts.eval(a))
                    .and_then(|v| v.as_f64());
            }
            mul_of(var, &m.receiver).or_else(|| m.args.iter().find_map(|a| mul_of(var, a)))
        }
        _ => None,
    }
}

/// The cap of `(..).min(CAP)` or `min(CAP, ..)` / `cmp::min(.., CAP)`.
fn cap_of(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if m.method == "min" => m.args.first(),
        Expr::MethodCall(m) => cap_of(&m.receiver),
        Expr::Call(c) => {
            let Expr::Path(p) = &*c.func else { return None };
            if last2(&p.path).1.is_some_and(|l| l == "min") && c.args.len() == 2 {
                // The cap is the side that is not computed from the delay.
                let simple = |x: &Expr| matches!(x, Expr::Path(_) | Expr::Field(_) | Expr::Lit(_));
                return c.args.iter().find(|a| simple(a)).or(c.args.first());
            }
            c.args.iter().find_map(cap_of)
        }
        Expr::Paren(p) => cap_of(&p.expr),
        _ => None,
    }
}

/// Whether `e` grows exponentially with a counter: `k.pow(n)`, `x << n`,
/// `2f64.powi(n)`; `Some(Some(k))` when the base is known.
fn exponent_of(e: &Expr, flow: &Flow<'_>) -> Option<Option<f64>> {
    struct G<'f, 'a> {
        flow: &'f Flow<'a>,
        found: Option<Option<f64>>,
    }
    impl<'ast> syn::visit::Visit<'ast> for G<'_, '_> {
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let n = m.method.to_string();
            if self.found.is_none()
                && matches!(
                    n.as_str(),
                    "pow" | "powi" | "powf" | "checked_pow" | "saturating_pow"
                )
            {
                let base = Consts::default().eval(&m.receiver).and_then(|v| v.as_f64());
                self.found = Some(base);
            }
            syn::visit::visit_expr_method_call(self, m);
        }
        fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
            if self.found.is_none() && matches!(b.op, BinOp::Shl(_)) {
                let exp = super::flow::expr_path_text(&b.right);
                if self.flow.is_counter_name(&exp) || !exp.is_empty() {
                    self.found = Some(Some(2.0));
                }
            }
            syn::visit::visit_expr_binary(self, b);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut g = G { flow, found: None };
    syn::visit::Visit::visit_expr(&mut g, e);
    g.found
}
