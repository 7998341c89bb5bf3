//! Checkpoints: points a store may mark between its own operations.
//!
//! [`checkpoint`] costs nothing outside the harness. In sim mode its label
//! is printed on the timeline line of the store call that passed it (for an
//! async store, the poll that reached it), so a counterexample shows
//! `SELECT` and `INSERT` where a race split them; in the threaded phase of
//! [`Sim::check`](crate::Sim::check) it is also a yield point, where the
//! thread may pause for a moment to widen the window between two of the
//! store's steps. Call it from the store's own code (not from a closure that
//! runs on another thread, such as `spawn_blocking`'s).

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the current thread does with checkpoints.
enum Sink {
    /// Record the labels (sim mode).
    Record(Vec<String>),
    /// Yield now and then (the threaded phase): a SplitMix64 state, the
    /// phase's global sequence counter, and the labels passed with their
    /// place in that sequence.
    Threads {
        state: u64,
        seq: Arc<AtomicU64>,
        labels: Vec<(u64, String)>,
    },
}

thread_local! {
    static SINK: RefCell<Option<Sink>> = const { RefCell::new(None) };
}

/// Mark a point between two steps of the store (`"SELECT claim"`,
/// `"INSERT claim"`); see the module docs.
pub fn checkpoint(label: &str) {
    SINK.with(|sink| {
        let mut sink = sink.borrow_mut();
        match sink.as_mut() {
            None => {}
            Some(Sink::Record(labels)) => labels.push(label.to_string()),
            Some(Sink::Threads { state, seq, labels }) => {
                let r = crate::sim::mix(*state);
                *state = r;
                pause(r);
                labels.push((seq.fetch_add(1, Ordering::SeqCst), label.to_string()));
            }
        }
    });
}

/// A yield point without a label (the `sync` facade's locks): a seeded
/// pause in the threaded phase, nothing elsewhere.
#[cfg(not(loom))]
pub(crate) fn yield_point() {
    SINK.with(|sink| {
        if let Some(Sink::Threads { state, .. }) = sink.borrow_mut().as_mut() {
            let r = crate::sim::mix(*state);
            *state = r;
            pause(r);
        }
    });
}

/// A short, seeded pause: nothing, a spin of up to a few microseconds, or a
/// yield of the thread.
pub(crate) fn pause(r: u64) {
    match r % 4 {
        0 => {}
        1 | 2 => {
            for _ in 0..(r >> 8) % 2_000 {
                std::hint::spin_loop();
            }
        }
        _ => std::thread::yield_now(),
    }
}

/// Run `f`, recording the checkpoints it passes on this thread.
pub(crate) fn recording<T>(f: impl FnOnce() -> T) -> (T, Vec<String>) {
    let previous = SINK.with(|s| s.borrow_mut().replace(Sink::Record(Vec::new())));
    let out = f();
    let labels = SINK.with(|s| {
        let mut s = s.borrow_mut();
        let mine = std::mem::replace(&mut *s, previous);
        match mine {
            Some(Sink::Record(labels)) => labels,
            _ => Vec::new(),
        }
    });
    (out, labels)
}

/// Run `f` with checkpoints as seeded yield points numbered from `seq`;
/// returns the labels passed with their numbers.
pub(crate) fn yielding<T>(
    seed: u64,
    seq: &Arc<AtomicU64>,
    f: impl FnOnce() -> T,
) -> (T, Vec<(u64, String)>) {
    let previous = SINK.with(|s| {
        s.borrow_mut().replace(Sink::Threads {
            state: seed,
            seq: Arc::clone(seq),
            labels: Vec::new(),
        })
    });
    let out = f();
    let labels = SINK.with(|s| {
        let mut s = s.borrow_mut();
        match std::mem::replace(&mut *s, previous) {
            Some(Sink::Threads { labels, .. }) => labels,
            _ => Vec::new(),
        }
    });
    (out, labels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoints_are_recorded_only_when_asked() {
        checkpoint("ignored");
        let ((), labels) = recording(|| {
            checkpoint("SELECT");
            let ((), inner) = recording(|| checkpoint("nested"));
            assert_eq!(inner, vec!["nested".to_string()]);
            checkpoint("INSERT");
        });
        assert_eq!(labels, vec!["SELECT".to_string(), "INSERT".to_string()]);
        let seq = Arc::new(AtomicU64::new(5));
        let ((), labels) = yielding(7, &seq, || checkpoint("spin"));
        assert_eq!(labels, vec![(5, "spin".to_string())]);
        let ((), none) = recording(|| ());
        assert!(none.is_empty());
    }
}
