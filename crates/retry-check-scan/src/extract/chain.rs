//! Method chains, interpreted from their root: which constructor starts a
//! policy, which call consumes one, and which builder method sets what.
//!
//! A type is attributed to a retry crate only when the file does not say it
//! is someone else's: `ExponentialBackoff`, a name several crates (and many
//! projects) use, only when the file imports it from that crate or names
//! it by path.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall};

use super::syntax::{is, last2};
use super::Scanner;
use crate::policy::{Predicate, RetryCrate, Schedule, Val};

pub(super) const TOKIO_RETRY: &[&str] = &["tokio_retry", "tokio_retry2"];
pub(super) const RETRY_POLICIES: &[&str] =
    &["retry_policies", "reqwest_retry", "reqwest_middleware"];

/// Last path segments of the calls [`Scanner::constructor`] knows: other
/// calls are not looked at there (most calls of a file are not retries).
const CONSTRUCTORS: &[&str] = &[
    "default",
    "new",
    "from_millis",
    "builder",
    "for_host",
    "never",
    "scoped",
    "spawn",
    "new_with_policy",
    "new_with_policy_and_strategy",
    "retry_fn",
    "retry",
    "retry_notify",
];

/// The expression a method chain starts from.
pub(super) fn chain_root(mut e: &Expr) -> &Expr {
    loop {
        e = match e {
            Expr::MethodCall(m) => &m.receiver,
            Expr::Await(a) => &a.base,
            Expr::Try(t) => &t.expr,
            Expr::Paren(p) => &p.expr,
            Expr::Group(g) => &g.expr,
            Expr::Reference(r) => &r.expr,
            _ => return e,
        }
    }
}

/// What a caller can add to a function's policy besides classification.
fn schedule_of(p: &crate::Policy) -> impl PartialEq {
    (
        p.schedule,
        p.max_attempts.clone(),
        p.initial_delay.clone(),
        p.max_delay.clone(),
        p.multiplier.clone(),
        p.jitter.clone(),
        p.max_elapsed.clone(),
    )
}

/// A closure that runs on a thread of its own (not an async one).
fn sync_closure(e: &Expr) -> bool {
    matches!(e, Expr::Closure(c) if c.asyncness.is_none() && !matches!(&*c.body, Expr::Async(_)))
}

impl<'ast> Scanner<'ast, '_> {
    /// Process an expression that may be (or contain) a policy chain;
    /// returns the policy it evaluates to.
    pub(super) fn chain(&mut self, e: &'ast Expr) -> Option<usize> {
        let mut methods: Vec<&'ast ExprMethodCall> = Vec::new();
        let mut cur = e;
        loop {
            match cur {
                Expr::MethodCall(m) => {
                    methods.push(m);
                    cur = &m.receiver;
                }
                Expr::Await(a) => cur = &a.base,
                Expr::Try(t) => cur = &t.expr,
                Expr::Paren(p) => cur = &p.expr,
                Expr::Group(g) => cur = &g.expr,
                Expr::Reference(r) => cur = &r.expr,
                _ => break,
            }
        }
        methods.reverse();
        let mut id = self.root(cur);
        if id.is_none() {
            if let Some(ix) = self.param_index(cur) {
                self.note_param_use(ix, &methods);
            }
        }
        for m in methods {
            id = self.method(id, m);
        }
        id
    }

    pub(super) fn root(&mut self, e: &'ast Expr) -> Option<usize> {
        match e {
            Expr::Call(c) => {
                let Expr::Path(f) = &*c.func else {
                    self.visit_expr(&c.func);
                    for a in &c.args {
                        self.visit_expr(a);
                    }
                    return None;
                };
                let (prev, last) = last2(&f.path);
                let last = last?;
                if let Some(first) = f.path.segments.first().map(|s| &s.ident) {
                    for (krate, root) in [
                        (RetryCrate::Backoff, "backoff"),
                        (RetryCrate::TokioRetry, "tokio_retry"),
                    ] {
                        if first == root && !self.names.local_mods.contains(root) {
                            self.unmaintained(krate, f.span());
                        }
                    }
                }
                let thread = last == "spawn_blocking"
                    || last == "block_in_place"
                    || (last == "spawn"
                        && (is(prev, "thread")
                            || (f.path.segments.len() == 1
                                && self.names.imports.get("spawn").is_some_and(|r| r == "std"))));
                if thread && c.args.iter().any(sync_closure) {
                    self.async_stack.push(false);
                    c.args.iter().for_each(|a| self.visit_expr(a));
                    self.async_stack.pop();
                    return None;
                }
                if (last == "timeout" || last == "timeout_at") && c.args.len() == 2 {
                    let d = format!("{}(..)", self.text_of(f.span()));
                    self.deadline.push(d);
                    c.args.iter().for_each(|a| self.visit_expr(a));
                    self.deadline.pop();
                    return None;
                }
                if CONSTRUCTORS.iter().any(|n| last == n) {
                    let args: Vec<&'ast Expr> = c.args.iter().collect();
                    let span = self.span(c.span());
                    if let Some(r) = self.constructor(f, &args, span) {
                        return r;
                    }
                }
                let local = f.path.segments.len() == 1
                    || is(prev, "Self")
                    || prev.is_some_and(|p| self.names.local_types.contains(&p.to_string()));
                let found = if local && !self.fn_policies.is_empty() {
                    let at = self.span(c.span());
                    let t = self.fn_policies.get(&last.to_string()).copied();
                    t.map(|(t, _)| self.instance(t, at))
                } else {
                    None
                };
                self.call_args(last, &c.args);
                found
            }
            Expr::Struct(s) => {
                let (_, last) = last2(&s.path);
                let root =
                    (s.path.segments.len() > 1).then(|| s.path.segments[0].ident.to_string());
                if is(last, "ExponentialBackoff") {
                    let rp = s.fields.iter().any(
                        |f| matches!(&f.member, syn::Member::Named(i) if i == "max_n_retries"),
                    );
                    let crates: &[&str] = if rp { RETRY_POLICIES } else { &["backoff"] };
                    if self
                        .names
                        .is_from(root.as_deref(), "ExponentialBackoff", crates, true)
                    {
                        return Some(self.backoff_struct(s));
                    }
                }
                visit::visit_expr_struct(self, s);
                None
            }
            Expr::Path(p) => {
                let (prev, last) = last2(&p.path);
                if is(prev, "Method") && (is(last, "POST") || is(last, "PATCH")) {
                    let sp = self.span(p.span());
                    self.out.unsafe_requests.push(sp);
                }
                let last = last?;
                if !self.bindings.is_empty() && (p.path.segments.len() == 1 || is(prev, "Self")) {
                    return self.bindings.get(&last.to_string()).copied();
                }
                None
            }
            _ => {
                self.visit_expr(e);
                None
            }
        }
    }

    /// A call that builds or consumes a policy: `Some(result)` when it is
    /// one (its arguments visited), `None` when it is not.
    fn constructor(
        &mut self,
        f: &'ast syn::ExprPath,
        args: &[&'ast Expr],
        span: Span,
    ) -> Option<Option<usize>> {
        let (prev, last) = last2(&f.path);
        let prev_s = prev.map(|p| p.to_string()).unwrap_or_default();
        let last_s = last.map(|p| p.to_string()).unwrap_or_default();
        let root = (f.path.segments.len() > 2).then(|| f.path.segments[0].ident.to_string());
        let root = root.as_deref();
        let names = &self.names;
        let from = |crates: &[&str], strict: bool| names.is_from(root, &prev_s, crates, strict);
        let r = match (prev_s.as_str(), last_s.as_str()) {
            ("ExponentialBuilder" | "ConstantBuilder" | "FibonacciBuilder", "default" | "new")
                if from(&["backon"], false) =>
            {
                Some(self.backon(&prev_s, span))
            }
            ("ExponentialBackoff", "from_millis") if from(TOKIO_RETRY, true) => {
                Some(self.tokio_retry(&prev_s, &last_s, args, span))
            }
            ("FibonacciBackoff" | "FixedInterval", "from_millis") | ("FixedInterval", "new")
                if from(TOKIO_RETRY, false) =>
            {
                Some(self.tokio_retry(&prev_s, &last_s, args, span))
            }
            ("ExponentialBackoff", "builder") if from(RETRY_POLICIES, true) => {
                Some(self.retry_policies_defaults(span))
            }
            ("ExponentialBackoff", "default") if from(&["backoff"], true) => {
                Some(self.backoff_defaults(span))
            }
            ("ExponentialBackoffBuilder", "new" | "default") if from(&["backoff"], false) => {
                Some(self.backoff_defaults(span))
            }
            ("retry", "for_host" | "never") | ("Builder", "scoped")
                if prev_s == "retry" || self.uses_reqwest_retry =>
            {
                args.iter().for_each(|a| self.visit_expr(a));
                Some(self.reqwest(&last_s, span))
            }
            ("TpsBudget" | "Budget", "new") if args.len() == 3 && from(&["tower"], false) => {
                self.tower_budget(args, span);
                None
            }
            ("TpsBudget" | "Budget", "default") if from(&["tower"], false) => {
                self.tower_default_budget(span);
                None
            }
            ("Retry" | "RetryIf", "spawn") => {
                self.tokio_retry_spawn(prev_s == "RetryIf", args, span)
            }
            ("RetryTransientMiddleware", "new_with_policy") if from(RETRY_POLICIES, false) => {
                self.retry_middleware(args, false, span)
            }
            ("RetryTransientMiddleware", "new_with_policy_and_strategy")
                if from(RETRY_POLICIES, false) =>
            {
                self.retry_middleware(args, true, span)
            }
            ("RetryFutureConfig", "new") if from(&["tryhard"], false) => {
                Some(self.tryhard(args, span, true))
            }
            (_, "retry_fn")
                if self.names.is_from(
                    root.or(prev.map(|_| prev_s.as_str())),
                    "retry_fn",
                    &["tryhard"],
                    true,
                ) =>
            {
                Some(self.tryhard(args, span, false))
            }
            (_, "retry" | "retry_notify")
                if args.len() >= 2
                    && (self.uses_backoff
                        || (f.path.segments.iter().any(|s| s.ident == "backoff")
                            && !self.names.local_mods.contains("backoff"))) =>
            {
                self.backoff_retry(args, span)
            }
            _ => return None,
        };
        Some(r)
    }

    /// `Retry::spawn(policy, action)` and friends: the first argument is the
    /// policy, the rest are visited. A policy the file does not build (a
    /// parameter, a call into another module) is still a retry site: with
    /// `krate`, it becomes a policy whose fields are unknown.
    pub(super) fn entry(
        &mut self,
        args: &[&'ast Expr],
        pred: Predicate,
        span: Span,
        krate: Option<RetryCrate>,
    ) -> Option<usize> {
        let (first, rest) = args.split_first()?;
        let param = self.param_index(chain_root(first));
        let found = self.chain(first);
        for a in rest {
            self.visit_expr(a);
        }
        let id = match (found, krate) {
            (Some(id), _) => Some(id),
            (None, Some(k)) => Some(self.placeholder(k, first, span.clone())),
            (None, None) => None,
        };
        if let Some(id) = id {
            let p = &mut self.policies[id];
            p.predicate = Val::Known(pred.clone());
            p.field_spans.insert("predicate", span.clone());
        }
        if let (Some(ix), None) = (param, found) {
            self.note_param_entry(ix, Val::Known(pred), span, id);
        }
        id
    }

    /// A policy of `krate` built where the scanner cannot see: every field
    /// unknown, reported where it is used.
    pub(super) fn placeholder(&mut self, krate: RetryCrate, x: &Expr, span: Span) -> usize {
        let why = format!("the policy `{}` is built elsewhere", self.text_of(x.span()));
        let id = self.new_policy(krate, Schedule::Other, span);
        let p = &mut self.policies[id];
        p.max_attempts = Val::Unknown(why.clone());
        p.initial_delay = Val::Unknown(why.clone());
        p.max_delay = Val::Unknown(why.clone());
        p.multiplier = Val::Unknown(why.clone());
        p.jitter = Val::Unknown(why.clone());
        p.max_elapsed = Val::Unknown(why);
        id
    }

    /// A call to a function that returns policy `template`: each call gets
    /// its own copy, placed at the call (where the caller goes on building
    /// it), so what one caller adds (`.take(n)`) does not leak into another;
    /// the template itself is reported through its copies.
    fn instance(&mut self, template: usize, at: Span) -> usize {
        let mut copy = self.policies[template].clone();
        copy.in_async = self.in_async();
        self.instance_sites.insert(self.policies.len(), at);
        self.built_at_depth.push(self.branch_depth);
        self.policies.push(copy);
        if !self.dead.contains(&template) {
            self.dead.push(template);
        }
        self.policies.len() - 1
    }

    pub(super) fn method_span(&self, m: &ExprMethodCall) -> Span {
        let start = m.method.span().byte_range().start;
        let end = m.paren_token.span.close().byte_range().end;
        Span::new(self.source, start.min(end)..end.min(self.text.len()))
    }

    pub(super) fn method(&mut self, id: Option<usize>, m: &'ast ExprMethodCall) -> Option<usize> {
        let method = &m.method;
        if method == "retry" && m.args.len() == 1 {
            return self.backon_retry(m, &m.args[0]);
        }
        if (method == "post" || method == "patch") && id.is_none() {
            let sp = self.span(m.method.span());
            self.out.unsafe_requests.push(sp);
        }
        let thread = method == "spawn_blocking"
            || (method == "spawn"
                && super::flow::expr_path_text(chain_root(&m.receiver)).contains("thread"));
        if thread && m.args.iter().any(sync_closure) {
            self.async_stack.push(false);
            m.args.iter().for_each(|a| self.visit_expr(a));
            self.async_stack.pop();
            return None;
        }
        let Some(pid) = id else {
            // Not a policy: a method of this file that returns one, or any
            // other call (its arguments may be policies).
            let found = if self.fn_policies.is_empty() {
                None
            } else {
                let at = self.method_span(m);
                let t = self
                    .fn_policies
                    .get(&method.to_string())
                    .copied()
                    .filter(|(_, is_method)| *is_method);
                t.map(|(t, _)| self.instance(t, at))
            };
            self.call_args(method, &m.args);
            return found;
        };
        let name = method.to_string();
        let args: Vec<&'ast Expr> = m.args.iter().collect();
        if name == "with_config" && self.policies[pid].krate == RetryCrate::Tryhard {
            return self.tryhard_with_config(pid, &args);
        }
        let sp = self.method_span(m);
        let before = self
            .instance_sites
            .contains_key(&pid)
            .then(|| schedule_of(&self.policies[pid]));
        self.apply(pid, &name, &args, sp, false);
        // A caller that goes on building a function's schedule owns this
        // copy: it is reported where the caller builds it. (`.when(..)`
        // only classifies: the policy stays the function's.)
        if before.is_some_and(|b| b != schedule_of(&self.policies[pid])) {
            if let Some(site) = self.instance_sites.remove(&pid) {
                self.policies[pid].span = site;
            }
        }
        for a in args {
            self.visit_expr(a);
        }
        Some(pid)
    }

    /// Apply one builder method (or struct field, when `field`).
    pub(super) fn apply(
        &mut self,
        id: usize,
        name: &str,
        args: &[&'ast Expr],
        sp: Span,
        field: bool,
    ) {
        let before = self.policies[id].clone();
        let a0 = args.first().copied();
        match self.policies[id].krate {
            RetryCrate::Backon => self.apply_backon(id, name, a0, &sp),
            RetryCrate::TokioRetry => self.apply_tokio_retry(id, name, a0, &sp),
            RetryCrate::Backoff => self.apply_backoff(id, name, a0, &sp),
            RetryCrate::Reqwest => self.apply_reqwest(id, name, a0, &sp),
            RetryCrate::RetryPolicies => self.apply_retry_policies(id, name, args, &sp, field),
            RetryCrate::Tryhard => self.apply_tryhard(id, name, a0, &sp),
            RetryCrate::Tower | RetryCrate::HandWritten => {}
        }
        // Set inside an `if`/`match` branch on a policy built outside it:
        // the field has that value on some paths only.
        let built = self.built_at_depth.get(id).copied().unwrap_or(0);
        if self.branch_depth > built {
            let why = format!("`{name}` applies on some paths only");
            self.policies[id].unknown_where_changed(&before, &why);
        }
    }
}
