//! The pulse-sync server: the command line and the commands it runs.

pub mod cli;
pub mod commands;
