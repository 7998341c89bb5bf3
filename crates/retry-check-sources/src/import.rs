//! What a format module produces, before it is placed in the contract set:
//! servers, and clients whose targets are still the names the file uses (a
//! host, a cluster, a gRPC service) so they can be resolved against every
//! contract of the run and the `[source]` mapping.

use retry_check_contract::{AllowEntry, Client, Method, Server, Sp};
use retry_check_diagnostics::Span;

/// Where an imported file sits: from its `[source.NAME]` table, or the
/// defaults of its format.
#[derive(Debug, Clone)]
pub struct Placement {
    /// Prefix of the names of the clients the file defines.
    pub name: String,
    pub layer: Option<Sp<String>>,
    pub runs_in: Option<Sp<String>>,
    pub server: Option<Sp<String>>,
    pub servers: Vec<(Sp<String>, Sp<String>)>,
    pub key_header: Option<Sp<String>>,
    pub allow: Vec<AllowEntry>,
}

impl Placement {
    /// No mapping: names from the file, servers by name.
    pub fn unmapped(name: impl Into<String>) -> Self {
        Placement {
            name: name.into(),
            layer: None,
            runs_in: None,
            server: None,
            servers: Vec::new(),
            key_header: None,
            allow: Vec::new(),
        }
    }
}

/// Which operations of the resolved server a target means.
#[derive(Debug, Clone, PartialEq)]
pub enum Operations {
    /// The whole server.
    All,
    /// Operations by name (a gRPC method).
    Named(String),
    /// The operations declared with one of these methods (a mesh route
    /// matching on the HTTP method); the whole server if it declares none.
    Methods(Vec<Method>),
}

/// A target as the file names it.
#[derive(Debug, Clone)]
pub struct RawTarget {
    pub name: String,
    pub span: Span,
    pub operations: Operations,
}

/// A client of an imported file.
#[derive(Debug, Clone)]
pub struct ImportedClient {
    pub client: Client,
    /// In front of its targets (mesh, gateway, Envoy) rather than in an
    /// application.
    pub proxy: bool,
    pub targets: Vec<RawTarget>,
}

/// Everything one file defines.
#[derive(Debug, Default)]
pub struct Imported {
    pub servers: Vec<Server>,
    pub clients: Vec<ImportedClient>,
    /// Values the file does not write but the system applies (Istio's
    /// default retries): a finding at the span gets the explanation as a
    /// note.
    pub implicit: Vec<(Span, String)>,
    /// How the file's names map to contract servers.
    pub placement: Option<Placement>,
}

/// What an imported client does when its retries run out: a proxy answers
/// its caller with the last response, a library (gRPC, an AWS SDK) returns
/// the last error to the application; the caller's own policy decides.
pub const EXHAUSTED: &str = "last_error_to_caller";

/// A client with only its name: the format fills in the rest.
pub fn client(name: Sp<String>) -> Client {
    Client {
        name,
        calls: Vec::new(),
        runs_in: None,
        layer: None,
        max_attempts: None,
        deadline: None,
        per_attempt_timeout: None,
        retry_window: None,
        backoff: None,
        retry_on: None,
        honor_retry_after: None,
        budget: None,
        hedging: None,
        idempotency_key: None,
        on_exhausted: None,
        fleet: None,
        breaker: None,
        allow: Vec::new(),
    }
}

/// A server with only its name.
pub fn server(name: Sp<String>) -> Server {
    Server {
        name,
        key_source: None,
        key_required: None,
        key_ttl: None,
        key_scope: None,
        fingerprint: None,
        in_progress_lease: None,
        handler_timeout: None,
        store: None,
        fencing: None,
        on_mismatch: None,
        on_in_progress: None,
        on_missing_key: None,
        capacity_per_sec: None,
        max_load_factor: None,
        operations: Vec::new(),
        allow: Vec::new(),
    }
}

/// The server a name in a file most likely is, when nothing maps it: the
/// first DNS label of a host (`payments.prod.svc.cluster.local`), the
/// service of an Envoy cluster name (`outbound|8080||payments.prod...`), or
/// the name itself.
pub fn short_name(name: &str) -> &str {
    let name = name.rsplit('|').next().unwrap_or(name);
    let name = name.split(':').next().unwrap_or(name);
    name.split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(name)
}
