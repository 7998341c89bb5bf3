//! One large contract file parsed in pieces. The TOML parser holds a token
//! and an event for every few bytes of its input until the tree is built
//! (about 35 bytes per byte of text), so a 50 MB file would need almost
//! 2 GB at once. A file whose shape makes it safe is cut before item
//! headers into pieces of about [`PIECE_BYTES`]; each piece is parsed and
//! walked on its own, and its tree dropped before the next.
//!
//! The cut never changes what a valid file means, and an invalid one is
//! always parsed whole, so every diagnostic stays what it was:
//! - a file is cut only when every header is `[server.NAME...]`,
//!   `[client.NAME...]`, `[consumer.NAME...]` or `[source.NAME...]` with
//!   bare keys, every item's headers are contiguous (no item is split), and
//!   nothing before the first header but `version`, `$schema`, comments
//!   and blank lines (so no piece defines what another one does);
//! - a cut inside a multi-line string, array or inline table leaves that
//!   piece unterminated, which is an error;
//! - if any piece has any error, the pieces are dropped and the whole file
//!   is parsed as before.
//!
//! The pieces' items are put in the order the whole file's tree gives them
//! (its tables are sorted by key).

use std::collections::HashSet;
use std::ops::Range;

use crate::model::ContractSet;

/// About how much text one piece holds.
pub(super) const PIECE_BYTES: usize = 1 << 20;

/// The item tables a piece may hold: the top-level tables of items.
const ITEM_TABLES: &[&str] = &["server", "client", "consumer", "source"];

/// The pieces of `text` (ranges, in order), each about `piece` bytes, or
/// `None` when the file's shape does not make cutting it safe (see the
/// module documentation).
pub(super) fn pieces(text: &str, piece: usize) -> Option<Vec<Range<usize>>> {
    let mut cuts = vec![0];
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    let mut current: Option<(&str, &str)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let t = line.trim_start_matches([' ', '\t']);
        if t.starts_with('[') {
            let item = header(t)?;
            if current != Some(item) {
                if !seen.insert(item) {
                    // An item's headers apart: it must not be cut up.
                    return None;
                }
                let far = cuts.last().is_some_and(|&at| start - at >= piece);
                if current.is_some() && far {
                    cuts.push(start);
                }
                current = Some(item);
            }
        } else if current.is_none() && !prelude_line(t.trim_end()) {
            return None;
        }
    }
    cuts.push(text.len());
    Some(cuts.windows(2).map(|w| w[0]..w[1]).collect())
}

/// A line before the first header that no piece can contradict.
fn prelude_line(t: &str) -> bool {
    t.is_empty()
        || t.starts_with('#')
        || t.starts_with("version")
        || t.starts_with("\"$schema\"")
        || t.starts_with("'$schema'")
}

/// `[server.NAME...]` (bare keys, an optional comment after it) -> the
/// item it belongs to, `("server", "NAME")`; `None` for any other line
/// that starts with `[`.
fn header(line: &str) -> Option<(&str, &str)> {
    let inner = line.strip_prefix('[')?;
    if inner.starts_with('[') {
        return None;
    }
    let close = inner.find(']')?;
    let rest = inner[close + 1..].trim_matches([' ', '\t', '\r', '\n']);
    if !(rest.is_empty() || rest.starts_with('#')) {
        return None;
    }
    let mut parts = inner[..close]
        .split('.')
        .map(|p| p.trim_matches([' ', '\t']));
    let bare = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    let table = parts.next().filter(|p| ITEM_TABLES.contains(p))?;
    let name = parts.next().filter(|p| bare(p))?;
    if !parts.all(bare) {
        return None;
    }
    Some((table, name))
}

/// The pieces' items, appended piece by piece (each piece's tree is gone
/// before the next is parsed; the vectors grow in place), put in the order
/// the whole file's tree walks them: each kind sorted by name, as the TOML
/// tables are (names are unique in a valid file, so an unstable sort gives
/// that order too, without a buffer).
pub(super) fn sort_as_tree(set: &mut ContractSet) {
    set.servers
        .sort_unstable_by(|a, b| a.name.value.cmp(&b.name.value));
    set.clients
        .sort_unstable_by(|a, b| a.name.value.cmp(&b.name.value));
    set.consumers
        .sort_unstable_by(|a, b| a.name.value.cmp(&b.name.value));
    set.sources
        .sort_unstable_by(|a, b| a.name.value.cmp(&b.name.value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_name_their_item_or_stop_the_cut() {
        assert_eq!(header("[server.pay]\n"), Some(("server", "pay")));
        assert_eq!(
            header("[ server . pay .operations.Charge ] # c\n"),
            Some(("server", "pay"))
        );
        assert_eq!(header("[[server]]\n"), None);
        assert_eq!(header("[server]\n"), None);
        assert_eq!(header("[server.\"pay\"]\n"), None);
        assert_eq!(header("[servers.pay]\n"), None);
        assert_eq!(header("[1, 2],\n"), None);
    }

    #[test]
    fn a_file_is_cut_between_items_only_when_safe() {
        let text = "version = 1\n[server.a]\nx = 1\n[server.a.operations.Op]\n[client.b]\ny = 2\n";
        let cut = pieces(text, 1).expect("cuttable");
        assert_eq!(cut.len(), 2, "{cut:?}");
        assert!(text[cut[0].clone()].ends_with("[server.a.operations.Op]\n"));
        assert!(text[cut[1].clone()].starts_with("[client.b]"));
        assert_eq!(cut.last().map(|r| r.end), Some(text.len()));
        // An item whose headers are apart, a root key, an array of tables.
        assert_eq!(
            pieces(
                "version = 1\n[server.a]\n[client.b]\n[server.a.operations.Op]\n",
                1
            ),
            None
        );
        assert_eq!(pieces("version = 1\nserver = 5\n[server.a]\n", 1), None);
        assert_eq!(pieces("version = 1\n[[client]]\n", 1), None);
    }

    /// A file of `n` items of each kind, in reverse name order (the tree
    /// sorts them), with a bad value in item `bad` when given.
    fn large(n: usize, bad: Option<usize>) -> String {
        let mut s = String::from("# generated\nversion = 1\n");
        for i in (0..n).rev() {
            let ttl = if bad == Some(i) { "soon" } else { "24h" };
            s.push_str(&format!(
                "\n[server.s{i:05}]\nkey_source = \"header:Idempotency-Key\"\nkey_ttl = \"{ttl}\"\n\
                 [server.s{i:05}.operations.Op]\nmethod = \"POST\"\n\
                 [client.c{i:05}]\ncalls = [\"s{i:05}.Op\"]\nmax_attempts = {}\n\
                 retry_on = [\n  503,\n]\ndeadline = \"{}s\"\n",
                1 + i % 5,
                1 + i % 7
            ));
        }
        s
    }

    fn parse(text: &str, whole: bool) -> (ContractSet, Vec<retry_check_diagnostics::Diagnostic>) {
        let id = retry_check_diagnostics::SourceId(0);
        let (mut set, mut errors) = (ContractSet::default(), Vec::new());
        if whole {
            super::super::parse_whole(id, text, 0, &mut set, &mut errors);
        } else {
            super::super::parse_file(id, text, &mut set, &mut errors);
        }
        (set, errors)
    }

    #[test]
    fn a_large_file_in_pieces_is_the_same_set_as_whole() {
        let text = large(12_000, None);
        assert!(text.len() > 2 * PIECE_BYTES, "{}", text.len());
        assert!(pieces(&text, PIECE_BYTES).is_some_and(|p| p.len() > 2));
        let (whole, whole_errors) = parse(&text, true);
        assert!(whole_errors.is_empty(), "{whole_errors:?}");
        let (cut, errors) = parse(&text, false);
        assert!(errors.is_empty());
        assert_eq!(cut.servers.len(), 12_000);
        assert_eq!(cut.servers[0].name.value, "s00000", "sorted as the tree is");
        assert!(cut == whole, "the same items, values and spans");
    }

    #[test]
    fn a_large_file_with_an_error_reports_as_a_whole() {
        let text = large(12_000, Some(7_000));
        let (_, whole) = parse(&text, true);
        let (_, cut) = parse(&text, false);
        assert_eq!(whole.len(), 1);
        assert_eq!(cut, whole);
    }
}
