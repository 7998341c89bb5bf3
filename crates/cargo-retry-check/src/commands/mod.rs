//! One module per command: its arguments turned into calls of the library
//! crates, over the shared run context (`crate::context::Run`).

pub mod check;
pub mod init;
pub mod lint;
pub mod model;
pub mod replay;
pub mod rules;
pub mod scan;
pub mod schema;
pub mod simulate;
pub mod storm;
