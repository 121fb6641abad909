//! The subcommands of `pulse-sync`, one module each.

pub mod api_key;
pub mod demo;
pub mod encryption_key;
pub mod migrate;
pub mod serve;
pub mod status;
pub mod sync;
