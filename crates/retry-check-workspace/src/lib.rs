//! The user's workspace as retry-check sees it.
//!
//! * [`config`]: finding the workspace's Cargo.toml and reading
//!   `[workspace.metadata.retry-check]` (contract globs, lint levels, model
//!   tests, scan settings), every error located.
//! * [`discover`]: which files a run reads (contract files and the
//!   deployed configuration they import, and the Rust sources and
//!   manifests of a scan, minus `scan-exclude`), always sorted, and parsing
//!   the contract files into one `SourceMap` (through
//!   `retry_check_sources::load`).
//! * [`deliver`]: the end of a run: the baseline, then the report in every
//!   format it goes out in, and whether the run failed.
//! * [`init`]: scaffolding a workspace: the configuration table, a
//!   contract, a harness test, and the harness dependency where the store
//!   lives.

pub mod config;
pub mod deliver;
pub mod discover;
pub mod init;

pub use config::{find_manifest, load, Config};
pub use discover::{
    contract_files, display_path, load_contracts, load_sources, parse_contracts, scan_targets,
    Parsed,
};
