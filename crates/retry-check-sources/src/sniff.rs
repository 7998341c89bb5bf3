//! Which format a file is: by extension first (`.toml` is a contract,
//! `.yaml`/`.yml`/`.json` are parsed), then by content. A YAML or JSON
//! document counts only when its `kind` or shape says so (an Istio
//! `VirtualService`, a Linkerd `ServiceProfile`, a gRPC service config, an
//! OpenAPI 3 document, Envoy configuration); every other document (a
//! Deployment, a package.json) is not a contract source and is skipped.

use std::path::Path;

use retry_check_contract::SourceFormat;

use crate::formats::{aws, envoy, grpc, istio, linkerd, openapi};
use crate::tree::{Node, SyntaxError};
use crate::{json, yaml};

/// How a file's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Yaml,
    Json,
    /// INI-like text (the AWS config file).
    Ini,
}

/// The reader for a path, by its extension; `None` when no format of ours
/// uses it. Extension-less files named `config` are AWS config files.
pub fn syntax_of(path: &str) -> Option<Syntax> {
    let p = Path::new(path);
    match p.extension().and_then(|e| e.to_str()) {
        Some("toml") => Some(Syntax::Toml),
        Some("yaml" | "yml") => Some(Syntax::Yaml),
        Some("json") => Some(Syntax::Json),
        Some("ini" | "cfg") => Some(Syntax::Ini),
        None if p.file_name().is_some_and(|n| n == "config") => Some(Syntax::Ini),
        _ => None,
    }
}

/// Can this path be a contract source? (Directories are searched for these.)
pub fn is_candidate(path: &Path) -> bool {
    syntax_of(&path.to_string_lossy()).is_some()
}

/// The format of one YAML/JSON document, from its content.
pub fn detect(doc: &Node) -> Option<SourceFormat> {
    if istio::is_virtual_service(doc) {
        Some(SourceFormat::Istio)
    } else if linkerd::is_service_profile(doc) {
        Some(SourceFormat::Linkerd)
    } else if grpc::is_service_config(doc) {
        Some(SourceFormat::GrpcServiceConfig)
    } else if openapi::is_openapi(doc) {
        Some(SourceFormat::Openapi)
    } else if envoy::is_envoy(doc) {
        Some(SourceFormat::Envoy)
    } else {
        None
    }
}

/// Words that only these formats' files contain: a file that does not
/// parse is reported only when it has one (a broken `VirtualService` is a
/// finding; a broken unrelated YAML file is not ours to judge).
const MARKERS: &[&str] = &[
    "VirtualService",
    "ServiceProfile",
    "methodConfig",
    "method_config",
    "retryThrottling",
    "virtual_hosts",
    "virtualHosts",
    "retry_policy",
    "static_resources",
    "type.googleapis.com/envoy.",
    "openapi",
];

pub fn looks_like_a_source(text: &str) -> bool {
    MARKERS.iter().any(|m| text.contains(m))
}

/// A parsed YAML or JSON file: its documents, with Kubernetes `List`s
/// flattened into their items.
pub fn documents(syntax: Syntax, text: &str) -> Result<Vec<Node<'_>>, SyntaxError> {
    let docs = match syntax {
        Syntax::Json => vec![json::parse(text)?],
        _ => yaml::parse(text)?,
    };
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let is_list = doc.get(&["kind"]).and_then(Node::as_str) == Some("List")
            && doc.get(&["items"]).is_some();
        if is_list {
            if let Some(crate::tree::Node {
                value: crate::tree::Value::Seq(items),
                ..
            }) = doc.get(&["items"]).cloned()
            {
                out.extend(items);
                continue;
            }
        }
        out.push(doc);
    }
    Ok(out)
}

/// Is this INI text an AWS config file?
pub fn is_aws_config(text: &str) -> bool {
    aws::looks_like_aws_config(text)
}
