//! One-shot `pulse-sync` commands (`api-key create`, `api-key revoke`, ...) run to their end with
//! a server's environment, bounded in time.

use std::process::Stdio;
use std::time::Duration;

use crate::binary::pulse_sync_binary;
use crate::server_config::ServerConfig;

/// How long a one-shot command may take.
const COMMAND_PATIENCE: Duration = Duration::from_secs(60);

/// What a command printed and how it ended.
#[derive(Debug, Clone)]
pub struct CommandOutput {
    /// Whether it exited with status 0.
    pub success: bool,
    /// Its exit code, if it exited normally.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `pulse-sync <args>` with `config`'s environment and waits for it.
pub async fn run(config: &ServerConfig, args: &[&str]) -> CommandOutput {
    let mut command = tokio::process::Command::new(pulse_sync_binary());
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    for (variable, _) in std::env::vars_os() {
        let text = variable.to_string_lossy();
        if ["PULSE_", "GOOGLE_", "DATABASE_URL", "RUST_LOG"]
            .iter()
            .any(|prefix| text.starts_with(prefix))
        {
            command.env_remove(&variable);
        }
    }
    command.envs(config.vars());
    let output = tokio::time::timeout(COMMAND_PATIENCE, command.output())
        .await
        .unwrap_or_else(|_| panic!("pulse-sync {args:?} did not finish within a minute"))
        .unwrap_or_else(|error| panic!("cannot run pulse-sync {args:?}: {error}"));
    CommandOutput {
        success: output.status.success(),
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `pulse-sync api-key create --workspace <workspace>`: the key it printed (alone on a line).
pub async fn create_api_key(config: &ServerConfig, workspace: &str) -> String {
    let output = run(config, &["api-key", "create", "--workspace", workspace]).await;
    assert!(
        output.success,
        "api-key create failed: {}{}",
        output.stdout, output.stderr
    );
    output
        .stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("pulse_") && !line.contains(' '))
        .unwrap_or_else(|| panic!("no key in the output of api-key create: {}", output.stdout))
        .to_owned()
}

/// A created key: its text (shown once) and its id (for `api-key revoke`).
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The key.
    pub key: String,
    /// Its id.
    pub id: String,
}

/// `pulse-sync api-key create <scope args>`: the key and the id it reported.
pub async fn create_key_with_id(config: &ServerConfig, scope: &[&str]) -> CreatedKey {
    let mut args = vec!["api-key", "create"];
    args.extend_from_slice(scope);
    let output = run(config, &args).await;
    assert!(
        output.success,
        "api-key create failed: {}{}",
        output.stdout, output.stderr
    );
    let key = output
        .stdout
        .lines()
        .map(str::trim)
        .find(|line| line.starts_with("pulse_") && !line.contains(' '))
        .unwrap_or_else(|| panic!("no key in the output of api-key create: {}", output.stdout))
        .to_owned();
    let id = output
        .stderr
        .split_whitespace()
        .find(|word| uuid::Uuid::parse_str(word).is_ok())
        .unwrap_or_else(|| panic!("no key id in: {}", output.stderr))
        .to_owned();
    CreatedKey { key, id }
}

/// `pulse-sync api-key revoke <id>`.
pub async fn revoke_key(config: &ServerConfig, id: &str) {
    let output = run(config, &["api-key", "revoke", id]).await;
    assert!(
        output.success,
        "api-key revoke failed: {}{}",
        output.stdout, output.stderr
    );
}
