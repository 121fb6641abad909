//! The operating-system account the server runs as: this process's own, or, when this process is
//! root (PostgreSQL refuses to run as root), the unprivileged system user `postgres`.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;
use std::process::Command;

use super::LocalClusterError;
use super::programs::{self, find_program, run};

/// The system user the server runs as when this process is root.
pub(super) const SERVER_USER: &str = "postgres";

/// How commands reach the server's account.
#[derive(Debug, Clone)]
enum Switch {
    /// This process is not root: run programs directly.
    None,
    /// `runuser -u postgres -- program args...`.
    Runuser(std::path::PathBuf),
    /// `su -s /bin/sh postgres -c 'program args...'`.
    Su(std::path::PathBuf),
}

/// The account that owns the cluster's files and runs its programs.
#[derive(Debug, Clone)]
pub(super) struct ServerAccount {
    switch: Switch,
    uid: u32,
    process_uid: u32,
}

impl ServerAccount {
    /// This process's own account, or `postgres` when this process is root.
    pub(super) fn for_this_process() -> Result<Self, LocalClusterError> {
        let euid = effective_uid()?;
        if euid != 0 {
            return Ok(Self {
                switch: Switch::None,
                uid: euid,
                process_uid: euid,
            });
        }
        let uid = server_user_uid().ok_or(LocalClusterError::NoServerUser)?;
        let switch = if let Some(runuser) = find_program("runuser", &["/usr/sbin", "/sbin"]) {
            Switch::Runuser(runuser)
        } else if let Some(su) = find_program("su", &["/usr/bin", "/bin"]) {
            Switch::Su(su)
        } else {
            return Err(LocalClusterError::MissingProgram {
                program: "runuser",
                package: "util-linux",
            });
        };
        tracing::info!(
            user = SERVER_USER,
            "running as root, which PostgreSQL refuses: the local cluster runs as the system user `{SERVER_USER}`"
        );
        Ok(Self {
            switch,
            uid,
            process_uid: euid,
        })
    }

    /// Whether programs run as another user than this process.
    pub(super) fn is_switched(&self) -> bool {
        !matches!(self.switch, Switch::None)
    }

    /// The numeric user id the server runs as.
    pub(super) fn uid(&self) -> u32 {
        self.uid
    }

    /// This process's effective user id.
    pub(super) fn process_uid(&self) -> u32 {
        self.process_uid
    }

    /// The argument vector that runs `program args...` as the server's account.
    pub(super) fn argv(&self, program: &Path, args: &[&OsStr]) -> Vec<OsString> {
        let direct = std::iter::once(program.as_os_str())
            .chain(args.iter().copied())
            .map(OsStr::to_os_string);
        match &self.switch {
            Switch::None => direct.collect(),
            Switch::Runuser(runuser) => [
                runuser.as_os_str(),
                "-u".as_ref(),
                SERVER_USER.as_ref(),
                "--".as_ref(),
            ]
            .into_iter()
            .map(OsStr::to_os_string)
            .chain(direct)
            .collect(),
            Switch::Su(su) => {
                let mut script = b"exec".to_vec();
                for word in direct {
                    script.push(b' ');
                    script.extend_from_slice(&shell_quote(&word));
                }
                vec![
                    su.as_os_str().to_os_string(),
                    "-s".into(),
                    "/bin/sh".into(),
                    SERVER_USER.into(),
                    "-c".into(),
                    OsString::from_vec(script),
                ]
            }
        }
    }

    /// A command that runs `program args...` as the server's account.
    pub(super) fn command(&self, program: &Path, args: &[&OsStr]) -> Command {
        let argv = self.argv(program, args);
        programs::command(&argv[0], &argv[1..])
    }

    /// Makes `path` (not its contents) belong to the server's account, when that is another user.
    pub(super) fn take_ownership(&self, path: &Path) -> Result<(), LocalClusterError> {
        if !self.is_switched() {
            return Ok(());
        }
        let owner = format!("{SERVER_USER}:");
        run(
            programs::command("chown", &[OsStr::new(&owner), path.as_os_str()]),
            &format!("chown {owner} {}", path.display()),
        )
        .map(drop)
    }

    /// Whether the server's account can enter `dir` (and so every directory above it).
    pub(super) fn can_enter(&self, dir: &Path) -> bool {
        if !self.is_switched() {
            return true;
        }
        let args = [OsStr::new("-x"), dir.as_os_str()];
        self.command(Path::new("test"), &args)
            .current_dir("/")
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Fails unless the server's account can enter and write to `dir`.
    pub(super) fn ensure_writable(&self, dir: &Path) -> Result<(), LocalClusterError> {
        if !self.is_switched() {
            return Ok(());
        }
        let test = ["-w", "-a", "-x"].map(OsStr::new);
        let args = [test[0], dir.as_os_str(), test[1], test[2], dir.as_os_str()];
        let reachable = self
            .command(Path::new("test"), &args)
            .status()
            .is_ok_and(|status| status.success());
        if reachable {
            Ok(())
        } else {
            Err(LocalClusterError::DataDirUnreachable {
                path: dir.to_path_buf(),
            })
        }
    }
}

/// This process's effective user id, from /proc/self/status or else `id -u`.
fn effective_uid() -> Result<u32, LocalClusterError> {
    if let Some(euid) = std::fs::read_to_string("/proc/self/status")
        .ok()
        .as_deref()
        .and_then(euid_from_status)
    {
        return Ok(euid);
    }
    let output = run(programs::command("id", &["-u"]), "id -u")?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| LocalClusterError::CommandFailed {
            command: "id -u".to_owned(),
            status: output.status,
            output: "not a user id".to_owned(),
        })
}

/// The effective uid from the text of /proc/<pid>/status (`Uid: real effective saved fs`).
pub(super) fn euid_from_status(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .and_then(|euid| euid.parse().ok())
}

/// The uid of the `postgres` system user, if it exists.
fn server_user_uid() -> Option<u32> {
    let output = programs::command("id", &["-u", SERVER_USER])
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}

/// `word` quoted for a POSIX shell: `'...'`, with each `'` written as `'\''`.
pub(super) fn shell_quote(word: &OsStr) -> Vec<u8> {
    let mut quoted = vec![b'\''];
    for &byte in word.as_bytes() {
        if byte == b'\'' {
            quoted.extend_from_slice(b"'\\''");
        } else {
            quoted.push(byte);
        }
    }
    quoted.push(b'\'');
    quoted
}
