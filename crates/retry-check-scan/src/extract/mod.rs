//! The syn visitor that extracts policies and the facts the code rules need.

use std::collections::{BTreeMap, HashMap};

use retry_check_diagnostics::{SourceId, Span};
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Pat, UseTree};

use crate::eval::{Consts, Value};
use crate::policy::{Attempts, Dur, OptDur, Policy, RetryCrate, Schedule, Val};
use crate::{FileScan, ScanOptions};
use loops::LoopKind;

/// Set one field of a policy and remember where it was set.
macro_rules! set {
    ($s:expr, $id:expr, $sp:expr, $field:ident, $val:expr) => {{
        let v = $val;
        let p = &mut $s.policies[$id];
        p.$field = v;
        p.field_spans.insert(stringify!($field), $sp.clone());
    }};
}

mod backoff;
mod backon;
mod calls;
mod chain;
mod delay;
mod flow;
mod loops;
mod prepass;
mod reqwest;
mod retry_policies;
mod syntax;
mod tokio_retry;
mod tower;
mod tryhard;

pub(crate) fn scan_ast(
    file: &syn::File,
    text: &str,
    source: SourceId,
    options: &ScanOptions,
) -> FileScan {
    let mut out = FileScan::empty(source);
    // Every shape the scanner reads names one of these words (a retry
    // crate, a sleep, a counter, a policy): a file with none of them has
    // nothing to extract, and most files of a workspace are such files.
    let retry_words = LOWERCASE.with(|buf| {
        let mut lower = buf.borrow_mut();
        lower.clear();
        lower.push_str(text);
        lower.make_ascii_lowercase();
        out.idempotency_key_in_sight =
            lower.contains("idempotency-key") || lower.contains("idempotency_key");
        RETRY_WORDS.iter().any(|w| lower.contains(w))
    });
    out.suppressions = crate::suppress::find(file, text, source);
    out.bindings = crate::suppress::find_bindings(file, text, source);
    if !retry_words {
        return out;
    }
    let mut names = prepass::FileNames {
        include_tests: options.include_tests,
        ..prepass::FileNames::default()
    };
    names.visit_file(file);
    let mut s = Scanner {
        text,
        source,
        options: *options,
        consts: Consts {
            map: std::mem::take(&mut names.consts),
        },
        uses_backoff: names.uses("backoff"),
        uses_thread_sleep: names.uses_thread_sleep,
        names,
        policies: Vec::new(),
        dead: Vec::new(),
        instance_sites: HashMap::new(),
        sleepy_cache: HashMap::new(),
        bindings: HashMap::new(),
        fn_policies: HashMap::new(),
        lets: Vec::new(),
        params: Vec::new(),
        fn_stack: Vec::new(),
        links: calls::Links::default(),
        async_stack: Vec::new(),
        deadline: Vec::new(),
        branch_depth: 0,
        built_at_depth: Vec::new(),
        uses_reqwest_retry: false,
        out,
    };
    // `use` items first: they decide what bare names mean.
    for item in &file.items {
        if let syn::Item::Use(u) = item {
            if options.include_tests || !prepass::is_test_code(&u.attrs) {
                s.note_use(&u.tree, u.span(), &mut Vec::new());
            }
        }
    }
    // Functions that return a policy first, so calls to them resolve
    // wherever they are defined.
    let builds_policy =
        |i: &syn::Item| matches!(i, syn::Item::Fn(f) if returns_policy(&f.sig, text));
    for item in file.items.iter().filter(|i| builds_policy(i)) {
        s.visit_item(item);
    }
    for item in file.items.iter().filter(|i| !builds_policy(i)) {
        s.visit_item(item);
    }
    s.link_calls();
    s.finish()
}

thread_local! {
    /// The text of the file being scanned, lowercased (one buffer per
    /// thread, reused from file to file).
    static LOWERCASE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Words (lowercase) without which a file holds no retry code the scanner
/// reads; see [`scan_ast`].
const RETRY_WORDS: &[&str] = &[
    "retr",
    "backoff",
    "backon",
    "jitter",
    "exponential",
    "sleep",
    "delay",
    "wait(",
    "wait_",
    "attempt",
    "tries",
    "tryhard",
    "policy",
    "budget",
    "macro_rules",
];

/// An expression that may be, or start, a policy chain.
fn may_start_chain(e: &Expr) -> bool {
    matches!(
        e,
        Expr::MethodCall(_)
            | Expr::Call(_)
            | Expr::Struct(_)
            | Expr::Await(_)
            | Expr::Try(_)
            | Expr::Path(_)
    )
}

/// A signature whose return type names a policy type (`ExponentialBuilder`,
/// `Take<ExponentialBackoff>`, `impl Iterator<Item = Duration>`, ...).
fn returns_policy(sig: &syn::Signature, text: &str) -> bool {
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return false;
    };
    let t = text.get(ty.span().byte_range()).unwrap_or("");
    [
        "Backoff", "Builder", "Interval", "Duration", "Policy", "Strategy", "Take", "Retry",
    ]
    .iter()
    .any(|w| t.contains(w))
}

struct Scanner<'ast, 't> {
    text: &'t str,
    source: SourceId,
    options: ScanOptions,
    consts: Consts<'ast>,
    names: prepass::FileNames<'ast>,
    policies: Vec<Policy>,
    /// Placeholder policies replaced by the one passed in by a caller.
    dead: Vec<usize>,
    /// Copies of a function's policy, with the call that made them.
    instance_sites: HashMap<usize, Span>,
    /// Whether a function of the file wraps a sleep, once asked.
    sleepy_cache: HashMap<String, bool>,
    /// `let`/`const` names bound to a policy.
    bindings: HashMap<String, usize>,
    /// Functions (and methods: `true`) that return a policy they build.
    fn_policies: HashMap<String, (usize, bool)>,
    /// `let` initialisers of the current function, for hand-written loops
    /// (in order; a later `let` of the same name shadows an earlier one).
    lets: Vec<(&'ast proc_macro2::Ident, &'ast Expr)>,
    /// Parameters of the current function.
    params: Vec<String>,
    /// The functions being visited, innermost last.
    fn_stack: Vec<String>,
    /// Policies passed to, or configured in, other functions of the file.
    links: calls::Links<'ast>,
    async_stack: Vec<bool>,
    /// Enclosing `timeout(d, ..)` calls: loops inside are bounded by them.
    deadline: Vec<String>,
    /// How many `if` / `match` branches enclose the current expression, and
    /// the depth each policy was built at.
    branch_depth: usize,
    built_at_depth: Vec<usize>,
    uses_backoff: bool,
    /// `use reqwest::retry::..` makes bare `for_host(..)` reqwest's.
    uses_reqwest_retry: bool,
    uses_thread_sleep: bool,
    out: FileScan,
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
        if self.names.local_mods.contains(first) {
            return;
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
    }

    /// Code that may hold a retry the scanner could not follow (RC119,
    /// reported with `--verbose`).
    fn note_not_analysed(&mut self, at: Span, what: String) {
        if self.options.verbose {
            self.out.not_analysed.push((at, what));
        }
    }

    /// Record the first use of an unmaintained crate (RC107).
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
            has_budget: false,
        };
        self.policies.push(p);
        self.built_at_depth.push(self.branch_depth);
        self.policies.len() - 1
    }

    /// The scan's result: live policies in source order, facts sorted.
    fn finish(mut self) -> FileScan {
        let mut out = std::mem::replace(&mut self.out, FileScan::empty(self.source));
        let dead = std::mem::take(&mut self.dead);
        let budgeted = !out.budgets.is_empty();
        out.policies = std::mem::take(&mut self.policies)
            .into_iter()
            .enumerate()
            .filter(|(i, _)| !dead.contains(i))
            .map(|(_, mut p)| {
                if p.krate == RetryCrate::Tower {
                    p.has_budget |= budgeted;
                }
                p
            })
            .collect();
        out.policies.sort_by(|a, b| {
            (a.span.range.start, a.span.range.end).cmp(&(b.span.range.start, b.span.range.end))
        });
        // Copies of a function's policy that no caller changed are one
        // policy (whichever retry call each copy went to).
        out.policies.dedup_by(|a, b| {
            let mut a = a.clone();
            a.field_spans = b.field_spans.clone();
            a.in_async = b.in_async;
            a == *b
        });
        out.unsafe_requests.sort_by_key(|s| s.range.start);
        out.middleware.sort_by_key(|s| s.range.start);
        out.not_analysed.sort_by_key(|(s, _)| s.range.start);
        out
    }

    /// The initialiser of the latest `let name = ..` of the function.
    fn let_of(&self, name: &str) -> Option<&'ast Expr> {
        self.lets
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, e)| *e)
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
}

impl<'ast> Visit<'ast> for Scanner<'ast, '_> {
    fn visit_expr(&mut self, e: &'ast Expr) {
        match e {
            _ if may_start_chain(e) => {
                self.chain(e);
            }
            Expr::Loop(l) => {
                self.loop_policy(e, &l.body, LoopKind::Loop);
                self.visit_block(&l.body);
            }
            Expr::ForLoop(f) => {
                let iter = self.chain_or_visit(&f.expr);
                self.loop_policy(e, &f.body, LoopKind::For(&f.pat, &f.expr, iter));
                self.visit_block(&f.body);
            }
            Expr::While(w) => {
                self.loop_policy(e, &w.body, LoopKind::While(&w.cond));
                self.visit_expr(&w.cond);
                self.visit_block(&w.body);
            }
            Expr::Async(_) => {
                self.async_stack.push(true);
                visit::visit_expr(self, e);
                self.async_stack.pop();
            }
            // A builder method in one branch sets its field on some paths
            // only: see `apply`.
            Expr::If(_) | Expr::Match(_) => {
                self.branch_depth += 1;
                visit::visit_expr(self, e);
                self.branch_depth -= 1;
            }
            Expr::Closure(c) if c.asyncness.is_some() => {
                self.async_stack.push(true);
                visit::visit_expr(self, e);
                self.async_stack.pop();
            }
            Expr::Assign(a) => self.assign(a),
            _ => visit::visit_expr(self, e),
        }
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        let name = match &l.pat {
            Pat::Ident(i) => Some(&i.ident),
            Pat::Type(t) => match &*t.pat {
                Pat::Ident(i) => Some(&i.ident),
                _ => None,
            },
            _ => None,
        };
        if let Some(init) = &l.init {
            let id = self.chain(&init.expr);
            if let Some((_, d)) = &init.diverge {
                self.visit_expr(d);
            }
            match (name, id) {
                (Some(n), Some(id)) => {
                    self.bindings.insert(n.to_string(), id);
                }
                (Some(n), None) => {
                    if !self.bindings.is_empty() {
                        self.bindings.remove(&n.to_string());
                    }
                    self.lets.push((n, &init.expr));
                }
                (None, _) => {}
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

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        // Top-level uses were noted up front (they decide what bare names
        // mean); nested ones count for RC107 here, and for attribution
        // through the prepass.
        self.note_use(&u.tree, u.span(), &mut Vec::new());
    }

    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        if self.options.include_tests || !prepass::is_test_code(&i.attrs) {
            visit::visit_item_mod(self, i);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        if !self.options.include_tests && prepass::is_test_code(&i.attrs) {
            return;
        }
        self.tower_policy(i);
        // Methods that return a policy first, as for free functions.
        let (first, rest): (Vec<_>, Vec<_>) = i.items.iter().partition(
            |it| matches!(it, syn::ImplItem::Fn(f) if returns_policy(&f.sig, self.text)),
        );
        for it in first.into_iter().chain(rest) {
            self.visit_impl_item(it);
        }
    }

    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        if !self.options.include_tests && prepass::is_test_code(&f.attrs) {
            return;
        }
        self.function(&f.sig, &f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        if !self.options.include_tests && prepass::is_test_code(&f.attrs) {
            return;
        }
        self.function(&f.sig, &f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        self.async_stack.push(f.sig.asyncness.is_some());
        visit::visit_trait_item_fn(self, f);
        self.async_stack.pop();
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        let is_rules = m.mac.path.is_ident("macro_rules");
        if self.options.verbose && is_rules && prepass::macro_has_retry_loop(&m.mac.tokens) {
            let name = m.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
            let sp = self.span(m.mac.path.span());
            self.note_not_analysed(
                sp,
                format!("a retry loop in the body of `macro_rules! {name}`"),
            );
        }
    }
}

impl<'ast> Scanner<'ast, '_> {
    /// Visit a function: its own `let`s and parameters, its async-ness, and
    /// the policy its tail expression evaluates to (so calls resolve).
    fn function(&mut self, sig: &'ast syn::Signature, block: &'ast syn::Block) {
        let params = sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                syn::FnArg::Typed(t) => match &*t.pat {
                    Pat::Ident(i) => Some(i.ident.to_string()),
                    _ => None,
                },
                syn::FnArg::Receiver(_) => None,
            })
            .collect();
        let saved_params = std::mem::replace(&mut self.params, params);
        let saved_lets = std::mem::take(&mut self.lets);
        let saved_bindings = self.bindings.clone();
        let saved_deadline = std::mem::take(&mut self.deadline);
        let saved_depth = std::mem::take(&mut self.branch_depth);
        self.fn_stack.push(sig.ident.to_string());
        self.async_stack.push(sig.asyncness.is_some());
        let tail = self.fn_body(block);
        self.async_stack.pop();
        self.fn_stack.pop();
        self.params = saved_params;
        self.lets = saved_lets;
        self.bindings = saved_bindings;
        self.deadline = saved_deadline;
        self.branch_depth = saved_depth;
        // Only a function declared to return a policy builds one for its
        // callers (`fn charge() -> Result<..> { op.retry(p).await }` uses it).
        if let (Some(id), true) = (tail, returns_policy(sig, self.text)) {
            let method = matches!(sig.inputs.first(), Some(syn::FnArg::Receiver(_)));
            self.fn_policies.insert(sig.ident.to_string(), (id, method));
        }
    }

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

    /// A policy chain if `e` can be one, else visit it.
    fn chain_or_visit(&mut self, e: &'ast Expr) -> Option<usize> {
        match e {
            _ if may_start_chain(e) => self.chain(e),
            Expr::Paren(_) | Expr::Reference(_) => self.chain(e),
            _ => {
                self.visit_expr(e);
                None
            }
        }
    }

    /// `b = b.with_jitter();` and `b.max_elapsed_time = None;`
    fn assign(&mut self, a: &'ast syn::ExprAssign) {
        let id = self.chain_or_visit(&a.right);
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
}
