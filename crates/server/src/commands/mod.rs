//! The subcommands of `pulse-sync`, one module each.

pub mod migrate;
pub mod serve;
