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
use super::home::{RELOCATED_PREFIX, relocation_base};
use super::install_hint::InstallHint;
use super::locks;
use super::orphans::MIN_AGE;
use super::pointer::{OWNER_FILE, POINTER_FILE, Pointer};
use super::{LocalCluster, LocalClusterError, StopOutcome, percent_encode};

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

    let message = LocalClusterError::ServerProgramsNotFound {
        searched: "in PULSE_PG_BIN_DIRS (/nowhere)".to_owned(),
        install: InstallHint::Apt,
    }
    .to_string();
    assert!(message.contains("apt-get install postgresql"), "{message}");
    assert!(message.contains("DATABASE_URL"), "{message}");
    assert!(
        message.contains("PULSE_PG_BIN_DIRS (/nowhere)"),
        "{message}"
    );
}

#[test]
fn the_install_command_follows_the_system_family() {
    let cases = [
        ("ID=debian\nVERSION_ID=\"12\"\n", InstallHint::Apt),
        ("ID=ubuntu\nID_LIKE=debian\n", InstallHint::Apt),
        (
            "ID=linuxmint\nID_LIKE=\"ubuntu debian\"\n",
            InstallHint::Apt,
        ),
        ("ID=fedora\n", InstallHint::Dnf),
        (
            "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n",
            InstallHint::Dnf,
        ),
        ("ID=alpine\n", InstallHint::Apk),
        ("ID=arch\n", InstallHint::Unknown),
        ("", InstallHint::Unknown),
    ];
    for (os_release, expected) in cases {
        assert_eq!(
            InstallHint::from_os_release(os_release),
            expected,
            "{os_release:?}"
        );
    }
    assert!(
        InstallHint::Dnf
            .to_string()
            .contains("dnf install postgresql-server")
    );
    assert!(InstallHint::Apk.to_string().contains("apk add postgresql"));
    assert!(
        InstallHint::Homebrew
            .to_string()
            .contains("brew install postgresql@16")
    );
    let unknown = InstallHint::Unknown.to_string();
    assert!(unknown.contains("apt-get install postgresql"), "{unknown}");
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
    let cluster = LocalCluster::start(dir.path()).expect("start the local cluster");
    let postgres_url = cluster.database_url("postgres");
    assert_eq!(select_one(&postgres_url), Ok(1));
    execute(&postgres_url, r#"create database "kept db""#).expect("create a database");
    assert_eq!(cluster.stop().expect("stop"), StopOutcome::Stopped);
    assert!(
        select_one(&postgres_url).is_err(),
        "a stopped cluster must not answer"
    );

    let cluster = LocalCluster::start(dir.path()).expect("restart the local cluster");
    let kept_url = cluster.database_url("kept db");
    assert_eq!(
        select_one(&kept_url),
        Ok(1),
        "the database survives a restart"
    );
    assert_eq!(cluster.stop().expect("stop again"), StopOutcome::Stopped);
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
fn a_second_start_joins_the_running_cluster_and_the_last_stop_stops_it() {
    let dir = TempDir::new("shared");
    let first = LocalCluster::start(dir.path()).expect("start the first user");
    execute(
        &first.database_url("postgres"),
        "create database first_user",
    )
    .expect("create");

    let second = LocalCluster::start(dir.path()).expect("the second user joins");
    let url = second.database_url("first_user");
    assert_eq!(select_one(&url), Ok(1), "both use the same server");

    assert_eq!(first.stop().expect("first stop"), StopOutcome::LeftRunning);
    assert_eq!(
        select_one(&url),
        Ok(1),
        "the server keeps running for the second"
    );
    assert_eq!(second.stop().expect("last stop"), StopOutcome::Stopped);
    assert!(
        select_one(&url).is_err(),
        "the last user's stop stops the server"
    );
}

#[test]
fn a_stale_postmaster_pid_from_a_killed_run_does_not_block_a_start() {
    let dir = TempDir::new("stale");
    let cluster = LocalCluster::start(dir.path()).expect("start the local cluster");
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

/// A child process (this test binary) that starts the cluster of `dir`, prints its URL and waits
/// to be killed; with that URL.
fn spawn_holder(dir: &Path) -> (std::process::Child, String) {
    let mut child = Command::new(std::env::current_exe().expect("own test binary"))
        .args([
            "--exact",
            "local_cluster::tests::hold_a_cluster_until_killed",
            "--ignored",
            "--nocapture",
        ])
        .env(HOLD_DIR_VARIABLE, dir)
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the holding process");
    let stdout = child.stdout.take().expect("piped stdout");
    let url = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix(HOLDING_LINE)
                .map(|url| url.trim().to_owned())
        });
    match url {
        Some(url) => (child, url),
        None => {
            let _ = child.kill();
            panic!(
                "the holding process did not start its cluster: {:?}",
                child.wait()
            );
        }
    }
}

/// How many `flock`s the kernel lists on `path` (from /proc/locks, by inode).
fn flocks_on(path: &Path) -> usize {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return 0;
    };
    let suffix = format!(":{}", meta.ino());
    std::fs::read_to_string("/proc/locks")
        .expect("read /proc/locks")
        .lines()
        .filter(|line| line.contains("FLOCK"))
        .filter(|line| {
            line.split_whitespace()
                .nth(5)
                .is_some_and(|device_inode| device_inode.ends_with(&suffix))
        })
        .count()
}

/// Waits (generously) until `condition` holds.
fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "gave up waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_server_of_a_killed_last_user_is_stopped_and_the_next_start_succeeds() {
    let dir = TempDir::new("killed");
    let (mut child, url) = spawn_holder(dir.path());
    execute(&url, "create database survivor").expect("create a database");

    child.kill().expect("kill the holding process");
    child.wait().expect("reap the holding process");

    let home = dir.path().canonicalize().expect("resolve");
    eventually("the killed user's guardian stops the server", || {
        matches!(locks::has_users(&home), Ok(false))
    });
    assert!(
        !home.join("pgdata/postmaster.pid").exists(),
        "the server was shut down cleanly before the last user's lock was dropped"
    );
    assert!(select_one(&url).is_err(), "nothing answers any more");

    let cluster = LocalCluster::start(dir.path()).expect("start after the killed user");
    assert_eq!(select_one(&cluster.database_url("survivor")), Ok(1));
}

#[test]
fn a_killed_user_leaves_the_server_to_the_others() {
    let dir = TempDir::new("killed-shared");
    let (mut child, url) = spawn_holder(dir.path());
    let ours = LocalCluster::start(dir.path()).expect("join the holder's cluster");
    let users = locks::users_file(ours.home());
    assert_eq!(flocks_on(&users), 2, "two users hold the users lock");

    child.kill().expect("kill the holding process");
    child.wait().expect("reap the holding process");
    eventually("the killed user's guardian lets go", || {
        flocks_on(&users) == 1
    });
    assert_eq!(select_one(&url), Ok(1), "the server keeps running for us");

    assert_eq!(ours.stop().expect("stop"), StopOutcome::Stopped);
    assert!(select_one(&url).is_err(), "the last user's stop stops it");
}

/// A temporary directory closed to every other user (mode 0700), as `/root` is.
fn closed_dir(label: &str) -> TempDir {
    let dir = TempDir::new(label);
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).expect("chmod");
    dir
}

/// Whether the server runs as another user than this process (this process is root).
fn server_is_another_user() -> bool {
    ServerAccount::for_this_process()
        .expect("server account")
        .is_switched()
}

/// A cluster's home, removed at the end of the test when it is not inside a temporary directory.
struct Home(PathBuf);

impl Drop for Home {
    fn drop(&mut self) {
        if self.0.starts_with(relocation_base()) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Starts the cluster of `data_dir`, creates database `name` in it and stops it; its home.
fn start_create_stop(data_dir: &Path, name: &str) -> Home {
    let cluster = LocalCluster::start(data_dir).expect("start");
    execute(
        &cluster.database_url("postgres"),
        &format!("create database {name}"),
    )
    .expect("create a database");
    let home = Home(cluster.home().to_path_buf());
    assert_eq!(cluster.stop().expect("stop"), StopOutcome::Stopped);
    home
}

/// Whether the cluster of `data_dir` has database `name`; the cluster's home.
fn has_database(data_dir: &Path, name: &str) -> (bool, Home) {
    let cluster = LocalCluster::start(data_dir).expect("start");
    let found = select_one(&cluster.database_url(name)).is_ok();
    let home = Home(cluster.home().to_path_buf());
    cluster.stop().expect("stop");
    (found, home)
}

#[test]
fn a_data_dir_the_server_user_cannot_reach_keeps_its_cluster_elsewhere() {
    let closed = closed_dir("closed");
    let data_dir = closed.path().join("data");
    let home = start_create_stop(&data_dir, "kept");
    let data_dir = data_dir.canonicalize().expect("resolve");
    if !server_is_another_user() {
        assert_eq!(
            home.0, data_dir,
            "the server's own user reaches it: in place"
        );
        return;
    }
    let relocated = relocation_base().join(RELOCATED_PREFIX);
    assert!(home.0.starts_with(relocation_base()), "{:?}", home.0);
    assert!(
        home.0
            .to_string_lossy()
            .starts_with(&*relocated.to_string_lossy()),
        "{:?}",
        home.0
    );
    let pointer = Pointer::read(&data_dir).expect("the data directory points to its cluster");
    assert_eq!(pointer.data_dir, data_dir);
    assert_eq!(pointer.cluster, home.0);

    let (found, again) = has_database(&data_dir, "kept");
    assert!(
        found,
        "the second start finds the same cluster and its data"
    );
    assert_eq!(again.0, home.0);
}

#[test]
fn a_stale_or_foreign_pointer_gives_a_new_cluster_and_leaves_the_other_alone() {
    if !server_is_another_user() {
        // Only a relocated cluster has a pointer: a stray one is ignored in place.
        let dir = TempDir::new("pointer-in-place");
        let pointer = Pointer {
            data_dir: dir.path().canonicalize().expect("resolve"),
            cluster: PathBuf::from("/nonexistent/pulse-pg-0"),
        };
        pointer.write().expect("write a stray pointer");
        let (_, home) = has_database(dir.path(), "postgres");
        assert_eq!(home.0, pointer.data_dir);
        return;
    }
    let closed = closed_dir("stale");
    let first = closed.path().join("first");
    let first_home = start_create_stop(&first, "first_db");

    // A pointer copied into another data directory is not followed.
    let second = closed.path().join("second");
    std::fs::create_dir_all(&second).expect("create");
    std::fs::copy(first.join(POINTER_FILE), second.join(POINTER_FILE)).expect("copy pointer");
    let (found, second_home) = has_database(&second, "first_db");
    assert!(!found, "the copy gets a cluster of its own");
    assert_ne!(second_home.0, first_home.0);

    // A relocated directory recorded for another data directory (a hash collision) is not used.
    let owner = first_home.0.join(OWNER_FILE);
    let recorded = std::fs::read_to_string(&owner).expect("owner record");
    std::fs::write(&owner, "/elsewhere/data\n").expect("fake a collision");
    let (found, collided) = has_database(&first, "first_db");
    assert!(!found, "another data directory's cluster is never used");
    assert!(
        collided.0.to_string_lossy().ends_with("-1"),
        "the next name is used: {:?}",
        collided.0
    );
    std::fs::write(&owner, recorded).expect("restore the owner record");

    // A pointer naming a directory that is gone: a new, empty cluster.
    drop(collided);
    let (found, renewed) = has_database(&first, "first_db");
    assert!(!found);
    assert!(renewed.0.is_dir(), "{:?}", renewed.0);
}

#[test]
fn removing_a_data_dir_leaves_no_cluster_behind_for_long() {
    let closed = closed_dir("orphan");
    let doomed = closed.path().join("doomed");
    let orphan = start_create_stop(&doomed, "doomed_db");
    if !server_is_another_user() {
        assert!(
            orphan
                .0
                .starts_with(closed.path().canonicalize().expect("resolve"))
        );
        return;
    }

    // The same path again, after `rm -rf`: a fresh cluster, not the old data.
    std::fs::remove_dir_all(&doomed).expect("rm -rf the data directory");
    let (found, reborn) = has_database(&doomed, "doomed_db");
    assert!(
        !found,
        "a removed data directory's cluster is not brought back"
    );
    assert_eq!(reborn.0, orphan.0, "its directory is made afresh");

    // Removed for good: the next start of any relocated cluster removes it, once it is old.
    std::fs::remove_dir_all(&doomed).expect("rm -rf the data directory again");
    let owner = std::fs::File::options()
        .write(true)
        .open(reborn.0.join(OWNER_FILE))
        .expect("open the owner record");
    let long_ago = std::time::SystemTime::now() - MIN_AGE - Duration::from_secs(60);
    owner.set_modified(long_ago).expect("age the owner record");
    let (_, other) = has_database(&closed.path().join("other"), "postgres");
    assert_ne!(other.0, reborn.0);
    assert!(!reborn.0.exists(), "the abandoned cluster was removed");
}

/// Not a test on its own: the holding process of the tests of killed users, which start it with
/// `PULSE_TEST_HOLD_CLUSTER_DIR` set and kill it.
#[test]
#[ignore = "started as a child process by the tests of killed users"]
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
