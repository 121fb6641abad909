//! `PgBouncer`: a real PgBouncer (Debian's package, 1.18) in `pool_mode = transaction` on a free
//! loopback port, in front of the test database's server, with a pool smaller than the service's,
//! the way Supabase's port 6543 and most production PgBouncers run.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};
use tokio_postgres::config::Host;

use crate::server_config::free_port;

/// Where Debian installs the program.
const DEBIAN_PROGRAM: &str = "/usr/sbin/pgbouncer";

/// The unprivileged user PgBouncer runs as when the tests run as root (it refuses root).
const RUN_AS: &str = "postgres";

/// How long PgBouncer may take to accept connections.
const START_PATIENCE: Duration = Duration::from_secs(20);

/// A running PgBouncer, stopped (and its files removed) on drop.
#[derive(Debug)]
pub struct PgBouncer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// The PgBouncer program, when installed.
pub fn program() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("pgbouncer"))
            .find(|candidate| candidate.is_file())
    });
    on_path.or_else(|| {
        let debian = PathBuf::from(DEBIAN_PROGRAM);
        debian.is_file().then_some(debian)
    })
}

/// Whether the tests must fail (not skip) when PgBouncer is missing: set by CI.
pub fn required() -> bool {
    std::env::var_os("PULSE_REQUIRE_PGBOUNCER").is_some_and(|value| !value.is_empty())
}

impl PgBouncer {
    /// Starts PgBouncer in transaction mode in front of the server of `database_url` (TCP or a
    /// Unix socket), with at most `pool_size` server connections per database. `None` when
    /// PgBouncer is not installed and not [`required`].
    pub fn start(database_url: &str, pool_size: u32) -> Option<Self> {
        let Some(program) = program() else {
            assert!(
                !required(),
                "PgBouncer is required (PULSE_REQUIRE_PGBOUNCER) but not installed"
            );
            eprintln!("PgBouncer is not installed: skipping the transaction-pooler test");
            return None;
        };
        let config: tokio_postgres::Config =
            database_url.parse().expect("the test database URL parses");
        let backend = match config.get_hosts().first() {
            Some(Host::Unix(dir)) => format!("host={}", dir.display()),
            Some(Host::Tcp(host)) => format!("host={host}"),
            None => "host=127.0.0.1".to_owned(),
        };
        let backend_port = config.get_ports().first().copied().unwrap_or(5432);
        let user = config.get_user().unwrap_or("postgres").to_owned();
        let dir = std::env::temp_dir().join(format!("pulse-pgbouncer-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a directory for PgBouncer");
        let port = free_port();
        let ini = format!(
            "[databases]\n\
             * = {backend} port={backend_port} user={user}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {auth}\n\
             pool_mode = transaction\n\
             default_pool_size = {pool_size}\n\
             min_pool_size = 0\n\
             reserve_pool_size = 0\n\
             max_client_conn = 500\n\
             server_reset_query =\n\
             logfile = {log}\n\
             pidfile = {pid}\n\
             admin_users = {user}\n",
            auth = dir.join("users.txt").display(),
            log = dir.join("pgbouncer.log").display(),
            pid = dir.join("pgbouncer.pid").display(),
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).expect("PgBouncer's configuration");
        std::fs::write(dir.join("users.txt"), format!("\"{user}\" \"\"\n"))
            .expect("PgBouncer's user list");
        let mut command = if is_root() {
            hand_to(&dir, RUN_AS);
            let mut command = Command::new("runuser");
            command.args(["-u", RUN_AS, "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let child = command
            .arg(dir.join("pgbouncer.ini"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("PgBouncer starts");
        let bouncer = Self { child, dir, port };
        bouncer.wait_accepting();
        Some(bouncer)
    }

    /// The URL of `database` through this PgBouncer (user postgres, no TLS between the two).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://postgres@127.0.0.1:{}/{database}?sslmode=disable",
            self.port
        )
    }

    /// `url`'s database name, through this PgBouncer.
    pub fn url_for(&self, url: &str) -> String {
        let config: tokio_postgres::Config = url.parse().expect("the URL parses");
        self.url(config.get_dbname().unwrap_or("postgres"))
    }

    /// What PgBouncer logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("pgbouncer.log")).unwrap_or_default()
    }

    fn wait_accepting(&self) {
        let deadline = Instant::now() + START_PATIENCE;
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "PgBouncer did not listen on port {} within {START_PATIENCE:?}; its log:\n{}",
            self.port,
            self.log()
        );
    }
}

impl Drop for PgBouncer {
    fn drop(&mut self) {
        // As root the child is runuser, which does not pass its kill on: PgBouncer itself is
        // stopped by the pid it wrote.
        let written_pid = std::fs::read_to_string(self.dir.join("pgbouncer.pid"))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .and_then(Pid::from_raw);
        if let Some(pid) = written_pid {
            let _ = kill_process(pid, Signal::TERM);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Gives `dir` and its files to `user`, so PgBouncer (running as that user) can read its
/// configuration and write its log.
fn hand_to(dir: &Path, user: &str) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{user}:"))
        .arg(dir)
        .status()
        .expect("chown runs");
    assert!(status.success(), "chown {user} {}", dir.display());
}
