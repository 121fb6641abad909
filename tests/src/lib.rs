//! Shared harness for the workspace-level tests: a fresh database, a fake Google, and the real
//! sync engine between them, plus the comparison of stored profiles with Google's data.

pub mod expected;
pub mod sync_harness;

pub use expected::{ProfileContent, expected_profiles, live_profiles, stored_profiles};
pub use sync_harness::SyncHarness;
