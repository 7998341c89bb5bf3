//! The second shrinking pass: delta debugging over the whole case.
//!
//! proptest removes each event once, front to back, and stops at the first
//! local minimum; since a `Step` picks among the choices able to act,
//! removing one event often shifts later ones. This pass keeps going until
//! nothing more can go while the same property still fails: chunks of
//! events (halves down to single events), any operation (not only the
//! last: a bug on `op2` does not drag `op1`'s traffic along), any
//! duplicate client, any preemption point and handler priority, then
//! simpler events (a smaller step index, a zero clock offset) and a zero
//! jitter seed. A candidate is kept when it fails the same property with
//! fewer events, or as many and a timeline no longer.

use super::case::{Event, Jump, JumpKind, SimCase};
use super::case_dir::CaseDir;
use super::config::SimConfig;
use super::driver::Driver;
use super::executor::{execute, StepLog, Trace, Waits};
use super::oracle::Property;

/// Executions the pass may spend.
pub(crate) const MINIMIZE_BUDGET: u32 = 2000;

/// What the pass runs cases with.
pub(crate) struct Shrinker<'a, D: Driver> {
    pub(crate) driver: &'a D,
    pub(crate) config: &'a SimConfig,
    pub(crate) dir: &'a CaseDir,
    /// The run's case counter (each execution gets a fresh location).
    pub(crate) case_no: u64,
    pub(crate) waits: Waits,
}

impl<D: Driver> Shrinker<'_, D> {
    /// The trace of `case` when it violates a property (a case the store
    /// could not run counts as passing).
    pub(crate) fn failing(&mut self, case: &SimCase) -> Option<Trace> {
        self.case_no += 1;
        let location = self.dir.case_location(self.case_no);
        let trace = execute(self.driver, self.config, case, &location, self.waits);
        self.dir.remove_case(&location);
        trace.ok().filter(|t| t.violation.is_some())
    }

    /// Minimise `case`, whose failing trace is `trace`; returns the smallest
    /// failing case found, its trace, and the executions spent.
    pub(crate) fn minimize(
        &mut self,
        case: SimCase,
        trace: Trace,
        budget: u32,
    ) -> (SimCase, Trace, u32) {
        let Some(property) = trace.violation.as_ref().map(|v| v.property) else {
            return (case, trace, 0);
        };
        let mut state = State {
            best: case,
            lines: trace.timeline.len(),
            trace,
            property,
            spent: 0,
            budget,
        };
        loop {
            let mut changed = false;
            changed |= self.remove_event_chunks(&mut state);
            changed |= self.remove_operations(&mut state);
            changed |= self.simplify_interleaving(&mut state);
            changed |= self.simplify_events(&mut state);
            if state.best.jitter_seed != 0 {
                let mut cand = state.best.clone();
                cand.jitter_seed = 0;
                changed |= self.try_candidate(&mut state, cand);
            }
            if !changed || state.spent >= state.budget {
                break;
            }
        }
        (state.best, state.trace, state.spent)
    }

    fn try_candidate(&mut self, state: &mut State, cand: SimCase) -> bool {
        if state.spent >= state.budget {
            return false;
        }
        state.spent += 1;
        let Some(trace) = self.failing(&cand) else {
            return false;
        };
        let same = trace
            .violation
            .as_ref()
            .is_some_and(|v| v.property == state.property);
        let lines = trace.timeline.len();
        if same && (cand.events.len() < state.best.events.len() || lines <= state.lines) {
            state.best = cand;
            state.lines = lines;
            state.trace = trace;
            true
        } else {
            false
        }
    }

    /// Try `cand` with its preemption points moved to the same server steps
    /// once the steps `keep` rejects are gone, then as it is.
    fn try_remapped(
        &mut self,
        state: &mut State,
        cand: SimCase,
        keep: impl Fn(usize, (usize, usize)) -> bool,
    ) -> bool {
        let moved = remap(&state.trace.log, &cand.interleaving.preemptions, keep);
        if moved != cand.interleaving.preemptions {
            let mut shifted = cand.clone();
            shifted.interleaving.preemptions = moved;
            if self.try_candidate(state, shifted) {
                return true;
            }
        }
        self.try_candidate(state, cand)
    }

    /// Remove chunks of events, largest first.
    fn remove_event_chunks(&mut self, state: &mut State) -> bool {
        let mut changed = false;
        let mut size = state.best.events.len().div_ceil(2).max(1);
        loop {
            let mut i = 0;
            while i < state.best.events.len() {
                let mut cand = state.best.clone();
                let end = (i + size).min(cand.events.len());
                cand.events.drain(i..end);
                if self.try_remapped(state, cand, |_, (event, _)| !(i..end).contains(&event)) {
                    changed = true;
                } else {
                    i += size;
                }
            }
            if size == 1 {
                return changed;
            }
            size = size.div_ceil(2).min(size - 1).max(1);
        }
    }

    /// Remove any operation, then any duplicate client.
    fn remove_operations(&mut self, state: &mut State) -> bool {
        let mut changed = false;
        let mut i = state.best.operations.len();
        while i > 0 && state.best.operations.len() > 1 {
            i -= 1;
            if i >= state.best.operations.len() {
                continue;
            }
            let mut cand = state.best.clone();
            cand.operations.remove(i);
            // The removed operation's handlers take their priorities and
            // preemption points with them.
            let ops = state.trace.log.handler_ops.clone();
            let priorities: Vec<u8> = cand
                .interleaving
                .priorities
                .iter()
                .enumerate()
                .filter(|(h, _)| ops.get(*h) != Some(&i))
                .map(|(_, p)| *p)
                .collect();
            if priorities != cand.interleaving.priorities {
                let mut plain = cand.clone();
                plain.interleaving.priorities = priorities;
                if self.try_remapped(state, plain, |_, (_, h)| ops.get(h) != Some(&i)) {
                    changed = true;
                    continue;
                }
            }
            changed |= self.try_remapped(state, cand, |_, (_, h)| ops.get(h) != Some(&i));
        }
        for i in 0..state.best.operations.len() {
            while state.best.operations[i].duplicates > 1 {
                let mut cand = state.best.clone();
                cand.operations[i].duplicates -= 1;
                if !self.try_candidate(state, cand) {
                    break;
                }
                changed = true;
            }
        }
        changed
    }

    /// No await-point yield, fewer preemption points, plainer priorities.
    fn simplify_interleaving(&mut self, state: &mut State) -> bool {
        let mut changed = false;
        if state.best.interleaving.yield_at.is_some() {
            let mut cand = state.best.clone();
            cand.interleaving.yield_at = None;
            changed |= self.try_candidate(state, cand);
        }
        let mut i = state.best.interleaving.preemptions.len();
        while i > 0 {
            i -= 1;
            if i >= state.best.interleaving.preemptions.len() {
                continue;
            }
            let mut cand = state.best.clone();
            cand.interleaving.preemptions.remove(i);
            changed |= self.try_candidate(state, cand);
        }
        if !state.best.interleaving.priorities.is_empty() {
            let mut cand = state.best.clone();
            cand.interleaving.priorities.clear();
            if self.try_candidate(state, cand) {
                return true;
            }
        }
        while !state.best.interleaving.priorities.is_empty() {
            let mut cand = state.best.clone();
            cand.interleaving.priorities.pop();
            if !self.try_candidate(state, cand) {
                break;
            }
            changed = true;
        }
        for i in 0..state.best.interleaving.priorities.len() {
            if state.best.interleaving.priorities[i] != 0 {
                let mut cand = state.best.clone();
                cand.interleaving.priorities[i] = 0;
                changed |= self.try_candidate(state, cand);
            }
        }
        changed
    }

    /// Simpler single events: a smaller step index, a zero clock offset.
    fn simplify_events(&mut self, state: &mut State) -> bool {
        let mut changed = false;
        for i in 0..state.best.events.len() {
            let candidates: Vec<Event> = match state.best.events[i] {
                Event::Step(n) => (0..n.min(4)).map(Event::Step).collect(),
                Event::AdvanceClock(j) if j.delta_ms != 0 && j.kind != JumpKind::Small => {
                    vec![Event::AdvanceClock(Jump { delta_ms: 0, ..j })]
                }
                _ => Vec::new(),
            };
            for e in candidates {
                let mut cand = state.best.clone();
                cand.events[i] = e;
                if self.try_candidate(state, cand) {
                    changed = true;
                    break;
                }
            }
        }
        changed
    }
}

/// Preemption points moved onto the same server steps once the steps that
/// `keep` rejects are gone: point `p` becomes the number of kept steps
/// before it.
fn remap(
    log: &StepLog,
    preemptions: &[u16],
    keep: impl Fn(usize, (usize, usize)) -> bool,
) -> Vec<u16> {
    let mut out: Vec<u16> = preemptions
        .iter()
        .map(|&p| {
            let kept = log
                .steps
                .iter()
                .enumerate()
                .take(usize::from(p))
                .filter(|(s, step)| keep(*s, **step))
                .count();
            u16::try_from(kept).unwrap_or(u16::MAX)
        })
        .collect();
    out.dedup();
    out
}

struct State {
    best: SimCase,
    trace: Trace,
    lines: usize,
    property: Property,
    spent: u32,
    budget: u32,
}
