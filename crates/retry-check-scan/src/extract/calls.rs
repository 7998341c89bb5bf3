//! Policies that cross a function boundary within the file: a strategy
//! passed to a function that adds `.take(n)` or hands it to
//! `Retry::spawn`. Uses of parameters and policies passed at call sites
//! are recorded while visiting and joined once the whole file is seen, so
//! the order of the functions does not matter.

use syn::{Expr, ExprMethodCall};

use super::Scanner;
use crate::policy::{Predicate, Val};
use retry_check_diagnostics::Span;

/// Builder methods applied to parameter `index` of function `func`.
struct ParamUse<'ast> {
    func: String,
    index: usize,
    methods: Vec<&'ast ExprMethodCall>,
}

/// Parameter `index` of `func` handed to a retry call, which made
/// `placeholder` (a policy with unknown fields) for it.
struct ParamEntry {
    func: String,
    index: usize,
    predicate: Val<Predicate>,
    at: Span,
    placeholder: Option<usize>,
}

/// Policy `pid` passed as argument `index` of a call to `func`.
struct CallArg {
    func: String,
    index: usize,
    pid: usize,
}

#[derive(Default)]
pub(super) struct Links<'ast> {
    uses: Vec<ParamUse<'ast>>,
    entries: Vec<ParamEntry>,
    args: Vec<CallArg>,
}

impl<'ast> Scanner<'ast, '_> {
    /// The index of `e` among the current function's parameters, when `e`
    /// names one that no `let` has rebound.
    pub(super) fn param_index(&self, e: &Expr) -> Option<usize> {
        if self.params.is_empty() {
            return None;
        }
        let Expr::Path(p) = e else { return None };
        let ident = p.path.get_ident()?;
        let ix = self.params.iter().position(|n| ident == n)?;
        let name = ident.to_string();
        if self.bindings.contains_key(&name) || self.let_of(&name).is_some() {
            return None;
        }
        Some(ix)
    }

    pub(super) fn note_param_use(&mut self, index: usize, methods: &[&'ast ExprMethodCall]) {
        if let (Some(func), false) = (self.fn_stack.last(), methods.is_empty()) {
            self.links.uses.push(ParamUse {
                func: func.clone(),
                index,
                methods: methods.to_vec(),
            });
        }
    }

    pub(super) fn note_param_entry(
        &mut self,
        index: usize,
        predicate: Val<Predicate>,
        at: Span,
        placeholder: Option<usize>,
    ) {
        if let Some(func) = self.fn_stack.last() {
            self.links.entries.push(ParamEntry {
                func: func.clone(),
                index,
                predicate,
                at,
                placeholder,
            });
        }
    }

    /// Visit the arguments of a call to `func`, noting the policies passed.
    pub(super) fn call_args(
        &mut self,
        func: &proc_macro2::Ident,
        args: impl IntoIterator<Item = &'ast Expr>,
    ) {
        for (index, a) in args.into_iter().enumerate() {
            if let Some(pid) = self.chain_or_visit(a) {
                self.links.args.push(CallArg {
                    func: func.to_string(),
                    index,
                    pid,
                });
            }
        }
    }

    /// Join parameter uses with the policies callers pass.
    pub(super) fn link_calls(&mut self) {
        let links = std::mem::take(&mut self.links);
        for arg in &links.args {
            for u in links
                .uses
                .iter()
                .filter(|u| u.func == arg.func && u.index == arg.index)
            {
                for m in &u.methods {
                    let args: Vec<&Expr> = m.args.iter().collect();
                    let sp = self.method_span(m);
                    self.apply(arg.pid, &m.method.to_string(), &args, sp, false);
                }
            }
            for e in links
                .entries
                .iter()
                .filter(|e| e.func == arg.func && e.index == arg.index)
            {
                let p = &mut self.policies[arg.pid];
                p.predicate = e.predicate.clone();
                p.field_spans.insert("predicate", e.at.clone());
                if let Some(ph) = e.placeholder {
                    self.dead.push(ph);
                }
            }
        }
    }
}
