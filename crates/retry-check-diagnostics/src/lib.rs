//! Diagnostics shared by every part of retry-check: the contract parser, the
//! rules, the source scanner, the simulators and the model checker.
//!
//! * [`SourceMap`] owns the text of every file we report on and turns byte
//!   offsets into 1-based line and column numbers (columns count Unicode
//!   scalar values, the unit rustc's JSON output uses).
//! * [`Diagnostic`] is one finding: a code, a name, a severity, a message, a
//!   primary [`Label`] and any number of secondary labels, notes and helps.
//! * [`render`] turns diagnostics into the human (rustc look, through
//!   `annotate-snippets`), short (`file:line:col: level[code]: message`) and
//!   JSON Lines formats; [`sarif`] writes SARIF 2.1.0 and [`github`] GitHub
//!   Actions annotations and step summaries.
//! * [`report::render`] writes a whole run's report in any output format
//!   (the human, short and JSON reports with the run's closing summary,
//!   SARIF, JUnit XML, GitHub annotations, markdown).
//! * [`outputs`]: where a report goes, stdout and any number of files,
//!   each in its own format, from one analysis; [`baseline`]: today's
//!   findings recorded by fingerprint, so that a run reports only new
//!   ones; [`fix`]: a finding's mechanical fix, as data.
//! * [`Lint`] declares a code (name, group, default level, the job that
//!   reports it, summary and explain text); [`Level`] and [`Group`] are what
//!   users configure.

pub mod baseline;
mod diagnostic;
pub mod fix;
pub mod github;
mod lint;
pub mod outputs;
pub mod render;
pub mod report;
pub mod sarif;
mod source_map;

pub use diagnostic::{Diagnostic, Label, Severity};
pub use fix::Fix;
pub use lint::{find_lint, Group, Job, Level, Lint};
pub use source_map::{LineCol, SourceFile, SourceId, SourceMap, Span};
