//! PostgreSQL stopped for ten seconds while syncs run and the API is called. The machine's shared
//! PostgreSQL is never touched: the scenario starts a throwaway cluster of its own (the storage
//! crate's `LocalCluster`) in a temporary directory, stops it, and starts it again on the same
//! directory. Meanwhile every API call answers `503` with the JSON error (never a hang),
//! `/readyz` answers 503, then 200 once the database is back; the scheduler resumes and loses
//! nothing: every user's one job completes and the profiles are exactly Google's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pulse_google::fake::{FakeOptions, Fault, generated_account};
use pulse_storage::local_cluster::{LocalCluster, StopOutcome};
use pulse_tests::cli::{create_api_key, run};
use pulse_tests::{
    API, ApiClient, Deployment, ServerProcess, eventually_within, is_documented_error,
    with_workspace,
};
use serde_json::json;

/// How long the database stays away.
const OUTAGE: Duration = Duration::from_secs(10);
/// A round that includes jobs retried after the outage (the engine waits 30 s and more).
const ROUND_PATIENCE: Duration = Duration::from_secs(240);
/// Users due when the database goes away.
const USERS: usize = 12;

/// A throwaway cluster's data directory, removed at the end.
struct ClusterDir(PathBuf);

impl Drop for ClusterDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn start_cluster(dir: &Path) -> LocalCluster {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || LocalCluster::start(&dir))
        .await
        .expect("the start does not panic")
        .unwrap_or_else(|error| panic!("the throwaway PostgreSQL did not start: {error}"))
}

async fn stop_cluster(cluster: LocalCluster) {
    let outcome = tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("the stop does not panic")
        .unwrap_or_else(|error| panic!("the throwaway PostgreSQL did not stop: {error}"));
    assert_eq!(outcome, StopOutcome::Stopped, "this test is its only user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_for_ten_seconds_gives_503s_then_everything_resumes() {
    let dir = ClusterDir(std::env::temp_dir().join(format!(
        "pulse-outage-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )));
    let cluster = start_cluster(&dir.0).await;
    let url = cluster.database_url("pulse_outage");
    let admin = pulse_tests::sql::connect(&cluster.database_url("postgres")).await;
    pulse_tests::sql::execute(&admin, "CREATE DATABASE pulse_outage").await;
    drop(admin);

    let mut deployment = Deployment::start_on(
        &url,
        FakeOptions {
            accounts: Vec::new(),
            page_size_cap: 10,
            ..FakeOptions::default()
        },
    )
    .await;
    let config = deployment
        .server_config()
        .with("PULSE_LEASE_SECONDS", "3")
        .with("PULSE_WORKERS", "3");
    let migrated = run(&config, &["migrate"]).await;
    assert!(migrated.success, "{}{}", migrated.stdout, migrated.stderr);
    let users: Vec<String> = (0..USERS).map(|n| format!("outage-user-{n:02}")).collect();
    for (seed, user) in (1_u64..).zip(&users) {
        deployment
            .connect(user, generated_account(60, 0x0_7A6E + seed))
            .await;
    }
    let key = create_api_key(&config, &users[0]).await;
    // Slow pages: syncs are in flight when the database goes away.
    deployment
        .google
        .inject_fault(Fault::Slow { millis: 400 }, 100_000);
    deployment.make_due(&users).await;
    let mut server = ServerProcess::serve("server", &config).await;
    let api = ApiClient::new(server.base_url());
    let config_path = with_workspace(&format!("{API}/auto-sync/config"), &users[0]);
    api.get(&config_path, Some(&key)).await.expect_status(200);
    api.get("/readyz", None).await.expect_status(200);

    eventually_within("syncs are in flight", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("running").await > 0
    })
    .await;
    let outage_started = Instant::now();
    stop_cluster(cluster).await;

    // While the database is away: answers, not hangs, in the documented shape.
    let mut calls = 0;
    let mut readyz_503 = 0;
    while outage_started.elapsed() < OUTAGE {
        let ready = api.get("/readyz", None).await;
        if ready.status == 503 {
            readyz_503 += 1;
            assert_eq!(ready.error_code(), Some("not_ready"), "{}", ready.text);
        }
        for (answer, what) in [
            (
                api.get(&config_path, Some(&key)).await,
                "GET config, workspace key",
            ),
            (
                api.get(&config_path, Some(&deployment.admin_key)).await,
                "GET config, admin key",
            ),
            (
                api.post(
                    &format!("{API}/google-contacts/sync"),
                    Some(&deployment.admin_key),
                    &json!({"workspace_id": users[1]}),
                )
                .await,
                "POST sync",
            ),
            (
                api.get(
                    &with_workspace(&format!("{API}/google-contacts/profiles"), &users[0]),
                    Some(&deployment.admin_key),
                )
                .await,
                "GET profiles",
            ),
        ] {
            assert_eq!(answer.status, 503, "{what}: {}", answer.text);
            assert_eq!(
                answer.error_code(),
                Some("database_unavailable"),
                "{what}: {}",
                answer.text
            );
            assert!(is_documented_error(&answer.json), "{what}: {}", answer.text);
            assert!(
                answer.header("retry-after").is_some(),
                "{what}: Retry-After"
            );
            calls += 1;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(
        calls >= 4 && readyz_503 >= 1,
        "calls were made during the outage"
    );
    assert!(server.is_running(), "the server survives the outage");

    let cluster = start_cluster(&dir.0).await;
    assert_eq!(
        cluster.database_url("pulse_outage"),
        url,
        "the same socket on restart"
    );
    eventually_within("/readyz answers 200 again", ROUND_PATIENCE, || async {
        api.get("/readyz", None).await.status == 200
    })
    .await;
    eventually_within("the API answers again", ROUND_PATIENCE, || async {
        api.get(&config_path, Some(&key)).await.status == 200
    })
    .await;
    deployment.reconnect().await;
    deployment.google.clear_faults();

    let everyone = i64::try_from(USERS).expect("small");
    eventually_within("the round completes", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("completed").await == everyone
    })
    .await;
    // The scheduler keeps going: a user due after the outage is synced too.
    let late = "outage-user-late".to_owned();
    deployment
        .connect(&late, generated_account(25, 0x1A7E))
        .await;
    deployment.make_due(std::slice::from_ref(&late)).await;
    eventually_within(
        "a user due after the outage is synced",
        ROUND_PATIENCE,
        || async { deployment.jobs_with_status("completed").await == everyone + 1 },
    )
    .await;

    for user in users.iter().chain([&late]) {
        let jobs = deployment.jobs_of(user).await;
        assert_eq!(
            jobs.len(),
            1,
            "{user}: nothing lost, nothing doubled: {jobs:?}"
        );
        assert_eq!(jobs[0].status, "completed", "{user}: {jobs:?}");
    }
    let exit = server.terminate().await;
    assert!(exit.success(), "a graceful stop: {exit}");
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
    drop(deployment);
    stop_cluster(cluster).await;
}
