//! `TlsPostgres`: a throwaway PostgreSQL that speaks only TLS, on a free loopback port, with
//! certificates the test makes (rcgen): a test CA, a server certificate signed by it for the
//! name `localhost` only (so `127.0.0.1` under `verify-full` is a name mismatch) or an expired
//! one, and a second, unrelated CA that signed nothing (the wrong CA).
//!
//! Its `pg_hba.conf` holds one `hostssl` line (SCRAM password) and no `host` line, so a plain
//! connection is refused by the server itself. The superuser `postgres` has a distinctive
//! password (set by `initdb --pwfile`), which tests look for in every log and error.
//!
//! As root the server programs run as the system user `postgres` (`runuser`), as PostgreSQL
//! refuses root. Everything lives in a fresh directory under the system's temporary directory.
//! A watchdog shell holds a pipe from the test: when the `TlsPostgres` is dropped, or the test
//! process dies without unwinding, the pipe closes and the watchdog stops the server
//! (`pg_ctl stop -m immediate`) and removes the directory.

use std::ffi::OsStr;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use pulse_storage::{DatabaseUrl, SessionSettings};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use tokio_postgres::Client;

use crate::server_config::free_port;

/// The server programs a directory must hold.
const SERVER_PROGRAMS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];

/// Where Debian and Ubuntu install each PostgreSQL version (`<root>/<version>/bin`).
const VERSIONED_ROOT: &str = "/usr/lib/postgresql";

/// The system user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// The login role (the cluster's superuser).
pub const USER: &str = "postgres";

/// Variables that would steer PostgreSQL's programs away from the arguments given.
const STEERING_VARIABLES: [&str; 6] = [
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGOPTIONS",
];

/// How many ports are tried when another process takes the free one first.
const PORT_ATTEMPTS: usize = 4;

/// The `application_name` of the connections the helper itself opens.
const OBSERVER_APPLICATION_NAME: &str = "pulse-tls-observer";

/// The watchdog: wait for the test's pipe to close, then stop the server and remove the files.
/// Hang-ups and Ctrl-C are ignored so the cleanup still runs after them.
const WATCHDOG_SCRIPT: &str = r#"trap '' HUP INT
dir=$1
shift
read -r _ignored
"$@" >/dev/null 2>&1
rm -rf -- "$dir"
"#;

/// Which certificate the server presents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerCertificate {
    /// Signed by the test CA, valid now, for `localhost` only.
    Valid,
    /// Signed by the test CA for `localhost`, but expired in 2002.
    Expired,
}

/// One backend as `pg_stat_activity` and `pg_stat_ssl` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    /// The backend's process id.
    pub pid: i32,
    /// Its `application_name`.
    pub application_name: String,
    /// Whether its connection is encrypted.
    pub ssl: bool,
    /// The TLS version (`TLSv1.3`), when encrypted.
    pub version: Option<String>,
    /// The cipher, when encrypted.
    pub cipher: Option<String>,
}

/// A running TLS-only PostgreSQL; stopped and removed on drop.
#[derive(Debug)]
pub struct TlsPostgres {
    dir: PathBuf,
    port: u16,
    password: String,
    ca_file: PathBuf,
    wrong_ca_file: PathBuf,
    watchdog: Child,
    watchdog_pipe: Option<ChildStdin>,
}

impl TlsPostgres {
    /// Makes the certificates, initialises a cluster and starts it (on a blocking thread).
    pub async fn start(certificate: ServerCertificate) -> Self {
        tokio::task::spawn_blocking(move || Self::start_blocking(certificate))
            .await
            .unwrap_or_else(|error| panic!("the TLS PostgreSQL did not start: {error}"))
    }

    /// [`TlsPostgres::start`] on the calling thread.
    pub fn start_blocking(certificate: ServerCertificate) -> Self {
        let bin_dir = server_bin_dir();
        let account = Account::for_this_process();
        let dir = std::env::temp_dir().join(format!(
            "pulse-tls-{}-{}",
            std::process::id(),
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir(&dir)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", dir.display()));
        set_mode(&dir, 0o700);
        let data_dir = dir.join("data");
        let stop = account.command(
            &bin_dir.join("pg_ctl"),
            &[
                "stop".as_ref(),
                "-D".as_ref(),
                data_dir.as_os_str(),
                "-m".as_ref(),
                "immediate".as_ref(),
                "-w".as_ref(),
            ],
        );
        let (watchdog, pipe) = spawn_watchdog(&dir, &stop);
        let password = format!("tls-pw-{}", uuid::Uuid::new_v4().simple());
        let mut server = Self {
            ca_file: dir.join("ca.pem"),
            wrong_ca_file: dir.join("wrong-ca.pem"),
            dir,
            port: 0,
            password,
            watchdog,
            watchdog_pipe: Some(pipe),
        };
        server.write_certificates(certificate);
        let password_file = server.dir.join("password");
        write_file(&password_file, &format!("{}\n", server.password), 0o600);
        account.give(&server.dir);
        account.run(
            &bin_dir.join("initdb"),
            &[
                "-D".as_ref(),
                data_dir.as_os_str(),
                "-U".as_ref(),
                USER.as_ref(),
                "--pwfile".as_ref(),
                password_file.as_os_str(),
                "--auth=scram-sha-256".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
            &server.dir,
        );
        std::fs::remove_file(&password_file).expect("the password file is removed after initdb");
        write_file(
            &data_dir.join("pg_hba.conf"),
            "# TLS only: no `host` line, so a plain TCP connection is refused.\n\
             hostssl all all 127.0.0.1/32 scram-sha-256\n",
            0o600,
        );
        let mut attempt = 1;
        loop {
            let port = free_port();
            server.port = port;
            server.write_settings(&data_dir);
            account.give(&server.dir);
            let log_file = server.dir.join("postgres.log");
            let started = account.try_run(
                &bin_dir.join("pg_ctl"),
                &[
                    "start".as_ref(),
                    "-D".as_ref(),
                    data_dir.as_os_str(),
                    "-l".as_ref(),
                    log_file.as_os_str(),
                    "-w".as_ref(),
                    "-t".as_ref(),
                    "60".as_ref(),
                ],
                &server.dir,
            );
            match started {
                Ok(()) => return server,
                Err(output)
                    if attempt < PORT_ATTEMPTS && server.log().contains("could not bind") =>
                {
                    eprintln!("port {port} was taken, trying another: {output}");
                    attempt += 1;
                }
                Err(output) => panic!(
                    "the TLS PostgreSQL did not start: {output}\n{}",
                    server.log()
                ),
            }
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The password of [`USER`] (tests look for it in logs and errors).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The test CA's certificate (PEM), which signed the server's certificate.
    pub fn ca_file(&self) -> &Path {
        &self.ca_file
    }

    /// An unrelated CA's certificate (PEM), which signed nothing the server holds.
    pub fn wrong_ca_file(&self) -> &Path {
        &self.wrong_ca_file
    }

    /// The helper's own directory (removed with the server), for files a test writes.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// `postgres://postgres:PASSWORD@HOST:PORT/DATABASE?PARAMETERS` (no `?` when empty).
    pub fn url(&self, host: &str, database: &str, parameters: &str) -> String {
        let mut url = format!(
            "postgres://{USER}:{}@{host}:{}/{database}",
            self.password, self.port
        );
        if !parameters.is_empty() {
            url.push('?');
            url.push_str(parameters);
        }
        url
    }

    /// The URL that checks everything: `localhost`, `verify-full`, the test CA.
    pub fn verified_url(&self, database: &str) -> String {
        self.url(
            "localhost",
            database,
            &format!("sslmode=verify-full&sslrootcert={}", self.ca_file.display()),
        )
    }

    /// A home directory for a child process: with `.postgresql/root.crt` holding a copy of
    /// `root` when given, else with no `.postgresql` at all (libpq's default root file).
    pub fn home(&self, name: &str, root: Option<&Path>) -> PathBuf {
        let home = self.dir.join(format!("home-{name}"));
        std::fs::create_dir_all(&home)
            .unwrap_or_else(|error| panic!("cannot create {}: {error}", home.display()));
        if let Some(root) = root {
            let dot_dir = home.join(".postgresql");
            std::fs::create_dir_all(&dot_dir)
                .unwrap_or_else(|error| panic!("cannot create {}: {error}", dot_dir.display()));
            std::fs::copy(root, dot_dir.join("root.crt"))
                .unwrap_or_else(|error| panic!("cannot copy {}: {error}", root.display()));
        }
        home
    }

    /// A verified connection of the helper's own (application name `pulse-tls-observer`).
    pub async fn observer(&self, database: &str) -> Client {
        let url = DatabaseUrl::parse(&self.verified_url(database))
            .unwrap_or_else(|error| panic!("the verified URL parses: {error}"));
        let session = SessionSettings {
            application_name: OBSERVER_APPLICATION_NAME,
            ..SessionSettings::default()
        };
        let (client, connection) = url
            .connect(&session)
            .await
            .unwrap_or_else(|error| panic!("the observer connects: {error}\n{}", self.log()));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "the observer's connection ended");
            }
        });
        client
    }

    /// Creates a database (through a verified connection).
    pub async fn create_database(&self, name: &str) {
        let client = self.observer("postgres").await;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|error| panic!("cannot create the database {name}: {error}"));
    }

    /// Every client backend but the helper's own, with its TLS state.
    pub async fn backends(&self) -> Vec<Backend> {
        let client = self.observer("postgres").await;
        let rows = client
            .query(
                "SELECT a.pid, a.application_name, s.ssl, s.version, s.cipher
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                 WHERE a.backend_type = 'client backend' AND a.application_name <> $1
                 ORDER BY a.pid",
                &[&OBSERVER_APPLICATION_NAME],
            )
            .await
            .unwrap_or_else(|error| panic!("cannot read pg_stat_ssl: {error}"));
        rows.iter()
            .map(|row| Backend {
                pid: row.get(0),
                application_name: row.get(1),
                ssl: row.get(2),
                version: row.get(3),
                cipher: row.get(4),
            })
            .collect()
    }

    /// The server's log so far (for failure reports).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("postgres.log")).unwrap_or_default()
    }

    /// Writes the test CA, the wrong CA, and the server's certificate and key.
    fn write_certificates(&self, certificate: ServerCertificate) {
        let (ca_pem, ca) = certificate_authority("pulse-sync test CA");
        let (wrong_pem, _) = certificate_authority("pulse-sync unrelated CA");
        write_file(&self.ca_file, &ca_pem, 0o644);
        write_file(&self.wrong_ca_file, &wrong_pem, 0o644);
        let mut params = CertificateParams::new(vec!["localhost".to_owned()])
            .expect("localhost is a valid subject name");
        params.distinguished_name = DistinguishedName::new();
        params
            .distinguished_name
            .push(DnType::CommonName, "localhost");
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        (params.not_before, params.not_after) = match certificate {
            ServerCertificate::Valid => (date_time_ymd(2020, 1, 1), date_time_ymd(2100, 1, 1)),
            ServerCertificate::Expired => (date_time_ymd(2001, 1, 1), date_time_ymd(2002, 1, 1)),
        };
        let key = KeyPair::generate().expect("a server key");
        let cert = params
            .signed_by(&key, &ca)
            .expect("the CA signs the server's certificate");
        write_file(&self.dir.join("server.crt"), &cert.pem(), 0o644);
        write_file(&self.dir.join("server.key"), &key.serialize_pem(), 0o600);
    }

    /// Appends the test's settings to `postgresql.conf` (the last value of a setting wins).
    fn write_settings(&self, data_dir: &Path) {
        let settings = format!(
            "\n# pulse-sync TLS test server\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = ''\n\
             ssl = on\n\
             ssl_cert_file = '{dir}/server.crt'\n\
             ssl_key_file = '{dir}/server.key'\n\
             password_encryption = 'scram-sha-256'\n\
             max_connections = 40\n\
             shared_buffers = '16MB'\n\
             fsync = off\n\
             synchronous_commit = off\n\
             full_page_writes = off\n\
             log_connections = on\n",
            port = self.port,
            dir = self.dir.display(),
        );
        let path = data_dir.join("postgresql.conf");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|error| panic!("cannot open {}: {error}", path.display()));
        file.write_all(settings.as_bytes())
            .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "---- log of the TLS PostgreSQL on port {} ----\n{}\n---- end ----",
                self.port,
                self.log()
            );
        }
        // Closing the pipe tells the watchdog to stop the server and remove the directory.
        drop(self.watchdog_pipe.take());
        let _ = self.watchdog.wait();
    }
}

/// A self-signed CA: its certificate (PEM) and the issuer that signs with it.
fn certificate_authority(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params =
        CertificateParams::new(Vec::<String>::new()).expect("a CA needs no subject name");
    params.distinguished_name = DistinguishedName::new();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = date_time_ymd(2020, 1, 1);
    params.not_after = date_time_ymd(2100, 1, 1);
    let key = KeyPair::generate().expect("a CA key");
    let cert = params.self_signed(&key).expect("the CA signs itself");
    (cert.pem(), Issuer::new(params, key))
}

/// Starts the watchdog that runs `stop` and removes `dir` once its standard input closes.
fn spawn_watchdog(dir: &Path, stop: &Command) -> (Child, ChildStdin) {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(WATCHDOG_SCRIPT)
        .arg("sh")
        .arg(dir)
        .arg(stop.get_program())
        .args(stop.get_args())
        .current_dir("/")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for variable in STEERING_VARIABLES {
        command.env_remove(variable);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start the watchdog shell: {error}"));
    let pipe = child.stdin.take().expect("the watchdog's stdin is piped");
    (child, pipe)
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: on PATH, then
/// `pg_config --bindir`, then the newest `/usr/lib/postgresql/*/bin`.
fn server_bin_dir() -> PathBuf {
    let path_dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    path_dirs
        .into_iter()
        .chain(pg_config_bindir())
        .chain(versioned_bin_dirs(Path::new(VERSIONED_ROOT)))
        .find(|dir| {
            SERVER_PROGRAMS
                .iter()
                .all(|program| is_executable(&dir.join(program)))
        })
        .expect(
            "the PostgreSQL server programs (initdb, pg_ctl, postgres) are installed: on PATH, \
             in `pg_config --bindir` or in /usr/lib/postgresql/<version>/bin",
        )
}

/// What `pg_config --bindir` prints, when pg_config answers.
fn pg_config_bindir() -> Option<PathBuf> {
    let output = Command::new("pg_config").arg("--bindir").output().ok()?;
    let dir = String::from_utf8(output.stdout).ok()?;
    let dir = dir.trim();
    (output.status.success() && !dir.is_empty()).then(|| PathBuf::from(dir))
}

/// `<root>/<version>/bin` for every version directory under `root`, newest first.
fn versioned_bin_dirs(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            let version: Option<Vec<u32>> = name
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect();
            Some((version?, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|(a, _), (b, _)| b.cmp(a));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

/// Whether `path` is (or links to) a regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Writes `contents` to `path` with `mode`.
fn write_file(path: &Path, contents: &str, mode: u32) {
    std::fs::write(path, contents)
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", path.display()));
    set_mode(path, mode);
}

/// Sets the permission bits of `path`.
fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|error| panic!("cannot chmod {}: {error}", path.display()));
}

/// The account the server programs run as: this process's own, or `postgres` under root.
#[derive(Debug, Clone, Copy)]
struct Account {
    switched: bool,
}

impl Account {
    fn for_this_process() -> Self {
        Self {
            switched: rustix::process::geteuid().is_root(),
        }
    }

    /// A command that runs `program args...` as the server's account.
    fn command(&self, program: &Path, args: &[&OsStr]) -> Command {
        let mut command = if self.switched {
            let mut runuser = Command::new("runuser");
            runuser.args(["-u", SERVER_USER, "--"]).arg(program);
            runuser
        } else {
            Command::new(program)
        };
        command.args(args);
        for variable in STEERING_VARIABLES {
            command.env_remove(variable);
        }
        command
    }

    /// Runs `program args...` in `cwd` to its end; the output on failure.
    fn try_run(&self, program: &Path, args: &[&OsStr], cwd: &Path) -> Result<(), String> {
        let output = self
            .command(program, args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("cannot run {}: {error}", program.display()));
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} exited with {}: {}{}",
                program.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr),
                String::from_utf8_lossy(&output.stdout)
            ))
        }
    }

    /// Like [`Account::try_run`], failing the test on error.
    fn run(&self, program: &Path, args: &[&OsStr], cwd: &Path) {
        if let Err(output) = self.try_run(program, args, cwd) {
            panic!("{output}");
        }
    }

    /// Hands `dir` and everything in it to the server's account.
    fn give(&self, dir: &Path) {
        if !self.switched {
            return;
        }
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{SERVER_USER}:"))
            .arg(dir)
            .status()
            .unwrap_or_else(|error| panic!("cannot run chown: {error}"));
        assert!(
            status.success(),
            "chown -R {SERVER_USER}: {}",
            dir.display()
        );
    }
}
