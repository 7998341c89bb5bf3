//! Method chains, interpreted from their root: which constructor starts a
//! policy, which call consumes one, and which builder method sets what.

use retry_check_diagnostics::Span;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, ExprMethodCall};

use super::syntax::{is, last2};
use super::Scanner;
use crate::policy::{Predicate, RetryCrate, Val};

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
        let mut id = self.root(cur);
        for m in methods.into_iter().rev() {
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
                let args: Vec<&'ast Expr> = c.args.iter().collect();
                let (prev, last) = last2(&f.path);
                let last = last?;
                let first = f.path.segments.first().map(|s| &s.ident);
                if is(first, "backoff") {
                    self.unmaintained(RetryCrate::Backoff, f.span());
                }
                if is(first, "tokio_retry") {
                    self.unmaintained(RetryCrate::TokioRetry, f.span());
                }
                let span = self.span(c.span());
                let prev_s = prev.map(|p| p.to_string()).unwrap_or_default();
                let last_s = last.to_string();
                match (prev_s.as_str(), last_s.as_str()) {
                    (
                        "ExponentialBuilder" | "ConstantBuilder" | "FibonacciBuilder",
                        "default" | "new",
                    ) => {
                        return Some(self.backon(&prev_s, span));
                    }
                    (
                        "ExponentialBackoff" | "FibonacciBackoff" | "FixedInterval",
                        "from_millis",
                    )
                    | ("FixedInterval", "new") => {
                        return Some(self.tokio_retry(&prev_s, &last_s, &args, span));
                    }
                    ("ExponentialBackoff", "builder") => {
                        return Some(self.retry_policies_defaults(span))
                    }
                    ("ExponentialBackoff", "default")
                    | ("ExponentialBackoffBuilder", "new" | "default") => {
                        return Some(self.backoff_defaults(span));
                    }
                    ("retry", "for_host" | "never") | ("Builder", "scoped")
                        if prev_s == "retry" || self.uses_reqwest_retry =>
                    {
                        for a in &args {
                            self.visit_expr(a);
                        }
                        return Some(self.reqwest(&last_s, span));
                    }
                    ("TpsBudget" | "Budget", "new") if args.len() == 3 => {
                        self.tower_budget(&args, span);
                        return None;
                    }
                    ("TpsBudget" | "Budget", "default") => {
                        self.tower_default_budget(span);
                        return None;
                    }
                    ("Retry" | "RetryIf", "spawn") => {
                        return self.tokio_retry_spawn(prev_s == "RetryIf", &args, span);
                    }
                    ("RetryTransientMiddleware", "new_with_policy") => {
                        return self.retry_middleware(&args, false, span);
                    }
                    ("RetryTransientMiddleware", "new_with_policy_and_strategy") => {
                        return self.retry_middleware(&args, true, span);
                    }
                    (_, "retry" | "retry_notify")
                        if args.len() >= 2
                            && (self.uses_backoff
                                || f.path.segments.iter().any(|s| s.ident == "backoff")) =>
                    {
                        return self.backoff_retry(&args, span);
                    }
                    _ => {}
                }
                if args.is_empty() {
                    if let Some(&id) = self.fn_policies.get(&last_s) {
                        return Some(id);
                    }
                }
                for a in args {
                    self.visit_expr(a);
                }
                None
            }
            Expr::Struct(s) => {
                let (_, last) = last2(&s.path);
                if is(last, "ExponentialBackoff") {
                    return Some(self.backoff_struct(s));
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
                if p.path.segments.len() == 1 || is(prev, "Self") {
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

    /// `Retry::spawn(policy, action)` and friends: the first argument is the
    /// policy, the rest are visited.
    pub(super) fn entry(
        &mut self,
        args: &[&'ast Expr],
        pred: Predicate,
        span: Span,
    ) -> Option<usize> {
        let (first, rest) = args.split_first()?;
        let id = self.chain(first);
        for a in rest {
            self.visit_expr(a);
        }
        if let Some(id) = id {
            let p = &mut self.policies[id];
            p.predicate = Val::Known(pred);
            p.field_spans.insert("predicate", span);
        }
        id
    }

    pub(super) fn method(&mut self, id: Option<usize>, m: &'ast ExprMethodCall) -> Option<usize> {
        let name = m.method.to_string();
        let args: Vec<&'ast Expr> = m.args.iter().collect();
        if name == "retry" && args.len() == 1 {
            return self.backon_retry(m, args[0]);
        }
        if (name == "post" || name == "patch") && id.is_none() {
            let sp = self.span(m.method.span());
            self.out.unsafe_requests.push(sp);
        }
        let Some(pid) = id else {
            for a in args {
                self.visit_expr(a);
            }
            return None;
        };
        let start = m.method.span().byte_range().start;
        let end = m.paren_token.span.close().byte_range().end;
        let sp = Span::new(self.source, start.min(end)..end.min(self.text.len()));
        self.apply(pid, &name, &args, sp, false);
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
        let a0 = args.first().copied();
        match self.policies[id].krate {
            RetryCrate::Backon => self.apply_backon(id, name, a0, &sp),
            RetryCrate::TokioRetry => self.apply_tokio_retry(id, name, a0, &sp),
            RetryCrate::Backoff => self.apply_backoff(id, name, a0, &sp),
            RetryCrate::Reqwest => self.apply_reqwest(id, name, a0, &sp),
            RetryCrate::RetryPolicies => self.apply_retry_policies(id, name, args, &sp, field),
            RetryCrate::Tower | RetryCrate::HandWritten => {}
        }
    }
}
