//! What a condition, a scrutinee or a pattern tests: a limit, a
//! classification, a policy's decision, success, or an error.

use proc_macro2::Span as PmSpan;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{BinOp, Expr, Pat};

use super::{guard, Flow};
use crate::extract::syntax::{is, last2};

/// A policy object's "next delay" method: `next()`, `next_backoff()`, ...
pub(super) fn is_next_method(name: &str) -> bool {
    name == "next" || name.starts_with("next_")
}

/// A call that classifies an error or asks a policy whether to retry.
pub(super) fn is_classifier(name: &str) -> bool {
    const NAMES: &[&str] = &[
        "should_retry",
        "is_retryable",
        "is_retriable",
        "retryable",
        "is_transient",
        "is_temporary",
        "is_recoverable",
        "is_permanent",
        "is_fatal",
        "is_timeout",
        "is_connect",
        "is_server_error",
        "is_client_error",
        "on_error",
        "on_failure",
        "test",
        "retry_method",
        "can_retry",
        "allow_retry",
        "check_retry",
        "retry_decision",
        "decide",
        "evaluate",
    ];
    NAMES.contains(&name)
        || name.contains("transient")
        || name.contains("permanent")
        || name.starts_with("classify")
        || name.starts_with("should_retry")
        || (name.contains("retr")
            && ["is_", "should", "can_", "allow", "check", "may_"]
                .iter()
                .any(|p| name.starts_with(p)))
}

/// A receiver that is a retry policy or strategy object, not the error.
pub(super) fn is_policy_object(e: &Expr) -> bool {
    let t = expr_path_text(e).to_ascii_lowercase();
    [
        "policy",
        "strategy",
        "retry",
        "retrier",
        "backoff",
        "classifier",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// `a.b.c` / `a.b()` / `self.x` as text, for naming receivers and fields.
pub(crate) fn expr_path_text(e: &Expr) -> String {
    match e {
        Expr::Path(p) => p
            .path
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect::<Vec<_>>()
            .join("::"),
        Expr::Field(f) => {
            let m = match &f.member {
                syn::Member::Named(i) => i.to_string(),
                syn::Member::Unnamed(i) => i.index.to_string(),
            };
            format!("{}.{m}", expr_path_text(&f.base))
        }
        Expr::MethodCall(m) => format!("{}.{}()", expr_path_text(&m.receiver), m.method),
        Expr::Paren(p) => expr_path_text(&p.expr),
        Expr::Reference(r) => expr_path_text(&r.expr),
        Expr::Unary(u) => expr_path_text(&u.expr),
        Expr::Await(a) => expr_path_text(&a.base),
        Expr::Try(t) => expr_path_text(&t.expr),
        _ => String::new(),
    }
}

/// Names that read as attempt counters.
pub(super) fn counter_like(name: &str) -> bool {
    let n = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let words: Vec<&str> = n.split('_').collect();
    let has = |w: &[&str]| words.iter().any(|x| w.contains(x));
    has(&[
        "attempt",
        "attempts",
        "retries",
        "tries",
        "tried",
        "try",
        "reconnects",
    ]) || (has(&["retry", "retrying"]) && has(&["count", "num", "number", "n", "no"]))
        || matches!(n.as_str(), "n" | "i" | "count")
}

/// Names that read as time limits.
pub(super) fn time_like(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "deadline",
        "elapsed",
        "timeout",
        "expire",
        "until",
        "remaining_time",
        "time_left",
        "time_remaining",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// The call at the root of a method chain (`x.next().ok_or(e)` → `x.next()`),
/// if it is a policy's `next*()`; returns the policy receiver.
pub(crate) fn policy_next(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::MethodCall(m) if is_next_method(&m.method.to_string()) && m.args.is_empty() => {
            Some(&m.receiver)
        }
        Expr::MethodCall(m) => policy_next(&m.receiver),
        Expr::Await(a) => policy_next(&a.base),
        Expr::Try(t) => policy_next(&t.expr),
        Expr::Paren(p) => policy_next(&p.expr),
        _ => None,
    }
}

/// A call that asks a policy for the next delay: `backoff.next()`,
/// `next_reconnection_delay(inner)`, `policy.next_delay(attempt)`,
/// `self.compute_backoff(n)`. Its `None` / `Err` means the policy is done.
pub(crate) fn asks_for_delay(e: &Expr) -> bool {
    let name_asks = |n: &str| {
        let n = n.to_ascii_lowercase();
        n.starts_with("next") || n.contains("delay") || n.contains("backoff")
    };
    match e {
        Expr::MethodCall(m) => name_asks(&m.method.to_string()) || asks_for_delay(&m.receiver),
        Expr::Call(c) => match &*c.func {
            Expr::Path(p) => p
                .path
                .segments
                .last()
                .is_some_and(|s| name_asks(&s.ident.to_string())),
            _ => false,
        },
        Expr::Await(a) => asks_for_delay(&a.base),
        Expr::Try(t) => asks_for_delay(&t.expr),
        Expr::Paren(p) => asks_for_delay(&p.expr),
        _ => false,
    }
}

/// A call somewhere inside `e`, closures and call arguments included, that
/// asks a policy object for its next delay: `self.backoff.next_backoff()`
/// in `hint.or_else(|| self.backoff.next_backoff())`, `policy.next()` in
/// `adjust(&err, policy.next())`. A bare iterator's `next()` (`ids.next()`)
/// is not one: the receiver or the method must be named for a policy or a
/// delay. Returns the policy's receiver.
pub(crate) fn find_policy_next(e: &Expr) -> Option<&Expr> {
    struct P<'ast>(Option<&'ast Expr>);
    impl<'ast> Visit<'ast> for P<'ast> {
        fn visit_item(&mut self, _: &'ast syn::Item) {}
        fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
            let n = m.method.to_string();
            if self.0.is_none()
                && is_next_method(&n)
                && (is_policy_object(&m.receiver)
                    || names_a_delay(&n)
                    || names_a_delay(&expr_path_text(&m.receiver)))
            {
                self.0 = Some(&m.receiver);
            }
            visit::visit_expr_method_call(self, m);
        }
    }
    let mut p = P(None);
    p.visit_expr(e);
    p.0
}

fn names_a_delay(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    ["delay", "backoff", "wait", "interval", "schedule"]
        .iter()
        .any(|w| n.contains(w))
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pol {
    /// Nothing learnt.
    Keep,
    /// An error was observed.
    Err,
    /// The call succeeded.
    Ok,
    /// Either: `Ok(Some(_))` failed to match (not ready yet, or an error).
    Maybe,
}

/// What an arm's or `if let`'s pattern says about the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PatKind {
    /// `Err(..)`; `specific` when it names a variant inside.
    Err {
        specific: bool,
    },
    Ok,
    /// `Ok(Some(..))`, `Ok(Ready)`: success of a particular kind.
    OkSpecific,
    None,
    Some,
    Wild,
    Other,
}

/// A match arm's pattern and its `if` guard (syn 3 keeps the guard in the
/// pattern).
pub(super) fn split_guard(p: &Pat) -> (&Pat, Option<&Expr>) {
    match p {
        Pat::Guard(g) => (&g.pat, Some(&g.guard)),
        _ => (p, None),
    }
}

pub(super) fn pat_kind(p: &Pat) -> PatKind {
    if retry_variant(p) {
        return PatKind::Err { specific: true };
    }
    match p {
        Pat::TupleStruct(ts) => {
            let last = last2(&ts.path).1;
            let inner = ts.elems.first();
            if is(last, "Err") {
                let specific = inner.is_some_and(|i| !matches!(i, Pat::Ident(_) | Pat::Wild(_)));
                PatKind::Err { specific }
            } else if is(last, "Ok") {
                match inner.map(pat_kind) {
                    Some(PatKind::Err { specific }) => PatKind::Err { specific },
                    Some(PatKind::Wild) | None => PatKind::Ok,
                    Some(_) => PatKind::OkSpecific,
                }
            } else if is(last, "Some") {
                PatKind::Some
            } else {
                PatKind::Other
            }
        }
        Pat::Path(pp) if is(last2(&pp.path).1, "None") => PatKind::None,
        // A bare `None` parses as an identifier pattern.
        Pat::Ident(i) if i.ident == "None" && i.subpat.is_none() => PatKind::None,
        Pat::Ident(i) if i.subpat.is_none() => PatKind::Wild,
        Pat::Wild(_) => PatKind::Wild,
        Pat::Or(o) => {
            let kinds: Vec<PatKind> = o.cases.iter().map(pat_kind).collect();
            if kinds.iter().all(|k| matches!(k, PatKind::Err { .. })) {
                PatKind::Err { specific: true }
            } else {
                kinds.first().copied().unwrap_or(PatKind::Other)
            }
        }
        Pat::Paren(pp) => pat_kind(&pp.pat),
        Pat::Reference(r) => pat_kind(&r.pat),
        _ => PatKind::Other,
    }
}

/// A pattern that names an outcome to retry: a variant named for
/// retrying (`Attempt::Retry(e)`, `Some(Kind::Transient)`,
/// `Decision::RetryAfter { .. }`), or `ControlFlow::Continue(e)` carrying a
/// value. The operation or a strategy classified the result as a failure
/// to retry. `ControlFlow::Continue(())` carries nothing: not ready yet.
pub(super) fn retry_variant(p: &Pat) -> bool {
    match p {
        Pat::TupleStruct(ts) => {
            let (prev, last) = last2(&ts.path);
            let carries = ts.elems.iter().any(|e| {
                !matches!(e, Pat::Wild(_) | Pat::Rest(_))
                    && !matches!(e, Pat::Tuple(t) if t.elems.is_empty())
            });
            let wraps = (is(last, "Some") || is(last, "Ok")) && ts.elems.len() == 1;
            (is(prev, "ControlFlow") && is(last, "Continue") && carries)
                || (wraps && ts.elems.first().is_some_and(retry_variant))
                || (!wraps && names_retry(last))
        }
        Pat::Path(pp) => pp.path.segments.len() > 1 && names_retry(last2(&pp.path).1),
        Pat::Struct(st) => names_retry(last2(&st.path).1),
        Pat::Paren(pp) => retry_variant(&pp.pat),
        Pat::Reference(r) => retry_variant(&r.pat),
        _ => false,
    }
}

/// `x == Kind::Transient`, `x == Some(Kind::Transient)`: a comparison with
/// a variant named for retrying.
pub(super) fn compares_retry_variant(e: &Expr) -> Option<bool> {
    fn names(e: &Expr) -> bool {
        match e {
            Expr::Path(p) => p.path.segments.len() > 1 && names_retry(last2(&p.path).1),
            Expr::Call(c) => match &*c.func {
                Expr::Path(p) if is(last2(&p.path).1, "Some") => c.args.iter().any(names),
                Expr::Path(p) => p.path.segments.len() > 1 && names_retry(last2(&p.path).1),
                _ => false,
            },
            Expr::Paren(p) => names(&p.expr),
            Expr::Reference(r) => names(&r.expr),
            _ => false,
        }
    }
    match e {
        Expr::Binary(b) if matches!(b.op, BinOp::Eq(_) | BinOp::Ne(_)) => {
            (names(&b.left) || names(&b.right)).then_some(matches!(b.op, BinOp::Eq(_)))
        }
        Expr::Paren(p) => compares_retry_variant(&p.expr),
        _ => None,
    }
}

fn names_retry(id: Option<&proc_macro2::Ident>) -> bool {
    id.is_some_and(|i| {
        let n = i.to_string().to_ascii_lowercase();
        n.contains("retry") || n.contains("retri") || n.contains("transient")
    })
}

/// Identifiers bound by a pattern.
pub(super) fn pat_names(p: &Pat, out: &mut Vec<String>) {
    struct N<'a>(&'a mut Vec<String>);
    impl<'ast> Visit<'ast> for N<'_> {
        fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
            self.0.push(i.ident.to_string());
            visit::visit_pat_ident(self, i);
        }
    }
    N(out).visit_pat(p);
}

/// An `*error*()` / `*err*()` method or an `error*` field: `Some(..)` of
/// it is an error.
pub(super) fn is_error_method(e: &Expr) -> bool {
    match e {
        Expr::Field(f) => {
            matches!(&f.member, syn::Member::Named(n) if n.to_string().contains("error"))
        }
        Expr::MethodCall(m) => {
            let n = m.method.to_string();
            n.contains("error") || n.ends_with("_err") || n.ends_with("errors")
        }
        Expr::Await(a) => is_error_method(&a.base),
        _ => false,
    }
}

impl<'ast> Flow<'ast> {
    pub(super) fn cond_bits(&self, e: &Expr) -> u8 {
        struct B<'a, 'ast> {
            flow: &'a Flow<'ast>,
            bits: u8,
        }
        impl<'ast> Visit<'ast> for B<'_, '_> {
            // A pattern binds names; it does not read them.
            fn visit_pat(&mut self, _: &'ast Pat) {}
            fn visit_expr_binary(&mut self, b: &'ast syn::ExprBinary) {
                let cmp = matches!(
                    b.op,
                    BinOp::Lt(_)
                        | BinOp::Le(_)
                        | BinOp::Gt(_)
                        | BinOp::Ge(_)
                        | BinOp::Eq(_)
                        | BinOp::Ne(_)
                );
                if cmp {
                    let side = |e: &Expr| {
                        let mut c = SideScan::default();
                        c.visit_expr(e);
                        c
                    };
                    let (l, r) = (side(&b.left), side(&b.right));
                    if self.flow.is_counter(&b.left)
                        || self.flow.is_counter(&b.right)
                        || l.counter_names
                            .iter()
                            .chain(&r.counter_names)
                            .any(|n| self.flow.counters.contains(n) || counter_like(n))
                    {
                        self.bits |= guard::LIMIT;
                    }
                    if l.time || r.time {
                        self.bits |= guard::LIMIT | guard::TIME;
                    }
                }
                visit::visit_expr_binary(self, b);
            }
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                let n = m.method.to_string();
                if [
                    "exhaust",
                    "expired",
                    "reached",
                    "exceeded",
                    "limit",
                    "_left",
                    "remaining",
                ]
                .iter()
                .any(|w| n.contains(w))
                {
                    self.bits |= guard::LIMIT;
                }
                if (n == "is_none" || n == "is_some" || n == "is_err")
                    && asks_for_delay(&m.receiver)
                {
                    self.bits |= guard::LIMIT;
                }
                if is_classifier(&n) {
                    self.bits |= guard::CLASSIFY;
                    if is_policy_object(&m.receiver) {
                        self.bits |= guard::DECIDED;
                    }
                }
                if matches!(n.as_str(), "is_ok" | "is_success") {
                    self.bits |= guard::SUCCESS;
                }
                visit::visit_expr_method_call(self, m);
            }
            fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
                if let Expr::Path(p) = &*c.func {
                    if let Some(last) = last2(&p.path).1 {
                        if is_classifier(&last.to_string()) {
                            self.bits |= guard::CLASSIFY;
                        }
                    }
                }
                visit::visit_expr_call(self, c);
            }
            fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
                let s = i.to_string();
                if self.flow.error_names.contains(&s) {
                    self.bits |= guard::CLASSIFY;
                }
                if let Some((b, _)) = self.flow.decision_vars.get(&s) {
                    self.bits |= *b;
                }
            }
        }
        let mut b = B {
            flow: self,
            bits: 0,
        };
        b.visit_expr(e);
        if b.bits == 0 {
            guard::NEUTRAL
        } else {
            b.bits
        }
    }

    /// A scrutinee whose `None` is a policy running out although the
    /// policy's `next*()` is not its root: it is wrapped in an `Option`
    /// combinator or passed to a call (`hint.or_else(|| backoff.next())`,
    /// `adjust(&err, policy.next())`), directly or through a local bound in
    /// the loop body (`let d = adjust(..); match d`). Returns the
    /// expression that holds the call, to name the limit by.
    pub(super) fn wraps_policy_next(&self, e: &Expr) -> Option<PmSpan> {
        if asks_for_delay(e) {
            return None;
        }
        let local = match e {
            Expr::Path(p) => p
                .path
                .get_ident()
                .and_then(|i| self.lets.get(&i.to_string()).copied()),
            _ => None,
        };
        let held: &Expr = local.unwrap_or(e);
        find_policy_next(held).map(|_| held.span())
    }

    /// The decision call a condition or scrutinee depends on, if any.
    pub(super) fn decided_span(&self, e: &Expr) -> Option<PmSpan> {
        struct D<'a, 'ast>(&'a Flow<'ast>, Option<PmSpan>);
        impl<'ast> Visit<'ast> for D<'_, '_> {
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                if self.1.is_none()
                    && is_classifier(&m.method.to_string())
                    && is_policy_object(&m.receiver)
                {
                    self.1 = Some(m.span());
                }
                visit::visit_expr_method_call(self, m);
            }
            fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
                if self.1.is_none() {
                    if let Some((b, s)) = self.0.decision_vars.get(&i.to_string()) {
                        if b & guard::DECIDED != 0 {
                            self.1 = Some(*s);
                        }
                    }
                }
            }
        }
        let mut d = D(self, None);
        d.visit_expr(e);
        d.1
    }

    /// (then, else) polarity of a condition.
    pub(super) fn polarity(&self, e: &Expr) -> (Pol, Pol) {
        match e {
            Expr::Paren(p) => self.polarity(&p.expr),
            Expr::Group(g) => self.polarity(&g.expr),
            Expr::Unary(u) if matches!(u.op, syn::UnOp::Not(_)) => {
                let (t, f) = self.polarity(&u.expr);
                (f, t)
            }
            Expr::MethodCall(m) => {
                let n = m.method.to_string();
                match n.as_str() {
                    "is_err" | "is_server_error" | "is_client_error" => (Pol::Err, Pol::Ok),
                    "is_ok" | "is_success" => (Pol::Ok, Pol::Err),
                    _ if (n.starts_with("is_") || n.starts_with("has_")) && n.contains("error") => {
                        (Pol::Err, Pol::Keep)
                    }
                    // `e.is_transient()`, `policy.should_retry(&e)`,
                    // `RETRYABLE.contains(&status)`: true means a failure.
                    _ if is_classifier(&n) || reads_retry_names(e) => (Pol::Err, Pol::Keep),
                    _ => (Pol::Keep, Pol::Keep),
                }
            }
            Expr::Call(c) => match &*c.func {
                Expr::Path(p)
                    if last2(&p.path)
                        .1
                        .is_some_and(|l| is_classifier(&l.to_string())) =>
                {
                    (Pol::Err, Pol::Keep)
                }
                _ => (Pol::Keep, Pol::Keep),
            },
            Expr::Path(p) => match p.path.get_ident() {
                // `let transient = is_transient(&r); if transient { .. }`
                Some(i) if self.decision_vars.contains_key(&i.to_string()) => (Pol::Err, Pol::Keep),
                _ => (Pol::Keep, Pol::Keep),
            },
            Expr::Let(l) => match pat_kind(&l.pat) {
                PatKind::Err { .. } => (Pol::Err, Pol::Ok),
                PatKind::Ok => (Pol::Ok, Pol::Err),
                PatKind::OkSpecific => (Pol::Ok, Pol::Maybe),
                PatKind::Some if is_error_method(&l.expr) => (Pol::Err, Pol::Keep),
                _ => (Pol::Keep, Pol::Keep),
            },
            Expr::Binary(_) if compares_retry_variant(e).is_some() => {
                if compares_retry_variant(e) == Some(true) {
                    (Pol::Err, Pol::Keep)
                } else {
                    (Pol::Keep, Pol::Err)
                }
            }
            Expr::Binary(b) if matches!(b.op, BinOp::And(_)) => {
                let (l, r) = (self.polarity(&b.left), self.polarity(&b.right));
                if l.0 == Pol::Err || r.0 == Pol::Err {
                    (Pol::Err, Pol::Keep)
                } else if l.0 == Pol::Ok || r.0 == Pol::Ok {
                    (Pol::Ok, Pol::Keep)
                } else {
                    (Pol::Keep, Pol::Keep)
                }
            }
            Expr::Binary(b) if matches!(b.op, BinOp::Or(_)) => {
                let (l, r) = (self.polarity(&b.left), self.polarity(&b.right));
                if l.1 == Pol::Err || r.1 == Pol::Err {
                    (Pol::Keep, Pol::Err)
                } else if l.1 == Pol::Ok || r.1 == Pol::Ok {
                    (Pol::Keep, Pol::Ok)
                } else {
                    (Pol::Keep, Pol::Keep)
                }
            }
            _ => (Pol::Keep, Pol::Keep),
        }
    }
}

/// Whether an expression reads a value named for retrying
/// (`retry_status_codes`, `RETRYABLE`), as a test of a response would.
fn reads_retry_names(e: &Expr) -> bool {
    struct R(bool);
    impl<'ast> Visit<'ast> for R {
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            let s = i.to_string().to_ascii_lowercase();
            if s.contains("retry")
                || s.contains("retryable")
                || s.contains("retriable")
                || s.contains("transient")
            {
                self.0 = true;
            }
        }
    }
    let mut r = R(false);
    r.visit_expr(e);
    r.0
}

/// Whether an expression reads a clock or a deadline
/// (`deadline_as_timeout(deadline)?`, `start.elapsed()`).
pub(super) fn reads_time(e: &Expr) -> bool {
    let mut s = SideScan::default();
    s.visit_expr(e);
    s.time
}

/// What one side of a comparison reads.
#[derive(Default)]
pub(super) struct SideScan {
    time: bool,
    counter_names: Vec<String>,
}

impl<'ast> Visit<'ast> for SideScan {
    fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
        let n = m.method.to_string();
        if n == "elapsed" || n == "now" || time_like(&n) {
            self.time = true;
        }
        visit::visit_expr_method_call(self, m);
    }
    fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
        if let Expr::Path(p) = &*c.func {
            if is(last2(&p.path).1, "now") {
                self.time = true;
            }
        }
        visit::visit_expr_call(self, c);
    }
    fn visit_expr_path(&mut self, p: &'ast syn::ExprPath) {
        if let Some(i) = p.path.get_ident() {
            let s = i.to_string();
            if time_like(&s) {
                self.time = true;
            }
            self.counter_names.push(s);
        }
        visit::visit_expr_path(self, p);
    }
    fn visit_expr_field(&mut self, f: &'ast syn::ExprField) {
        let t = expr_path_text(&Expr::Field(f.clone()));
        if let syn::Member::Named(n) = &f.member {
            if time_like(&n.to_string()) {
                self.time = true;
            }
        }
        self.counter_names.push(t);
        visit::visit_expr_field(self, f);
    }
}
