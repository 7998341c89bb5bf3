//! What the whole file says before any policy is read: consts, local
//! functions, where imported names come from, local modules and types,
//! and which items are test code.

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::{self, Visit};
use syn::{Expr, UseTree};

/// Whether `attrs` mark test code: `#[test]`, `#[tokio::test]`,
/// `#[rstest]`, `#[test_case(..)]`, or a `#[cfg(..)]` that needs `test`
/// (not under `not(..)`).
pub(super) fn is_test_code(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        let path = a.path();
        let last = path.segments.last().map(|s| s.ident.to_string());
        match last.as_deref() {
            Some("test" | "rstest" | "test_case" | "bench") => true,
            Some("cfg") => match &a.meta {
                syn::Meta::List(l) => cfg_needs_test(l.tokens.clone()),
                _ => false,
            },
            _ => false,
        }
    })
}

/// `test`, `all(test, ..)`, `any(test)` but not `not(test)`.
fn cfg_needs_test(tokens: TokenStream) -> bool {
    let mut it = tokens.into_iter().peekable();
    while let Some(t) = it.next() {
        match t {
            TokenTree::Ident(i) if i == "test" => return true,
            TokenTree::Ident(i) if i == "not" => {
                it.next();
            }
            TokenTree::Group(g) if cfg_needs_test(g.stream()) => return true,
            _ => {}
        }
    }
    false
}

/// The file's names, collected once.
#[derive(Default)]
pub(super) struct FileNames<'ast> {
    pub consts: HashMap<String, &'ast Expr>,
    /// Function and method bodies by name (the last one wins).
    pub fns: HashMap<String, &'ast syn::Block>,
    /// Imported name → first segment of its path (`use backoff::X` →
    /// `X: backoff`; renames by their new name).
    pub imports: HashMap<String, String>,
    /// First segments of every `use` path (globs and groups included).
    pub roots: HashSet<String>,
    /// `mod x` items: paths starting with `x::` are local.
    pub local_mods: HashSet<String>,
    /// Types the file defines.
    pub local_types: HashSet<String>,
    /// `macro_rules!` whose bodies jump (`continue`, `break`, `return`) or
    /// sleep: a loop that calls one cannot be followed.
    pub control_macros: HashSet<String>,
    pub uses_thread_sleep: bool,
    pub include_tests: bool,
}

impl FileNames<'_> {
    /// The crate a (possibly imported) name or path root comes from:
    /// `None` when the file does not say.
    pub(super) fn origin<'s>(&'s self, root: Option<&'s str>, name: &str) -> Option<&'s str> {
        match root {
            Some(r) if r != name => Some(self.imports.get(r).map_or(r, String::as_str)),
            _ => self.imports.get(name).map(String::as_str),
        }
    }

    /// Whether `name` (or a path starting with `root`) is `crate`'s: the
    /// file imports it from there, names it by path, or (`!strict`) does
    /// not say otherwise and the crate is in use.
    pub(super) fn is_from(
        &self,
        root: Option<&str>,
        name: &str,
        crates: &[&str],
        strict: bool,
    ) -> bool {
        match self.origin(root, name) {
            Some(o) if self.local_mods.contains(o) => false,
            Some(o) => crates.contains(&o),
            None if self.local_types.contains(name) => false,
            None => {
                let in_use = crates
                    .iter()
                    .any(|c| self.roots.contains(*c) && !self.local_mods.contains(*c));
                in_use || !strict
            }
        }
    }

    /// The file uses crate `c` (a `use` of it that is not a local module).
    pub(super) fn uses(&self, c: &str) -> bool {
        self.roots.contains(c) && !self.local_mods.contains(c)
    }

    fn note_use(&mut self, tree: &UseTree, prefix: &mut Vec<String>) {
        match tree {
            UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.note_use(&p.tree, prefix);
                prefix.pop();
            }
            UseTree::Group(g) => {
                for t in &g.items {
                    self.note_use(t, prefix);
                }
            }
            UseTree::Name(n) => self.note_name(prefix, &n.ident.to_string(), &n.ident.to_string()),
            UseTree::Rename(r) => {
                self.note_name(prefix, &r.ident.to_string(), &r.rename.to_string())
            }
            UseTree::Glob(_) => {
                if let Some(first) = prefix.first() {
                    self.roots.insert(first.clone());
                }
            }
        }
    }

    fn note_name(&mut self, prefix: &[String], name: &str, local: &str) {
        let first = prefix.first().map(String::as_str).unwrap_or(name);
        self.roots.insert(first.to_string());
        if !prefix.is_empty() {
            self.imports.insert(local.to_string(), first.to_string());
        }
        if prefix.last().is_some_and(|p| p == "thread") && name == "sleep" {
            self.uses_thread_sleep = true;
        }
    }
}

impl<'ast> FileNames<'ast> {
    fn note_fn(&mut self, name: &proc_macro2::Ident, body: &'ast syn::Block) {
        self.fns.insert(name.to_string(), body);
    }

    /// The functions of the file called in `body` that wrap a sleep: named
    /// for it (`*sleep*`, `*delay*`, `*wait*`, `pause`), with a sleep and
    /// no loop in their body (`recreate()`, which also sleeps, is an
    /// operation, not a sleep). Calling one sleeps. Answers are cached.
    pub(super) fn sleepy_calls(
        &self,
        body: &syn::Block,
        cache: &mut HashMap<String, bool>,
    ) -> HashSet<String> {
        struct Calls<'n, 'ast>(&'n FileNames<'ast>, Vec<String>);
        impl<'ast> Visit<'ast> for Calls<'_, '_> {
            fn visit_expr_call(&mut self, c: &'ast syn::ExprCall) {
                if let Expr::Path(p) = &*c.func {
                    if let Some(s) = p.path.segments.last() {
                        let n = s.ident.to_string();
                        if self.0.fns.contains_key(&n) {
                            self.1.push(n);
                        }
                    }
                }
                visit::visit_expr_call(self, c);
            }
            fn visit_expr_method_call(&mut self, m: &'ast syn::ExprMethodCall) {
                let n = m.method.to_string();
                if self.0.fns.contains_key(&n) {
                    self.1.push(n);
                }
                visit::visit_expr_method_call(self, m);
            }
            fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        }
        let mut calls = Calls(self, Vec::new());
        calls.visit_block(body);
        calls
            .1
            .into_iter()
            .filter(|n| {
                let named = ["sleep", "delay", "wait", "pause"]
                    .iter()
                    .any(|w| n.to_ascii_lowercase().contains(w));
                named
                    && *cache
                        .entry(n.clone())
                        .or_insert_with(|| self.fns.get(n).is_some_and(|b| sleeps_without_loop(b)))
            })
            .collect()
    }
}

/// A body that calls a sleep and has no loop: a sleep wrapper.
fn sleeps_without_loop(b: &syn::Block) -> bool {
    #[derive(Default)]
    struct S(bool, bool);
    impl<'ast> Visit<'ast> for S {
        fn visit_expr_loop(&mut self, _: &'ast syn::ExprLoop) {
            self.1 = true;
        }
        fn visit_expr_while(&mut self, _: &'ast syn::ExprWhile) {
            self.1 = true;
        }
        fn visit_expr_for_loop(&mut self, _: &'ast syn::ExprForLoop) {
            self.1 = true;
        }
        fn visit_ident(&mut self, i: &'ast proc_macro2::Ident) {
            if i.to_string().contains("sleep") {
                self.0 = true;
            }
        }
        fn visit_expr_await(&mut self, a: &'ast syn::ExprAwait) {
            // `executor.delay(d).await`, `timer.wait(d).await`
            if let Expr::MethodCall(m) = &*a.base {
                if (m.method == "delay" || m.method == "wait") && !m.args.is_empty() {
                    self.0 = true;
                }
            }
            visit::visit_expr_await(self, a);
        }
    }
    let mut s = S::default();
    s.visit_block(b);
    s.0 && !s.1
}

impl<'ast> Visit<'ast> for FileNames<'ast> {
    fn visit_item_mod(&mut self, i: &'ast syn::ItemMod) {
        if !self.include_tests && is_test_code(&i.attrs) {
            return;
        }
        self.local_mods.insert(i.ident.to_string());
        visit::visit_item_mod(self, i);
    }
    fn visit_item_fn(&mut self, i: &'ast syn::ItemFn) {
        if !self.include_tests && is_test_code(&i.attrs) {
            return;
        }
        self.note_fn(&i.sig.ident, &i.block);
        visit::visit_item_fn(self, i);
    }
    fn visit_impl_item_fn(&mut self, i: &'ast syn::ImplItemFn) {
        if !self.include_tests && is_test_code(&i.attrs) {
            return;
        }
        self.note_fn(&i.sig.ident, &i.block);
        visit::visit_impl_item_fn(self, i);
    }
    fn visit_item_use(&mut self, i: &'ast syn::ItemUse) {
        if !self.include_tests && is_test_code(&i.attrs) {
            return;
        }
        self.note_use(&i.tree, &mut Vec::new());
    }
    fn visit_item_macro(&mut self, i: &'ast syn::ItemMacro) {
        if let (true, Some(name)) = (i.mac.path.is_ident("macro_rules"), &i.ident) {
            if tokens_jump(&i.mac.tokens, true) {
                self.control_macros.insert(name.to_string());
            }
        }
    }
    fn visit_item_struct(&mut self, i: &'ast syn::ItemStruct) {
        self.local_types.insert(i.ident.to_string());
    }
    fn visit_item_enum(&mut self, i: &'ast syn::ItemEnum) {
        self.local_types.insert(i.ident.to_string());
    }
    fn visit_item_type(&mut self, i: &'ast syn::ItemType) {
        self.local_types.insert(i.ident.to_string());
    }
    fn visit_item_const(&mut self, i: &'ast syn::ItemConst) {
        self.consts.insert(i.ident.to_string(), &i.expr);
        visit::visit_item_const(self, i);
    }
    fn visit_item_static(&mut self, i: &'ast syn::ItemStatic) {
        self.consts.insert(i.ident.to_string(), &i.expr);
        visit::visit_item_static(self, i);
    }
    fn visit_impl_item_const(&mut self, i: &'ast syn::ImplItemConst) {
        self.consts.insert(i.ident.to_string(), &i.expr);
        visit::visit_impl_item_const(self, i);
    }
    // Expressions hold no items worth collecting except in blocks; skip
    // closures and macros for speed.
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// Whether macro tokens jump out of the code around them (`continue`,
/// `break`, `return`), or, with `or_sleep`, also sleep (a `macro_rules!`
/// body: what its calls expand to).
pub(super) fn tokens_jump(tokens: &TokenStream, or_sleep: bool) -> bool {
    tokens.clone().into_iter().any(|t| match t {
        TokenTree::Ident(i) => {
            let s = i.to_string();
            matches!(s.as_str(), "continue" | "break" | "return")
                || (or_sleep && s.contains("sleep"))
        }
        TokenTree::Group(g) => tokens_jump(&g.stream(), or_sleep),
        _ => false,
    })
}

/// Whether the tokens of a `macro_rules!` body hold a retry loop: a loop
/// keyword and a sleep (the body is not Rust syntax until expanded).
pub(super) fn macro_has_retry_loop(tokens: &TokenStream) -> bool {
    fn walk(ts: &TokenStream, has_loop: &mut bool, has_sleep: &mut bool) {
        for t in ts.clone() {
            match t {
                TokenTree::Ident(i) => {
                    let s = i.to_string();
                    *has_loop |= matches!(s.as_str(), "loop" | "while" | "for");
                    *has_sleep |= matches!(s.as_str(), "sleep" | "delay_for");
                }
                TokenTree::Group(g) => walk(&g.stream(), has_loop, has_sleep),
                _ => {}
            }
        }
    }
    let (mut l, mut s) = (false, false);
    walk(tokens, &mut l, &mut s);
    l && s
}
