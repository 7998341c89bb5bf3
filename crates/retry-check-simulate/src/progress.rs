//! How a long simulation shows that it is alive. A person at a terminal
//! gets a bar (the CLI draws it: [`bar_wanted`] says when); a log (CI, a
//! pipe) gets a short line on stderr every few seconds once the run has
//! gone on for a while ([`Lines`], [`with_ticker`]), so CI logs do not look
//! hung. stdout, where machine formats go, never gets one.
//! `RETRY_CHECK_PROGRESS=never` turns the lines off ([`lines_wanted`]).

use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::Progress;
use retry_check_diagnostics::render::plural;

/// No line before the run is this old.
pub const QUIET_FOR: Duration = Duration::from_secs(10);
/// Then one line this often.
pub const EVERY: Duration = Duration::from_secs(5);

/// What the simulation has done so far.
#[derive(Debug, Default)]
pub struct Lines {
    pairs: AtomicUsize,
    done: AtomicUsize,
    cases: AtomicU64,
}

impl Progress for Lines {
    fn planned(&self, pairs: usize, _simulations: usize) {
        self.pairs.store(pairs, Ordering::Relaxed);
    }

    fn started(&self, _pair: &str) {}

    fn finished(&self, _pair: &str, pairs: usize, cases: u64) {
        self.done.fetch_add(pairs, Ordering::Relaxed);
        self.cases.fetch_add(cases, Ordering::Relaxed);
    }
}

impl Lines {
    /// The line for `elapsed`: "simulating: 12/40 pairs, 3456 cases, 15s".
    pub fn line(&self, elapsed: Duration) -> String {
        format!(
            "simulating: {}/{} pairs, {}, {}s",
            self.done.load(Ordering::Relaxed),
            self.pairs.load(Ordering::Relaxed),
            plural(self.cases.load(Ordering::Relaxed), "case"),
            elapsed.as_secs()
        )
    }
}

/// When the next line is due, given the run's age and when the last one
/// was printed (`None`: none yet).
pub fn due(age: Duration, last: Option<Duration>) -> bool {
    age >= QUIET_FOR && last.is_none_or(|l| age >= l + EVERY)
}

/// A bar is for a person watching: stderr is a `terminal`, `ci` is unset
/// and the report is the `human` one.
pub fn bar_wanted(human: bool, ci: bool, terminal: bool) -> bool {
    human && !ci && terminal
}

/// Progress lines, unless `RETRY_CHECK_PROGRESS=never`.
pub fn lines_wanted() -> bool {
    std::env::var("RETRY_CHECK_PROGRESS").map_or(true, |v| v != "never")
}

/// Run `work` while a thread writes [`Lines::line`] to `out` whenever
/// [`due`]; the thread stops as soon as `work` returns.
pub fn with_ticker<T>(lines: &Lines, out: impl Write + Send, work: impl FnOnce() -> T) -> T {
    let stop = (Mutex::new(false), Condvar::new());
    let started = Instant::now();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut out = out;
            let mut last: Option<Duration> = None;
            let (lock, wake) = &stop;
            let mut stopped = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while !*stopped {
                let age = started.elapsed();
                if due(age, last) {
                    // A log line lost to a closed pipe is not worth failing for.
                    let _ = writeln!(out, "{}", lines.line(age));
                    last = Some(age);
                }
                stopped = wake
                    .wait_timeout(stopped, Duration::from_millis(500))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        });
        let result = work();
        let (lock, wake) = &stop;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = true;
        wake.notify_all();
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bar_only_for_a_person_at_a_terminal() {
        assert!(bar_wanted(true, false, true));
        assert!(!bar_wanted(true, true, true), "not under CI");
        assert!(!bar_wanted(true, false, false), "not when piped");
        assert!(!bar_wanted(false, false, true), "not for machines");
    }

    #[test]
    fn nothing_for_ten_seconds_then_a_line_every_five() {
        let s = Duration::from_secs;
        assert!(!due(s(0), None));
        assert!(!due(Duration::from_millis(9_999), None));
        assert!(due(s(10), None));
        assert!(!due(s(14), Some(s(10))));
        assert!(due(s(15), Some(s(10))));
    }

    #[test]
    fn the_line_counts_pairs_and_cases() {
        let lines = Lines::default();
        lines.planned(40, 12);
        lines.finished("a -> b", 3, 1_200);
        lines.finished("c -> d", 1, 32);
        assert_eq!(
            lines.line(Duration::from_millis(15_400)),
            "simulating: 4/40 pairs, 1232 cases, 15s"
        );
    }

    #[test]
    fn a_quick_run_prints_nothing_and_the_ticker_stops_with_it() {
        let lines = Lines::default();
        let mut out = Vec::new();
        let started = Instant::now();
        let value = with_ticker(&lines, &mut out, || 7);
        assert_eq!(value, 7);
        assert!(out.is_empty(), "{}", String::from_utf8_lossy(&out));
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the ticker does not outlive the work"
        );
    }
}
