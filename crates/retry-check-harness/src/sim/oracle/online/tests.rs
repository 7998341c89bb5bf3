//! The online judges on hand-made histories.

use super::Oracle;
use crate::sim::oracle::Property;
use crate::{FencingToken, Fingerprint, Outcome, SimConfig, VirtualTime};

const OLD_PAYLOAD: Fingerprint = Fingerprint(0xb1ed);
const NEW_PAYLOAD: Fingerprint = Fingerprint(0xcecf);

/// Key op1 claimed with the old payload (line 2) and released (line 4);
/// then claimed with the new payload (line 6), whose side effect runs on
/// line 7 and is completed on line 8. Returns the oracle.
fn payload_changed_after_a_release() -> Oracle {
    let mut o = Oracle::new(&SimConfig::default(), 1);
    let t = VirtualTime(2_140);
    let old = o.acquired(0, "h2", OLD_PAYLOAD, FencingToken(1), (1, 2), t);
    o.finished(0, old, (3, 4), t, None);
    let new = o.acquired(0, "h6", NEW_PAYLOAD, FencingToken(6), (5, 6), t);
    o.effect(0, new, 7);
    let outcome = Outcome("charged:op1:#1".into());
    o.completing(0, &outcome, true);
    o.finished(0, new, (8, 8), t, Some(&outcome));
    o
}

#[test]
fn a_mismatch_read_while_another_payload_held_the_key_is_no_false_failure() {
    // h7's begin started on line 1, while the old payload's claim held
    // the key, and was answered on line 9: Mismatch was true when the
    // store looked.
    let mut o = payload_changed_after_a_release();
    o.mismatch(0, "h7", NEW_PAYLOAD, (1, 9), VirtualTime(2_140));
    assert_eq!(o.verdict().0, None);
}

#[test]
fn a_mismatch_for_a_payload_whose_effect_had_run_is_a_false_failure() {
    // The same answer to a begin that started after the new payload's
    // effect: nothing but that payload held the key since.
    let mut o = payload_changed_after_a_release();
    o.mismatch(0, "h7", NEW_PAYLOAD, (9, 10), VirtualTime(2_140));
    let found = o.verdict().0.expect("a false failure");
    assert_eq!(found.property, Property::NoFalseFailure);
}
