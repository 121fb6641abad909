//! Finds the `pulse-sync` binary the suite starts: `PULSE_SYNC_BIN` when set, else the one
//! `cargo test --workspace` builds next to the test executables (`target/<profile>/pulse-sync`).

use std::path::{Path, PathBuf};

/// Names a `pulse-sync` binary to use instead of the one next to the tests.
pub const BINARY_VAR: &str = "PULSE_SYNC_BIN";

/// The `pulse-sync` binary; panics with how to build it when it is missing.
pub fn pulse_sync_binary() -> PathBuf {
    if let Some(path) = std::env::var_os(BINARY_VAR) {
        let path = PathBuf::from(path);
        assert!(
            path.is_file(),
            "{BINARY_VAR} names {}, which is not a file",
            path.display()
        );
        return path;
    }
    let executable = std::env::current_exe().expect("the test executable's path");
    // target/<profile>/deps/<test executable> -> target/<profile>/pulse-sync
    let profile_dir = executable
        .parent()
        .and_then(Path::parent)
        .expect("the test executable lives in target/<profile>/deps");
    let binary = profile_dir.join(format!("pulse-sync{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "the pulse-sync binary is missing at {}: run the suite with `cargo test --workspace` \
         (which builds it), or `cargo build -p pulse-server` first, or set {BINARY_VAR}",
        binary.display()
    );
    binary
}
