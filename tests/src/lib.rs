//! Shared harness for the workspace-level tests: a fresh database, a fake Google, and the real
//! sync engine between them, plus the comparison of stored profiles with Google's data; and,
//! for the black-box suite, `pulse-sync` processes with their environment, logs, API client and
//! one-shot commands, and the checks every scenario ends with; and a throwaway TLS-only
//! PostgreSQL with certificates of the test's own making.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod account_changes;
pub mod api;
pub mod binary;
pub mod cli;
pub mod deployment;
pub mod expected;
pub mod logs;
pub mod pgbouncer;
pub mod process;
pub mod raw_http;
pub mod secrets;
pub mod server_config;
pub mod sql;
pub mod sync_harness;
pub mod tenants;
pub mod tls_server;
pub mod wait;
pub mod webhook_receiver;

pub use account_changes::{AccountChange, account_change};
pub use api::{API, Answer, ApiClient, is_documented_error, with_workspace};
pub use deployment::{Deployment, JobRow};
pub use expected::{ProfileContent, expected_profiles, live_profiles, stored_profiles};
pub use process::ServerProcess;
pub use secrets::SecretSet;
pub use server_config::ServerConfig;
pub use sync_harness::SyncHarness;
pub use tenants::{Tenant, Tenants};
pub use tls_server::{ServerCertificate, TlsPostgres};
pub use wait::{PATIENCE, eventually, eventually_some, eventually_within};
