//! The retry-check source scanner.
//!
//! [`scan_source`] parses one Rust file with `syn` and extracts every retry
//! policy it recognises (backon, backoff, tokio-retry, retry-policies /
//! reqwest-retry, hand-written `loop`/`for`/`while` retry loops) as a
//! [`Policy`]: attempts normalised to *attempts* (retries + 1, per
//! retry-semantics 12.1), initial and max delay, multiplier, jitter, total
//! delay, and whether a retry predicate is present. Literals and consts of
//! the same file are resolved; anything else is [`Val::Unknown`] with the
//! source text, never guessed.
//!
//! [`lint_scan`] runs the code rules (RC101 and up, one file each under
//! [`rules`]) over a [`FileScan`] through the run's lint engine and returns
//! [`Diagnostic`]s.
//!
//! A file that does not parse yields an `RC100 unparsable_source`
//! diagnostic; no input panics.

pub mod drift;
mod eval;
mod extract;
mod files;
mod manifest;
mod options;
pub mod policy;
mod rc100_unparsable_source;
pub mod rules;
mod suppress;

use retry_check_diagnostics::{Diagnostic, Severity, SourceId, SourceMap, Span};

pub use files::scan_files;
pub use manifest::scan_manifest;
pub use options::ScanOptions;
pub use policy::{Attempts, Dur, Jitter, OptDur, Policy, Predicate, RetryCrate, Schedule, Val};
pub use rc100_unparsable_source::UNPARSABLE_SOURCE;
pub use rules::{all_code_rules, lint_scan, lint_scan_at_defaults, lints, CodeContext, CodeRule};
pub use suppress::{Binding, Suppression};

/// Everything the scanner learnt about one file.
#[derive(Debug, Clone, PartialEq)]
pub struct FileScan {
    pub source: SourceId,
    /// Policies in source order.
    pub policies: Vec<Policy>,
    /// `std::thread::sleep` inside a retry loop in async code: (sleep, loop).
    pub blocking_sleeps: Vec<(Span, Span)>,
    /// `.post(..)`, `.patch(..)`, `Method::POST`, `Method::PATCH`.
    pub unsafe_requests: Vec<Span>,
    /// `RetryTransientMiddleware::new_with_policy*` calls.
    pub middleware: Vec<Span>,
    /// The file mentions an idempotency key header or field.
    pub idempotency_key_in_sight: bool,
    /// First mention of an unmaintained retry crate, per crate.
    pub unmaintained: Vec<(RetryCrate, Span)>,
    /// `// retry-check: allow(..)` comments.
    pub suppressions: Vec<Suppression>,
    /// `// retry-check: client = ".."` comments (drift, RC109).
    pub bindings: Vec<Binding>,
    /// tower retry budgets (`TpsBudget::new`, 0.4's `Budget::new`).
    pub budgets: Vec<TowerBudget>,
    /// Code that may hold retries but was not analysed (RC119), with why.
    pub not_analysed: Vec<(Span, String)>,
}

/// `tower::retry::budget::TpsBudget::new(ttl, min_per_sec, retry_percent)`
/// (0.4: `Budget::new`). Default `(10s, 10, 0.2)`.
#[derive(Debug, Clone, PartialEq)]
pub struct TowerBudget {
    pub span: Span,
    pub ttl: Val<Dur>,
    pub min_per_sec: Val<f64>,
    /// Extra load retries may add, as a fraction of requests (0.2 = 20%).
    pub retry_percent: Val<f64>,
}

impl FileScan {
    /// An empty scan of `source` (nothing found).
    pub fn empty(source: SourceId) -> Self {
        FileScan {
            source,
            policies: Vec::new(),
            blocking_sleeps: Vec::new(),
            unsafe_requests: Vec::new(),
            middleware: Vec::new(),
            idempotency_key_in_sight: false,
            unmaintained: Vec::new(),
            suppressions: Vec::new(),
            bindings: Vec::new(),
            budgets: Vec::new(),
            not_analysed: Vec::new(),
        }
    }
}

/// Scan one file of `sources` with the default [`ScanOptions`]. A parse
/// error is returned as an `RC100` diagnostic pointing at the error.
pub fn scan_source(sources: &SourceMap, id: SourceId) -> Result<FileScan, Box<Diagnostic>> {
    scan_file(sources.path(id), sources.text(id), id)
}

/// [`scan_file_with`] the default [`ScanOptions`].
pub fn scan_file(path: &str, text: &str, id: SourceId) -> Result<FileScan, Box<Diagnostic>> {
    scan_file_with(path, text, id, &ScanOptions::default())
}

/// Scan the text of one file that is (or will be) `id` in the run's
/// [`SourceMap`] and is shown as `path`. Lets callers read and scan files
/// on worker threads and add them to the map afterwards, in order.
pub fn scan_file_with(
    path: &str,
    text: &str,
    id: SourceId,
    options: &ScanOptions,
) -> Result<FileScan, Box<Diagnostic>> {
    // syn drops a BOM and a shebang line itself, which would shift every
    // offset; blank them out byte for byte instead.
    let mut owned;
    let mut parse_text = text;
    if text.starts_with('\u{feff}') || (text.starts_with("#!") && !text.starts_with("#![")) {
        owned = text.to_string();
        if owned.starts_with('\u{feff}') {
            owned.replace_range(0..3, "   ");
        }
        let body = owned.trim_start();
        if body.starts_with("#!") && !body.starts_with("#![") {
            let start = owned.len() - body.len();
            let end = owned[start..].find('\n').map_or(owned.len(), |i| start + i);
            let blanks = " ".repeat(end - start);
            owned.replace_range(start..end, &blanks);
        }
        parse_text = owned.as_str();
    }
    let result = match syn::parse_file(parse_text) {
        Ok(file) => Ok(extract::scan_ast(&file, text, id, options)),
        Err(e) => {
            let r = e.span().byte_range();
            // syn's message when the tokenizer fails says nothing useful.
            let what = match e.to_string().as_str() {
                "cannot parse string into token stream" => {
                    "unbalanced delimiters or an unterminated literal".to_string()
                }
                m => m.to_string(),
            };
            let end = r.end.min(text.len());
            let start = r.start.min(end);
            Err(Box::new(
                Diagnostic::new(
                    UNPARSABLE_SOURCE.code,
                    UNPARSABLE_SOURCE.name,
                    Severity::Error,
                    format!("could not parse `{path}`: {what}; the file was not checked"),
                )
                .with_primary(Span::new(id, start..end), what),
            ))
        }
    };
    // Spans have all been turned into byte ranges: release proc-macro2's
    // per-thread source map so long scans do not grow without bound.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}
