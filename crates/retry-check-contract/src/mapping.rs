//! `[source.NAME]`: where a configuration file that is not a contract (a
//! gRPC service config, an Istio `VirtualService`, ...) sits in the system.
//! The contract crate only reads the table; `retry-check-sources` imports
//! the file it names and applies it.

use crate::model::{AllowEntry, Sp};

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
