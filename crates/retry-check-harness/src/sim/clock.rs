//! Does the store keep the harness's time? Every call carries `now`, the
//! case's virtual time; a store that reads its own clock instead
//! (`Instant::now`, `SystemTime::now`, a database's `now()`) sees almost no
//! time pass while the harness jumps hours, so its leases never lapse and
//! its keys never expire in the run. Its passes then say nothing about
//! time, and a retry that waits for a dead owner's lease reads as a stuck
//! key. One probe before the cases: a claim, then the same key again well
//! after its lease; a store that keeps the harness's time lets the second
//! take over.

use std::task::Poll;
use std::time::Duration;

use super::case_dir::CaseDir;
use super::driver::{Answer, Call, Driver};
use super::executor::Waits;
use crate::store::{Claim, Fingerprint, VirtualTime};

/// The probe's key and location name.
const PROBE: &str = "clock_probe";

/// The warning for a store whose claim outlived its lease on the virtual
/// clock, or `None` (it took over, or the probe could not tell: the store
/// did not open, failed, or answered something else).
pub(crate) fn clock_warning<D: Driver>(
    driver: &D,
    dir: &CaseDir,
    lease: Duration,
    waits: Waits,
) -> Option<String> {
    let location = dir.named_location(PROBE);
    driver.case_started();
    let store = driver.open(&location).ok()?;
    let begin = |now: VirtualTime| Call::Begin {
        key: PROBE.to_string(),
        fingerprint: Fingerprint(0xc10c),
        now,
        lease,
    };
    let first = answer(driver, &store, begin(VirtualTime::ZERO), waits);
    // Twice the lease and a second more: past any grace a store adds.
    let later = VirtualTime::ZERO + lease * 2 + Duration::from_secs(1);
    let second = matches!(first, Some(Answer::Claim(Ok(Claim::Acquired(_)))))
        .then(|| answer(driver, &store, begin(later), waits))
        .flatten();
    driver.close(store);
    dir.remove_case(&location);
    match second {
        Some(Answer::Claim(Ok(Claim::InProgress))) => Some(format!(
            "the store does not keep the harness's clock: a claim made at {} with a {} lease was still in progress at {}. A store that reads its own clock (`Instant::now`, `SystemTime::now`, the database's `now()`) instead of the `now` of each call sees leases and TTLs that never end in a run, so this run's results about time (leases, takeovers, TTLs, stuck keys) say nothing; take the time from `now` (`VirtualTime::to_instant`, `to_system_time`), or disregard this if the store's leases never lapse by design",
            VirtualTime::ZERO,
            super::oracle::online::dur(lease),
            later,
        )),
        _ => None,
    }
}

/// The answer to `call`, polled until it comes (`None` if the store never
/// wakes it within the harness's stuck limit).
fn answer<D: Driver>(driver: &D, store: &D::Store, call: Call, waits: Waits) -> Option<Answer> {
    if let Call::Begin { now, .. } = &call {
        driver.clock_at(*now);
    }
    let mut call = driver.start(store, call);
    loop {
        match driver.poll(&mut call).0 {
            Poll::Ready(answer) => {
                driver.abandon(call);
                return Some(answer);
            }
            Poll::Pending => {
                if !driver.wait(&call, waits.stuck) {
                    driver.abandon(call);
                    return None;
                }
            }
        }
    }
}
