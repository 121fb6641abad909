//! The commands the demo suggests trying next, beside it: `pulse-sync status` as the `cargo run`
//! a newcomer can paste (on the same database), and a curl of the workspace's settings with the
//! demo's key.

use std::ffi::OsStr;
use std::path::Path;

use url::Url;

use crate::settings::args::DEFAULT_DATA_DIR;
use crate::settings::variables::{DATABASE_URL, PULSE_DATA_DIR};

/// The line that introduces the suggested commands.
pub const INTRODUCTION: &str = "Try next, in another terminal in this directory:";

/// Where the demo's database is, as the suggested status command must be told.
#[derive(Debug, Clone, Copy)]
pub enum DemoDatabase<'a> {
    /// The local PostgreSQL of this data directory.
    Local(&'a Path),
    /// A `DATABASE_URL`.
    Url,
}

/// The suggested commands, one a line, each indented by two spaces.
pub fn lines(
    public_url: &Url,
    key: &str,
    workspace: &str,
    database: DemoDatabase<'_>,
) -> Vec<String> {
    let status = format!("cargo run --release -p pulse-server -- status --workspace {workspace}");
    let status = match database {
        DemoDatabase::Local(data_dir) if data_dir != Path::new(DEFAULT_DATA_DIR) => {
            let shown = data_dir
                .canonicalize()
                .unwrap_or_else(|_| data_dir.to_path_buf());
            format!(
                "{PULSE_DATA_DIR}={} {status}",
                shell_quote(shown.as_os_str())
            )
        }
        DemoDatabase::Local(_) => status,
        DemoDatabase::Url => format!("{status}   # with the same {DATABASE_URL}"),
    };
    let base = public_url.as_str().trim_end_matches('/');
    let curl = format!(
        "curl -H \"Authorization: Bearer {key}\" \
         \"{base}/api/logos-vision/auto-sync/config?workspace_id={workspace}\""
    );
    vec![format!("  {status}"), format!("  {curl}")]
}

/// `word` quoted for a POSIX shell when it needs it.
fn shell_quote(word: &OsStr) -> String {
    let text = word.to_string_lossy();
    let plain = text
        .bytes()
        .all(|byte| byte.is_ascii_alphanumeric() || b"/_.-+=:,@".contains(&byte));
    if plain && !text.is_empty() {
        text.into_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("http://127.0.0.1:3003").unwrap()
    }

    #[test]
    fn the_default_data_dir_needs_no_variable() {
        let lines = lines(
            &url(),
            "pulse_k",
            "demo",
            DemoDatabase::Local(Path::new(".pulse-data")),
        );
        assert_eq!(
            lines,
            [
                "  cargo run --release -p pulse-server -- status --workspace demo",
                "  curl -H \"Authorization: Bearer pulse_k\" \"http://127.0.0.1:3003/api/logos-vision/auto-sync/config?workspace_id=demo\"",
            ]
        );
    }

    #[test]
    fn another_data_dir_is_named_quoted() {
        let lines = lines(
            &url(),
            "k",
            "demo",
            DemoDatabase::Local(Path::new("/no/such dir/it's")),
        );
        assert!(
            lines[0].starts_with("  PULSE_DATA_DIR='/no/such dir/it'\\''s' cargo run"),
            "{}",
            lines[0]
        );
    }

    #[test]
    fn a_database_url_is_mentioned_not_printed() {
        let lines = lines(&url(), "k", "demo", DemoDatabase::Url);
        assert!(
            lines[0].ends_with("# with the same DATABASE_URL"),
            "{}",
            lines[0]
        );
    }
}
