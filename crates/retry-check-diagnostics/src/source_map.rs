use std::ops::Range;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub u32);

/// A byte range in one file of a [`SourceMap`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Span {
    pub source: SourceId,
    pub range: Range<usize>,
}

impl Span {
    pub fn new(source: SourceId, range: Range<usize>) -> Self {
        Span { source, range }
    }
}

/// A 1-based line and column (columns in Unicode scalar values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// One file: the path we show to users and its full text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    /// What the file is (`contract`, `istio`, `grpc-service-config`, ...),
    /// when the reader says: `--format json` names it for each finding.
    pub kind: Option<&'static str>,
    /// Where each line starts, found the first time a position is asked
    /// for: most files of a run (every imported file without a finding)
    /// never need it.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    fn new(path: String, text: String) -> Self {
        SourceFile {
            path,
            text,
            kind: None,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut starts = vec![0];
            starts.extend(self.text.match_indices('\n').map(|(i, _)| i + 1));
            starts
        })
    }

    /// Line and column of a byte offset; offsets past the end or inside a
    /// multi-byte character are clamped rather than panicking.
    pub fn line_col(&self, byte: usize) -> LineCol {
        let byte = clamp_to_char_boundary(&self.text, byte);
        let line_starts = self.line_starts();
        let line_index = match line_starts.binary_search(&byte) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = line_starts[line_index];
        let column = self.text[start..byte].chars().count() + 1;
        LineCol {
            line: line_index + 1,
            column,
        }
    }
}

fn clamp_to_char_boundary(text: &str, byte: usize) -> usize {
    let mut byte = byte.min(text.len());
    while !text.is_char_boundary(byte) {
        byte -= 1;
    }
    byte
}

/// Every file a run reports on. Files are never removed, so a [`SourceId`]
/// stays valid for the life of the map.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> SourceId {
        let id = SourceId(u32::try_from(self.files.len()).unwrap_or(u32::MAX));
        self.files.push(SourceFile::new(path.into(), text.into()));
        id
    }

    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn path(&self, id: SourceId) -> &str {
        self.get(id).map(|f| f.path.as_str()).unwrap_or("<unknown>")
    }

    /// Record what kind of file `id` is (see [`SourceFile::kind`]).
    pub fn set_kind(&mut self, id: SourceId, kind: &'static str) {
        if let Some(f) = self.files.get_mut(id.0 as usize) {
            f.kind = Some(kind);
        }
    }

    pub fn kind(&self, id: SourceId) -> Option<&'static str> {
        self.get(id).and_then(|f| f.kind)
    }

    pub fn text(&self, id: SourceId) -> &str {
        self.get(id).map(|f| f.text.as_str()).unwrap_or("")
    }

    pub fn files(&self) -> impl Iterator<Item = (SourceId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (SourceId(i as u32), f))
    }

    pub fn line_col(&self, span: &Span) -> LineCol {
        self.get(span.source)
            .map(|f| f.line_col(span.range.start))
            .unwrap_or(LineCol { line: 1, column: 1 })
    }

    pub fn end_line_col(&self, span: &Span) -> LineCol {
        self.get(span.source)
            .map(|f| f.line_col(span.range.end))
            .unwrap_or(LineCol { line: 1, column: 1 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_is_one_based_and_counts_chars() {
        let mut map = SourceMap::new();
        let id = map.add("a.toml", "ab\nçd = 1\n");
        let f = map.get(id).unwrap();
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // 'ç' is two bytes: byte 5 is the 'd', the 2nd character.
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 2 });
        // Inside the multi-byte character and past the end: clamped.
        assert_eq!(f.line_col(4), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(999), LineCol { line: 3, column: 1 });
    }
}
