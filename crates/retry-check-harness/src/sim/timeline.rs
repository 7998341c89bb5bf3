//! The numbered, per-actor timeline of a trace, in virtual time.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::store::VirtualTime;

/// One numbered line of a timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineLine {
    /// Virtual time of the step, in milliseconds.
    pub time_ms: u64,
    /// Who acted: `c1`, `r1`, `server h2`, `store`, `clock`, `ledger`, ...
    pub actor: String,
    /// What happened, with the store's answer.
    pub text: String,
    /// A mark such as `!! second execution`, when the oracle flagged it.
    pub mark: Option<String>,
}

/// The numbered timeline of one simulated case.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    lines: Vec<TimelineLine>,
    /// Lines are numbered but hold no text (see [`Timeline::counting_only`]).
    #[serde(skip)]
    counting_only: bool,
}

impl Timeline {
    /// An empty timeline.
    pub fn new() -> Self {
        Timeline::default()
    }

    /// A timeline that numbers its lines and keeps no text: for a first
    /// run of a case, which is shown only if it fails (and then it runs
    /// again with a full timeline). Writing every line of every passing
    /// case was a quarter of an in-process case's time.
    pub(crate) fn counting_only() -> Self {
        Timeline {
            lines: Vec::new(),
            counting_only: true,
        }
    }

    /// Whether pushed text is kept: when not, a caller need not format it.
    pub(crate) fn keeps_text(&self) -> bool {
        !self.counting_only
    }

    /// Append a line; returns its number (1-based).
    pub fn push(
        &mut self,
        time: VirtualTime,
        actor: impl Into<String>,
        text: impl Into<String>,
    ) -> usize {
        let (actor, text) = if self.counting_only {
            (String::new(), String::new())
        } else {
            (actor.into(), text.into())
        };
        self.lines.push(TimelineLine {
            time_ms: time.as_millis(),
            actor,
            text,
            mark: None,
        });
        self.lines.len()
    }

    /// Mark line `n` (1-based); later marks are appended.
    pub fn mark(&mut self, n: usize, mark: &str) {
        if self.counting_only {
            return;
        }
        if let Some(line) = n.checked_sub(1).and_then(|i| self.lines.get_mut(i)) {
            line.mark = Some(match line.mark.take() {
                Some(m) => format!("{m}; {mark}"),
                None => mark.to_string(),
            });
        }
    }

    /// Keep the first `n` lines.
    pub(crate) fn truncate(&mut self, n: usize) {
        self.lines.truncate(n);
    }

    /// The number of numbered lines.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// True when nothing happened.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The lines, in order.
    pub fn lines(&self) -> &[TimelineLine] {
        &self.lines
    }

    /// Render as a Mermaid sequence diagram (for markdown reports): one
    /// participant per actor in order of appearance, one note per line.
    pub fn to_mermaid(&self) -> String {
        let mut actors: Vec<&str> = Vec::new();
        for l in &self.lines {
            if !actors.contains(&l.actor.as_str()) {
                actors.push(&l.actor);
            }
        }
        let id = |a: &str| -> String {
            a.chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect()
        };
        let clean = |t: &str| t.replace(['#', ';'], " ").replace('"', "'");
        let mut out = String::from("sequenceDiagram\n");
        for a in &actors {
            let _ = writeln!(out, "    participant {} as {}", id(a), clean(a));
        }
        for (i, l) in self.lines.iter().enumerate() {
            let mark = l
                .mark
                .as_deref()
                .map_or(String::new(), |m| format!(" [{}]", clean(m)));
            let _ = writeln!(
                out,
                "    Note over {}: {} {} {}{}",
                id(&l.actor),
                i + 1,
                VirtualTime(l.time_ms),
                clean(&l.text),
                mark
            );
        }
        out
    }

    /// Render as aligned text: `#  time  actor  event  mark`.
    pub fn render(&self) -> String {
        let num_w = self.lines.len().to_string().len().max(2);
        let time_w = self
            .lines
            .iter()
            .map(|l| VirtualTime(l.time_ms).to_string().len())
            .max()
            .unwrap_or(8);
        let actor_w = self
            .lines
            .iter()
            .map(|l| l.actor.len())
            .max()
            .unwrap_or(5)
            .max(5);
        let mut out = String::new();
        for (i, l) in self.lines.iter().enumerate() {
            let _ = write!(
                out,
                "{:>num_w$}  {:<time_w$}  {:<actor_w$}  {}",
                i + 1,
                VirtualTime(l.time_ms).to_string(),
                l.actor,
                l.text
            );
            if let Some(m) = &l.mark {
                let _ = write!(out, "   {m}");
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_numbers_aligns_and_marks() {
        let mut t = Timeline::new();
        assert!(t.is_empty());
        t.push(VirtualTime(0), "c1", "send");
        let n = t.push(VirtualTime(12_345), "server h1", "begin");
        t.mark(n, "!! second execution");
        t.mark(n, "note");
        t.mark(99, "ignored");
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.render(),
            " 1  t=0.000s   c1         send\n 2  t=12.345s  server h1  begin   !! second execution; note\n"
        );
        let mermaid = t.to_mermaid();
        assert!(mermaid.starts_with("sequenceDiagram\n    participant c1 as c1\n    participant server_h1 as server h1\n"), "{mermaid}");
        assert!(
            mermaid.contains("Note over server_h1: 2 t=12.345s begin [!! second execution  note]"),
            "{mermaid}"
        );
        t.truncate(1);
        assert_eq!(t.len(), 1);
    }
}
