//! The implementations of the domain's storage ports on [`PgStore`](crate::PgStore), one port
//! per module, with the row types that map tables to domain values.

mod api_keys;
mod configs;
mod connections;
mod job_queue;
mod job_rows;
mod jobs;
mod key_rotation;
mod oauth_states;
mod page_write;
mod profiles;
mod settings;
mod sync_runs;
mod webhooks;

pub use job_queue::NOTIFY_CHANNEL;
pub use jobs::MAX_JOBS_PER_PAGE;
pub use profiles::MAX_PROFILES_PER_PAGE;
pub use webhooks::KEPT_ATTEMPTS;
