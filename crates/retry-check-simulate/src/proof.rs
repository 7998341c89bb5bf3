//! What a counterexample proves: the lint rule that stands for it (if
//! any), and the evidence it adds to that rule's finding (the trace as a
//! note and as SARIF steps, the replay command, the Mermaid diagram), or,
//! when no rule stands for it, its own `RC900` finding.

use retry_check_contract::ItemId;
use retry_check_diagnostics::{Label, Lint, Span};
use retry_check_harness::{
    Counterexample, Property, ReferenceStore, ReplayFile, TimelineLine, ViolationClass,
};
use retry_check_rules::rules::{
    rc001_key_ttl_shorter_than_retry_window, rc022_lease_shorter_than_handler,
    rc027_volatile_key_store,
};
use retry_check_rules::Finding;

use crate::pairs::Pair;
use crate::store::{replay_on, DurableReplay};
use crate::SIMULATED_VIOLATION;

/// The rules a counterexample can prove (the gap it shows is the one the
/// rule describes).
pub fn provable() -> [&'static Lint; 3] {
    [
        rc001_key_ttl_shorter_than_retry_window::RULE.lint,
        rc022_lease_shorter_than_handler::RULE.lint,
        rc027_volatile_key_store::RULE.lint,
    ]
}

/// A counterexample of one pair, ready to attach to the finding it proves.
#[derive(Debug, Clone)]
pub struct Proof {
    /// The rule the counterexample shows the gap of, if one does.
    pub proves: Option<&'static Lint>,
    /// Indices of the pair's client and server in the set.
    pub client: usize,
    pub server: usize,
    /// `client -> server`.
    pub pair: String,
    pub property: Property,
    pub class: ViolationClass,
    /// What it adds to the finding it proves.
    pub evidence: Evidence,
    /// The counterexample as its own finding, when no lint finding stands
    /// for it (`RC900`).
    pub standalone: Finding,
}

/// The trace of a counterexample and how to re-run it.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// `proved by simulating ...: counterexample (seed 1, store): timeline`.
    pub note: String,
    /// `re-run it step by step: cargo retry-check replay FILE`.
    pub help: String,
    /// The timeline as a Mermaid sequence diagram.
    pub diagram: String,
    /// Each step of the timeline at the contract item it concerns.
    pub flow: Vec<Label>,
    /// The simulated client's name, for findings that do not point at it.
    pub client: Label,
}

impl Evidence {
    /// Add this evidence to `finding`, which it proves.
    pub fn attach_to(&self, finding: &mut Finding, client_item: ItemId) {
        if !finding.items.contains(&client_item) {
            finding.secondary.push(self.client.clone());
        }
        finding.notes.push(self.note.clone());
        finding.help.push(self.help.clone());
        finding.diagram = Some(self.diagram.clone());
        finding.flow = self.flow.clone();
    }
}

/// Is a counterexample found on the volatile store the RC027 gap: a record
/// lost on a crash? Either the oracle says so, or the durable store passes
/// the same shrunk scenario (a lost record also lets a changed payload in,
/// so the property reported may be another one).
pub(crate) fn volatile_gap(
    cx: &Counterexample,
    replay: &ReplayFile,
    store: ReferenceStore,
) -> Result<bool, String> {
    if cx.violation.class == ViolationClass::RecordLostOnCrash {
        return Ok(true);
    }
    if matches!(
        cx.violation.class,
        ViolationClass::RecordExpiredInWindow | ViolationClass::LeaseExpiredInFlight
    ) {
        return Ok(false);
    }
    let durable = ReferenceStore {
        kind: retry_check_harness::ReferenceStoreKind::Sqlite,
        ..store
    };
    let trace = replay_on(durable, DurableReplay::InProcess, replay)
        .map_err(|e| format!("re-running a counterexample on the durable store failed: {e}"))?;
    Ok(trace.violation.is_none())
}

/// The rule a counterexample proves, with the span the gap comes from.
fn classify(
    pair: &Pair<'_>,
    volatile_gap: bool,
    class: ViolationClass,
) -> Option<(&'static Lint, Span)> {
    let server = pair.server;
    let [rc001, rc022, rc027] = provable();
    match class {
        ViolationClass::RecordExpiredInWindow => {
            server.key_ttl.as_ref().map(|t| (rc001, t.span.clone()))
        }
        ViolationClass::LeaseExpiredInFlight => server
            .in_progress_lease
            .as_ref()
            .map(|l| (rc022, l.span.clone())),
        _ if volatile_gap => Some((
            rc027,
            server
                .store
                .as_ref()
                .map_or_else(|| server.name.span.clone(), |s| s.span.clone()),
        )),
        _ => None,
    }
}

/// The contract item a timeline actor stands for: the client's actors
/// (`c1`, `r1`) at the client, the server's handlers, its store and its
/// ledger at the server, the clock and the harness at the gap itself.
fn actor_span(pair: &Pair<'_>, gap: &Span, line: &TimelineLine) -> Span {
    let actor = line.actor.as_str();
    // A handler is `n1 h2` (its node, then itself).
    let handler = actor
        .split_once(' ')
        .is_some_and(|(node, h)| node.starts_with('n') && h.starts_with('h'));
    if handler || actor.starts_with("server") || actor.starts_with("store") || actor == "ledger" {
        pair.server.name.span.clone()
    } else if actor == "clock" || actor == "harness" {
        gap.clone()
    } else {
        pair.client.name.span.clone()
    }
}

/// The proof of `cx`, found simulating `pair`; its replay file is shown as
/// `replay_path`.
pub(crate) fn proof(
    pair: &Pair<'_>,
    volatile_gap: bool,
    cx: &Counterexample,
    replay_path: &str,
) -> Proof {
    let rule = classify(pair, volatile_gap, cx.violation.class);
    let gap = rule
        .as_ref()
        .map_or_else(|| pair.client.name.span.clone(), |(_, s)| s.clone());
    let what = format!(
        "simulating `{}` -> `{}` violates `{}`: {}",
        pair.client_name(),
        pair.server_name(),
        cx.property,
        cx.violation.class
    );
    let mut trace = format!(
        "counterexample (seed {}, {}):\n{}",
        cx.seed,
        cx.store,
        cx.timeline.render().trim_end()
    );
    if !cx.violation.because.is_empty() {
        trace.push_str("\nbecause:");
        for b in &cx.violation.because {
            trace.push_str("\n  - ");
            trace.push_str(b);
        }
    }
    let flow = cx
        .timeline
        .lines()
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let mut text = format!(
                "{}. {} {}: {}",
                i + 1,
                retry_check_harness::VirtualTime(line.time_ms),
                line.actor,
                line.text
            );
            if let Some(m) = &line.mark {
                text.push_str(&format!(" ({m})"));
            }
            Label::new(actor_span(pair, &gap, line), text)
        })
        .collect();
    let evidence = Evidence {
        note: format!(
            "simulating `{}` -> `{}` proves it: `{}` breaks ({}) in this {trace}",
            pair.client_name(),
            pair.server_name(),
            cx.property,
            cx.violation.class
        ),
        help: format!("re-run it step by step: cargo retry-check replay {replay_path}"),
        diagram: cx.timeline.to_mermaid(),
        flow,
        client: Label::new(pair.client.name.span.clone(), "the simulated client"),
    };
    let [client_item, server_item] = pair.items();
    let mut standalone = Finding::new(what, pair.client.name.span.clone(), "the simulated client")
        .item(client_item)
        .item(server_item);
    standalone.notes.push(trace);
    standalone.help.push(evidence.help.clone());
    standalone.diagram = Some(evidence.diagram.clone());
    standalone.flow = evidence.flow.clone();
    Proof {
        proves: rule.map(|(lint, _)| lint),
        client: pair.client_index,
        server: pair.server_index,
        pair: pair.label(),
        property: cx.property,
        class: cx.violation.class,
        evidence,
        standalone,
    }
}

/// Does `finding` of `lint` stand for the gap `proof` shows: the same
/// rule, about the proof's server, and about no other client?
pub fn proves(proof: &Proof, lint: &Lint, finding: &Finding) -> bool {
    proof.proves.is_some_and(|rule| rule.code == lint.code)
        && concerns(proof.client, proof.server, finding)
}

/// The standalone finding's lint.
pub(crate) fn standalone_lint() -> &'static Lint {
    &SIMULATED_VIOLATION
}

/// Is `finding` about client `client` calling server `server`: it names
/// the server, and no other client or server?
pub(crate) fn concerns(client: usize, server: usize, finding: &Finding) -> bool {
    finding.items.contains(&ItemId::Server(server))
        && finding.items.iter().all(|item| match *item {
            ItemId::Client(c) => c == client,
            ItemId::Server(s) | ItemId::Operation(s, _) => s == server,
            // A consumer is nobody's client or server.
            ItemId::Consumer(_) => false,
        })
}
