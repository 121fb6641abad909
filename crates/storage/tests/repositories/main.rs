//! The repositories of `PgStore` against a real PostgreSQL: every port method, the constraints
//! behind them, encryption at rest, lease fencing and concurrency.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod api_keys;
mod change_feed;
mod configs;
mod connections;
mod errors;
mod job_queue;
mod jobs;
mod oauth_states;
mod profiles;
mod run_end;
mod run_end_with_page;
mod settings;
mod support;
mod sync_runs;
mod webhooks;
