//! The command that installs PostgreSQL's server programs on this machine, from the system's
//! `/etc/os-release` (its `ID` and `ID_LIKE`), or Homebrew's on macOS.

use std::fmt;

/// Where the system describes itself.
const OS_RELEASE: &str = "/etc/os-release";

/// How to install the PostgreSQL server on this machine's system.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallHint {
    /// Debian, Ubuntu and their derivatives.
    Apt,
    /// Fedora, RHEL, CentOS, Rocky, AlmaLinux.
    Dnf,
    /// Alpine Linux.
    Apk,
    /// macOS with Homebrew.
    Homebrew,
    /// A system this list does not know.
    Unknown,
}

impl InstallHint {
    /// The hint for the machine this process runs on.
    pub fn for_this_machine() -> Self {
        if cfg!(target_os = "macos") {
            return Self::Homebrew;
        }
        std::fs::read_to_string(OS_RELEASE)
            .map(|text| Self::from_os_release(&text))
            .unwrap_or(Self::Unknown)
    }

    /// The hint for the system an `os-release` file describes.
    pub fn from_os_release(text: &str) -> Self {
        let field = |name: &str| {
            text.lines()
                .filter_map(|line| line.trim().strip_prefix(name)?.strip_prefix('='))
                .map(|value| value.trim().trim_matches(['"', '\'']).to_ascii_lowercase())
                .next()
                .unwrap_or_default()
        };
        let id = field("ID");
        let id_like = field("ID_LIKE");
        let ids: Vec<&str> = std::iter::once(id.as_str())
            .chain(id_like.split_whitespace())
            .collect();
        let family = |names: &[&str]| ids.iter().any(|id| names.contains(id));
        if family(&["debian", "ubuntu"]) {
            Self::Apt
        } else if family(&["fedora", "rhel", "centos", "rocky", "almalinux"]) {
            Self::Dnf
        } else if family(&["alpine"]) {
            Self::Apk
        } else {
            Self::Unknown
        }
    }
}

impl fmt::Display for InstallHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Apt => "install them with `apt-get install postgresql`",
            Self::Dnf => "install them with `dnf install postgresql-server`",
            Self::Apk => "install them with `apk add postgresql`",
            Self::Homebrew => "install them with `brew install postgresql@16`",
            Self::Unknown => {
                "install your system's PostgreSQL server package (Debian/Ubuntu: `apt-get install \
                 postgresql`, Fedora/RHEL: `dnf install postgresql-server`, Alpine: `apk add \
                 postgresql`, macOS: `brew install postgresql@16`)"
            }
        })
    }
}
