//! The pulse-sync server: the command line, the configuration it reads, and the wiring of the
//! storage, Google, API and scheduler crates into one process (`serve`), the operator's commands
//! and the zero-setup demo.

pub mod assets;
pub mod cli;
pub mod commands;
pub mod database;
pub mod encryption;
pub mod error;
pub mod google;
pub mod http;
pub mod inventory;
pub mod logging;
pub mod progress;
pub mod readiness;
pub mod report;
pub mod services;
pub mod settings;
pub mod shutdown;
