//! A baseline: the findings a team has today, recorded so that a run
//! reports only new ones (semgrep's baseline, ruff's `--add-noqa`
//! workflow), letting a linter be adopted on an existing codebase without
//! fixing everything first.
//!
//! A finding is recorded by the fingerprint SARIF gives it
//! ([`sarif::fingerprint_of`]): a hash of its code, its file (relative to
//! the repository root), the TOML item it points at (`server.payments.
//! key_ttl`) and its message, never a line or column, so moving a finding
//! (an edit above it) keeps it known while changing it (another value in
//! the message) makes it new. Nothing attached to a finding (notes, a
//! simulated counterexample and its timeline, a fix) is part of it.
//! Entries are counted: two identical findings need two entries, and a
//! third one is new.
//!
//! The file is JSON, sorted, one finding per entry with its code, file,
//! item and message beside the fingerprint, so a reviewer can read what a
//! change to it accepts.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::render::plural;
use crate::sarif::{self, item_path};
use crate::{Diagnostic, SourceMap};

/// The format version of the file.
pub const VERSION: u32 = 1;

/// One recorded finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub file: String,
    pub code: String,
    pub item: String,
    pub message: String,
    pub fingerprint: String,
}

/// The recorded findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub entries: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    findings: Vec<Entry>,
}

fn entry(d: &Diagnostic, sources: &SourceMap, uri_of: &dyn Fn(&str) -> String) -> Entry {
    let (file, item) = match &d.primary {
        Some(p) => (
            uri_of(sources.path(p.span.source)),
            item_path(sources.text(p.span.source), p.span.range.start),
        ),
        None => (String::new(), String::new()),
    };
    Entry {
        file,
        code: d.code.to_string(),
        item,
        message: d.message.clone(),
        fingerprint: sarif::fingerprint_of(d, sources, uri_of),
    }
}

impl Baseline {
    /// Record `diags` (those `baselinable` accepts). `uri_of` makes a
    /// shown path relative to the repository root.
    pub fn record(
        diags: &[Diagnostic],
        sources: &SourceMap,
        uri_of: &dyn Fn(&str) -> String,
        baselinable: &dyn Fn(&Diagnostic) -> bool,
    ) -> Baseline {
        let mut entries: Vec<Entry> = diags
            .iter()
            .filter(|d| baselinable(d))
            .map(|d| entry(d, sources, uri_of))
            .collect();
        entries.sort();
        Baseline { entries }
    }

    /// The file's text (pretty JSON, final newline).
    pub fn to_json(&self) -> String {
        let file = File {
            version: VERSION,
            findings: self.entries.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Read a baseline file's text; `path` is for the error.
    pub fn parse(text: &str, path: &str) -> Result<Baseline, String> {
        let file: File = serde_json::from_str(text).map_err(|e| {
            format!(
                "`{path}` is not a retry-check baseline: {e} (line {}, column {}); \
                 write one with --write-baseline",
                e.line(),
                e.column()
            )
        })?;
        if file.version != VERSION {
            return Err(format!(
                "`{path}` is a version {} baseline; this retry-check reads version {VERSION}",
                file.version
            ));
        }
        Ok(Baseline {
            entries: file.findings,
        })
    }

    /// Split `diags` into the new ones and those the baseline knows; the
    /// entries no finding matched are fixed. Diagnostics `baselinable`
    /// refuses (a contract that does not parse) are always new.
    pub fn compare(
        &self,
        diags: Vec<Diagnostic>,
        sources: &SourceMap,
        uri_of: &dyn Fn(&str) -> String,
        baselinable: &dyn Fn(&Diagnostic) -> bool,
    ) -> Comparison {
        let mut remaining: BTreeMap<&str, usize> = BTreeMap::new();
        for e in &self.entries {
            *remaining.entry(e.fingerprint.as_str()).or_default() += 1;
        }
        let mut new = Vec::new();
        let mut known = 0;
        for d in diags {
            let fp = sarif::fingerprint_of(&d, sources, uri_of);
            match remaining.get_mut(fp.as_str()) {
                Some(n) if *n > 0 && baselinable(&d) => {
                    *n -= 1;
                    known += 1;
                }
                _ => new.push(d),
            }
        }
        let mut fixed = Vec::new();
        for e in &self.entries {
            if let Some(n) = remaining.get_mut(e.fingerprint.as_str()) {
                if *n > 0 {
                    *n -= 1;
                    fixed.push(e.clone());
                }
            }
        }
        Comparison { new, known, fixed }
    }
}

/// A run against a baseline.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The findings to report.
    pub new: Vec<Diagnostic>,
    /// How many findings the baseline knew (not reported).
    pub known: usize,
    /// Entries no finding matched any more.
    pub fixed: Vec<Entry>,
}

impl Comparison {
    /// `baseline: 2 new, 5 known, 1 fixed`.
    pub fn summary_line(&self) -> String {
        format!(
            "baseline: {} new, {} known, {} fixed",
            self.new.len(),
            self.known,
            self.fixed.len()
        )
    }

    /// The summary object; with `show_fixed` it lists the fixed entries.
    pub fn json(&self, show_fixed: bool) -> Value {
        let mut v = json!({
            "new": self.new.len(),
            "known": self.known,
            "fixed": self.fixed.len(),
        });
        if show_fixed {
            v["fixed_findings"] = json!(self.fixed);
        }
        v
    }

    /// One line per fixed entry, after a heading (none when nothing was
    /// fixed), for the human and short reports.
    pub fn fixed_lines(&self) -> Vec<String> {
        if self.fixed.is_empty() {
            return Vec::new();
        }
        let mut lines = vec![format!(
            "fixed since the baseline ({}):",
            plural(self.fixed.len() as u64, "finding")
        )];
        for e in &self.fixed {
            let at = match (e.file.is_empty(), e.item.is_empty()) {
                (true, _) => String::new(),
                (false, true) => format!("{}: ", e.file),
                (false, false) => format!("{} ({}): ", e.file, e.item),
            };
            lines.push(format!("  fixed[{}] {at}{}", e.code, e.message));
        }
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Severity, Span};

    const TEXT: &str =
        "[server.payments]\nkey_ttl = \"24h\"\n\n[client.checkout]\nmax_attempts = 9\n";

    fn at(map: &mut SourceMap, text: &str, needle: &str, code: &str, message: &str) -> Diagnostic {
        let existing = map.files().next().map(|(id, _)| id);
        let id = match existing {
            Some(id) => id,
            None => map.add("contracts/p.toml", text),
        };
        let start = text.find(needle).unwrap();
        Diagnostic::new(code.to_string(), "x", Severity::Error, message)
            .with_primary(Span::new(id, start..start + needle.len()), "here")
    }

    fn identity(p: &str) -> String {
        p.to_string()
    }

    fn all(_: &Diagnostic) -> bool {
        true
    }

    #[test]
    fn a_baseline_round_trips_and_hides_what_it_knows() {
        let mut map = SourceMap::new();
        let ttl = at(&mut map, TEXT, "\"24h\"", "RC001", "forgets keys");
        let attempts = at(&mut map, TEXT, "9", "RC006", "too many attempts");
        let baseline = Baseline::record(std::slice::from_ref(&ttl), &map, &identity, &all);
        assert_eq!(baseline.entries[0].item, "server.payments.key_ttl");
        let text = baseline.to_json();
        let read = Baseline::parse(&text, "b.json").unwrap();
        assert_eq!(read, baseline);

        let c = read.compare(vec![ttl.clone(), attempts.clone()], &map, &identity, &all);
        assert_eq!(c.new, std::slice::from_ref(&attempts));
        assert_eq!((c.known, c.fixed.len()), (1, 0));
        assert_eq!(c.summary_line(), "baseline: 1 new, 1 known, 0 fixed");

        // The finding is gone: its entry is fixed.
        let c = read.compare(vec![attempts], &map, &identity, &all);
        assert_eq!(c.fixed.len(), 1);
        assert_eq!(
            c.fixed_lines()[1],
            "  fixed[RC001] contracts/p.toml (server.payments.key_ttl): forgets keys"
        );
        assert_eq!(c.json(true)["fixed_findings"][0]["code"], "RC001");
    }

    #[test]
    fn entries_count_and_attachments_do_not_matter() {
        let mut map = SourceMap::new();
        let d = at(&mut map, TEXT, "\"24h\"", "RC001", "forgets keys");
        let baseline = Baseline::record(std::slice::from_ref(&d), &map, &identity, &all);
        // The same finding with a simulated proof attached is still known.
        let proven = d
            .clone()
            .with_note("counterexample (seed 1): ...")
            .with_diagram("sequenceDiagram")
            .with_secondary(
                Span::new(d.primary.as_ref().unwrap().span.source, 0..1),
                "x",
            );
        let c = baseline.compare(vec![proven, d.clone()], &map, &identity, &all);
        assert_eq!((c.known, c.new.len()), (1, 1), "a second instance is new");
        // What the predicate refuses is never hidden.
        let c = baseline.compare(vec![d], &map, &identity, &|_| false);
        assert_eq!((c.known, c.new.len()), (0, 1));
    }

    #[test]
    fn moving_a_finding_keeps_it_known() {
        let mut before = SourceMap::new();
        let d = at(&mut before, TEXT, "\"24h\"", "RC001", "forgets keys");
        let baseline = Baseline::record(&[d], &before, &identity, &all);
        let shifted = format!("# a new comment\n\n{TEXT}");
        let mut after = SourceMap::new();
        let moved = at(&mut after, &shifted, "\"24h\"", "RC001", "forgets keys");
        let c = baseline.compare(vec![moved], &after, &identity, &all);
        assert_eq!(c.known, 1);
    }

    #[test]
    fn bad_files_are_explained() {
        let e = Baseline::parse("{}", "b.json").unwrap_err();
        assert!(e.contains("not a retry-check baseline"), "{e}");
        let e = Baseline::parse("{\"version\": 9, \"findings\": []}", "b.json").unwrap_err();
        assert!(e.contains("version 9"), "{e}");
    }
}
