//! One finding per gap: a counterexample that proves a lint finding is
//! attached to it, not reported beside it.

use std::collections::BTreeMap;

use retry_check_contract::ItemId;
use retry_check_diagnostics::Lint;
use retry_check_harness::{Property, ViolationClass};
use retry_check_rules::Finding;

use crate::proof::{proves, standalone_lint, Proof};

/// What attaching did.
#[derive(Debug, Clone, Default)]
pub struct Attached {
    /// Indices of the findings that now carry a proof, in order.
    pub proven: Vec<usize>,
    /// The counterexamples no finding stands for, once per root cause
    /// (server, property, class), as `RC900` findings.
    pub standalone: Vec<(&'static Lint, Finding)>,
}

/// Attach each proof to the first finding it proves: the first proof of a
/// finding gives it its trace; later ones (another client's pair, or a
/// pair with the same configuration) are named in one note. A proof that
/// proves no finding is reported alone, once per root cause.
pub(crate) fn attach(proofs: &[Proof], findings: &mut [(&'static Lint, Finding)]) -> Attached {
    let mut out = Attached::default();
    let mut also: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut roots: Vec<(usize, Property, ViolationClass)> = Vec::new();
    let mut also_alone: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for proof in proofs {
        let hit = findings.iter().position(|(lint, f)| proves(proof, lint, f));
        match hit {
            Some(i) if out.proven.contains(&i) => {
                also.entry(i).or_default().push(proof.pair.clone())
            }
            Some(i) => {
                proof
                    .evidence
                    .attach_to(&mut findings[i].1, ItemId::Client(proof.client));
                out.proven.push(i);
            }
            None => {
                let root = (proof.server, proof.property, proof.class);
                match roots.iter().position(|r| *r == root) {
                    Some(r) => also_alone.entry(r).or_default().push(proof.pair.clone()),
                    None => {
                        roots.push(root);
                        out.standalone
                            .push((standalone_lint(), proof.standalone.clone()));
                    }
                }
            }
        }
    }
    for (i, pairs) in also {
        findings[i].1.notes.push(also_note(&pairs));
    }
    for (r, pairs) in also_alone {
        out.standalone[r].1.notes.push(also_note(&pairs));
    }
    out
}

fn also_note(pairs: &[String]) -> String {
    let names: Vec<String> = pairs.iter().map(|p| format!("`{p}`")).collect();
    format!(
        "the same counterexample is found simulating {}",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proof::{provable, Evidence};
    use retry_check_diagnostics::{Label, SourceId, Span};

    fn span(at: usize) -> Span {
        Span::new(SourceId(0), at..at + 1)
    }

    fn proof(proves: Option<&'static Lint>, client: usize, server: usize) -> Proof {
        let pair = format!("c{client} -> s{server}");
        Proof {
            proves,
            client,
            server,
            pair: pair.clone(),
            property: Property::AtMostOnce,
            class: ViolationClass::DuplicateEffect,
            evidence: Evidence {
                note: format!("trace of {pair}"),
                help: format!("replay {pair}"),
                diagram: "sequenceDiagram\n".into(),
                flow: vec![Label::new(span(client), "1. step")],
                client: Label::new(span(client), "the simulated client"),
            },
            standalone: Finding::new(format!("{pair} alone"), span(client), "client"),
        }
    }

    fn finding(items: &[ItemId]) -> Finding {
        let mut f = Finding::new("lint", span(99), "here");
        f.items = items.to_vec();
        f
    }

    #[test]
    fn a_proof_joins_the_finding_of_its_own_client_and_server() {
        let [rc001, rc022, _] = provable();
        let mut findings = vec![
            (rc001, finding(&[ItemId::Server(0), ItemId::Client(0)])),
            (rc001, finding(&[ItemId::Server(0), ItemId::Client(1)])),
            (rc022, finding(&[ItemId::Server(0)])),
        ];
        let proofs = [
            proof(Some(rc001), 1, 0),
            proof(Some(rc022), 0, 0),
            proof(Some(rc022), 1, 0),
        ];
        let attached = attach(&proofs, &mut findings);
        assert_eq!(
            attached.proven,
            [1, 2],
            "client 1's RC001, the server's RC022"
        );
        assert!(attached.standalone.is_empty());
        assert!(
            findings[0].1.notes.is_empty(),
            "client 0's window is not proved"
        );
        assert_eq!(findings[1].1.notes, ["trace of c1 -> s0"]);
        assert_eq!(findings[1].1.help, ["replay c1 -> s0"]);
        assert_eq!(findings[1].1.flow.len(), 1);
        assert!(
            findings[1].1.secondary.is_empty(),
            "the finding names its client already"
        );
        assert_eq!(
            findings[2].1.notes,
            [
                "trace of c0 -> s0",
                "the same counterexample is found simulating `c1 -> s0`"
            ],
            "one finding per gap, the other pair named"
        );
        assert_eq!(findings[2].1.secondary.len(), 1, "the simulated client");
    }

    #[test]
    fn an_unproved_counterexample_is_rc900_once_per_root_cause() {
        let [rc001, ..] = provable();
        let mut findings = vec![(rc001, finding(&[ItemId::Server(1), ItemId::Client(0)]))];
        let proofs = [
            proof(Some(rc001), 0, 0),
            proof(None, 1, 0),
            proof(None, 2, 1),
        ];
        let attached = attach(&proofs, &mut findings);
        assert!(attached.proven.is_empty(), "server 0 has no RC001 finding");
        let messages: Vec<&str> = attached
            .standalone
            .iter()
            .map(|(_, f)| f.message.as_str())
            .collect();
        assert_eq!(messages, ["c0 -> s0 alone", "c2 -> s1 alone"]);
        assert!(attached.standalone.iter().all(|(l, _)| l.code == "RC900"));
        assert_eq!(
            attached.standalone[0].1.notes,
            ["the same counterexample is found simulating `c1 -> s0`"]
        );
    }
}
