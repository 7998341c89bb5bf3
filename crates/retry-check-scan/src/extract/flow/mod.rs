//! Control flow of one loop iteration, as far as retry loops need it.
//!
//! The walker follows the paths through a loop body with a small set of
//! abstract states (has this path seen an error? has it slept since?) and
//! records where each path sleeps, how it leaves the loop (`return`,
//! `break`, `?`, `bail!`) and under which conditions, and which paths go
//! round again (`continue`, the end of the body). `loops.rs` turns that into
//! a verdict: is this a retry loop, what bounds it, does it classify errors.
//!
//! An error is *observed* by an `Err(..)` pattern (in `match`, `if let`,
//! `let .. else`), `is_err()`, the else branch of `is_ok()` /
//! `is_success()`, and `Some(..)` of an `*error*()` method. Conditions are
//! tagged by what they test: a limit (a counter compared with anything,
//! elapsed time, a deadline, an `exhausted()`-style call, a policy's
//! `next*()` returning `None`), a classification (a call such as
//! `should_retry` / `is_retryable` / `on_error` / `test`, or a test of the
//! error value itself), a decision by a policy object, or success.
//! Closures, async blocks and items are not entered; nested loops are.

use std::collections::{HashMap, HashSet};

use proc_macro2::Span as PmSpan;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{BinOp, Expr, Pat, Stmt};

use super::syntax::{is, last2};

mod branches;
mod conditions;

use conditions::{asks_for_delay, counter_like, pat_names, Pol};
pub(super) use conditions::{expr_path_text, find_policy_next, policy_next};

/// Abstract states of the paths reaching a point, as a bit set.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(super) struct States(u8);

const OK: u8 = 1;
const OK_SLEPT: u8 = 2;
const ERR: u8 = 4;
const ERR_SLEPT: u8 = 8;
/// The operation succeeded and the path did not leave: waiting for a
/// state (polling), not recovering from an error.
const POLL: u8 = 16;

impl States {
    pub(super) const START: States = States(OK);
    const NONE: States = States(0);

    fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub(super) fn has_ok(self) -> bool {
        self.0 & (OK | OK_SLEPT | POLL) != 0
    }
    pub(super) fn has_err(self) -> bool {
        self.0 & (ERR | ERR_SLEPT) != 0
    }
    /// An error path that has not slept since its error.
    pub(super) fn err_unslept(self) -> bool {
        self.0 & ERR != 0
    }
    pub(super) fn union(self, o: States) -> States {
        States(self.0 | o.0)
    }
    /// A new error is observed: paths without one now have one, not yet
    /// slept for; paths that already had one keep their state.
    fn observe_err(self) -> States {
        let mut s = self.0 & (ERR | ERR_SLEPT);
        if self.has_ok() {
            s |= ERR;
        }
        States(s)
    }
    /// A success was observed: the paths go on after a successful call.
    fn to_poll(self) -> States {
        let mut s = self.0 & (ERR | ERR_SLEPT);
        if self.has_ok() {
            s |= POLL;
        }
        States(s)
    }
    fn slept(self) -> States {
        let mut s = self.0 & POLL;
        if self.0 & (OK | OK_SLEPT) != 0 {
            s |= OK_SLEPT;
        }
        if self.has_err() {
            s |= ERR_SLEPT;
        }
        States(s)
    }
}

/// What a condition (or an arm's pattern and guard) tests.
pub(super) mod guard {
    pub const LIMIT: u8 = 1;
    pub const CLASSIFY: u8 = 2;
    pub const DECIDED: u8 = 4;
    pub const SUCCESS: u8 = 8;
    pub const NEUTRAL: u8 = 16;
    /// The limit is elapsed time or a deadline.
    pub const TIME: u8 = 32;
}

/// A sleep in the loop body.
pub(super) struct Sleep<'ast> {
    pub span: PmSpan,
    pub arg: Option<&'ast Expr>,
    pub is_thread: bool,
    /// Reached by a path that has seen an error.
    pub on_error: bool,
    /// Reached by a path that has not (yet) seen one.
    pub before_error: bool,
    /// Reached by a path whose call succeeded without leaving the loop.
    pub polling: bool,
    /// The nearest enclosing limit condition (`if n < max { sleep }`).
    pub limit: Option<PmSpan>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum ExitKind {
    Return,
    Break,
    /// `?`: leaves only with the error.
    Try,
}

/// A way out of the loop.
pub(super) struct Exit {
    pub kind: ExitKind,
    pub states: States,
    /// Union of the guards of every enclosing condition in the body.
    pub guards: u8,
    /// The guard of the innermost enclosing condition.
    pub inner: u8,
    /// What the exit itself tests (a `?` on a policy's next delay).
    pub own: u8,
    /// The value is `Ok(..)` (or the loop ends on success).
    pub ok_value: bool,
    /// The value is `Err(..)`.
    pub err_value: bool,
    /// The nearest enclosing limit condition, and a policy decision.
    pub limit: Option<PmSpan>,
    pub decided: Option<PmSpan>,
}

/// A condition on the guard stack.
#[derive(Clone, Copy)]
struct Cond {
    bits: u8,
    span: PmSpan,
}

/// Names the loop's delay may be bound to by a pattern, with where the
/// value comes from.
pub(super) struct PatternBinding<'ast> {
    pub name: String,
    /// The scrutinee, e.g. `backoff.next_delay_duration()`.
    pub from: &'ast Expr,
}

pub(super) struct Flow<'ast> {
    uses_thread_sleep: bool,
    /// Functions of the file that sleep: calling one is a sleep.
    sleepy_fns: HashSet<String>,
    /// `macro_rules!` of the file whose bodies jump or sleep.
    control_macros: HashSet<String>,
    /// A macro whose expansion may jump or sleep was called: the loop's
    /// control flow is not known.
    pub opaque_macro: Option<String>,
    /// Locals and fields (`self.attempts`) counted up in the loop.
    counters: HashSet<String>,
    /// Bindings of error values (`Err(e)`), and names assigned from them.
    error_names: HashSet<String>,
    /// `let flow = policy.on_error(..)`: names holding a decision.
    decision_vars: HashMap<String, (u8, PmSpan)>,
    guards: Vec<Cond>,
    /// Nested loops being walked, with their labels.
    nested: Vec<(Option<String>, States)>,
    label: Option<String>,
    /// Set while walking the value of a `return` / `break`.
    exit_value: Option<(bool, bool)>,
    /// The call being walked is awaited (`x.wait(..).await`).
    awaited: bool,
    /// Guards met inside the value of a `return` / `break`
    /// (`return match policy.decide(..) { .. }`): they control the exit too.
    value_guards: Option<Vec<Cond>>,
    pub sleeps: Vec<Sleep<'ast>>,
    pub exits: Vec<Exit>,
    /// States that go round again (`continue`, end of body).
    pub loop_back: States,
    /// Byte offset of the first error observation.
    pub first_error: Option<usize>,
    /// `let` initialisers in the body.
    pub lets: HashMap<String, &'ast Expr>,
    /// `x = rhs`, `x op= rhs`, with the byte offset of the statement.
    pub assigns: Vec<(String, &'ast Expr, Option<BinOp>, usize)>,
    /// Names bound by patterns in the body (not `let x = ..`).
    pub pattern_bindings: Vec<PatternBinding<'ast>>,
    pub awaits: bool,
    /// An error was observed on a path that had slept earlier in the same
    /// iteration (the sleep comes before the operation).
    pub slept_before_error: bool,
    /// A `while` condition observes the error (`while let Err(e) = ..`):
    /// the loop ends when the operation succeeds.
    pub while_observes_error: bool,
    /// A variant to retry or a comparison with one classified the outcome.
    pub classified_result: bool,
}

impl<'ast> Flow<'ast> {
    pub(super) fn new(
        uses_thread_sleep: bool,
        (sleepy_fns, control_macros): (HashSet<String>, HashSet<String>),
        label: Option<String>,
    ) -> Self {
        Flow {
            uses_thread_sleep,
            sleepy_fns,
            control_macros,
            opaque_macro: None,
            counters: HashSet::new(),
            error_names: HashSet::new(),
            decision_vars: HashMap::new(),
            guards: Vec::new(),
            nested: Vec::new(),
            label,
            exit_value: None,
            awaited: false,
            value_guards: None,
            sleeps: Vec::new(),
            exits: Vec::new(),
            loop_back: States::NONE,
            first_error: None,
            lets: HashMap::new(),
            assigns: Vec::new(),
            pattern_bindings: Vec::new(),
            awaits: false,
            slept_before_error: false,
            while_observes_error: false,
            classified_result: false,
        }
    }

    /// Counters: `x += 1`, `x = x + 1`, `self.n += 1` in the body, and the
    /// loop variable of a `for` over a range.
    pub(super) fn find_counters(&mut self, body: &'ast syn::Block, for_var: Option<&Pat>) {
        struct C<'a>(&'a mut HashSet<String>);
        impl<'ast> Visit<'ast> for C<'_> {
            fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
            fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
            fn visit_item(&mut self, _: &'ast syn::Item) {}
            fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
                if matches!(b.op, BinOp::AddAssign(_) | BinOp::SubAssign(_)) {
                    let t = expr_path_text(&b.left);
                    if !t.is_empty() {
                        self.0.insert(t);
                    }
                }
                visit::visit_expr_binary(self, b);
            }
            fn visit_expr_assign(&mut self, a: &'ast syn::ExprAssign) {
                let t = expr_path_text(&a.left);
                let counts = match &*a.right {
                    Expr::Binary(b) => {
                        matches!(b.op, BinOp::Add(_)) && expr_path_text(&b.left) == t
                    }
                    Expr::MethodCall(m) => {
                        m.method.to_string().ends_with("add") && expr_path_text(&m.receiver) == t
                    }
                    _ => false,
                };
                if counts && !t.is_empty() {
                    self.0.insert(t);
                }
                visit::visit_expr_assign(self, a);
            }
        }
        C(&mut self.counters).visit_block(body);
        if let Some(p) = for_var {
            let mut names = Vec::new();
            pat_names(p, &mut names);
            self.counters.extend(names);
        }
    }

    /// A counted-up name, or one that reads as an attempt counter.
    pub(super) fn is_counter_name(&self, name: &str) -> bool {
        self.counters.contains(name) || counter_like(name)
    }

    fn is_counter(&self, e: &Expr) -> bool {
        let t = expr_path_text(e);
        !t.is_empty() && (self.counters.contains(&t) || counter_like(&t))
    }

    /// What a condition tests (see the module docs).
    /// Walk a `while` condition; the states the body starts in and what
    /// the condition tests.
    pub(super) fn enter_while(&mut self, cond: &'ast Expr) -> (States, u8) {
        let s = self.expr(cond, States::START);
        if let Expr::Let(l) = cond {
            self.bind_pattern(&l.pat, &l.expr);
        }
        let (tp, _) = self.polarity(cond);
        self.while_observes_error = tp == Pol::Err;
        let bits = self.cond_bits(cond);
        (self.apply(tp, s, cond.span()), bits)
    }

    fn observe(&mut self, s: States, at: PmSpan) -> States {
        self.note_error(at);
        if s.0 & OK_SLEPT != 0 {
            self.slept_before_error = true;
        }
        s.observe_err()
    }

    fn note_error(&mut self, at: PmSpan) {
        let pos = at.byte_range().start;
        self.first_error = Some(self.first_error.map_or(pos, |p| p.min(pos)));
    }

    fn apply(&mut self, pol: Pol, s: States, at: PmSpan) -> States {
        match pol {
            Pol::Keep => s,
            Pol::Err => self.observe(s, at),
            Pol::Ok => s.to_poll(),
            Pol::Maybe => {
                let e = self.observe(s, at);
                s.to_poll().union(e)
            }
        }
    }

    fn with_guard<T>(&mut self, bits: u8, span: PmSpan, f: impl FnOnce(&mut Self) -> T) -> T {
        if let Some(v) = &mut self.value_guards {
            v.push(Cond { bits, span });
        }
        self.guards.push(Cond { bits, span });
        let r = f(self);
        self.guards.pop();
        r
    }

    /// Record an exit; `extra` is what the exit itself tests (a `?` on a
    /// policy's next delay), with where.
    fn exit(
        &mut self,
        kind: ExitKind,
        states: States,
        (extra, at): (u8, Option<PmSpan>),
        ok: bool,
        err: bool,
    ) {
        if states.is_empty() {
            return;
        }
        let mut guards = extra;
        let mut limit = at.filter(|_| extra & guard::LIMIT != 0);
        let mut decided = None;
        let inside = self.value_guards.iter().flatten();
        for c in self.guards.iter().rev().chain(inside) {
            guards |= c.bits;
            if limit.is_none() && c.bits & guard::LIMIT != 0 {
                limit = Some(c.span);
            }
            if decided.is_none() && c.bits & guard::DECIDED != 0 {
                decided = Some(c.span);
            }
        }
        let inner = self.guards.last().map_or(0, |c| c.bits) | extra;
        self.exits.push(Exit {
            kind,
            states,
            guards,
            inner,
            own: extra,
            ok_value: ok,
            err_value: err,
            limit,
            decided,
        });
    }

    pub(super) fn block(&mut self, b: &'ast syn::Block, mut s: States) -> States {
        for stmt in &b.stmts {
            if s.is_empty() {
                break;
            }
            s = self.stmt(stmt, s);
        }
        s
    }

    fn stmt(&mut self, stmt: &'ast Stmt, s: States) -> States {
        match stmt {
            Stmt::Local(l) => self.local(l, s),
            Stmt::Expr(e, _) => self.expr(e, s),
            Stmt::Macro(m) => self.mac(&m.mac, s),
            Stmt::Item(_) => s,
        }
    }

    fn mentions_error(&self, e: &Expr) -> bool {
        struct M<'a>(&'a HashSet<String>, bool);
        impl<'ast> Visit<'ast> for M<'_> {
            fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
                if self.0.contains(&i.to_string()) {
                    self.1 = true;
                }
            }
        }
        let mut m = M(&self.error_names, false);
        m.visit_expr(e);
        m.1
    }

    fn mac(&mut self, m: &'ast syn::Macro, s: States) -> States {
        let name = m.path.segments.last().map(|x| x.ident.to_string());
        if let Some(n) = &name {
            let local = self.control_macros.contains(n);
            // `info!("slept {sleep:?}")` names a variable; a `select!` arm
            // that `continue`s jumps.
            if local || super::prepass::tokens_jump(&m.tokens, false) {
                self.opaque_macro.get_or_insert_with(|| n.clone());
            }
        }
        match name.as_deref() {
            Some("bail" | "panic" | "unreachable" | "todo" | "unimplemented") => {
                self.exit(ExitKind::Return, s, (0, None), false, true);
                States::NONE
            }
            Some("ensure") => {
                self.exit(ExitKind::Return, s, (guard::NEUTRAL, None), false, true);
                s
            }
            _ => s,
        }
    }

    fn is_sleep_call(&self, c: &syn::ExprCall) -> Option<bool> {
        let Expr::Path(p) = &*c.func else { return None };
        let (prev, last) = last2(&p.path);
        let l = last?.to_string();
        let sleep = sleep_like(&l, c.args.len(), self.awaited)
            || (matches!(l.as_str(), "new" | "after") && (is(prev, "Delay") || is(prev, "Timer")))
            || self.sleepy_fns.contains(&l);
        sleep.then(|| is(prev, "thread") || (prev.is_none() && self.uses_thread_sleep))
    }

    /// The delay argument of a sleep-like call, when it has one.
    fn sleep_arg<'e>(
        name: &str,
        args: &'e syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Option<&'e Expr> {
        let takes_delay =
            name.contains("sleep") || matches!(name, "delay" | "delay_for" | "new" | "after");
        if args.len() == 1 && takes_delay {
            args.first()
        } else {
            None
        }
    }

    pub(super) fn expr(&mut self, e: &'ast Expr, s: States) -> States {
        if s.is_empty() {
            return s;
        }
        match e {
            Expr::Return(r) => {
                self.exit_value(r.expr.as_deref(), s, ExitKind::Return);
                States::NONE
            }
            Expr::Break(b) => self.break_expr(b, s),
            Expr::Continue(c) => self.continue_expr(c, s),
            Expr::Try(t) => {
                let s = self.expr(&t.expr, s);
                let limit = if asks_for_delay(&t.expr) {
                    guard::LIMIT
                } else if conditions::reads_time(&t.expr) {
                    guard::LIMIT | guard::TIME
                } else {
                    0
                };
                self.exit(ExitKind::Try, s, (limit, Some(t.span())), false, true);
                s
            }
            Expr::If(i) => self.if_expr(i, s),
            Expr::Match(m) => self.match_expr(m, s),
            Expr::Block(b) => self.block(&b.block, s),
            Expr::Unsafe(u) => self.block(&u.block, s),
            Expr::Loop(l) => {
                let label = l.label.as_ref().map(|x| x.name.ident.to_string());
                self.nested_loop(label, s, |f, s| f.block(&l.body, s))
            }
            Expr::While(w) => {
                let label = w.label.as_ref().map(|x| x.name.ident.to_string());
                let s = self.expr(&w.cond, s);
                self.nested_loop(label, s, |f, s| f.block(&w.body, s))
            }
            Expr::ForLoop(fl) => {
                let label = fl.label.as_ref().map(|x| x.name.ident.to_string());
                let s = self.expr(&fl.expr, s);
                self.nested_loop(label, s, |f, s| f.block(&fl.body, s))
            }
            Expr::Closure(_) | Expr::Async(_) | Expr::Const(_) => s,
            Expr::Call(c) => self.call(c, s),
            Expr::MethodCall(m) => self.method_call(m, s),
            Expr::Await(a) => {
                self.awaits = true;
                let awaited = std::mem::replace(&mut self.awaited, true);
                let s = match &*a.base {
                    Expr::Call(c) => self.call(c, s),
                    Expr::MethodCall(m) => self.method_call(m, s),
                    other => {
                        self.awaited = false;
                        self.expr(other, s)
                    }
                };
                self.awaited = awaited;
                s
            }
            Expr::Macro(m) => self.mac(&m.mac, s),
            Expr::Assign(a) => {
                let s = self.expr(&a.right, s);
                self.assign(&a.left, &a.right, None, a.span());
                s
            }
            Expr::Binary(b) => {
                if is_assign_op(&b.op) {
                    let s = self.expr(&b.right, s);
                    self.assign(&b.left, &b.right, Some(b.op), b.span());
                    return s;
                }
                let s = self.expr(&b.left, s);
                self.expr(&b.right, s)
            }
            Expr::Let(l) => self.expr(&l.expr, s),
            Expr::Unary(u) => self.expr(&u.expr, s),
            Expr::Paren(p) => self.expr(&p.expr, s),
            Expr::Group(g) => self.expr(&g.expr, s),
            Expr::Field(f) => self.expr(&f.base, s),
            Expr::Cast(c) => self.expr(&c.expr, s),
            Expr::Reference(r) => self.expr(&r.expr, s),
            Expr::Index(i) => {
                let s = self.expr(&i.expr, s);
                self.expr(&i.index, s)
            }
            Expr::Tuple(t) => t.elems.iter().fold(s, |s, e| self.expr(e, s)),
            Expr::Array(a) => a.elems.iter().fold(s, |s, e| self.expr(e, s)),
            Expr::Struct(st) => st.fields.iter().fold(s, |s, f| self.expr(&f.expr, s)),
            _ => s,
        }
    }

    fn break_expr(&mut self, b: &'ast syn::ExprBreak, s: States) -> States {
        let ours = match (&b.label, self.nested.is_empty()) {
            (None, true) => true,
            (None, false) => false,
            (Some(l), _) => {
                let l = l.ident.to_string();
                self.label.as_deref() == Some(l.as_str())
                    || !self
                        .nested
                        .iter()
                        .any(|(n, _)| n.as_deref() == Some(l.as_str()))
            }
        };
        if ours {
            self.exit_value(b.expr.as_deref(), s, ExitKind::Break);
        } else if let Some(last) = self.nested.last_mut() {
            last.1 = last.1.union(s);
        }
        States::NONE
    }

    fn continue_expr(&mut self, c: &'ast syn::ExprContinue, s: States) -> States {
        let label = c.label.as_ref().map(|l| l.ident.to_string());
        let ours = match &label {
            None => self.nested.is_empty(),
            Some(l) => self.label.as_deref() == Some(l.as_str()),
        };
        let inner = label
            .as_ref()
            .is_none_or(|l| self.nested.iter().any(|(n, _)| n.as_ref() == Some(l)));
        if ours {
            self.loop_back = self.loop_back.union(s);
        } else if !inner {
            // `continue 'outer`: this loop is left.
            self.exit(ExitKind::Break, s, (0, None), false, false);
        } else if let Some(last) = self.nested.last_mut() {
            last.1 = last.1.union(s);
        }
        States::NONE
    }

    fn call(&mut self, c: &'ast syn::ExprCall, s: States) -> States {
        // Only this call is awaited, not its arguments.
        let awaited = std::mem::replace(&mut self.awaited, false);
        let mut s = self.expr(&c.func, s);
        for a in &c.args {
            s = self.expr(a, s);
        }
        self.awaited = awaited;
        if let Some(is_thread) = self.is_sleep_call(c) {
            let name = match &*c.func {
                Expr::Path(p) => last2(&p.path).1.map(|i| i.to_string()).unwrap_or_default(),
                _ => String::new(),
            };
            return self.sleep(c.span(), Self::sleep_arg(&name, &c.args), is_thread, s);
        }
        if let (Some(v), Expr::Path(p)) = (&mut self.exit_value, &*c.func) {
            let last = last2(&p.path).1;
            v.0 |= is(last, "Ok");
            v.1 |= is(last, "Err");
        }
        s
    }

    fn method_call(&mut self, m: &'ast syn::ExprMethodCall, s: States) -> States {
        let awaited = std::mem::replace(&mut self.awaited, false);
        let mut s = self.expr(&m.receiver, s);
        for a in &m.args {
            s = self.expr(a, s);
        }
        self.awaited = awaited;
        let name = m.method.to_string();
        if sleep_like(&name, m.args.len(), self.awaited) || self.sleepy_fns.contains(&name) {
            return self.sleep(m.span(), Self::sleep_arg(&name, &m.args), false, s);
        }
        s
    }

    fn sleep(
        &mut self,
        span: PmSpan,
        arg: Option<&'ast Expr>,
        is_thread: bool,
        s: States,
    ) -> States {
        if !self.nested.is_empty() {
            // A sleep of a nested loop is that loop's retry, analysed on
            // its own: to this loop it is part of an operation.
            return s;
        }
        let limit = self
            .guards
            .iter()
            .rev()
            .find(|c| c.bits & guard::LIMIT != 0)
            .map(|c| c.span);
        self.sleeps.push(Sleep {
            span,
            arg,
            is_thread,
            on_error: s.has_err(),
            before_error: s.0 & (OK | OK_SLEPT) != 0,
            polling: s.0 & POLL != 0,
            limit,
        });
        s.slept()
    }

    fn exit_value(&mut self, value: Option<&'ast Expr>, s: States, kind: ExitKind) {
        let saved = self.exit_value.replace((false, false));
        let saved_guards = self.value_guards.replace(Vec::new());
        let s = match value {
            Some(v) => self.expr(v, s),
            None => s,
        };
        let (ok, err) = self.exit_value.take().unwrap_or_default();
        self.exit_value = saved;
        self.exit(kind, s, (0, None), ok, err);
        let inner = self.value_guards.take().unwrap_or_default();
        self.value_guards = saved_guards;
        if let Some(outer) = &mut self.value_guards {
            outer.extend(inner);
        }
    }

    fn assign(&mut self, left: &'ast Expr, right: &'ast Expr, op: Option<BinOp>, at: PmSpan) {
        let name = expr_path_text(left);
        if name.is_empty() {
            return;
        }
        if self.mentions_error(right) {
            self.error_names.insert(name.clone());
        }
        self.assigns.push((name, right, op, at.byte_range().start));
    }

    fn nested_loop(
        &mut self,
        label: Option<String>,
        s: States,
        body: impl FnOnce(&mut Self, States) -> States,
    ) -> States {
        self.nested.push((label, States::NONE));
        let out = body(self, s);
        let (_, broke) = self.nested.pop().unwrap_or_default();
        s.union(out).union(broke)
    }
}

/// A call that waits between attempts: `sleep(d)`, `Runtime::sleep(d)`,
/// `read_and_sleep(..)`; `executor.delay(d).await` and
/// `self.wait(attempt, hint).await` only when awaited with arguments
/// (`child.wait()` waits for a process, `let d = wait_for(n)` computes a
/// delay).
fn sleep_like(name: &str, args: usize, awaited: bool) -> bool {
    name.contains("sleep")
        || name == "delay_for"
        || (awaited && args > 0 && (matches!(name, "delay" | "wait") || name.starts_with("wait_")))
}

fn is_assign_op(op: &BinOp) -> bool {
    matches!(
        op,
        BinOp::AddAssign(_)
            | BinOp::SubAssign(_)
            | BinOp::MulAssign(_)
            | BinOp::DivAssign(_)
            | BinOp::ShlAssign(_)
            | BinOp::ShrAssign(_)
            | BinOp::RemAssign(_)
            | BinOp::BitOrAssign(_)
            | BinOp::BitAndAssign(_)
            | BinOp::BitXorAssign(_)
    )
}
