//! The static shape of a contract set for the storm: who calls whom, which
//! clients are root fleets, which servers the incident hits, and the
//! steady load each server receives.

use retry_check_contract::ContractSet;

use crate::profile::RetryProfile;

/// Capacity assumed for a server without `capacity_per_sec`: its steady
/// first-attempt load plus this headroom.
pub const ASSUMED_HEADROOM: f64 = 1.25;
/// Call depth at which `runs_in` chains stop (cycles, pathological stacks).
pub(crate) const MAX_DEPTH: u8 = 8;

/// The static shape of a contract set: who calls whom.
pub struct Topology {
    pub profiles: Vec<RetryProfile>,
    /// Resolved target servers of each client (indices into `set.servers`).
    pub targets: Vec<Vec<u32>>,
    pub roots: Vec<u32>,
    /// Clients running in each server.
    pub inner: Vec<Vec<u32>>,
    /// Servers the incident hits.
    pub incident: Vec<bool>,
    /// Steady first-attempt load of each server, per second.
    pub nominal_rate: Vec<f64>,
    /// Which roots' requests can reach each server.
    pub reached_by: Vec<Vec<u32>>,
    /// Servers each client's requests can reach (directly or below).
    pub reaches: Vec<Vec<u32>>,
}

impl Topology {
    pub fn new(set: &ContractSet, target: Option<&str>) -> Result<Topology, String> {
        let profiles: Vec<RetryProfile> = set.clients.iter().map(RetryProfile::of).collect();
        let targets: Vec<Vec<u32>> = set
            .clients
            .iter()
            .map(|c| {
                let mut t: Vec<u32> = Vec::new();
                for call in &c.calls {
                    if let Some((si, _)) = set.server(&call.value.server) {
                        if !t.contains(&(si as u32)) {
                            t.push(si as u32);
                        }
                    }
                }
                t
            })
            .collect();
        let mut inner = vec![Vec::new(); set.servers.len()];
        for (ci, c) in set.clients.iter().enumerate() {
            if targets[ci].is_empty() {
                continue;
            }
            if let Some(r) = &c.runs_in {
                if let Some((si, _)) = set.server(&r.value) {
                    inner[si].push(ci as u32);
                }
            }
        }
        let called = |si: usize| targets.iter().any(|t| t.contains(&(si as u32)));
        let roots: Vec<u32> = set
            .clients
            .iter()
            .enumerate()
            .filter(|(ci, c)| {
                !targets[*ci].is_empty()
                    && match &c.runs_in {
                        None => true,
                        Some(r) => set.server(&r.value).is_none_or(|(si, _)| !called(si)),
                    }
            })
            .map(|(ci, _)| ci as u32)
            .collect();
        let incident: Vec<bool> = match target {
            Some(name) => {
                let Some((si, _)) = set.server(name) else {
                    let known: Vec<&str> =
                        set.servers.iter().map(|s| s.name.value.as_str()).collect();
                    return Err(format!(
                        "no server `{name}` in the contracts (known: {})",
                        known.join(", ")
                    ));
                };
                (0..set.servers.len()).map(|i| i == si).collect()
            }
            // The dependencies: servers that are called and call nothing.
            None => (0..set.servers.len())
                .map(|si| called(si) && inner[si].is_empty())
                .collect(),
        };
        let mut nominal_rate = vec![0.0; set.servers.len()];
        let mut reached_by = vec![Vec::new(); set.servers.len()];
        for &r in &roots {
            let p = &profiles[r as usize];
            let rate = f64::from(p.fleet_clients) * p.rate_per_sec;
            spread(
                r,
                rate,
                r,
                0,
                &targets,
                &inner,
                &mut nominal_rate,
                &mut reached_by,
            );
        }
        let mut reaches = vec![Vec::new(); set.clients.len()];
        for (ci, r) in reaches.iter_mut().enumerate() {
            let mut rate = vec![0.0; set.servers.len()];
            let mut by = vec![Vec::new(); set.servers.len()];
            spread(ci as u32, 1.0, 0, 0, &targets, &inner, &mut rate, &mut by);
            *r = (0..set.servers.len() as u32)
                .filter(|&s| !by[s as usize].is_empty())
                .collect();
        }
        Ok(Topology {
            reaches,
            profiles,
            targets,
            roots,
            inner,
            incident,
            nominal_rate,
            reached_by,
        })
    }
}

#[allow(clippy::too_many_arguments)]
fn spread(
    client: u32,
    rate: f64,
    root: u32,
    depth: u8,
    targets: &[Vec<u32>],
    inner: &[Vec<u32>],
    nominal: &mut [f64],
    reached: &mut [Vec<u32>],
) {
    if depth >= MAX_DEPTH {
        return;
    }
    let t = &targets[client as usize];
    if t.is_empty() {
        return;
    }
    let share = rate / t.len() as f64;
    for &s in t {
        nominal[s as usize] += share;
        if !reached[s as usize].contains(&root) {
            reached[s as usize].push(root);
        }
        for &ic in &inner[s as usize] {
            spread(ic, share, root, depth + 1, targets, inner, nominal, reached);
        }
    }
}

/// Capacity of a server: declared, or assumed from its steady load.
pub fn capacity(set: &ContractSet, topo: &Topology, si: usize) -> (f64, bool) {
    match set
        .servers
        .get(si)
        .and_then(|s| s.capacity_per_sec.as_ref())
    {
        Some(c) => (c.value, true),
        None => ((topo.nominal_rate[si] * ASSUMED_HEADROOM).max(1.0), false),
    }
}
