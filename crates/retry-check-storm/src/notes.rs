//! What a figure of the report needs said beside it, so that no number is
//! left to look odd: a recommended fix that still exceeds the bound, fewer
//! than one attempt per request (a breaker failed requests without sending
//! them, or the outage's connection reset failed requests in flight), and
//! more requests exhausted with the fix than without.

use crate::{ClientReport, ServerReport, StormReport};

/// Exhaustion with the fix at least this far above the contract's (a
/// share: one percentage point) is explained; below it, it is noise.
const EXHAUSTION_GROWTH: f64 = 0.01;

/// The recommended fix is applied and the peak with it still exceeds the
/// server's bound.
pub fn fix_falls_short(server: &ServerReport) -> bool {
    server.fix_applies && server.with_fix.peak_load_factor > server.max_load_factor
}

/// The notes of one server, in the order the report prints them.
pub fn server_notes(report: &StormReport, server: &ServerReport) -> Vec<String> {
    let mut out = Vec::new();
    if fix_falls_short(server) {
        out.push(format!(
            "the recommended fix is not enough here: with it the peak is still {:.2}x, above the \
             bound {}x; also lower `max_attempts`, retry at one layer of the stack only, or raise \
             `capacity_per_sec`",
            server.with_fix.peak_load_factor, server.max_load_factor
        ));
    }
    let below = [
        server.without.amplification,
        server.without.incident_amplification,
        server.with_fix.amplification,
        server.with_fix.incident_amplification,
    ]
    .iter()
    .any(|&a| a > 0.0 && a < 1.0);
    if below {
        out.push(below_one(report, server));
    }
    out
}

/// Why a server received fewer attempts than the requests that reach it.
fn below_one(report: &StormReport, server: &ServerReport) -> String {
    let series = &report.runs.0.servers[server.index];
    let reset: u64 = server
        .roots
        .iter()
        .filter_map(|&i| report.clients.get(i))
        .map(|c| c.without.reset)
        .sum();
    let mut causes = Vec::new();
    if series.short_circuited > 0 {
        causes.push(format!(
            "an open breaker failed {} attempts without sending them ({} during the incident)",
            series.short_circuited, series.short_circuited_in_incident
        ));
    }
    if reset > 0 {
        causes.push(format!(
            "{reset} requests in flight when the outage began failed with the connection reset \
             (their attempt was sent before it)"
        ));
    }
    if causes.is_empty() {
        causes.push(
            "requests failed at a layer above it before an attempt reached it (a caller's \
             breaker, budget or deadline)"
                .into(),
        );
    }
    format!(
        "fewer than 1 attempt per request: {}; a request counts here whether or not an attempt \
         reached `{}`",
        causes.join("; "),
        server.name
    )
}

/// Share of a client's requests that ended without success.
pub fn exhausted(t: &crate::ClientTotals) -> f64 {
    if t.logical == 0 {
        0.0
    } else {
        (t.exhausted + t.rejected) as f64 / t.logical as f64
    }
}

/// The note of a client whose requests are exhausted more often with the
/// fix than without it.
pub fn client_note(c: &ClientReport) -> Option<String> {
    let (before, after) = (exhausted(&c.without), exhausted(&c.with_fix));
    if c.fix.is_empty() || after < before + EXHAUSTION_GROWTH {
        return None;
    }
    let why = if c.with_fix.budget_denials > c.without.budget_denials {
        format!(
            "the retry budget refused {} retries that the contract as written sends, so requests \
             that a later attempt would have saved fail fast instead; that is the budget keeping \
             the load down (a larger `ratio` or a `min_per_sec` trades load back for fewer \
             failures)",
            c.with_fix.budget_denials - c.without.budget_denials
        )
    } else {
        "full jitter spreads the retries out, so more of them fall past the deadline or run out \
         of attempts while the dependency is down"
            .into()
    };
    Some(format!(
        "`{}` exhausts more requests with the fix ({:.1}% -> {:.1}%): {why}",
        c.name,
        before * 100.0,
        after * 100.0
    ))
}
