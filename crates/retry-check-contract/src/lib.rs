//! The retry contract format, version 1 (PRODUCT.md section 3).
//!
//! * [`parse`]: TOML text to a [`ContractSet`], with every error located.
//! * [`model`]: servers, operations, clients and consumers (stream
//!   consumers and task workers), every value with its span.
//! * [`derive`]: retry windows, call paths and amplification; a consumer's
//!   redelivery window.
//! * [`schema`]: the JSON Schema of the file format, for editors.
//! * [`Duration`] and [`Status`]: the two value types contracts are made of.
//!
//! ```
//! use retry_check_contract::{load_str, derive::retry_window};
//!
//! let (set, errors) = load_str("payments.toml", r#"
//! version = 1
//! [client.checkout]
//! calls = ["payments.Charge"]
//! max_attempts = 3
//! backoff = { initial = "100ms", multiplier = 2.0, max = "1s", jitter = "full" }
//! "#);
//! assert!(errors.is_empty());
//! let window = retry_window(&set.clients[0]).duration().unwrap();
//! assert_eq!(window.to_string(), "300ms"); // 100ms + 200ms of backoff
//! ```

pub mod derive;
mod duration;
pub mod model;
pub mod parse;
mod rc000_invalid_contract;
pub mod schema;
mod status;
mod suggest;

pub use duration::{Duration, DurationError};
pub use model::*;
pub use parse::{load, INVALID_CONTRACT};
pub use rc000_invalid_contract::LINT as INVALID_CONTRACT_LINT;
pub use status::{GrpcCode, Status, Transport};
pub use suggest::did_you_mean;

use retry_check_diagnostics::{Diagnostic, SourceMap};

/// Parse one in-memory file (for tests and examples).
pub fn load_str(path: &str, text: &str) -> (ContractSet, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    sources.add(path, text);
    load(&sources)
}
