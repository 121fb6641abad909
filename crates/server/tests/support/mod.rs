//! Shared helpers of the binary's tests: starting `pulse-sync` as a child process with a clean
//! environment, reading its output as it comes, signalling it, and a fresh database with the fake
//! Google and a store that seals with the same key as the child.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use pulse_domain::ports::ConnectionRepository;
use pulse_domain::{NewConnection, UserId};
use pulse_google::fake::{FakeGoogle, FakeOptions, SEED_ACCOUNT};
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::testing::TestDatabase;
use pulse_storage::{KeyRing, PgStore, PoolSettings, generate_key};

/// How long a test waits for something that must happen before it fails.
pub const PATIENCE: Duration = Duration::from_secs(120);

/// The prefix of the variables a developer's shell may hold that would change the child's
/// behaviour; they are removed from its environment.
const INHERITED_PREFIXES: [&str; 3] = ["PULSE_", "GOOGLE_", "DATABASE_URL"];

/// A `pulse-sync` command with a clean environment: none of the caller's pulse-sync, Google or
/// database variables, logs at `info` as text, and a data directory of its own (never the
/// current directory).
pub fn pulse_sync(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse-sync"));
    command.args(args);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if INHERITED_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
        {
            command.env_remove(&name);
        }
    }
    command
        .env("RUST_LOG", "info")
        .env("PULSE_DATA_DIR", temp_path("data"))
        .stdin(Stdio::null());
    command
}

/// `pulse-sync args…` on the local cluster of `data_dir`, with the fake Google.
pub fn on_data_dir(data_dir: &Path, google: &FakeGoogle, args: &[&str]) -> Command {
    let mut command = pulse_sync(args);
    command
        .env("PULSE_DATA_DIR", data_dir)
        .env("PULSE_BIND", "127.0.0.1:0");
    for (name, value) in google.env_vars("http://127.0.0.1:9/unused") {
        command.env(name, value);
    }
    command
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = temp_path(name);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// A path under the system's temporary directory that nothing uses yet (created only by a
/// command that needs it: one without `DATABASE_URL`).
pub fn temp_path(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "pulse-server-test-{name}-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ))
}

/// A finished command's status and output.
#[derive(Debug)]
pub struct Finished {
    /// How it ended.
    pub status: ExitStatus,
    /// Its standard output.
    pub stdout: String,
    /// Its standard error.
    pub stderr: String,
}

/// Runs a command to its end.
pub fn run(mut command: Command) -> Finished {
    let output = command.output().expect("the binary runs");
    Finished {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A running `pulse-sync` whose output is collected as it comes; killed if dropped running.
pub struct Running {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
}

impl Running {
    /// Spawns the command with its output piped.
    pub fn spawn(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = collect(child.stdout.take().expect("piped stdout"));
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        Self {
            child,
            stdout,
            stderr,
        }
    }

    /// The standard output so far.
    pub fn stdout(&self) -> String {
        self.stdout
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The standard error so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Waits until `find` finds something in (stdout, stderr); fails if the process exits first.
    pub async fn wait_for<T>(&mut self, what: &str, find: impl Fn(&str, &str) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(found) = find(&self.stdout(), &self.stderr()) {
                return found;
            }
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                panic!(
                    "pulse-sync exited ({status}) before {what}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting for {what}\nstderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits for the `listening on http://…` log line and returns that base URL.
    pub async fn listening(&mut self) -> String {
        self.wait_for("the listening line", |_, stderr| listening_url(stderr))
            .await
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM failed");
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill the child");
        self.child.wait().expect("reap the child");
    }

    /// Waits for the process to exit and returns its status.
    pub async fn exit_status(&mut self) -> ExitStatus {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                // Let the reader threads take the last of the output.
                tokio::time::sleep(Duration::from_millis(100)).await;
                return status;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "pulse-sync did not exit\nstderr:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn collect(stream: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = buffer.clone();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while reader.read_line(&mut line).unwrap_or(0) > 0 {
            sink.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push_str(&line);
            line.clear();
        }
    });
    buffer
}

/// The base URL of the first `listening on http://…` line.
pub fn listening_url(stderr: &str) -> Option<String> {
    let start = stderr.find("listening on http://")? + "listening on ".len();
    let url: String = stderr[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    Some(url)
}

/// A fresh migrated database, the fake Google, and the key the child seals grants with.
pub struct World {
    /// The database.
    pub database: TestDatabase,
    /// The fake Google (in this process).
    pub google: FakeGoogle,
    /// `PULSE_ENCRYPTION_KEY` for the child.
    pub encoded_key: String,
    /// A store on the database sealing with that key.
    pub store: PgStore,
}

impl World {
    /// A new world with the seed's account at the fake Google.
    pub async fn new() -> Self {
        Self::with_google(FakeOptions::default()).await
    }

    /// A new world with the fake started from `options`.
    pub async fn with_google(options: FakeOptions) -> Self {
        let database = TestDatabase::new().await;
        let google = FakeGoogle::start(options).expect("the fake Google starts");
        let encoded_key = generate_key();
        let keys = KeyRing::new(EncryptionKey::from_base64(&encoded_key).expect("a key"));
        let settings = PoolSettings {
            max_size: 4,
            ..PoolSettings::default()
        };
        let store = PgStore::connect(database.url(), settings, keys).expect("a store");
        Self {
            database,
            google,
            encoded_key,
            store,
        }
    }

    /// `pulse-sync args…` pointed at this world's database, key and fake Google (the OAuth
    /// callback left to its default, on the server's own URL).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = pulse_sync(args);
        command
            .env("DATABASE_URL", self.database.url())
            .env("PULSE_ENCRYPTION_KEY", &self.encoded_key)
            .env("PULSE_BIND", "127.0.0.1:0")
            .env("PULSE_AUTH_FAILURE_LIMIT", "1000");
        for (name, value) in self.google.env_vars("http://127.0.0.1:9/unused") {
            if name != pulse_google::env::REDIRECT_URL {
                command.env(name, value);
            }
        }
        command
    }

    /// Connects `workspace` to the fake's seed account (a grant stored as the callback would).
    pub async fn connect(&self, workspace: &str) -> UserId {
        let user = UserId::parse(workspace).expect("a workspace id");
        let refresh_token = self.google.grant(SEED_ACCOUNT).expect("a grant");
        let connection = NewConnection {
            user_id: user.clone(),
            google_account_id: None,
            google_email: Some(SEED_ACCOUNT.to_owned()),
            refresh_token,
            access_token_expires_at: None,
            scopes: vec![pulse_google::CONTACTS_READONLY_SCOPE.to_owned()],
        };
        self.store
            .save_connection(&connection, Utc::now())
            .await
            .expect("the connection is stored");
        user
    }
}

/// A fresh directory closed to every other user (mode 0700), as `/root` is.
pub fn closed_temp_dir(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_dir(name);
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod 700");
    dir
}

/// Where the local cluster of `data_dir` keeps its files: the directory its `cluster.location`
/// names when it was relocated, else the data directory itself.
pub fn cluster_home(data_dir: &Path) -> PathBuf {
    std::fs::read_to_string(data_dir.join("cluster.location"))
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("cluster=").map(PathBuf::from))
        })
        .unwrap_or_else(|| data_dir.to_path_buf())
}

/// Removes a data directory and, when it was relocated, its cluster's directory.
pub fn remove_data_dir(data_dir: &Path) {
    let home = cluster_home(data_dir);
    std::fs::remove_dir_all(&home).ok();
    std::fs::remove_dir_all(data_dir).ok();
}

/// Whether this process runs as root (the local cluster then runs as `postgres`).
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().nth(1))
                .map(|euid| euid == "0")
        })
        .unwrap_or(false)
}

/// The processes whose command line names `path` (a cluster's pgdata: its postgres processes).
pub fn processes_naming(path: &Path) -> Vec<u32> {
    let wanted = path.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|cmdline| String::from_utf8_lossy(&cmdline).replace('\0', " "))
                .is_ok_and(|cmdline| cmdline.contains(&wanted))
        })
        .collect()
}

/// An HTTP client for the child's API.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client")
}
