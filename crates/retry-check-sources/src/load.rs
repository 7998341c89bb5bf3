//! A run's files to one contract set: TOML contracts through the contract
//! parser, every other file through its format, placed by the `[source]`
//! tables, with every target resolved against the whole set.

use std::collections::HashMap;

use retry_check_contract::{
    parse, CallRef, ContractSet, Method, SourceFormat, SourceMapping, Sp, INVALID_CONTRACT,
};
use retry_check_diagnostics::{Diagnostic, Severity, SourceId, SourceMap, Span};

use crate::formats;
use crate::import::{short_name, Imported, Operations, Placement, RawTarget};
use crate::read::Reader;
use crate::sniff::{self, Syntax};
use crate::tree::Node;

/// Reads a file a `[source]` table names that the run has not read yet.
pub type ReadFile<'a> = &'a dyn Fn(&str) -> std::io::Result<Vec<u8>>;

/// What [`load`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    pub set: ContractSet,
    /// Every error of every file; the set is only meaningful without them.
    pub errors: Vec<Diagnostic>,
    /// The files that are contract sources (TOML or imported), in order.
    pub files: Vec<SourceId>,
    /// What [`annotate`] needs to finish the run's findings.
    pub notes: Notes,
}

/// What the imported files add to the findings of a run (see [`annotate`]).
#[derive(Debug, Clone, Default)]
pub struct Notes {
    /// Explanations of values a system applies without the file saying so.
    pub implicit: Vec<(Span, String)>,
    /// The `allow` entries of `[source]` tables, each copied onto every
    /// item of its file, with the number of copies.
    pub shared_allows: Vec<(Span, usize)>,
}

/// `a/b/../c/./d` -> `a/c/d` (lexically; `..` past the start is kept).
pub fn normalize(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else {
        joined
    }
}

/// `path` written in the contract file at `contract`, as the run names it.
pub fn resolve_path(contract: &str, path: &str) -> String {
    if path.starts_with('/') {
        return normalize(path);
    }
    match contract.rfind(['/', '\\']) {
        Some(i) => normalize(&format!("{}/{path}", &contract[..i])),
        // A contract in the current directory: the path as it is (not
        // `/path`, which is the root's).
        None => normalize(path),
    }
}

fn error(message: String, span: Span, label: &str) -> Diagnostic {
    Diagnostic::new(INVALID_CONTRACT, "invalid_source", Severity::Error, message)
        .with_primary(span, label)
}

/// Parse every file of `sources` (and the files their `[source]` tables
/// name, read with `read` and added to `sources`) into one contract set.
pub fn load(sources: &mut SourceMap, read: ReadFile<'_>) -> Loaded {
    let mut out = Loaded::default();
    let ids: Vec<SourceId> = sources.files().map(|(id, _)| id).collect();
    let mut imports: Vec<SourceId> = Vec::new();
    let mut contracts: Vec<SourceId> = Vec::new();
    for &id in &ids {
        if sniff::syntax_of(sources.path(id)) == Some(Syntax::Toml) {
            contracts.push(id);
        } else {
            imports.push(id);
        }
    }
    let texts: Vec<(SourceId, &str)> = contracts.iter().map(|&id| (id, sources.text(id))).collect();
    for (part, errors) in parse::parse_files(&texts) {
        out.set.append(part);
        out.errors.extend(errors);
    }
    for id in contracts {
        sources.set_kind(id, "contract");
        out.files.push(id);
    }
    let mapped = place_mapped_files(
        sources,
        read,
        &out.set.sources,
        &mut imports,
        &mut out.errors,
    );
    let mut imported: Vec<Imported> = Vec::new();
    for (id, (found, errors)) in imports.iter().zip(import_all(sources, &imports, &mapped)) {
        out.errors.extend(errors);
        if let Some((i, kind)) = found {
            sources.set_kind(*id, kind);
            out.files.push(*id);
            imported.push(i);
        }
    }
    for i in &mut imported {
        place_servers(&mut out.set, i);
    }
    place_clients(&mut out.set, imported, &mut out.notes.implicit);
    out.notes.shared_allows = shared_allows(&out.set);
    parse::check_duplicates(&out.set, &mut out.errors);
    out.errors.sort_by(Diagnostic::cmp_by_location);
    out
}

/// One file imported: what it holds (and its source kind), and its errors.
type FileImport = (Option<(Imported, &'static str)>, Vec<Diagnostic>);

/// [`import_file`] of every file of `ids`, in order: on every core when
/// there is enough to share (each file on its own).
fn import_all(
    sources: &SourceMap,
    ids: &[SourceId],
    mapped: &HashMap<SourceId, &SourceMapping>,
) -> Vec<FileImport> {
    let one = |id: SourceId| {
        let mut errors = Vec::new();
        let found = import_file(sources, id, mapped.get(&id).copied(), &mut errors);
        (found, errors)
    };
    let bytes: usize = ids.iter().map(|&id| sources.text(id).len()).sum();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Below ~1 MB a thread costs more than it saves: on a loaded machine a
    // second thread that waits for a core makes a small run slower.
    if threads <= 1 || ids.len() < 2 || bytes < 1024 * 1024 {
        return ids.iter().map(|&id| one(id)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<FileImport>>> =
        ids.iter().map(|_| Default::default()).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(ids.len()) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&id) = ids.get(i) else { break };
                let done = one(id);
                if let Ok(mut slot) = slots[i].lock() {
                    *slot = Some(done);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .ok()
                .flatten()
                .unwrap_or_else(|| (None, Vec::new()))
        })
        .collect()
}

/// Find (or read) the file of every `[source]` table.
fn place_mapped_files<'m>(
    sources: &mut SourceMap,
    read: ReadFile<'_>,
    mappings: &'m [SourceMapping],
    imports: &mut Vec<SourceId>,
    errors: &mut Vec<Diagnostic>,
) -> HashMap<SourceId, &'m SourceMapping> {
    let mut by_path: HashMap<String, SourceId> = sources
        .files()
        .map(|(id, f)| (normalize(&f.path), id))
        .collect();
    let mut mapped: HashMap<SourceId, &SourceMapping> = HashMap::new();
    for m in mappings {
        let Some(path) = &m.path else { continue };
        let contract = sources.path(path.span.source).to_string();
        let full = resolve_path(&contract, &path.value);
        if sniff::syntax_of(&full) == Some(Syntax::Toml) {
            errors.push(error(
                format!(
                    "`{}` is a contract file: `[source]` names configuration to import",
                    path.value
                ),
                path.span.clone(),
                "a contract file",
            ));
            continue;
        }
        let id = match by_path.get(&full) {
            Some(id) => *id,
            None => match read(&full) {
                Ok(bytes) => {
                    let (id, utf8) = parse::decode(&full, &bytes, sources);
                    errors.extend(utf8);
                    by_path.insert(full.clone(), id);
                    imports.push(id);
                    id
                }
                Err(e) => {
                    errors.push(error(
                        format!("cannot read `{full}`: {e}"),
                        path.span.clone(),
                        "named here",
                    ));
                    continue;
                }
            },
        };
        if let Some(first) = mapped.get(&id) {
            let mut d = error(
                format!("`{}` is named by two `[source]` tables", path.value),
                path.span.clone(),
                "named again here",
            );
            if let Some(p) = &first.path {
                d = d.with_secondary(p.span.clone(), "first named here");
            }
            errors.push(d);
            continue;
        }
        mapped.insert(id, m);
    }
    mapped
}

fn placement_of(m: &SourceMapping) -> Placement {
    Placement {
        name: m.name.value.clone(),
        layer: m.layer.clone(),
        runs_in: m.runs_in.clone(),
        server: m.server.clone(),
        servers: m.servers.clone(),
        key_header: m.key_header.clone(),
        allow: m.allow.clone(),
    }
}

fn stem(path: &str) -> String {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let stem = name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(name);
    stem.to_string()
}

/// How the format is named in messages.
pub fn display_name(format: SourceFormat) -> &'static str {
    match format {
        SourceFormat::GrpcServiceConfig => "gRPC service config",
        SourceFormat::Envoy => "Envoy",
        SourceFormat::Istio => "Istio",
        SourceFormat::Linkerd => "Linkerd",
        SourceFormat::AwsConfig => "AWS SDK config",
        SourceFormat::Openapi => "OpenAPI",
    }
}

/// Read one non-TOML file: `None` when it is not a contract source.
fn import_file(
    sources: &SourceMap,
    id: SourceId,
    mapping: Option<&SourceMapping>,
    errors: &mut Vec<Diagnostic>,
) -> Option<(Imported, &'static str)> {
    let path = sources.path(id);
    let text = sources.text(id);
    let forced = mapping.and_then(|m| m.format.as_ref().map(|f| f.value));
    let syntax = match (forced, sniff::syntax_of(path)) {
        (Some(SourceFormat::AwsConfig), _) => Syntax::Ini,
        (Some(SourceFormat::GrpcServiceConfig), None) => Syntax::Json,
        (Some(_), None | Some(Syntax::Ini)) => Syntax::Yaml,
        (_, Some(s)) => s,
        (None, None) => return None,
    };
    let base = mapping.map_or_else(|| Placement::unmapped(stem(path)), placement_of);
    let mut out = Imported {
        placement: Some(base.clone()),
        ..Imported::default()
    };
    if syntax == Syntax::Ini {
        if forced.is_none() && !sniff::is_aws_config(text) {
            return None;
        }
        let mut r = Reader {
            source: id,
            text,
            format: display_name(SourceFormat::AwsConfig),
            errors,
        };
        formats::aws::import(&mut r, text, &base, &mut out);
        return Some((out, SourceFormat::AwsConfig.as_str()));
    }
    let docs = match sniff::documents(syntax, text) {
        Ok(docs) => docs,
        Err(e) => {
            if mapping.is_none() && !sniff::looks_like_a_source(text) {
                return None;
            }
            let what = if syntax == Syntax::Json {
                "JSON"
            } else {
                "YAML"
            };
            errors.push(
                Diagnostic::new(
                    INVALID_CONTRACT,
                    "syntax_error",
                    Severity::Error,
                    format!("invalid {what}: {}", e.message),
                )
                .with_primary(Span::new(id, e.range), "here"),
            );
            return Some((out, forced.map_or("unknown", SourceFormat::as_str)));
        }
    };
    let found: Vec<(SourceFormat, &Node)> = docs
        .iter()
        .filter_map(|d| match (sniff::detect(d), forced) {
            (Some(f), _) => Some((f, d)),
            // A forced format reads a document whose kind says nothing
            // (gRPC, Envoy, OpenAPI have no `kind`), not another resource.
            (None, Some(f)) if d.get(&["kind"]).is_none() && d.is_map() => Some((f, d)),
            _ => None,
        })
        .collect();
    let Some(first) = found.first().map(|(f, _)| *f) else {
        if mapping.is_some() {
            let m = mapping?;
            let at = m
                .path
                .as_ref()
                .map_or(m.name.span.clone(), |p| p.span.clone());
            errors.push(error(
                format!("`{path}` holds nothing retry-check reads"),
                at,
                "no VirtualService, ServiceProfile, gRPC service config, OpenAPI document or Envoy configuration in it",
            ).with_help(format!("set `format = ...` on `[source.{}]` if the file is one of {}", m.name.value, SourceFormat::NAMES.join(", "))));
        }
        return None;
    };
    let several = found.len() > 1;
    for (format, doc) in found {
        let mut placement = base.clone();
        let k8s_name = doc.at(&["metadata", "name"]).and_then(Node::as_str);
        match (mapping, k8s_name) {
            (None, Some(n)) => placement.name = n.to_string(),
            (Some(_), Some(n)) if several => placement.name = format!("{}/{n}", base.name),
            _ => {}
        }
        let mut r = Reader {
            source: id,
            text,
            format: display_name(format),
            errors,
        };
        match format {
            SourceFormat::Istio => formats::istio::import(&mut r, doc, &placement, &mut out),
            SourceFormat::Linkerd => formats::linkerd::import(&mut r, doc, &placement, &mut out),
            SourceFormat::GrpcServiceConfig => {
                formats::grpc::import(&mut r, doc, &placement, &mut out)
            }
            SourceFormat::Envoy => formats::envoy::import(&mut r, doc, &placement, &mut out),
            SourceFormat::Openapi => {
                formats::openapi::import(&mut r, doc, &placement, &stem(path), &mut out)
            }
            SourceFormat::AwsConfig => {}
        }
    }
    Some((out, first.as_str()))
}

/// Server names of the set, to their operations (built once per run).
type ServerIndex<'s> = HashMap<&'s str, &'s [retry_check_contract::Operation]>;

/// The contract server a name in a file is: the mapping's `servers`, a
/// server of that exact name, the mapping's `server`, a server named like
/// its first label, else that label (RC031 then reports it unknown).
fn server_for(index: &ServerIndex<'_>, placement: &Placement, name: &str) -> String {
    if let Some((_, to)) = placement
        .servers
        .iter()
        .find(|(from, _)| from.value == name)
    {
        return to.value.clone();
    }
    if index.contains_key(name) {
        return name.to_string();
    }
    if let Some(s) = &placement.server {
        return s.value.clone();
    }
    short_name(name).to_string()
}

fn calls(index: &ServerIndex<'_>, placement: &Placement, target: &RawTarget) -> Vec<Sp<CallRef>> {
    let server = server_for(index, placement, &target.name);
    let call = |operation: Option<String>| {
        Sp::new(
            CallRef {
                server: server.clone(),
                operation,
            },
            target.span.clone(),
        )
    };
    let known = index.get(server.as_str()).copied();
    let declared = known.unwrap_or(&[]);
    match &target.operations {
        Operations::All => vec![call(None)],
        // A server that declares no operations is called as a whole.
        Operations::Named(_) if declared.is_empty() && known.is_some() => vec![call(None)],
        Operations::Named(op) => vec![call(Some(op.clone()))],
        Operations::Methods(methods) => {
            if declared.is_empty() {
                return vec![call(None)];
            }
            declared
                .iter()
                .filter(|o| {
                    o.method
                        .as_ref()
                        // gRPC calls are HTTP POSTs.
                        .is_some_and(|m| {
                            methods.contains(&m.value)
                                || (m.value == Method::Rpc && methods.contains(&Method::Post))
                        })
                })
                .map(|o| call(Some(o.name.value.clone())))
                .collect()
        }
    }
}

/// Put one file's servers into the set.
fn place_servers(set: &mut ContractSet, imported: &mut Imported) {
    for server in std::mem::take(&mut imported.servers) {
        match set
            .servers
            .iter()
            .position(|s| s.name.value == server.name.value)
        {
            // An OpenAPI document adds to the contract server it describes.
            Some(i) => formats::openapi::merge_into(&mut set.servers[i], server),
            None => set.servers.push(server),
        }
    }
}

/// Put the clients of every file into the set, their targets resolved
/// against an index of the set's servers (built once). Each client is
/// moved once, straight into the set: a client is over a kilobyte.
fn place_clients(
    set: &mut ContractSet,
    imported: Vec<Imported>,
    implicit: &mut Vec<(Span, String)>,
) {
    let mut index: ServerIndex<'_> = HashMap::with_capacity(set.servers.len());
    for s in &set.servers {
        index
            .entry(s.name.value.as_str())
            .or_insert(s.operations.as_slice());
    }
    let (clients, proxies) = (&mut set.clients, &mut set.proxies);
    clients.reserve(imported.iter().map(|f| f.clients.len()).sum());
    for file in imported {
        implicit.extend(file.implicit);
        let placement = file.placement.unwrap_or_else(|| Placement::unmapped(""));
        for ic in file.clients {
            let mut client = ic.client;
            client.calls = ic
                .targets
                .iter()
                .flat_map(|t| calls(&index, &placement, t))
                .collect();
            if ic.proxy {
                proxies.push(clients.len());
            }
            let at = client.retry_span();
            if client.on_exhausted.is_none() {
                client.on_exhausted =
                    Some(Sp::new(crate::import::EXHAUSTED.to_string(), at.clone()));
            }
            // Proxies and retrying libraries resend the request they were
            // given: the caller's idempotency key is on every attempt.
            if client.idempotency_key.is_none() {
                client.idempotency_key = Some(formats::forwarded_key(at));
            }
            clients.push(client);
        }
    }
}

/// How many items carry each `[source]` table's `allow` entries.
fn shared_allows(set: &ContractSet) -> Vec<(Span, usize)> {
    let mut out: Vec<(Span, usize)> = set
        .sources
        .iter()
        .flat_map(|m| m.allow.iter().map(|a| (a.rule.span.clone(), 0)))
        .collect();
    for item in set.items() {
        for entry in set.allows(item) {
            if let Some(slot) = out.iter_mut().find(|(s, _)| *s == entry.rule.span) {
                slot.1 += 1;
            }
        }
    }
    out
}

/// Finish the findings of a run that imported files:
/// - a finding that points at a value the system applies implicitly gets
///   the explanation as a note (Istio's default retries);
/// - a `[source]` table's `allow` entry is one suppression for the whole
///   file: `unused_suppression` is kept (once) only when no item used it.
pub fn annotate(diagnostics: &mut Vec<Diagnostic>, notes: &Notes) {
    for (span, copies) in &notes.shared_allows {
        let unused = diagnostics
            .iter()
            .filter(|d| {
                d.name == "unused_suppression"
                    && d.primary.as_ref().is_some_and(|p| p.span == *span)
            })
            .count();
        let mut kept = unused == *copies;
        diagnostics.retain(|d| {
            let same = d.name == "unused_suppression"
                && d.primary.as_ref().is_some_and(|p| p.span == *span);
            if !same {
                return true;
            }
            std::mem::replace(&mut kept, false)
        });
    }
    if notes.implicit.is_empty() {
        return;
    }
    let mut by_span: HashMap<&Span, Vec<&String>> = HashMap::with_capacity(notes.implicit.len());
    for (span, note) in &notes.implicit {
        by_span.entry(span).or_default().push(note);
    }
    for d in diagnostics.iter_mut() {
        let found: Vec<String> = d
            .primary
            .iter()
            .chain(&d.secondary)
            .filter_map(|l| by_span.get(&l.span))
            .flatten()
            .map(|n| (*n).clone())
            .collect();
        for n in found.into_iter().rev() {
            if !d.notes.contains(&n) {
                d.notes.insert(0, n);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resolve_path;

    #[test]
    fn a_source_path_is_relative_to_its_contract() {
        assert_eq!(
            resolve_path("contracts/payments.toml", "mesh/vs.yaml"),
            "contracts/mesh/vs.yaml"
        );
        assert_eq!(
            resolve_path("contracts/a/b.toml", "../mesh/vs.yaml"),
            "contracts/mesh/vs.yaml"
        );
        // A contract in the current directory (`lint .` inside contracts/).
        assert_eq!(
            resolve_path("payments.toml", "mesh/vs.yaml"),
            "mesh/vs.yaml"
        );
        assert_eq!(
            resolve_path("payments.toml", "/etc/vs.yaml"),
            "/etc/vs.yaml"
        );
    }
}
