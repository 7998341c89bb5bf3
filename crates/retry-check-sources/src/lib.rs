//! Contracts from the configuration teams already deploy (issue 19): gRPC
//! service config, Envoy, Istio `VirtualService`, Linkerd `ServiceProfile`,
//! the AWS SDK config file and OpenAPI 3, read as contract sources and
//! mapped onto the contract model (clients, servers, operations, layers)
//! with spans into the original file, so every finding points at the line
//! of the YAML, JSON or INI that causes it.
//!
//! * [`load`]: every file of a [`SourceMap`](retry_check_diagnostics::SourceMap)
//!   (TOML contracts and imported files) to one `ContractSet`, placed by the
//!   contracts' `[source.NAME]` tables ([`retry_check_contract::SourceMapping`]).
//! * [`sniff`]: which files are sources (extension, then content).
//! * [`formats`]: one module per format, owning its reading, validation
//!   (as the real system validates, citing its rule) and mapping.
//! * [`starter`]: a starter TOML contract for the sources of a path
//!   (`cargo retry-check init --from PATH`).
//! * [`tree`], [`yaml`], [`json`] ([`json_direct`]), [`read`], [`durations`]: the spanned
//!   document tree the formats read, and its typed accessors.

pub mod durations;
pub mod formats;
pub mod import;
pub mod json;
pub mod json_direct;
pub mod load;
pub mod read;
pub mod sniff;
pub mod starter;
pub mod tree;
pub mod yaml;

pub use load::{annotate, load, Loaded, Notes, ReadFile};
pub use sniff::is_candidate;

/// Read files from disk (what the CLI passes to [`load`]).
pub fn read_from_disk(path: &str) -> std::io::Result<Vec<u8>> {
    std::fs::read(path)
}
