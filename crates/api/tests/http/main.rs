//! End-to-end tests of the HTTP API: the real actix server on a loopback port, a real PostgreSQL
//! database per test, the fake Google, and reqwest as the client.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod auto_sync;
mod cors;
mod errors;
mod google_connect;
mod jobs;
mod openapi;
mod operations;
mod profile_changes;
mod profiles;
mod revocation;
mod security_headers;
mod support;
