//! Workers that die mid-sync: a scheduler task dropped without any cleanup, and a scheduler in a
//! child process killed with SIGKILL. Either way the job stays `running` under the dead worker's
//! lease until it expires; then the rescuer queues it again, another scheduler completes it, and
//! the user ends with exactly the profiles Google has, none twice.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use pulse_domain::sync::SyncSettings;
use pulse_google::fake::{Fault, generated_account};
use pulse_scheduler::Scheduler;
use support::eventually;
use support::harness::{Harness, JobRow, fast_config, google_config};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Set in the child process: the database URL it runs its scheduler on.
const CHILD_DATABASE_VAR: &str = "PULSE_TEST_CHILD_DATABASE_URL";
/// Set in the child process: the key its store seals secrets with.
const CHILD_KEY_VAR: &str = "PULSE_TEST_CHILD_KEY";
/// Set in the child process: the lease of its scheduler, in milliseconds.
const CHILD_LEASE_VAR: &str = "PULSE_TEST_CHILD_LEASE_MS";

/// The slow answer that keeps the dead worker's sync in flight.
const STALL: Fault = Fault::Slow { millis: 120_000 };

async fn the_only_job(harness: &Harness, user: &str) -> JobRow {
    let mut jobs = harness.jobs_of(user).await;
    assert_eq!(jobs.len(), 1, "{user}: {jobs:?}");
    jobs.remove(0)
}

/// Waits until the job is running under a worker whose id starts with `prefix` and Google has
/// been asked for the user's contacts: the sync is in flight.
async fn wait_mid_sync(harness: &Harness, user: &str, prefix: &str) -> JobRow {
    eventually("the sync is in flight", || async {
        let jobs = harness.jobs_of(user).await;
        jobs.first().is_some_and(|job| {
            job.status == "running"
                && job
                    .worker_id
                    .as_deref()
                    .is_some_and(|worker| worker.starts_with(prefix))
        }) && harness.listings_of(user) >= 1
    })
    .await;
    the_only_job(harness, user).await
}

/// After the dead worker: the job is still its own (nothing cleaned up), then another scheduler
/// rescues and completes it, and the profiles are exactly Google's.
async fn rescued_and_completed(harness: &Harness, user: &str, dead: &JobRow) {
    let stranded = the_only_job(harness, user).await;
    assert_eq!(stranded.status, "running", "no cleanup ran");
    assert_eq!(stranded.worker_id, dead.worker_id);

    let rescuer = harness.spawn(fast_config("rescuer"));
    eventually("the rescued job completes", || async {
        harness.jobs_with_status("completed").await == 1
    })
    .await;
    rescuer.stop().await;

    let done = the_only_job(harness, user).await;
    assert_eq!(done.id, dead.id);
    assert_eq!(done.attempt, 2, "rescued once, then completed");
    assert!(
        done.worker_id
            .as_deref()
            .is_some_and(|w| w.starts_with("rescuer-"))
    );
    let (live, rows) = harness.profiles_of(user).await;
    let expected = harness.expected_profiles(user);
    assert!(!expected.is_empty());
    assert_eq!(live, expected);
    assert_eq!(
        rows,
        i64::try_from(expected.len()).unwrap(),
        "no duplicate profiles"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_dropped_mid_sync_is_rescued_after_its_lease() {
    let harness = Harness::start().await;
    let user = "dropped-worker-user";
    harness.connect(user, generated_account(40, 7)).await;
    harness
        .set_config(user, true, 24, Some(support::harness::now_micros()), None)
        .await;
    harness.google.inject_fault(STALL, 1);

    let doomed = harness.spawn(fast_config("doomed"));
    let dead = wait_mid_sync(&harness, user, "doomed-").await;
    doomed.handle.abort();
    let aborted = doomed.handle.await;
    assert!(aborted.is_err_and(|error| error.is_cancelled()));

    rescued_and_completed(&harness, user, &dead).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduler_process_killed_mid_sync_is_rescued_after_its_lease() {
    let harness = Harness::start().await;
    let user = "killed-process-user";
    harness.connect(user, generated_account(40, 8)).await;
    harness
        .set_config(user, true, 24, Some(support::harness::now_micros()), None)
        .await;
    harness.google.inject_fault(STALL, 1);

    let mut child = ChildScheduler(spawn_child_scheduler(&harness));
    let dead = wait_mid_sync(&harness, user, "child-").await;
    child.kill();

    rescued_and_completed(&harness, user, &dead).await;
}

/// Re-runs this test binary as a child process that runs only [`child_scheduler_process`].
fn spawn_child_scheduler(harness: &Harness) -> Child {
    let binary = std::env::current_exe().unwrap();
    let mut command = Command::new(binary);
    command
        .args([
            "--exact",
            "child_scheduler_process",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_DATABASE_VAR, harness.database.url())
        .env(CHILD_KEY_VAR, &harness.encoded_key)
        .env(CHILD_LEASE_VAR, "3000")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (name, value) in harness.google_env() {
        command.env(name, value);
    }
    command.spawn().unwrap()
}

/// The child process, killed when the test ends early.
struct ChildScheduler(Child);

impl ChildScheduler {
    /// SIGKILL (std's `kill` on Unix): no destructor, no release, no goodbye.
    fn kill(&mut self) {
        self.0.kill().unwrap();
        let status = self.0.wait().unwrap();
        assert!(!status.success());
    }
}

impl Drop for ChildScheduler {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Not a test of its own: the scheduler process that the SIGKILL test starts and kills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "runs only as the child process of a_scheduler_process_killed_mid_sync_is_rescued_after_its_lease"]
async fn child_scheduler_process() {
    let url = std::env::var(CHILD_DATABASE_VAR).expect("started by the parent test");
    let key = std::env::var(CHILD_KEY_VAR).expect("started by the parent test");
    let lease_ms: u64 = std::env::var(CHILD_LEASE_VAR).unwrap().parse().unwrap();
    let keys = pulse_storage::crypto::KeyRing::new(
        pulse_storage::crypto::EncryptionKey::from_base64(&key).unwrap(),
    );
    let store = pulse_storage::PgStore::connect(&url, pulse_storage::PoolSettings::default(), keys)
        .unwrap();
    let client =
        pulse_google::GoogleClient::new(&google_config(|name| std::env::var(name).ok())).unwrap();
    let engine = pulse_domain::sync::SyncEngine::new(
        store.clone(),
        client,
        pulse_domain::ports::SystemClock,
        SyncSettings::default(),
    );
    let config = pulse_scheduler::SchedulerConfig {
        lease: Duration::from_millis(lease_ms),
        ..fast_config("child")
    };
    let scheduler = Scheduler::new(
        Arc::new(store),
        Arc::new(engine),
        config,
        Arc::new(Notify::new()),
    )
    .unwrap();
    scheduler.run(CancellationToken::new()).await;
}
