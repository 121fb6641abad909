//! pulse-sync's tables on a database set up like Supabase's (the roles anon, authenticated and
//! service_role, and default privileges granting them everything new in `public`): the lock-down
//! migration keeps those roles out of every table and function while the service, the tables'
//! owner, keeps working; the migrations still apply where those roles do not exist; and the
//! opt-in profile read policy lets `authenticated` read its own user's profiles and nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod lock_down;
mod plain_postgres;
mod read_policy;
mod support;
