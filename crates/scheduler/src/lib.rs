//! The auto-sync scheduler: a due scanner that enqueues due users, a worker pool that claims jobs
//! with leases kept alive by heartbeats, a rescuer that requeues jobs whose worker died, and a
//! graceful shutdown that hands unfinished work back to the queue.
//!
//! The database (through the domain's [`JobQueue`](pulse_domain::ports::JobQueue) port) is the
//! coordinator: any number of schedulers may run against one database.

mod backoff;
mod config;
mod error;
mod foreground;
mod heartbeat;
mod job_task;
mod metrics;
mod pool;
mod rescuer;
mod runner;
mod scanner;
mod scheduler;
mod wake;
mod worker_id;

pub use config::SchedulerConfig;
pub use error::{ConfigError, ForegroundError};
pub use foreground::{ForegroundRun, run_job_now};
pub use job_task::JobEnd;
pub use metrics::{CONTACTS_PROCESSED_TOTAL, DUE_USERS, SYNC_DURATION_SECONDS, SYNC_JOBS_TOTAL};
pub use runner::SyncRunner;
pub use scanner::{ScanReport, scan_due};
pub use scheduler::Scheduler;
pub use wake::wake_workers;
pub use worker_id::worker_id;
