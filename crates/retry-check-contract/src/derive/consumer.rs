//! Facts derived from a consumer's contract: how late a redelivery can
//! arrive, and how long its seen-set remembers an event.

use crate::model::{Consumer, Origin};
use crate::Duration;

/// How late, after an event was first delivered, a redelivery of it can
/// still arrive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedeliveryWindow {
    /// `redelivery_window` is written in the contract.
    Declared(Duration),
    /// Not written: the source's default retention.
    SourceDefault(Duration, Origin),
    /// Not written, and the source keeps events without a time limit by
    /// default (or the source is unknown).
    Unknown,
}

impl RedeliveryWindow {
    pub fn duration(self) -> Option<Duration> {
        match self {
            RedeliveryWindow::Declared(d) | RedeliveryWindow::SourceDefault(d, _) => Some(d),
            RedeliveryWindow::Unknown => None,
        }
    }
}

pub fn redelivery_window(consumer: &Consumer) -> RedeliveryWindow {
    if let Some(w) = &consumer.redelivery_window {
        return RedeliveryWindow::Declared(w.value);
    }
    match consumer
        .source_kind()
        .and_then(|k| k.default_redelivery_window())
    {
        Some((d, origin)) => RedeliveryWindow::SourceDefault(d, origin),
        None => RedeliveryWindow::Unknown,
    }
}

/// How long the seen-set fills at the declared rate: `max_entries` divided
/// by `rate_per_sec`, when both are declared (and the rate is positive).
pub fn time_to_fill(consumer: &Consumer) -> Option<Duration> {
    let max = consumer.dedup()?.max_entries.as_ref()?.value;
    let rate = consumer.rate_per_sec.as_ref()?.value;
    if rate.is_nan() || rate <= 0.0 || max <= 0 {
        return None;
    }
    let ms = (max as f64 / rate * 1000.0).floor();
    Some(Duration(if ms >= u64::MAX as f64 {
        u64::MAX
    } else {
        ms as u64
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn consumer(body: &str) -> Consumer {
        let (set, errors) =
            crate::load_str("t.toml", &format!("version = 1\n[consumer.c]\n{body}"));
        assert!(errors.is_empty(), "{errors:?}");
        set.consumers[0].clone()
    }

    #[test]
    fn the_declared_window_wins_over_the_source_default() {
        let c = consumer("source = \"kafka:t\"\nredelivery_window = \"30d\"\n");
        assert_eq!(
            redelivery_window(&c),
            RedeliveryWindow::Declared(Duration(30 * 24 * 3_600_000))
        );
        let c = consumer("source = \"sqs:q\"\n");
        assert!(matches!(
            redelivery_window(&c),
            RedeliveryWindow::SourceDefault(Duration(345_600_000), _)
        ));
        let c = consumer("source = \"queue:q\"\n");
        assert_eq!(redelivery_window(&c), RedeliveryWindow::Unknown);
    }

    #[test]
    fn time_to_fill_needs_both_numbers() {
        let c = consumer(
            "source = \"kafka:t\"\nrate_per_sec = 500\ndedup = { max_entries = 1_000_000 }\n",
        );
        assert_eq!(time_to_fill(&c), Some(Duration(2_000_000)));
        let c = consumer("source = \"kafka:t\"\ndedup = { max_entries = 1_000_000 }\n");
        assert_eq!(time_to_fill(&c), None);
        let c = consumer("source = \"kafka:t\"\nrate_per_sec = 0.001\ndedup = { max_entries = 1_000_000_000_000 }\n");
        assert_eq!(time_to_fill(&c), Some(Duration(1_000_000_000_000_000_000)));
    }
}
