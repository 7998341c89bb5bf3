//! Valid contracts built from plain values: the property tests draw the
//! values from proptest strategies, the lint benchmark from an index.

use std::fmt::Write as _;

use retry_check_contract::{Duration, Status};

/// A server with one operation.
#[derive(Clone, Debug)]
pub struct ServerSpec {
    pub name: String,
    pub key_ttl: Duration,
    pub lease: Duration,
    pub handler_timeout: Duration,
    pub durable: bool,
    pub fencing: bool,
    pub fingerprint: bool,
    /// `"POST"`, `"PUT"`, `"GET"`, ...
    pub method: &'static str,
    /// `"key"`, `"natural"`, `"conditional"`, `"none"`.
    pub idempotency: &'static str,
    /// `"none"`, `"local"`, `"foreign"`, `"money"`.
    pub side_effects: &'static str,
}

/// A client calling one server's operation.
#[derive(Clone, Debug)]
pub struct ClientSpec {
    pub name: String,
    /// Index into the contract's servers.
    pub calls: usize,
    pub max_attempts: i64,
    pub initial: Duration,
    pub multiplier: f64,
    pub max: Option<Duration>,
    /// `"none"`, `"full"`, `"equal"`, `"decorrelated"`.
    pub jitter: &'static str,
    pub deadline: Option<Duration>,
    pub retry_window: Option<Duration>,
    pub retry_on: Vec<Status>,
    pub budget_ratio: Option<f64>,
    pub reuses_key: bool,
}

/// One contract file.
#[derive(Clone, Debug)]
pub struct ContractSpec {
    pub servers: Vec<ServerSpec>,
    pub clients: Vec<ClientSpec>,
}

impl ContractSpec {
    /// The file's TOML text. Numbers in `retry_on` are written as TOML
    /// integers, every other status as a string: both forms are accepted.
    pub fn to_toml(&self) -> String {
        let mut out = String::from("version = 1\n");
        for s in &self.servers {
            let _ = writeln!(out, "\n[server.{}]", s.name);
            out.push_str("key_source = \"header:Idempotency-Key\"\nkey_required = true\n");
            let _ = writeln!(out, "key_ttl = \"{}\"", s.key_ttl);
            let _ = writeln!(out, "in_progress_lease = \"{}\"", s.lease);
            let _ = writeln!(out, "handler_timeout = \"{}\"", s.handler_timeout);
            let durability = if s.durable { "durable" } else { "volatile" };
            let _ = writeln!(
                out,
                "store = {{ kind = \"postgres\", durability = \"{durability}\" }}"
            );
            let _ = writeln!(out, "fencing = {}", s.fencing);
            if s.fingerprint {
                out.push_str("fingerprint = [\"amount\", \"currency\"]\n");
            }
            let _ = writeln!(out, "\n[server.{}.operations.Op]", s.name);
            let _ = writeln!(out, "method = \"{}\"", s.method);
            let _ = writeln!(out, "idempotency = \"{}\"", s.idempotency);
            let _ = writeln!(out, "side_effects = \"{}\"", s.side_effects);
        }
        for c in &self.clients {
            let _ = writeln!(out, "\n[client.{}]", c.name);
            let server = &self.servers[c.calls % self.servers.len()].name;
            let _ = writeln!(out, "calls = [\"{server}.Op\"]");
            let _ = writeln!(out, "max_attempts = {}", c.max_attempts);
            let _ = write!(
                out,
                "backoff = {{ initial = \"{}\", multiplier = {:?}",
                c.initial, c.multiplier
            );
            if let Some(max) = c.max {
                let _ = write!(out, ", max = \"{max}\"");
            }
            let _ = writeln!(out, ", jitter = \"{}\" }}", c.jitter);
            if let Some(d) = c.deadline {
                let _ = writeln!(out, "deadline = \"{d}\"");
            }
            if let Some(w) = c.retry_window {
                let _ = writeln!(out, "retry_window = \"{w}\"");
            }
            let statuses: Vec<String> = c
                .retry_on
                .iter()
                .map(|s| match s {
                    Status::Http(code) => code.to_string(),
                    other => format!("\"{other}\""),
                })
                .collect();
            let _ = writeln!(out, "retry_on = [{}]", statuses.join(", "));
            if let Some(ratio) = c.budget_ratio {
                let _ = writeln!(out, "budget = {{ ratio = {ratio:?} }}");
            }
            let _ = writeln!(
                out,
                "idempotency_key = {{ reused_across_retries = {} }}",
                c.reuses_key
            );
        }
        out
    }
}

const METHODS: [&str; 5] = ["POST", "PUT", "GET", "PATCH", "DELETE"];
const IDEMPOTENCY: [&str; 4] = ["key", "natural", "conditional", "none"];
const SIDE_EFFECTS: [&str; 4] = ["none", "local", "foreign", "money"];
const JITTER: [&str; 4] = ["none", "full", "equal", "decorrelated"];
const STATUSES: [&str; 8] = [
    "UNAVAILABLE",
    "RESOURCE_EXHAUSTED",
    "DEADLINE_EXCEEDED",
    "INVALID_ARGUMENT",
    "5xx",
    "connect-failure",
    "503",
    "422",
];

/// A deterministic, varied contract for benchmark file number `i`: three
/// servers and four clients whose values cycle through the ranges the
/// property tests draw from, so rules fire on some files and not others.
pub fn numbered_contract(i: usize) -> ContractSpec {
    let pick = |k: usize, n: usize| (i.wrapping_mul(2_654_435_761).wrapping_add(k * 40_503)) % n;
    let servers = (0..3)
        .map(|s| ServerSpec {
            name: format!("svc{i}-{s}"),
            key_ttl: Duration::from_secs(60 * (1 + pick(s, 2_000) as u64)),
            lease: Duration::from_secs(1 + pick(s + 1, 60) as u64),
            handler_timeout: Duration::from_secs(1 + pick(s + 2, 30) as u64),
            durable: pick(s + 3, 4) != 0,
            fencing: pick(s + 4, 2) == 0,
            fingerprint: pick(s + 5, 3) != 0,
            method: METHODS[pick(s + 6, METHODS.len())],
            idempotency: IDEMPOTENCY[pick(s + 7, IDEMPOTENCY.len())],
            side_effects: SIDE_EFFECTS[pick(s + 8, SIDE_EFFECTS.len())],
        })
        .collect();
    let clients = (0..4)
        .map(|c| ClientSpec {
            name: format!("caller{i}-{c}"),
            calls: pick(c + 10, 3),
            max_attempts: 1 + pick(c + 11, 8) as i64,
            initial: Duration::from_millis(10 * (1 + pick(c + 12, 100) as u64)),
            multiplier: [1.0, 1.5, 2.0, 3.0][pick(c + 13, 4)],
            max: (pick(c + 14, 4) != 0).then(|| Duration::from_secs(1 + pick(c + 15, 30) as u64)),
            jitter: JITTER[pick(c + 16, JITTER.len())],
            deadline: (pick(c + 17, 3) != 0)
                .then(|| Duration::from_secs(1 + pick(c + 18, 60) as u64)),
            retry_window: (pick(c + 19, 3) == 0)
                .then(|| Duration::from_secs(60 * (1 + pick(c + 20, 3_000) as u64))),
            retry_on: (0..1 + pick(c + 21, 3))
                .filter_map(|k| Status::parse_str(STATUSES[pick(c + 22 + k, STATUSES.len())]).ok())
                .collect(),
            budget_ratio: (pick(c + 25, 2) == 0).then_some(0.1),
            reuses_key: pick(c + 26, 4) != 0,
        })
        .collect();
    ContractSpec { servers, clients }
}

/// A client -> server pair that every rule finds clean, for benchmark
/// file number `i` of a monorepo whose pairs share `configurations`
/// distinct configurations (pair `i` has configuration `i % configurations`;
/// at most 29,160 are distinct). The names are the file's own, as in a
/// monorepo where each service copies a shared template and tunes it.
///
/// Clean by construction: the key TTL (at least 48h) outlives the client's
/// deadline-bounded window, the lease outlives the handler, the handler
/// gives up before the client abandons an attempt, and the client has a
/// budget, jitter and a capped backoff.
pub fn clean_pair(i: usize, configurations: usize) -> String {
    const TTL: [&str; 5] = ["7d", "3d", "48h", "30d", "14d"];
    const LEASE: [&str; 3] = ["30s", "45s", "60s"];
    const HANDLER: [&str; 2] = ["500ms", "750ms"];
    const ATTEMPTS: [u32; 2] = [3, 2];
    const DEADLINE: [&str; 3] = ["5s", "6s", "8s"];
    const PER_ATTEMPT: [&str; 3] = ["800ms", "1s", "1500ms"];
    const INITIAL: [&str; 3] = ["200ms", "100ms", "300ms"];
    const JITTER: [&str; 3] = ["full", "equal", "decorrelated"];
    const MULTIPLIER: [&str; 2] = ["2.0", "1.5"];
    const BUDGET: [&str; 3] = ["0.1", "0.05", "0.02"];
    let mut t = i % configurations.max(1);
    let mut pick = |n: usize| {
        let v = t % n;
        t /= n;
        v
    };
    let ttl = TTL[pick(TTL.len())];
    let lease = LEASE[pick(LEASE.len())];
    let handler = HANDLER[pick(HANDLER.len())];
    let attempts = ATTEMPTS[pick(ATTEMPTS.len())];
    let deadline = DEADLINE[pick(DEADLINE.len())];
    let per_attempt = PER_ATTEMPT[pick(PER_ATTEMPT.len())];
    let initial = INITIAL[pick(INITIAL.len())];
    let jitter = JITTER[pick(JITTER.len())];
    let multiplier = MULTIPLIER[pick(MULTIPLIER.len())];
    let budget = BUDGET[pick(BUDGET.len())];
    format!(
        r#"version = 1

[server.svc{i}]
key_source = "header:Idempotency-Key"
key_required = true
key_ttl = "{ttl}"
key_scope = ["tenant"]
fingerprint = ["amount", "currency"]
in_progress_lease = "{lease}"
handler_timeout = "{handler}"
store = {{ kind = "postgres", durability = "durable", same_txn_as_effect = true }}
fencing = true
on_mismatch = 422
on_in_progress = 409
on_missing_key = 400

[server.svc{i}.operations.Charge]
method = "POST"
idempotency = "key"
side_effects = "money"

[client.caller{i}]
calls = ["svc{i}.Charge"]
max_attempts = {attempts}
deadline = "{deadline}"
per_attempt_timeout = "{per_attempt}"
backoff = {{ initial = "{initial}", multiplier = {multiplier}, max = "2s", jitter = "{jitter}" }}
retry_on = ["UNAVAILABLE", 503]
honor_retry_after = true
budget = {{ ratio = {budget}, min_per_sec = 10 }}
idempotency_key = {{ reused_across_retries = true }}
on_exhausted = "payment_pending"
"#
    )
}

/// One contract file of at least `bytes` bytes: the servers and clients of
/// [`numbered_contract`] `0, 1, 2, ...` (rules fire on some items) or,
/// when `clean`, of [`clean_pair`] (no rule fires), under a single
/// `version = 1`, for measuring what one very large file costs (issue 20:
/// peak memory of `lint` on a 50 MB file).
pub fn large_contract(bytes: usize, clean: bool) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    out.push_str("version = 1\n");
    let mut i = 0;
    while out.len() < bytes {
        let text = if clean {
            clean_pair(i, 1_000)
        } else {
            numbered_contract(i).to_toml()
        };
        out.push_str(text.strip_prefix("version = 1\n").unwrap_or(&text));
        i += 1;
    }
    out
}
