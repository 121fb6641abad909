//! Tests of the local cluster: program discovery and quoting on their own, and real PostgreSQL
//! servers started in temporary directories and reached through diesel-async.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use diesel::IntoSql;
use diesel::sql_types::Integer;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::account::{ServerAccount, euid_from_status, shell_quote};
use super::binaries::{ServerBinaries, versioned_bin_dirs};
use super::guardian::Guardian;
use super::{LocalCluster, LocalClusterError, percent_encode};

/// The environment variable that turns `hold_a_cluster_until_killed` into a cluster owner.
const HOLD_DIR_VARIABLE: &str = "PULSE_TEST_HOLD_CLUSTER_DIR";

/// What the holding child prints once its cluster answers.
const HOLDING_LINE: &str = "HOLDING";

/// A directory removed at the end of the test.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> Self {
        Self::under(&std::env::temp_dir(), label)
    }

    fn under(parent: &Path, label: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "pulse-cluster-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = parent.join(name);
        std::fs::create_dir_all(&path).expect("create a temporary directory");
        Self(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `work` on a fresh connection to `url`, on a runtime of its own.
fn with_connection<T>(
    url: &str,
    work: impl AsyncFnOnce(&mut AsyncPgConnection) -> diesel::QueryResult<T>,
) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| error.to_string())?;
    runtime.block_on(async {
        let mut connection = AsyncPgConnection::establish(url)
            .await
            .map_err(|error| format!("connect to {url}: {error}"))?;
        work(&mut connection)
            .await
            .map_err(|error| error.to_string())
    })
}

/// `select 1` on `url`.
fn select_one(url: &str) -> Result<i32, String> {
    with_connection(url, async |connection| {
        diesel::select(1.into_sql::<Integer>())
            .get_result::<i32>(connection)
            .await
    })
}

/// Runs one SQL statement on `url`.
fn execute(url: &str, sql: &str) -> Result<usize, String> {
    with_connection(url, async |connection| {
        diesel::sql_query(sql).execute(connection).await
    })
}

/// Writes an executable file at `path`.
fn fake_program(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create bin dir");
    std::fs::write(path, "#!/bin/sh\n").expect("write fake program");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn the_newest_complete_versioned_directory_is_chosen() {
    let root = TempDir::new("versions");
    for version in ["9.6", "15", "16"] {
        for program in ["initdb", "pg_ctl", "postgres"] {
            if !(version == "16" && program == "postgres") {
                fake_program(&root.path().join(version).join("bin").join(program));
            }
        }
    }
    std::fs::create_dir_all(root.path().join("common/bin")).expect("create a non-version dir");

    let dirs = versioned_bin_dirs(root.path());
    let expected: Vec<PathBuf> = ["16", "15", "9.6"]
        .iter()
        .map(|version| root.path().join(version).join("bin"))
        .collect();
    assert_eq!(
        dirs, expected,
        "versions newest first, non-versions left out"
    );

    let found = ServerBinaries::first_complete(dirs).expect("15 is complete");
    assert_eq!(found.bin_dir(), root.path().join("15/bin"));
}

#[test]
fn no_server_programs_means_an_error_that_says_what_to_install() {
    let empty = TempDir::new("empty");
    assert!(ServerBinaries::first_complete([empty.path().to_path_buf()]).is_none());

    let message = LocalClusterError::ServerProgramsNotFound.to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
}

#[test]
fn the_effective_uid_is_the_second_uid_field() {
    let status = "Name:\tcargo\nUmask:\t0022\nUid:\t1000\t0\t0\t0\nGid:\t1000\t1000\t1000\t1000\n";
    assert_eq!(euid_from_status(status), Some(0));
    assert_eq!(euid_from_status("Name:\tnothing\n"), None);
}

#[test]
fn shell_quoting_survives_the_shell() {
    for word in ["plain", "with space", "it's", "'$HOME' \"x\" `y` \\z", ""] {
        let mut script = b"printf %s ".to_vec();
        script.extend_from_slice(&shell_quote(OsStr::new(word)));
        let output = Command::new("sh")
            .arg("-c")
            .arg(OsStr::new(std::str::from_utf8(&script).expect("utf-8")))
            .output()
            .expect("run sh");
        assert_eq!(String::from_utf8_lossy(&output.stdout), word);
    }
}

#[test]
fn database_names_are_percent_encoded() {
    assert_eq!(percent_encode("pulse_test-1.a~"), "pulse_test-1.a~");
    assert_eq!(percent_encode("kept db/é"), "kept%20db%2F%C3%A9");
}

#[test]
fn a_cluster_starts_answers_and_keeps_its_databases_across_restarts() {
    let dir = TempDir::new("restart");
    let mut cluster = LocalCluster::start(dir.path()).expect("start the local cluster");
    let postgres_url = cluster.database_url("postgres");
    assert_eq!(select_one(&postgres_url), Ok(1));
    execute(&postgres_url, r#"create database "kept db""#).expect("create a database");
    cluster.stop().expect("stop the local cluster");
    assert!(
        select_one(&postgres_url).is_err(),
        "a stopped cluster must not answer"
    );

    let mut cluster = LocalCluster::start(dir.path()).expect("restart the local cluster");
    let kept_url = cluster.database_url("kept db");
    assert_eq!(
        select_one(&kept_url),
        Ok(1),
        "the database survives a restart"
    );
    cluster.stop().expect("stop the local cluster again");
}

#[test]
fn a_data_dir_too_deep_for_a_socket_path_still_works() {
    let base = TempDir::new("deep");
    let deep = base.path().join("a-directory-name-long-enough".repeat(4));
    let cluster = LocalCluster::start(&deep).expect("start in a deep directory");
    let url = cluster.database_url("postgres");
    assert!(url.contains("host=/tmp/pulse-pg-"), "{url}");
    assert_eq!(select_one(&url), Ok(1));
    drop(cluster);
    assert!(select_one(&url).is_err(), "dropping the cluster stops it");
}

#[test]
fn a_busy_data_dir_is_refused_until_its_owner_stops() {
    let dir = TempDir::new("busy");
    let mut first = LocalCluster::start(dir.path()).expect("start the first owner");
    execute(
        &first.database_url("postgres"),
        "create database first_owner",
    )
    .expect("create");

    match LocalCluster::start_waiting(dir.path(), Duration::ZERO) {
        Err(LocalClusterError::InUse { path }) => {
            assert!(path.ends_with(dir.path().file_name().expect("name")))
        }
        other => panic!("a second owner must be refused, got {other:?}"),
    }
    assert_eq!(
        select_one(&first.database_url("first_owner")),
        Ok(1),
        "the refused start leaves the running cluster alone"
    );

    first.stop().expect("stop the first owner");
    let second = LocalCluster::start_waiting(dir.path(), Duration::ZERO)
        .expect("start after the first stopped");
    assert_eq!(select_one(&second.database_url("first_owner")), Ok(1));
}

#[test]
fn a_stale_postmaster_pid_from_a_killed_run_does_not_block_a_start() {
    let dir = TempDir::new("stale");
    let mut cluster = LocalCluster::start(dir.path()).expect("start the local cluster");
    cluster.stop().expect("stop the local cluster");

    // After a crash and reboot the recorded pid often belongs to another, unrelated process, here
    // one of the server's own account (PostgreSQL would take one it may not signal for dead).
    let account = ServerAccount::for_this_process().expect("server account");
    let mut unrelated = account
        .command(
            Path::new("sh"),
            &[OsStr::new("-c"), OsStr::new("echo $$; exec cat")],
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start an unrelated process");
    let mut pid = String::new();
    BufReader::new(unrelated.stdout.take().expect("piped stdout"))
        .read_line(&mut pid)
        .expect("read its pid");
    let pgdata = dir.path().canonicalize().expect("resolve").join("pgdata");
    std::fs::write(
        pgdata.join("postmaster.pid"),
        format!(
            "{}\n{}\n1700000000\n5432\n\n\n",
            pid.trim(),
            pgdata.display()
        ),
    )
    .expect("leave a stale postmaster.pid");

    let started = LocalCluster::start(dir.path());
    drop(unrelated.stdin.take());
    let _ = unrelated.wait();
    let cluster = started.expect("start over the stale postmaster.pid");
    assert_eq!(select_one(&cluster.database_url("postgres")), Ok(1));
}

#[test]
fn the_server_of_a_killed_owner_is_stopped_and_the_directory_freed() {
    let dir = TempDir::new("killed");
    let mut child = Command::new(std::env::current_exe().expect("own test binary"))
        .args([
            "--exact",
            "local_cluster::tests::hold_a_cluster_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(HOLD_DIR_VARIABLE, dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the owning process");
    let stdout = child.stdout.take().expect("piped stdout");
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix(HOLDING_LINE)
                .map(|url| url.trim().to_owned())
        });
    let Some(url) = url else {
        let _ = child.kill();
        panic!(
            "the owning process did not start its cluster: {:?}",
            child.wait()
        );
    };
    execute(&url, "create database survivor").expect("create a database");

    child.kill().expect("kill the owning process");
    child.wait().expect("reap the owning process");

    // Waiting for the lock means waiting for the guardian to have stopped the server.
    let lock_file = dir.path().join("cluster.lock");
    let guardian = Guardian::acquire(&lock_file, Duration::from_secs(60), &["true".into()])
        .expect("run flock")
        .expect("the guardian frees the directory");
    assert!(
        !dir.path().join("pgdata/postmaster.pid").exists(),
        "the server was shut down cleanly before the lock was freed"
    );
    guardian.release();

    let cluster = LocalCluster::start(dir.path()).expect("start after the killed owner");
    assert_eq!(select_one(&cluster.database_url("survivor")), Ok(1));
}

/// Not a test on its own: the owning process of the test above, which starts it with
/// `PULSE_TEST_HOLD_CLUSTER_DIR` set and kills it.
#[test]
#[ignore = "started as a child process by the_server_of_a_killed_owner_is_stopped_and_the_directory_freed"]
fn hold_a_cluster_until_killed() {
    let Some(dir) = std::env::var_os(HOLD_DIR_VARIABLE) else {
        return;
    };
    let cluster = LocalCluster::start(Path::new(&dir)).expect("start the held cluster");
    println!("{HOLDING_LINE} {}", cluster.database_url("postgres"));
    loop {
        std::thread::park();
    }
}
