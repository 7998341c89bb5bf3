//! The syn visitor that extracts policies and the facts the code rules need.

use std::collections::{BTreeMap, HashMap};

use proc_macro2::Ident;
use retry_check_diagnostics::{SourceId, Span};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{BinOp, Expr, ExprMethodCall, Pat, Path, UseTree};

use crate::eval::{Consts, Value};
use crate::policy::{Attempts, Dur, Jitter, OptDur, Policy, Predicate, RetryCrate, Schedule, Val};
use crate::FileScan;

pub(crate) fn scan_ast(file: &syn::File, text: &str, source: SourceId) -> FileScan {
    let mut consts = ConstCollector::default();
    consts.visit_file(file);
    let lower = text.to_ascii_lowercase();
    let mut s = Scanner {
        text,
        source,
        consts: Consts { map: consts.map },
        policies: Vec::new(),
        bindings: HashMap::new(),
        fn_policies: HashMap::new(),
        lets: HashMap::new(),
        async_stack: Vec::new(),
        uses_backoff: false,
        uses_reqwest_retry: false,
        uses_thread_sleep: false,
        out: FileScan {
            source,
            policies: Vec::new(),
            blocking_sleeps: Vec::new(),
            unsafe_requests: Vec::new(),
            middleware: Vec::new(),
            idempotency_key_in_sight: lower.contains("idempotency-key")
                || lower.contains("idempotency_key"),
            unmaintained: Vec::new(),
            suppressions: crate::suppress::find(file, text, source),
            bindings: crate::suppress::find_bindings(file, text, source),
            budgets: Vec::new(),
        },
    };
    // `use` items first: they decide what bare names mean.
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            s.note_use(&u.tree, u.span(), &mut Vec::new());
        }
    }
    // Functions that build a policy first, so calls to them resolve
    // wherever they are defined.
    let builds_policy = |i: &syn::Item| matches!(i, syn::Item::Fn(f) if f.sig.inputs.is_empty());
    for item in file.items.iter().filter(|i| builds_policy(i)) {
        s.visit_item(item);
    }
    for item in file.items.iter().filter(|i| !builds_policy(i)) {
        s.visit_item(item);
    }
    let mut out = s.out;
    out.policies = s.policies;
    out.policies.sort_by(|a, b| {
        (a.span.range.start, a.span.range.end).cmp(&(b.span.range.start, b.span.range.end))
    });
    out.unsafe_requests.sort_by_key(|s| s.range.start);
    out.middleware.sort_by_key(|s| s.range.start);
    out
}

#[derive(Default)]
struct ConstCollector<'ast> {
    map: HashMap<String, &'ast Expr>,
}

impl<'ast> Visit<'ast> for ConstCollector<'ast> {
    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        self.map.insert(i.ident.to_string(), &i.expr);
        visit::visit_item_const(self, i);
    }
    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        self.map.insert(i.ident.to_string(), &i.expr);
        visit::visit_item_static(self, i);
    }
    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        self.map.insert(i.ident.to_string(), &i.expr);
        visit::visit_impl_item_const(self, i);
    }
}

struct Scanner<'ast, 't> {
    text: &'t str,
    source: SourceId,
    consts: Consts<'ast>,
    policies: Vec<Policy>,
    /// `let`/`const` names bound to a policy.
    bindings: HashMap<String, usize>,
    /// Functions whose tail expression is a policy.
    fn_policies: HashMap<String, usize>,
    /// `let` initialisers, for hand-written loops.
    lets: HashMap<String, &'ast Expr>,
    async_stack: Vec<bool>,
    uses_backoff: bool,
    /// `use reqwest::retry::..` makes bare `for_host(..)` reqwest's.
    uses_reqwest_retry: bool,
    uses_thread_sleep: bool,
    out: FileScan,
}

fn last2(path: &Path) -> (Option<&Ident>, Option<&Ident>) {
    let n = path.segments.len();
    let last = path.segments.last().map(|s| &s.ident);
    let prev = if n >= 2 {
        path.segments.iter().nth(n - 2).map(|s| &s.ident)
    } else {
        None
    };
    (prev, last)
}

fn is(id: Option<&Ident>, name: &str) -> bool {
    id.is_some_and(|i| i == name)
}

impl<'ast> Scanner<'ast, '_> {
    fn span(&self, s: proc_macro2::Span) -> Span {
        let r = s.byte_range();
        let end = r.end.min(self.text.len());
        Span::new(self.source, r.start.min(end)..end)
    }

    fn text_of(&self, s: proc_macro2::Span) -> String {
        let r = s.byte_range();
        let t = self.text.get(r).unwrap_or("?");
        let t: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
        if t.chars().count() > 80 {
            let mut s: String = t.chars().take(77).collect();
            s.push_str("...");
            s
        } else {
            t
        }
    }

    fn in_async(&self) -> bool {
        self.async_stack.last().copied().unwrap_or(false)
    }

    fn note_use(&mut self, tree: &UseTree, span: proc_macro2::Span, prefix: &mut Vec<String>) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.note_use(&p.tree, span, prefix);
                prefix.pop();
            }
            UseTree::Group(g) => {
                for t in &g.items {
                    self.note_use(t, span, prefix);
                }
            }
            UseTree::Name(n) => {
                self.note_use_path(prefix, &n.ident.to_string(), span);
            }
            UseTree::Rename(r) => {
                self.note_use_path(prefix, &r.ident.to_string(), span);
            }
            UseTree::Glob(_) => self.note_use_path(prefix, "*", span),
        }
    }

    fn note_use_path(&mut self, prefix: &[String], name: &str, span: proc_macro2::Span) {
        let first = prefix.first().map(String::as_str).unwrap_or(name);
        if first == "backoff" {
            self.uses_backoff = true;
        }
        if first == "reqwest" && prefix.get(1).is_some_and(|p| p == "retry") {
            self.uses_reqwest_retry = true;
        }
        if let Some(krate) = match first {
            "backoff" => Some(RetryCrate::Backoff),
            "tokio_retry" => Some(RetryCrate::TokioRetry),
            _ => None,
        } {
            self.unmaintained(krate, span);
        }
        if prefix.last().is_some_and(|p| p == "thread") && name == "sleep" {
            self.uses_thread_sleep = true;
        }
    }

    fn unmaintained(&mut self, krate: RetryCrate, span: proc_macro2::Span) {
        if !self.out.unmaintained.iter().any(|(k, _)| *k == krate) {
            let sp = self.span(span);
            self.out.unmaintained.push((krate, sp));
        }
    }

    fn new_policy(&mut self, krate: RetryCrate, schedule: Schedule, span: Span) -> usize {
        let unattached = || Val::Unknown("not passed to a retry call in this file".to_string());
        let p = Policy {
            krate,
            schedule,
            span,
            max_attempts: Val::Unknown(String::new()),
            initial_delay: Val::Unknown(String::new()),
            max_delay: Val::Unknown(String::new()),
            multiplier: Val::Unknown(String::new()),
            jitter: Val::Unknown(String::new()),
            max_elapsed: Val::Unknown(String::new()),
            predicate: unattached(),
            field_spans: BTreeMap::new(),
            in_async: self.in_async(),
        };
        self.policies.push(p);
        self.policies.len() - 1
    }

    fn eval(&self, e: &Expr) -> Result<Value, String> {
        self.consts.eval(e).ok_or_else(|| self.text_of(e.span()))
    }

    fn dur(&self, e: &Expr) -> Val<Dur> {
        match self.eval(e) {
            Ok(v) => match v.as_dur() {
                Some(d) => Val::Known(d),
                None => Val::Unknown(self.text_of(e.span())),
            },
            Err(t) => Val::Unknown(t),
        }
    }

    fn opt_dur(&self, e: &Expr) -> Val<OptDur> {
        match self.eval(e) {
            Ok(v) => match v.as_opt_dur() {
                Some(d) => Val::Known(OptDur(d)),
                None => Val::Unknown(self.text_of(e.span())),
            },
            Err(t) => Val::Unknown(t),
        }
    }

    fn float(&self, e: &Expr) -> Val<f64> {
        match self.eval(e).map(|v| v.as_f64()) {
            Ok(Some(f)) => Val::Known(f),
            _ => Val::Unknown(self.text_of(e.span())),
        }
    }

    /// `n` retries → `n + 1` attempts (retry-semantics 12.1).
    fn retries(&self, e: &Expr) -> Val<Attempts> {
        match self.eval(e).map(|v| v.as_u64()) {
            Ok(Some(n)) => Val::Known(Attempts::Finite(n.saturating_add(1))),
            _ => Val::Unknown(self.text_of(e.span())),
        }
    }

    // ---- constructors -------------------------------------------------

    fn backon(&mut self, ty: &str, span: Span) -> usize {
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

    /// reqwest's own retries: `retry::for_host(..)`, `retry::never()`,
    /// `Builder::scoped(..)`. Two retries by default, no backoff at all
    /// (retries are immediate), and nothing is retried until a classifier
    /// is set (`never()` never retries).
    fn reqwest(&mut self, ctor: &str, span: Span) -> usize {
        let id = self.new_policy(RetryCrate::Reqwest, Schedule::Constant, span);
        let p = &mut self.policies[id];
        p.max_attempts = if ctor == "never" {
            Val::Known(Attempts::Finite(1))
        } else {
            Val::Default(Attempts::Finite(3))
        };
        p.initial_delay = Val::Known(Dur(0));
        p.max_delay = Val::Known(OptDur(Some(Dur(0))));
        p.multiplier = Val::Known(1.0);
        p.jitter = Val::Known(Jitter::None);
        p.max_elapsed = Val::Default(OptDur(None));
        p.predicate = Val::Default(Predicate::CrateDefault(
            "none: nothing is retried until `classify_fn`",
        ));
        id
    }

    fn backoff_defaults(&mut self, span: Span) -> usize {
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

    fn retry_policies_defaults(&mut self, span: Span) -> usize {
        let id = self.new_policy(RetryCrate::RetryPolicies, Schedule::Exponential, span);
        let p = &mut self.policies[id];
        p.max_attempts = Val::Unknown("no build_with_* call".to_string());
        p.initial_delay = Val::Default(Dur::secs(1));
        p.max_delay = Val::Default(OptDur(Some(Dur::secs(30 * 60))));
        p.multiplier = Val::Default(2.0);
        p.jitter = Val::Default(Jitter::Full);
        p.max_elapsed = Val::Default(OptDur(None));
        id
    }

    fn tokio_retry(&mut self, ty: &str, ctor: &str, args: &[&Expr], span: Span) -> usize {
        let schedule = match ty {
            "FixedInterval" => Schedule::Constant,
            "FibonacciBackoff" => Schedule::Fibonacci,
            _ => Schedule::Exponential,
        };
        let id = self.new_policy(RetryCrate::TokioRetry, schedule, span.clone());
        let arg = args.first().copied();
        let (initial, mult) = match (ctor, arg) {
            ("new", Some(a)) => (self.dur(a), Val::Known(1.0)),
            (_, Some(a)) => match self.eval(a).map(|v| v.as_u64()) {
                Ok(Some(ms)) => {
                    let m = match schedule {
                        Schedule::Constant => Val::Known(1.0),
                        Schedule::Fibonacci => Val::Known(1.618),
                        _ => Val::Known(ms as f64),
                    };
                    (Val::Known(Dur::ms(ms as u128)), m)
                }
                _ => {
                    let t = self.text_of(a.span());
                    (Val::Unknown(t.clone()), Val::Unknown(t))
                }
            },
            (_, None) => (Val::Unknown(String::new()), Val::Unknown(String::new())),
        };
        let p = &mut self.policies[id];
        p.field_spans.insert("initial_delay", span);
        p.max_attempts = Val::Default(Attempts::Unbounded);
        p.max_delay = if schedule == Schedule::Constant {
            match &initial {
                Val::Known(d) => Val::Known(OptDur(Some(*d))),
                _ => Val::Unknown("the fixed interval".to_string()),
            }
        } else {
            Val::Default(OptDur(None))
        };
        p.initial_delay = initial;
        p.multiplier = mult;
        p.jitter = Val::Default(Jitter::None);
        p.max_elapsed = Val::Default(OptDur(None));
        id
    }

    fn backoff_struct(&mut self, s: &'ast syn::ExprStruct) -> usize {
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

    // ---- chains -------------------------------------------------------

    /// Process an expression that may be (or contain) a policy chain;
    /// returns the policy it evaluates to.
    fn chain(&mut self, e: &'ast Expr) -> Option<usize> {
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

    fn root(&mut self, e: &'ast Expr) -> Option<usize> {
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
                        let budget = crate::TowerBudget {
                            span: span.clone(),
                            ttl: self.dur(args[0]),
                            min_per_sec: self.float(args[1]),
                            retry_percent: self.float(args[2]),
                        };
                        self.out.budgets.push(budget);
                        return None;
                    }
                    ("TpsBudget" | "Budget", "default") => {
                        self.out.budgets.push(crate::TowerBudget {
                            span: span.clone(),
                            ttl: Val::Default(Dur::secs(10)),
                            min_per_sec: Val::Default(10.0),
                            retry_percent: Val::Default(0.2),
                        });
                        return None;
                    }
                    ("Retry" | "RetryIf", "spawn") => {
                        let pred = if prev_s == "RetryIf" {
                            Predicate::Custom
                        } else {
                            Predicate::EveryError
                        };
                        return self.entry(&args, pred, span);
                    }
                    ("RetryTransientMiddleware", "new_with_policy") => {
                        self.out.middleware.push(span.clone());
                        let pred = Predicate::CrateDefault(
                            "DefaultRetryableStrategy: 5xx, 408, 429, connect and timeout errors",
                        );
                        return self.entry(&args, pred, span);
                    }
                    ("RetryTransientMiddleware", "new_with_policy_and_strategy") => {
                        self.out.middleware.push(span.clone());
                        return self.entry(&args, Predicate::Custom, span);
                    }
                    (_, "retry" | "retry_notify")
                        if args.len() >= 2
                            && (self.uses_backoff
                                || f.path.segments.iter().any(|s| s.ident == "backoff")) =>
                    {
                        let op = args[1];
                        if mentions(op, &["permanent", "Permanent"]) {
                            return self.entry(&args, Predicate::Custom, span);
                        }
                        if mentions(op, &["map_err"]) {
                            // Errors go through a conversion the scanner does not follow.
                            let id = self.entry(&args, Predicate::Custom, span);
                            if let Some(id) = id {
                                self.policies[id].predicate = Val::Unknown(format!(
                                    "errors classified through `map_err` in `{}`",
                                    self.text_of(op.span())
                                ));
                            }
                            return id;
                        }
                        return self.entry(&args, Predicate::EveryError, span);
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
    fn entry(&mut self, args: &[&'ast Expr], pred: Predicate, span: Span) -> Option<usize> {
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

    fn method(&mut self, id: Option<usize>, m: &'ast ExprMethodCall) -> Option<usize> {
        let name = m.method.to_string();
        let args: Vec<&'ast Expr> = m.args.iter().collect();
        if name == "retry" && args.len() == 1 {
            // backon's `Retryable::retry(builder)`.
            let pid = self.chain(args[0]);
            if let Some(pid) = pid {
                let sp = self.span(m.method.span());
                let p = &mut self.policies[pid];
                if p.krate == RetryCrate::Backon {
                    p.predicate = Val::Known(Predicate::EveryError);
                    p.field_spans.insert("predicate", sp);
                    p.in_async |= self.async_stack.last().copied().unwrap_or(false);
                }
            }
            return pid;
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
    fn apply(&mut self, id: usize, name: &str, args: &[&'ast Expr], sp: Span, field: bool) {
        let krate = self.policies[id].krate;
        let schedule = self.policies[id].schedule;
        let a0 = args.first().copied();
        macro_rules! set {
            ($field:ident, $key:literal, $val:expr) => {{
                let v = $val;
                let p = &mut self.policies[id];
                p.$field = v;
                p.field_spans.insert($key, sp.clone());
            }};
        }
        match (krate, name, a0) {
            (RetryCrate::Backon, "with_max_times", Some(a)) => {
                set!(max_attempts, "max_attempts", self.retries(a))
            }
            (RetryCrate::Backon, "without_max_times", _) => set!(
                max_attempts,
                "max_attempts",
                Val::Known(Attempts::Unbounded)
            ),
            (RetryCrate::Backon, "with_min_delay" | "with_delay", Some(a)) => {
                let d = self.dur(a);
                if schedule == Schedule::Constant {
                    let cap = match &d {
                        Val::Known(d) => Val::Known(OptDur(Some(*d))),
                        _ => Val::Unknown(self.text_of(a.span())),
                    };
                    set!(max_delay, "max_delay", cap);
                }
                set!(initial_delay, "initial_delay", d)
            }
            (RetryCrate::Backon, "with_max_delay", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_delay, "max_delay", d)
            }
            (RetryCrate::Backon, "without_max_delay", _) => {
                set!(max_delay, "max_delay", Val::Known(OptDur(None)))
            }
            (RetryCrate::Backon, "with_factor", Some(a)) => {
                set!(multiplier, "multiplier", self.float(a))
            }
            (RetryCrate::Backon, "with_jitter", _) => {
                set!(jitter, "jitter", Val::Known(Jitter::Additive))
            }
            (RetryCrate::Backon, "with_total_delay", Some(a)) => {
                set!(max_elapsed, "max_elapsed", self.opt_dur(a))
            }
            (RetryCrate::Backon, "when", _) => {
                set!(predicate, "predicate", Val::Known(Predicate::Custom))
            }

            (RetryCrate::TokioRetry, "factor", Some(a)) => {
                let v = match (
                    self.policies[id].initial_delay.value().copied(),
                    self.eval(a).ok().and_then(|v| v.as_u64()),
                ) {
                    (Some(d), Some(f)) => match d.0.checked_mul(f as u128) {
                        Some(n) => Val::Known(Dur(n)),
                        None => Val::Unknown(self.text_of(a.span())),
                    },
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                if schedule == Schedule::Constant {
                    let cap = match &v {
                        Val::Known(d) => Val::Known(OptDur(Some(*d))),
                        _ => Val::Unknown(self.text_of(a.span())),
                    };
                    set!(max_delay, "max_delay", cap);
                }
                set!(initial_delay, "initial_delay", v)
            }
            (RetryCrate::TokioRetry, "max_delay", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_delay, "max_delay", d)
            }
            (RetryCrate::TokioRetry, "map", Some(a)) => {
                let v = match a {
                    Expr::Path(p) if is(last2(&p.path).1, "jitter") => Val::Known(Jitter::Full),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(jitter, "jitter", v)
            }
            (RetryCrate::TokioRetry, "take", Some(a)) => {
                set!(max_attempts, "max_attempts", self.retries(a))
            }

            (RetryCrate::Backoff, "with_initial_interval" | "initial_interval", Some(a)) => {
                set!(initial_delay, "initial_delay", self.dur(a))
            }
            (RetryCrate::Backoff, "with_max_interval" | "max_interval", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_delay, "max_delay", d)
            }
            (RetryCrate::Backoff, "with_multiplier" | "multiplier", Some(a)) => {
                set!(multiplier, "multiplier", self.float(a))
            }
            (
                RetryCrate::Backoff,
                "with_randomization_factor" | "randomization_factor",
                Some(a),
            ) => {
                let v = match self.float(a) {
                    Val::Known(0.0) => Val::Known(Jitter::None),
                    Val::Known(r) => Val::Known(Jitter::Proportional(r)),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(jitter, "jitter", v)
            }
            (RetryCrate::Backoff, "with_max_elapsed_time" | "max_elapsed_time", Some(a)) => {
                set!(max_elapsed, "max_elapsed", self.opt_dur(a))
            }

            (RetryCrate::Reqwest, "max_retries_per_request", Some(a)) => {
                set!(max_attempts, "max_attempts", self.retries(a))
            }
            (RetryCrate::Reqwest, "classify_fn" | "classify", _) => {
                set!(predicate, "predicate", Val::Known(Predicate::Custom))
            }

            (RetryCrate::RetryPolicies, "retry_bounds", Some(a)) => {
                set!(initial_delay, "initial_delay", self.dur(a));
                if let Some(b) = args.get(1) {
                    let d = self.dur(b).map(|d| OptDur(Some(d)));
                    set!(max_delay, "max_delay", d)
                }
            }
            (RetryCrate::RetryPolicies, "min_retry_interval", Some(a)) => {
                set!(initial_delay, "initial_delay", self.dur(a))
            }
            (RetryCrate::RetryPolicies, "max_retry_interval", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_delay, "max_delay", d)
            }
            (RetryCrate::RetryPolicies, "jitter", Some(a)) => {
                let v = match self.eval(a) {
                    Ok(Value::Path(p)) if p == "None" => Val::Known(Jitter::None),
                    Ok(Value::None) => Val::Known(Jitter::None),
                    Ok(Value::Path(p)) if p == "Full" => Val::Known(Jitter::Full),
                    Ok(Value::Path(p)) if p == "Bounded" => Val::Known(Jitter::Bounded),
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(jitter, "jitter", v)
            }
            (RetryCrate::RetryPolicies, "base", Some(a)) => {
                set!(multiplier, "multiplier", self.float(a))
            }
            (RetryCrate::RetryPolicies, "build_with_max_retries", Some(a)) => {
                set!(max_attempts, "max_attempts", self.retries(a))
            }
            (RetryCrate::RetryPolicies, "max_n_retries", Some(a)) if field => {
                let v = match self.eval(a) {
                    Ok(Value::None) => Val::Known(Attempts::Unbounded),
                    Ok(Value::Some(n)) => match n.as_u64() {
                        Some(n) => Val::Known(Attempts::Finite(n.saturating_add(1))),
                        None => Val::Unknown(self.text_of(a.span())),
                    },
                    _ => Val::Unknown(self.text_of(a.span())),
                };
                set!(max_attempts, "max_attempts", v)
            }
            (RetryCrate::RetryPolicies, "build_with_total_retry_duration", Some(a)) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_elapsed, "max_elapsed", d);
                set!(
                    max_attempts,
                    "max_attempts",
                    Val::Known(Attempts::Unbounded)
                )
            }
            (
                RetryCrate::RetryPolicies,
                "build_with_total_retry_duration_and_limit_retries",
                Some(a),
            ) => {
                let d = self.dur(a).map(|d| OptDur(Some(d)));
                set!(max_elapsed, "max_elapsed", d);
                set!(
                    max_attempts,
                    "max_attempts",
                    Val::Unknown("computed by retry-policies from the total duration".to_string())
                )
            }
            _ => {}
        }
    }

    // ---- tower ----------------------------------------------------------

    /// `impl Policy<Req, Res, E> for T` with a `retry` method: attempt
    /// limits, classification and backoff live in that method's code, so
    /// they are unknown to the scanner unless it is trivially bounded.
    fn tower_policy(&mut self, i: &'ast syn::ItemImpl) {
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

    // ---- hand-written loops --------------------------------------------

    fn loop_policy(&mut self, e: &'ast Expr, body: &'ast syn::Block, kind: LoopKind<'ast>) {
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

fn member_is(m: &syn::Member, name: &str) -> bool {
    matches!(m, syn::Member::Named(i) if i == name)
}

/// [`mentions`] over a block.
fn mentions_block(b: &syn::Block, names: &[&str]) -> bool {
    b.stmts.iter().any(|s| match s {
        syn::Stmt::Expr(e, _) => mentions(e, names),
        syn::Stmt::Local(l) => l.init.as_ref().is_some_and(|i| mentions(&i.expr, names)),
        syn::Stmt::Macro(m) => {
            let t = m.mac.tokens.to_string();
            names.iter().any(|n| t.contains(n))
        }
        syn::Stmt::Item(_) => false,
    })
}

/// Whether `e` mentions any of `names` as an identifier (macros included).
fn mentions(e: &Expr, names: &[&str]) -> bool {
    struct F<'n>(bool, &'n [&'n str]);
    impl<'ast> Visit<'ast> for F<'_> {
        fn visit_ident(&mut self, i: &'ast Ident) {
            if self.1.iter().any(|n| i == n) {
                self.0 = true;
            }
        }
        fn visit_macro(&mut self, m: &'ast syn::Macro) {
            let s = m.tokens.to_string();
            if self.1.iter().any(|n| s.contains(n)) {
                self.0 = true;
            }
        }
    }
    let mut f = F(false, names);
    f.visit_expr(e);
    f.0
}

#[derive(Clone, Copy)]
enum LoopKind<'ast> {
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

impl<'ast> Visit<'ast> for Scanner<'ast, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            Expr::MethodCall(_)
            | Expr::Call(_)
            | Expr::Struct(_)
            | Expr::Await(_)
            | Expr::Try(_)
            | Expr::Path(_) => {
                self.chain(e);
            }
            Expr::Loop(l) => {
                self.loop_policy(e, &l.body, LoopKind::Loop);
                visit::visit_expr(self, e);
            }
            Expr::ForLoop(f) => {
                self.loop_policy(e, &f.body, LoopKind::For(&f.expr));
                visit::visit_expr(self, e);
            }
            Expr::While(w) => {
                self.loop_policy(e, &w.body, LoopKind::While(&w.cond));
                visit::visit_expr(self, e);
            }
            Expr::Async(_) => {
                self.async_stack.push(true);
                visit::visit_expr(self, e);
                self.async_stack.pop();
            }
            Expr::Assign(a) => {
                // `b = b.with_jitter();` and `b.max_elapsed_time = None;`
                let id = self.chain(&a.right);
                match &*a.left {
                    Expr::Path(p) => {
                        if let (Some(id), Some(n)) = (id, p.path.get_ident()) {
                            self.bindings.insert(n.to_string(), id);
                        }
                    }
                    Expr::Field(f) => {
                        if let (Expr::Path(p), syn::Member::Named(field)) = (&*f.base, &f.member) {
                            if let Some(&pid) = p
                                .path
                                .get_ident()
                                .and_then(|n| self.bindings.get(&n.to_string()))
                            {
                                let sp = self.span(a.span());
                                self.apply(pid, &field.to_string(), &[&a.right], sp, true);
                            }
                        }
                    }
                    _ => {}
                }
            }
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let name = match &l.pat {
            Pat::Ident(i) => Some(i.ident.to_string()),
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(i) => Some(i.ident.to_string()),
                _ => None,
            },
            _ => None,
        };
        if let Some(init) = &l.init {
            let id = self.chain(&init.expr);
            if let Some((_, d)) = &init.diverge {
                self.visit_expr(d);
            }
            if let Some(n) = name {
                match id {
                    Some(id) => {
                        self.bindings.insert(n, id);
                    }
                    None => {
                        self.bindings.remove(&n);
                        self.lets.insert(n, &init.expr);
                    }
                }
            }
        }
    }

    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        if let Some(id) = self.chain(&i.expr) {
            self.bindings.insert(i.ident.to_string(), id);
        }
    }

    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        if let Some(id) = self.chain(&i.expr) {
            self.bindings.insert(i.ident.to_string(), id);
        }
    }

    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        if let Some(id) = self.chain(&i.expr) {
            self.bindings.insert(i.ident.to_string(), id);
        }
    }

    fn visit_item_use(&mut self, _: &'ast syn::ItemUse) {
        // Handled up front (top-level) so bare names resolve; nested uses
        // are rare in retry code.
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        self.tower_policy(i);
        visit::visit_item_impl(self, i);
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.async_stack.push(f.sig.asyncness.is_some());
        let tail = self.fn_body(&f.block);
        self.async_stack.pop();
        if let (Some(id), true) = (tail, f.sig.inputs.is_empty()) {
            self.fn_policies.insert(f.sig.ident.to_string(), id);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.async_stack.push(f.sig.asyncness.is_some());
        let tail = self.fn_body(&f.block);
        self.async_stack.pop();
        if let (Some(id), true) = (tail, f.sig.inputs.is_empty()) {
            self.fn_policies.insert(f.sig.ident.to_string(), id);
        }
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.async_stack.push(f.sig.asyncness.is_some());
        visit::visit_trait_item_fn(self, f);
        self.async_stack.pop();
    }
}

impl<'ast> Scanner<'ast, '_> {
    /// Visit a function body; the policy its tail expression evaluates to.
    fn fn_body(&mut self, b: &'ast syn::Block) -> Option<usize> {
        let n = b.stmts.len();
        let mut tail = None;
        for (i, s) in b.stmts.iter().enumerate() {
            match s {
                syn::Stmt::Expr(e, None) if i + 1 == n => tail = self.chain(e),
                _ => self.visit_stmt(s),
            }
        }
        tail
    }
}
