//! Facts computed once per run and shared by every rule.

use std::collections::HashMap;

use retry_check_contract::derive::{self, CallPath, RetryWindow};
use retry_check_contract::{Client, ContractSet, Operation, Server};

/// A resolved target of a client's `calls`: a server and, when the server
/// declares operations, one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    pub server: usize,
    pub operation: Option<usize>,
}

/// Everything a rule may look at.
pub struct Context<'a> {
    pub set: &'a ContractSet,
    /// Retry window of each client, by client index.
    pub windows: Vec<RetryWindow>,
    /// Every maximal call path through `runs_in` and proxies.
    pub paths: Vec<CallPath>,
    /// The clients directly above each client on a call path.
    parents: Vec<Vec<usize>>,
    targets: Vec<Vec<Target>>,
    /// Clients reaching each server, by server index (see `callers`).
    callers: Vec<Vec<(usize, Target)>>,
    server_index: HashMap<&'a str, usize>,
}

impl<'a> Context<'a> {
    pub fn new(set: &'a ContractSet) -> Self {
        let windows = set.clients.iter().map(derive::retry_window).collect();
        let children = derive::children(set);
        let paths = derive::call_paths_from(&children);
        let parents = derive::parents(&children);
        // Name lookups go through an index: a run may hold thousands of
        // servers, and every `calls` entry names one.
        let server_index = set.server_index();
        let targets: Vec<Vec<Target>> = set
            .clients
            .iter()
            .map(|c| {
                let mut out: Vec<Target> = Vec::new();
                for call in &c.calls {
                    let Some(&si) = server_index.get(call.value.server.as_str()) else {
                        continue;
                    };
                    for (server, operation) in set.resolve_at(si, &call.value) {
                        let t = Target { server, operation };
                        if !out.contains(&t) {
                            out.push(t);
                        }
                    }
                }
                out
            })
            .collect();
        let mut callers = vec![Vec::new(); set.servers.len()];
        for (ci, ts) in targets.iter().enumerate() {
            for t in ts {
                if let Some(list) = callers.get_mut(t.server) {
                    list.push((ci, *t));
                }
            }
        }
        Context {
            set,
            windows,
            paths,
            parents,
            targets,
            callers,
            server_index,
        }
    }

    /// What client `ci` calls, resolved (unknown references are skipped;
    /// RC031 reports them).
    pub fn targets(&self, ci: usize) -> &[Target] {
        self.targets.get(ci).map(|t| t.as_slice()).unwrap_or(&[])
    }

    pub fn server(&self, t: Target) -> &'a Server {
        &self.set.servers[t.server]
    }

    pub fn operation(&self, t: Target) -> Option<&'a Operation> {
        t.operation
            .map(|o| &self.set.servers[t.server].operations[o])
    }

    /// The target's name, as `server.Operation` or `server`.
    pub fn target_name(&self, t: Target) -> String {
        let server = &self.server(t).name.value;
        match self.operation(t) {
            Some(op) => format!("{server}.{}", op.name.value),
            None => server.clone(),
        }
    }

    /// Clients whose `calls` reach server `si`, with the targets they reach.
    pub fn callers(&self, si: usize) -> Vec<(usize, Target)> {
        self.callers.get(si).cloned().unwrap_or_default()
    }

    /// The server named `name` (the first, if defined twice).
    pub fn server_named(&self, name: &str) -> Option<(usize, &'a Server)> {
        let si = *self.server_index.get(name)?;
        self.set.servers.get(si).map(|s| (si, s))
    }

    /// The clients directly above client `ci` on a call path: those that
    /// call the server it runs in, or whose calls go through it (a proxy).
    pub fn parents(&self, ci: usize) -> &[usize] {
        self.parents.get(ci).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn client(&self, ci: usize) -> &'a Client {
        &self.set.clients[ci]
    }

    /// Is repeating this target harmful without a key? An operation that is
    /// not naturally idempotent is; a server with no declared operations is
    /// judged by whether it has a key contract at all (unknown = unsafe).
    pub fn target_unsafe(&self, t: Target) -> bool {
        match self.operation(t) {
            Some(op) => !op.naturally_idempotent(),
            None => true,
        }
    }

    /// Does this target have side effects? Unknown counts as yes.
    pub fn target_has_side_effects(&self, t: Target) -> bool {
        match self.operation(t) {
            Some(op) => op.side_effects.is_none() || op.has_side_effects(),
            None => true,
        }
    }
}
