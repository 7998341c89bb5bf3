//! Small questions about syn trees that every extractor asks.

use proc_macro2::Ident;
use syn::visit::Visit;
use syn::{Expr, Path};

pub(super) fn last2(path: &Path) -> (Option<&Ident>, Option<&Ident>) {
    let n = path.segments.len();
    let last = path.segments.last().map(|s| &s.ident);
    let prev = if n >= 2 {
        path.segments.iter().nth(n - 2).map(|s| &s.ident)
    } else {
        None
    };
    (prev, last)
}

pub(super) fn is(id: Option<&Ident>, name: &str) -> bool {
    id.is_some_and(|i| i == name)
}

pub(super) fn member_is(m: &syn::Member, name: &str) -> bool {
    matches!(m, syn::Member::Named(i) if i == name)
}

/// [`mentions`] over a block.
pub(super) fn mentions_block(b: &syn::Block, names: &[&str]) -> bool {
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
pub(super) fn mentions(e: &Expr, names: &[&str]) -> bool {
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
