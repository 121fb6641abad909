//! pulse-bench: the benchmarks behind `bench/run`. Each binary measures one hot path of pulse-sync
//! beside a reference run in the same process and moment (PostgreSQL's own fastest way to do the
//! same work, or a trusted peer), repeats both, and appends its figures to a results file that
//! `bench/run` prints as one table.
//!
//! The library holds what the binaries share: options, statistics, the results table, databases,
//! the fake Google, and the sync and scan helpers.

pub mod args;
pub mod changes;
pub mod copy_reference;
pub mod counting_runner;
pub mod database;
pub mod due_scan;
pub mod empty_source;
pub mod error;
pub mod fake_account;
pub mod figure;
pub mod graphile;
pub mod job_machinery;
pub mod load_tools;
pub mod process;
pub mod server_process;
pub mod stats;
pub mod sync_run;

pub use args::BenchArgs;
pub use error::BenchError;
pub use figure::{Bound, Figure, Goal};
