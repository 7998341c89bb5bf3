//! `lint --fix`: applying the fixes rules attach to their findings.
//!
//! A rule builds a finding's [`Fix`] in its check (the fix lives next to the
//! check, as in ruff) and declares it in an `## Autofix` section of its
//! explain text. Here the fixes are applied with toml_edit, which keeps
//! every comment, blank line and key order of the file; only the edited
//! values change.
//!
//! A pass applies every fix whose keys no earlier fix of the pass touched
//! (a later one waits for the next pass); then the files are linted again
//! and the next pass applies what is left, until nothing fixable remains.
//! A fix applies completely or not at all. Fixes that cannot apply (the
//! table is written in a way the edit cannot reach) are reported, not
//! guessed.

use std::collections::BTreeSet;
use std::ops::Range;

use retry_check_diagnostics::fix::{Change, Edit};
use retry_check_diagnostics::{Diagnostic, Fix, SourceId, SourceMap};
use toml_edit::{DocumentMut, Item, TableLike, Value};

/// More passes than any real file needs (each pass fixes every key once).
pub const MAX_PASSES: usize = 32;

/// A fix that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub code: String,
    pub file: SourceId,
    pub summary: String,
}

/// The outcome of fixing until nothing fixable is left.
#[derive(Debug)]
pub struct FixRun {
    /// The files with every fix applied (same paths and ids as the input).
    pub sources: SourceMap,
    pub applied: Vec<Applied>,
    /// Fixes that could not apply: `file: code: summary: why`.
    pub failed: Vec<String>,
    /// The diagnostics of the fixed files (the last lint).
    pub remaining: Vec<Diagnostic>,
}

impl FixRun {
    /// The files whose text changed, with their text before and after.
    pub fn changed<'a>(&'a self, before: &'a SourceMap) -> Vec<(&'a str, &'a str, &'a str)> {
        before
            .files()
            .zip(self.sources.files())
            .filter(|((_, a), (_, b))| a.text != b.text)
            .map(|((_, a), (_, b))| (a.path.as_str(), a.text.as_str(), b.text.as_str()))
            .collect()
    }
}

/// Lint `sources` with `lint`, apply the fixes, and again, until no fix
/// is left or applies (at most [`MAX_PASSES`] passes).
pub fn fix_until_stable(
    sources: &SourceMap,
    lint: &mut dyn FnMut(&SourceMap) -> Vec<Diagnostic>,
) -> FixRun {
    let mut current = sources.clone();
    let mut applied = Vec::new();
    let mut failed = Vec::new();
    let mut remaining = lint(&current);
    for _ in 0..MAX_PASSES {
        let pass = apply_pass(&remaining, &current);
        // A fix that fails now fails in every pass: report it once.
        for f in pass.failed {
            if !failed.contains(&f) {
                failed.push(f);
            }
        }
        if pass.applied.is_empty() {
            break;
        }
        applied.extend(pass.applied);
        current = pass.sources;
        remaining = lint(&current);
    }
    FixRun {
        sources: current,
        applied,
        failed,
        remaining,
    }
}

/// One pass: the fixes of `diags` applied to `sources`.
struct Pass {
    sources: SourceMap,
    applied: Vec<Applied>,
    failed: Vec<String>,
}

fn apply_pass(diags: &[Diagnostic], sources: &SourceMap) -> Pass {
    let mut texts: Vec<String> = sources.files().map(|(_, f)| f.text.clone()).collect();
    let mut touched: BTreeSet<(SourceId, Vec<String>, String)> = BTreeSet::new();
    let mut applied = Vec::new();
    let mut failed = Vec::new();
    for d in diags {
        let Some(fix) = &d.fix else { continue };
        // Fixes edit TOML contracts; a finding in imported configuration
        // (YAML, JSON, INI) is left for its owner to edit.
        if fix
            .edits
            .iter()
            .any(|e| !sources.path(e.file).ends_with(".toml"))
        {
            continue;
        }
        let keys: Vec<_> = fix
            .edits
            .iter()
            .map(|e| (e.file, e.table.clone(), e.change.key().to_string()))
            .collect();
        if keys.iter().any(|k| touched.contains(k)) {
            continue; // the next pass, after a fresh lint
        }
        match apply_fix(fix, &texts) {
            Ok(changed) => {
                for (file, text) in changed {
                    if let Some(t) = texts.get_mut(file.0 as usize) {
                        *t = text;
                    }
                }
                touched.extend(keys);
                let file = fix.edits.first().map_or(SourceId(0), |e| e.file);
                applied.push(Applied {
                    code: d.code.to_string(),
                    file,
                    summary: fix.summary.clone(),
                });
            }
            Err(why) => {
                let file = fix.edits.first().map_or("", |e| sources.path(e.file));
                failed.push(format!("{file}: {}: {}: {why}", d.code, fix.summary));
            }
        }
    }
    let mut next = SourceMap::new();
    for ((_, f), text) in sources.files().zip(texts) {
        next.add(&f.path, &text);
    }
    Pass {
        sources: next,
        applied,
        failed,
    }
}

/// Apply every edit of `fix` (grouped by file) to `texts`, or none.
fn apply_fix(fix: &Fix, texts: &[String]) -> Result<Vec<(SourceId, String)>, String> {
    let mut files: Vec<SourceId> = fix.edits.iter().map(|e| e.file).collect();
    files.dedup();
    let mut out = Vec::new();
    for file in files {
        let text = texts
            .get(file.0 as usize)
            .ok_or_else(|| "the file is not part of this run".to_string())?;
        let edits: Vec<&Edit> = fix.edits.iter().filter(|e| e.file == file).collect();
        out.push((file, edit_text(text, &edits)?));
    }
    Ok(out)
}

/// `text` with `edits` applied, through toml_edit.
pub fn edit_text(text: &str, edits: &[&Edit]) -> Result<String, String> {
    let spanned = toml_edit::Document::parse(text).map_err(|e| e.to_string())?;
    // Element positions are found in the spanned document, before any edit
    // moves them.
    let mut removals = Vec::new();
    for e in edits {
        if let Change::RemoveElement { key, at } = &e.change {
            let array = table(spanned.as_table(), &e.table)?
                .get(key)
                .and_then(Item::as_array)
                .ok_or_else(|| format!("`{key}` is not an array"))?;
            let index = array
                .iter()
                .position(|v| value_span(v).is_some_and(|s| s.contains(at)))
                .ok_or_else(|| format!("no element of `{key}` at byte {at}"))?;
            removals.push((e.table.clone(), key.clone(), index));
        }
    }
    let mut doc: DocumentMut = spanned.into_mut();
    // Highest index first, so the others stay where they were found.
    removals.sort_by_key(|r| std::cmp::Reverse(r.2));
    for (path, key, index) in removals {
        let array = table_mut(doc.as_table_mut(), &path)?
            .get_mut(&key)
            .and_then(Item::as_array_mut)
            .ok_or_else(|| format!("`{key}` is not an array"))?;
        remove_keeping_layout(array, index);
    }
    for e in edits {
        match &e.change {
            Change::Set { key, value } => set(&mut doc, &e.table, key, parse_value(value)?)?,
            Change::AddElement { key, value } => {
                let value = parse_value(value)?;
                let t = table_mut(doc.as_table_mut(), &e.table)?;
                let array = t
                    .get_mut(key)
                    .and_then(Item::as_array_mut)
                    .ok_or_else(|| format!("`{key}` is not an array"))?;
                let written = value.to_string();
                if !array.iter().any(|v| v.to_string().trim() == written.trim()) {
                    array.push(value);
                }
            }
            Change::RemoveElement { .. } => {}
        }
    }
    Ok(doc.to_string())
}

fn parse_value(text: &str) -> Result<Value, String> {
    text.parse::<Value>()
        .map_err(|e| format!("`{text}` is not a TOML value: {e}"))
}

fn value_span(v: &Value) -> Option<Range<usize>> {
    match v {
        Value::String(f) => f.span(),
        Value::Integer(f) => f.span(),
        Value::Float(f) => f.span(),
        Value::Boolean(f) => f.span(),
        Value::Datetime(f) => f.span(),
        Value::Array(a) => a.span(),
        Value::InlineTable(t) => t.span(),
    }
}

fn table<'a>(root: &'a dyn TableLike, path: &[String]) -> Result<&'a dyn TableLike, String> {
    let mut t = root;
    for (i, key) in path.iter().enumerate() {
        t = t
            .get(key)
            .and_then(Item::as_table_like)
            .ok_or_else(|| format!("no table `{}`", path[..=i].join(".")))?;
    }
    Ok(t)
}

fn table_mut<'a>(
    root: &'a mut dyn TableLike,
    path: &[String],
) -> Result<&'a mut dyn TableLike, String> {
    let mut t = root;
    for (i, key) in path.iter().enumerate() {
        t = t
            .get_mut(key)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| format!("no table `{}`", path[..=i].join(".")))?;
    }
    Ok(t)
}

/// The item at `path` (a table, inline or not).
fn item_mut<'a>(doc: &'a mut DocumentMut, path: &[String]) -> Result<&'a mut Item, String> {
    let mut item = doc.as_item_mut();
    for (i, key) in path.iter().enumerate() {
        item = item
            .as_table_like_mut()
            .and_then(|t| t.get_mut(key))
            .ok_or_else(|| format!("no table `{}`", path[..=i].join(".")))?;
    }
    Ok(item)
}

/// Set `key` to `value` in the table at `path`: an existing value keeps
/// its surroundings (the comment after it); a new key goes after the
/// table's last one (in an inline table, before the closing brace).
fn set(doc: &mut DocumentMut, path: &[String], key: &str, mut value: Value) -> Result<(), String> {
    let item = item_mut(doc, path)?;
    let at = || format!("`{}` is not a table", path.join("."));
    if let Some(old) = item
        .as_table_like_mut()
        .ok_or_else(at)?
        .get_mut(key)
        .and_then(Item::as_value_mut)
    {
        *value.decor_mut() = old.decor().clone();
        *old = value;
        return Ok(());
    }
    match item {
        Item::Value(Value::InlineTable(inline)) => {
            // `{ a = 1 }` becomes `{ a = 1, b = 2 }`: the space before the
            // brace moves from the old last value to the new one.
            let before_brace = inline.iter_mut().last().and_then(|(_, v)| {
                let s = v.decor().suffix().cloned();
                v.decor_mut().set_suffix("");
                s
            });
            value.decor_mut().set_prefix(" ");
            value
                .decor_mut()
                .set_suffix(before_brace.unwrap_or_else(|| " ".into()));
            inline.insert(key, value);
        }
        other => {
            other
                .as_table_like_mut()
                .ok_or_else(at)?
                .insert(key, Item::Value(value));
        }
    }
    Ok(())
}

/// Remove element `index`; when it was the first, the next takes its
/// leading space (`[ "A", "B" ]` becomes `[ "B" ]`, not `[  "B" ]`).
fn remove_keeping_layout(array: &mut toml_edit::Array, index: usize) {
    let removed = array.remove(index);
    if index == 0 {
        if let Some(next) = array.get_mut(0) {
            let prefix = removed.decor().prefix().cloned();
            if let Some(p) = prefix {
                next.decor_mut().set_prefix(p);
            }
        }
    }
}

/// The unified diff of one file, as `lint --fix --dry-run` prints it.
pub fn unified_diff(path: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(2)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}
