//! The contract model: what a set of contract files declares, with the
//! source span of every value so rules can point at it.

use retry_check_diagnostics::Span;

use crate::{Duration, Status};

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Sp<T> {
    pub value: T,
    pub span: Span,
}

impl<T> Sp<T> {
    pub fn new(value: T, span: Span) -> Self {
        Sp { value, span }
    }
}

impl<T> std::ops::Deref for Sp<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),* }

        impl $name {
            pub const NAMES: &'static [&'static str] = &[$($text),*];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),* }
            }
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)* _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// Where the server keeps idempotency records.
    StoreKind { Postgres = "postgres", Mysql = "mysql", Sqlite = "sqlite", Redis = "redis", Dynamodb = "dynamodb", Memory = "memory", Other = "other" }
);
string_enum!(
    /// Does a record survive a restart of the process that wrote it?
    Durability { Durable = "durable", Volatile = "volatile" }
);
string_enum!(
    /// How backoff delays are randomised (AWS Architecture Blog, 2015).
    Jitter { None = "none", Full = "full", Equal = "equal", Decorrelated = "decorrelated" }
);
string_enum!(
    /// Components of the composite lookup key.
    KeyScope { Tenant = "tenant", User = "user", Method = "method", Path = "path", Function = "function" }
);
string_enum!(
    /// How an operation is made safe to repeat.
    Idempotency { Natural = "natural", Key = "key", Conditional = "conditional", None = "none" }
);
string_enum!(
    /// What running the operation changes.
    SideEffects { None = "none", Local = "local", Foreign = "foreign", Money = "money" }
);
string_enum!(
    /// HTTP method, or `rpc` for gRPC-style calls.
    Method { Get = "GET", Head = "HEAD", Options = "OPTIONS", Trace = "TRACE", Put = "PUT", Delete = "DELETE", Post = "POST", Patch = "PATCH", Connect = "CONNECT", Rpc = "rpc" }
);

mod consumer;
pub use consumer::*;

impl Method {
    /// RFC 9110 section 9.2.2: PUT, DELETE and the safe methods.
    pub fn is_idempotent(self) -> bool {
        matches!(
            self,
            Method::Get
                | Method::Head
                | Method::Options
                | Method::Trace
                | Method::Put
                | Method::Delete
        )
    }
}

/// `allow = ["RC017", { rule = "no_retry_budget", reason = "..." }]`.
#[derive(Debug, Clone, PartialEq)]
pub struct AllowEntry {
    /// A rule code or name, as written.
    pub rule: Sp<String>,
    pub reason: Option<Sp<String>>,
}

/// `store = { kind, durability, same_txn_as_effect }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Store {
    pub kind: Option<Sp<StoreKind>>,
    pub durability: Option<Sp<Durability>>,
    pub same_txn_as_effect: Option<Sp<bool>>,
}

/// `[server.NAME.operations.OP]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    pub name: Sp<String>,
    pub method: Option<Sp<Method>>,
    pub idempotency: Option<Sp<Idempotency>>,
    pub side_effects: Option<Sp<SideEffects>>,
    pub allow: Vec<AllowEntry>,
}

impl Operation {
    /// Repeating it is harmless without any help from a key: declared
    /// `natural`, or an idempotent HTTP method with no declaration.
    pub fn naturally_idempotent(&self) -> bool {
        match self.idempotency.as_ref().map(|i| i.value) {
            Some(Idempotency::Natural) => true,
            Some(_) => false,
            None => self.method.as_ref().is_some_and(|m| m.is_idempotent()),
        }
    }

    pub fn side_effects(&self) -> SideEffects {
        self.side_effects
            .as_ref()
            .map(|s| s.value)
            .unwrap_or(SideEffects::None)
    }

    pub fn has_side_effects(&self) -> bool {
        self.side_effects() != SideEffects::None
    }
}

/// `[server.NAME]`: what the side-effect owner promises.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    pub name: Sp<String>,
    pub key_source: Option<Sp<String>>,
    pub key_required: Option<Sp<bool>>,
    pub key_ttl: Option<Sp<Duration>>,
    pub key_scope: Option<Sp<Vec<Sp<KeyScope>>>>,
    pub fingerprint: Option<Sp<Vec<Sp<String>>>>,
    pub in_progress_lease: Option<Sp<Duration>>,
    pub handler_timeout: Option<Sp<Duration>>,
    pub store: Option<Sp<Store>>,
    pub fencing: Option<Sp<bool>>,
    pub on_mismatch: Option<Sp<Status>>,
    pub on_in_progress: Option<Sp<Status>>,
    pub on_missing_key: Option<Sp<Status>>,
    /// Requests per second the server can serve (fleet storm simulation).
    pub capacity_per_sec: Option<Sp<f64>>,
    /// Offered load / capacity above which the storm simulation reports
    /// an overload (RC034).
    pub max_load_factor: Option<Sp<f64>>,
    pub operations: Vec<Operation>,
    pub allow: Vec<AllowEntry>,
}

impl Server {
    /// Does the server declare an idempotency-key contract at all?
    pub fn is_keyed(&self) -> bool {
        self.key_source.is_some() || self.key_ttl.is_some()
    }

    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.name.value == name)
    }

    pub fn fencing(&self) -> bool {
        self.fencing.as_ref().is_some_and(|f| f.value)
    }
}

/// `backoff = { initial, multiplier, max, jitter }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Backoff {
    pub initial: Option<Sp<Duration>>,
    pub multiplier: Option<Sp<f64>>,
    pub max: Option<Sp<Duration>>,
    pub jitter: Option<Sp<Jitter>>,
}

/// `budget = { ratio, min_per_sec }`: retries allowed as a share of requests.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Budget {
    pub ratio: Option<Sp<f64>>,
    pub min_per_sec: Option<Sp<f64>>,
}

/// `hedging = { max_attempts, delay, non_fatal_codes }` (gRPC A6).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Hedging {
    pub max_attempts: Option<Sp<i64>>,
    pub delay: Option<Sp<Duration>>,
    pub non_fatal_codes: Option<Sp<Vec<Sp<Status>>>>,
}

/// `fleet = { clients, rate_per_sec }`: how many instances of a client run,
/// and how many logical requests each sends per second (storm simulation).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fleet {
    pub clients: Option<Sp<i64>>,
    pub rate_per_sec: Option<Sp<f64>>,
}

impl Fleet {
    /// Instances when `fleet` or `clients` is absent.
    pub const DEFAULT_CLIENTS: u64 = 500;
    /// Logical requests per second per instance when absent.
    pub const DEFAULT_RATE_PER_SEC: f64 = 2.0;
}

/// `breaker = { failure_ratio, min_requests, open_for, half_open_probes, counts }`:
/// a client-side circuit breaker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Breaker {
    /// Share of failed requests (in the last window) that opens the breaker.
    pub failure_ratio: Option<Sp<f64>>,
    /// Requests in the window before the ratio is judged.
    pub min_requests: Option<Sp<i64>>,
    /// How long the breaker stays open before letting probes through.
    pub open_for: Option<Sp<Duration>>,
    /// Requests let through while half-open; all must succeed to close.
    pub half_open_probes: Option<Sp<i64>>,
    /// Statuses that count as failures (default: the client's `retry_on`).
    pub counts: Option<Sp<Vec<Sp<Status>>>>,
}

impl Breaker {
    pub const DEFAULT_FAILURE_RATIO: f64 = 0.5;
    pub const DEFAULT_MIN_REQUESTS: u64 = 20;
    pub const DEFAULT_OPEN_FOR: Duration = Duration(5_000);
    pub const DEFAULT_HALF_OPEN_PROBES: u64 = 1;
}

/// `idempotency_key = { header, reused_across_retries }`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdempotencyKey {
    pub header: Option<Sp<String>>,
    pub reused_across_retries: Option<Sp<bool>>,
}

/// A `calls` entry: `"server.Operation"`, or `"server"` for all its operations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    pub server: String,
    pub operation: Option<String>,
}

impl std::fmt::Display for CallRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.operation {
            Some(op) => write!(f, "{}.{}", self.server, op),
            None => f.write_str(&self.server),
        }
    }
}

/// `[client.NAME]`: how a caller retries.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub name: Sp<String>,
    pub calls: Vec<Sp<CallRef>>,
    /// The server whose handler this client runs in (forms call paths).
    pub runs_in: Option<Sp<String>>,
    pub layer: Option<Sp<String>>,
    pub max_attempts: Option<Sp<i64>>,
    pub deadline: Option<Sp<Duration>>,
    pub per_attempt_timeout: Option<Sp<Duration>>,
    pub retry_window: Option<Sp<Duration>>,
    pub backoff: Option<Sp<Backoff>>,
    pub retry_on: Option<Sp<Vec<Sp<Status>>>>,
    pub honor_retry_after: Option<Sp<bool>>,
    pub budget: Option<Sp<Budget>>,
    pub hedging: Option<Sp<Hedging>>,
    pub idempotency_key: Option<Sp<IdempotencyKey>>,
    pub on_exhausted: Option<Sp<String>>,
    pub fleet: Option<Sp<Fleet>>,
    pub breaker: Option<Sp<Breaker>>,
    pub allow: Vec<AllowEntry>,
}

impl Client {
    /// Fleet size, `fleet.clients` or [`Fleet::DEFAULT_CLIENTS`].
    pub fn fleet_clients(&self) -> u64 {
        self.fleet
            .as_ref()
            .and_then(|f| f.clients.as_ref())
            .map_or(Fleet::DEFAULT_CLIENTS, |c| c.value.max(1) as u64)
    }

    /// Logical requests per second per instance.
    pub fn fleet_rate(&self) -> f64 {
        self.fleet
            .as_ref()
            .and_then(|f| f.rate_per_sec.as_ref())
            .map_or(Fleet::DEFAULT_RATE_PER_SEC, |r| r.value)
    }

    /// Whether this client ever sends a second attempt. `max_attempts`
    /// absent counts as retrying only if a retry field is present.
    pub fn retries(&self) -> bool {
        match self.max_attempts.as_ref().map(|m| m.value) {
            Some(n) => n > 1,
            None => {
                self.backoff.is_some() || self.retry_on.is_some() || self.retry_window.is_some()
            }
        }
    }

    /// Span that best stands for "this client's retry policy".
    pub fn retry_span(&self) -> Span {
        self.max_attempts
            .as_ref()
            .map(|m| m.span.clone())
            .or_else(|| self.retry_on.as_ref().map(|r| r.span.clone()))
            .or_else(|| self.backoff.as_ref().map(|b| b.span.clone()))
            .unwrap_or_else(|| self.name.span.clone())
    }

    pub fn retry_on(&self) -> &[Sp<Status>] {
        self.retry_on
            .as_ref()
            .map(|r| r.value.as_slice())
            .unwrap_or(&[])
    }

    /// Reuses the same idempotency key on every attempt (declared true).
    pub fn reuses_key(&self) -> bool {
        self.idempotency_key
            .as_ref()
            .and_then(|k| k.reused_across_retries.as_ref())
            .is_some_and(|r| r.value)
    }
}

/// Identifies an item that can carry `allow = [...]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemId {
    Server(usize),
    Operation(usize, usize),
    Client(usize),
    Consumer(usize),
}

// `[source.NAME]`: where a configuration file that is not a contract (a
// gRPC service config, an Istio `VirtualService`, ...) sits in the system.
// The contract crate only reads the table; `retry-check-sources` imports
// the file it names and applies it.

string_enum!(
    /// The configuration formats `retry-check-sources` reads.
    SourceFormat {
        GrpcServiceConfig = "grpc-service-config",
        Envoy = "envoy",
        Istio = "istio",
        Linkerd = "linkerd",
        AwsConfig = "aws-config",
        Openapi = "openapi",
    }
);

/// One `[source.NAME]` table.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceMapping {
    pub name: Sp<String>,
    /// The file, relative to the contract file the table is written in.
    pub path: Option<Sp<String>>,
    /// The format, when the file's extension and content do not say.
    pub format: Option<Sp<SourceFormat>>,
    /// `layer` of every client the source defines.
    pub layer: Option<Sp<String>>,
    /// The server whose handler (or sidecar) the source's clients run in.
    pub runs_in: Option<Sp<String>>,
    /// The server the source's clients call, or that it describes, when
    /// `servers` does not name one.
    pub server: Option<Sp<String>>,
    /// Names in the file (an Envoy cluster, an Istio or Linkerd host, a
    /// gRPC service) and the contract server each one is.
    pub servers: Vec<(Sp<String>, Sp<String>)>,
    /// The request header that carries the idempotency key (OpenAPI).
    pub key_header: Option<Sp<String>>,
    pub allow: Vec<AllowEntry>,
}

/// Every server, client and consumer of every contract file of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContractSet {
    pub servers: Vec<Server>,
    pub clients: Vec<Client>,
    /// Stream consumers and task workers (`[consumer.NAME]`).
    pub consumers: Vec<Consumer>,
    /// The `[source.NAME]` tables: imported configuration files.
    pub sources: Vec<SourceMapping>,
    /// Indices of clients that are proxies (a mesh sidecar, a gateway, an
    /// Envoy route): they sit in front of their `calls` targets and retry
    /// what other clients send there, so on a call path they come between
    /// those clients and the target (see [`crate::derive::call_paths`]).
    /// Sorted (clients are appended in order).
    pub proxies: Vec<usize>,
}

impl ContractSet {
    /// Is client `ci` a proxy (see [`ContractSet::proxies`])?
    pub fn is_proxy(&self, ci: usize) -> bool {
        self.proxies.binary_search(&ci).is_ok()
    }

    /// Append the items of `other` (one file's, say) after these.
    pub fn append(&mut self, other: ContractSet) {
        if *self == ContractSet::default() {
            // Nothing to keep: take the items without copying them.
            *self = other;
            return;
        }
        // Destructured, so that a new kind of item cannot be forgotten here.
        let ContractSet {
            servers,
            clients,
            consumers,
            sources,
            proxies,
        } = other;
        let offset = self.clients.len();
        self.servers.extend(servers);
        self.clients.extend(clients);
        self.consumers.extend(consumers);
        self.sources.extend(sources);
        // Still sorted: the appended clients come after these.
        self.proxies
            .extend(proxies.into_iter().map(|ci| ci + offset));
    }

    pub fn server(&self, name: &str) -> Option<(usize, &Server)> {
        self.servers
            .iter()
            .enumerate()
            .find(|(_, s)| s.name.value == name)
    }

    /// Server index by name, for runs that look up many names: the first
    /// definition wins, as in [`ContractSet::server`] (a second one is a
    /// `duplicate_name` error).
    pub fn server_index(&self) -> std::collections::HashMap<&str, usize> {
        let mut index = std::collections::HashMap::with_capacity(self.servers.len());
        for (i, s) in self.servers.iter().enumerate() {
            index.entry(s.name.value.as_str()).or_insert(i);
        }
        index
    }

    pub fn client(&self, name: &str) -> Option<(usize, &Client)> {
        self.clients
            .iter()
            .enumerate()
            .find(|(_, c)| c.name.value == name)
    }

    /// The (server, operation) pairs a call reference resolves to.
    pub fn resolve(&self, call: &CallRef) -> Vec<(usize, Option<usize>)> {
        match self.server(&call.server) {
            Some((si, _)) => self.resolve_at(si, call),
            None => Vec::new(),
        }
    }

    /// [`ContractSet::resolve`] for a call whose server is already known to
    /// be `servers[si]` (looked up in a [`ContractSet::server_index`]).
    pub fn resolve_at(&self, si: usize, call: &CallRef) -> Vec<(usize, Option<usize>)> {
        let Some(server) = self.servers.get(si) else {
            return Vec::new();
        };
        match &call.operation {
            Some(op) => server
                .operations
                .iter()
                .position(|o| &o.name.value == op)
                .map(|oi| vec![(si, Some(oi))])
                .unwrap_or_default(),
            None if server.operations.is_empty() => vec![(si, None)],
            None => (0..server.operations.len())
                .map(|oi| (si, Some(oi)))
                .collect(),
        }
    }

    /// The allow entries attached to an item.
    pub fn allows(&self, item: ItemId) -> &[AllowEntry] {
        match item {
            ItemId::Server(s) => self.servers.get(s).map(|s| s.allow.as_slice()),
            ItemId::Operation(s, o) => self
                .servers
                .get(s)
                .and_then(|s| s.operations.get(o))
                .map(|o| o.allow.as_slice()),
            ItemId::Client(c) => self.clients.get(c).map(|c| c.allow.as_slice()),
            ItemId::Consumer(c) => self.consumers.get(c).map(|c| c.allow.as_slice()),
        }
        .unwrap_or(&[])
    }

    pub fn items(&self) -> Vec<ItemId> {
        let mut items = Vec::new();
        for (si, s) in self.servers.iter().enumerate() {
            items.push(ItemId::Server(si));
            for oi in 0..s.operations.len() {
                items.push(ItemId::Operation(si, oi));
            }
        }
        items.extend((0..self.clients.len()).map(ItemId::Client));
        items.extend((0..self.consumers.len()).map(ItemId::Consumer));
        items
    }
}
