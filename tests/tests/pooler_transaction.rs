//! The whole service through a real PgBouncer 1.18 in `pool_mode = transaction`, with a server
//! pool smaller than the service's own pools: migrations (two runs at once on an empty
//! database), two `serve` replicas with several workers each syncing a round of due users, a
//! manual sync, every API route, an OAuth connect, and the command-line tools. Nothing may
//! leave session state behind: any `prepared statement` or lock error in the service's or
//! PgBouncer's log fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pulse_google::fake::{AuthorizeMode, FakeOptions, generated_account};
use pulse_storage::testing::TestDatabase;
use pulse_tests::pgbouncer::PgBouncer;
use pulse_tests::{
    API, ApiClient, Deployment, ServerConfig, ServerProcess, cli, eventually_within,
};
use serde_json::json;

/// Server connections PgBouncer keeps per database: fewer than one replica's pools alone.
const SERVER_POOL: u32 = 3;
/// Users due in the round.
const USERS: usize = 12;
/// Contacts per user (several pages each).
const CONTACTS: u32 = 35;
/// How long the round may take.
const ROUND_PATIENCE: Duration = Duration::from_secs(120);

/// Log texts that mean a session's state leaked across transactions, or a lock misbehaved.
const FORBIDDEN: [&str; 6] = [
    "prepared statement",
    "advisory lock",
    "lock timeout",
    "unsupported startup parameter",
    "deadlock",
    "could not obtain lock",
];

fn assert_clean(what: &str, log: &str) {
    for text in FORBIDDEN {
        assert!(
            !log.to_lowercase().contains(text),
            "{what} logged {text:?}:\n{log}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_through_a_transaction_pooler_even_two_at_once() {
    let empty = TestDatabase::create_empty()
        .await
        .expect("an empty database");
    let Some(bouncer) = PgBouncer::start(empty.url(), SERVER_POOL) else {
        return;
    };
    let config = ServerConfig::new(&bouncer.url_for(empty.url()), "", "")
        .with("PULSE_DATABASE_POOLER", "transaction");
    let (first, second) = tokio::join!(
        cli::run(&config, &["migrate"]),
        cli::run(&config, &["migrate"])
    );
    for output in [&first, &second] {
        assert!(output.success, "{}\n{}", output.stdout, output.stderr);
        assert_clean("pulse-sync migrate", &output.stderr);
    }
    let again = cli::run(&config, &["migrate"]).await;
    assert!(again.success, "{}", again.stderr);
    assert!(
        again.stderr.contains("up to date") || again.stdout.contains("up to date"),
        "a third run finds nothing to do:\n{}\n{}",
        again.stdout,
        again.stderr
    );
    let client = pulse_tests::sql::connect(empty.url()).await;
    let applied =
        pulse_tests::sql::count(&client, "SELECT count(*) FROM __diesel_schema_migrations").await;
    let embedded = i64::try_from(
        pulse_storage::migrations::embedded_versions()
            .expect("embedded versions")
            .len(),
    )
    .expect("few migrations");
    assert_eq!(applied, embedded, "every migration applied exactly once");
    assert_clean("PgBouncer", &bouncer.log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_the_scheduler_and_the_cli_work_through_a_transaction_pooler() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: 10,
        ..FakeOptions::default()
    })
    .await;
    let Some(bouncer) = PgBouncer::start(deployment.database_url(), SERVER_POOL) else {
        return;
    };
    let users: Vec<String> = (0..USERS).map(|n| format!("pooled-user-{n:02}")).collect();
    for (seed, user) in (1_u64..).zip(&users) {
        deployment
            .connect(user, generated_account(CONTACTS, seed * 17))
            .await;
    }
    deployment.make_due(&users).await;

    let config = deployment
        .server_config()
        .with("DATABASE_URL", &bouncer.url_for(deployment.database_url()))
        .with("PULSE_DATABASE_POOLER", "transaction")
        .with("PULSE_WORKERS", "3")
        .with("PULSE_API_POOL_SIZE", "4")
        .with("PULSE_WORKER_POOL_SIZE", "5");
    let mut first = ServerProcess::serve("pooled replica 0", &config).await;
    let mut second = ServerProcess::serve("pooled replica 1", &config.on_new_port()).await;

    let everyone = i64::try_from(USERS).expect("few users");
    eventually_within(
        "the round completes through the pooler",
        ROUND_PATIENCE,
        || async { deployment.jobs_with_status("completed").await >= everyone },
    )
    .await;
    for user in &users {
        let jobs = deployment.jobs_of(user).await;
        assert_eq!(jobs.len(), 1, "{user} synced once: {jobs:?}");
    }
    deployment.assert_disk_of_truth().await;

    exercise_every_route(&deployment, first.base_url(), &users[0]).await;
    exercise_the_cli(&config, &users[1]).await;

    assert_eq!(first.terminate().await.code(), Some(0));
    assert_eq!(second.terminate().await.code(), Some(0));
    assert_clean("replica 0", &first.logs().text());
    assert_clean("replica 1", &second.logs().text());
    assert_clean("PgBouncer", &bouncer.log());
    deployment.assert_all_jobs_final().await;
}

/// Every route of the API once, as an admin, against a server behind the pooler.
async fn exercise_every_route(deployment: &Deployment, base: &str, user: &str) {
    let api = ApiClient::new(base);
    let key = Some(deployment.admin_key.as_str());
    let config_path = format!("{API}/auto-sync/config?workspace_id={user}");

    let config = api.get(&config_path, key).await;
    config.expect_status(200);
    let changed = api
        .put(
            &format!("{API}/auto-sync/config"),
            key,
            &json!({"workspace_id": user, "enabled": true, "interval_hours": 12}),
        )
        .await;
    changed.expect_status(200);
    assert_eq!(
        changed.json["interval_hours"],
        json!(12),
        "{}",
        changed.text
    );

    let job_id = api.queue_sync(key, user).await;
    let job_path = format!("{API}/google-contacts/sync/jobs/{job_id}?workspace_id={user}");
    eventually_within("the manual sync completes", ROUND_PATIENCE, || async {
        api.get(&job_path, key).await.json["status"] == json!("completed")
    })
    .await;
    let jobs = api
        .get(
            &format!("{API}/google-contacts/sync/jobs?workspace_id={user}&limit=5"),
            key,
        )
        .await;
    jobs.expect_status(200);
    assert_eq!(
        jobs.json["items"].as_array().map(Vec::len),
        Some(2),
        "the round's job and the manual one: {}",
        jobs.text
    );
    let profiles = api
        .get(
            &format!("{API}/google-contacts/profiles?workspace_id={user}&limit=5"),
            key,
        )
        .await;
    profiles.expect_status(200);
    assert!(
        profiles.json["items"]
            .as_array()
            .is_some_and(|items| !items.is_empty()),
        "{}",
        profiles.text
    );
    // The change feed (its writers' workspace locks are transaction-scoped, so they hold
    // behind the pooler): read to its end, it holds every profile of the listing.
    let mut after = String::new();
    let mut live = std::collections::BTreeSet::new();
    loop {
        let page = api
            .get(
                &format!(
                    "{API}/google-contacts/profiles/changes?workspace_id={user}&limit=10&after={after}"
                ),
                key,
            )
            .await;
        page.expect_status(200);
        let items = page.json["items"].as_array().cloned().unwrap_or_default();
        for item in &items {
            let id = item["profile"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if item["change"] == json!("deleted") {
                live.remove(&id);
            } else {
                live.insert(id);
            }
        }
        after = page.json["next_cursor"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if items.is_empty() {
            break;
        }
    }
    let listed = pulse_tests::sql::count(
        &pulse_tests::sql::connect(deployment.database_url()).await,
        &format!(
            "SELECT count(*) FROM relationship_profiles WHERE user_id = '{user}' AND deleted_at IS NULL"
        ),
    )
    .await;
    assert_eq!(i64::try_from(live.len()).ok(), Some(listed));

    // A new workspace connects through the consent page and the callback.
    let newcomer = "pooled-newcomer";
    deployment
        .google
        .add_account(newcomer, generated_account(5, 99));
    deployment
        .google
        .set_authorize_mode(AuthorizeMode::Consent {
            account: newcomer.to_owned(),
        });
    let started = api
        .post(
            &format!("{API}/google/connect"),
            key,
            &json!({"workspace_id": newcomer}),
        )
        .await;
    started.expect_status(200);
    let authorization_url = started.json["authorization_url"]
        .as_str()
        .expect("an authorization URL");
    let consented = api
        .send(api.request(reqwest::Method::GET, authorization_url))
        .await
        .expect("the consent page answers");
    assert_eq!(consented.status, 302, "{}", consented.text);
    let callback = consented.header("location").expect("a redirect back");
    let page = api.get(callback, None).await;
    page.expect_status(200);
    api.confirm_consent(&page.text).await.expect_status(200);
    let connected = api
        .get(
            &format!("{API}/auto-sync/config?workspace_id={newcomer}"),
            key,
        )
        .await;
    connected.expect_status(200);
    assert_eq!(
        connected.json["connection"],
        json!("connected"),
        "{}",
        connected.text
    );
    api.delete(
        &format!("{API}/google/connection?workspace_id={newcomer}"),
        key,
    )
    .await
    .expect_status(204);

    for path in ["/healthz", "/readyz", "/metrics", "/openapi.json"] {
        api.get(path, None).await.expect_status(200);
    }
    assert_eq!(config.json["workspace_id"], json!(user), "{}", config.text);
}

/// The command-line tools against the pooler: keys, status and a foreground sync.
async fn exercise_the_cli(config: &ServerConfig, user: &str) {
    let created = cli::run(
        config,
        &["api-key", "create", "--workspace", user, "--name", "pooled"],
    )
    .await;
    assert!(created.success, "{}", created.stderr);
    let listed = cli::run(config, &["api-key", "list"]).await;
    assert!(
        listed.success && listed.stdout.contains("pooled"),
        "{}",
        listed.stderr
    );
    let status = cli::run(config, &["status", "--workspace", user]).await;
    assert!(status.success, "{}", status.stderr);
    let synced = cli::run(config, &["sync", "--workspace", user]).await;
    assert!(synced.success, "{}\n{}", synced.stdout, synced.stderr);
    assert!(synced.stdout.contains("synced"), "{}", synced.stdout);
    for output in [&created, &listed, &status, &synced] {
        assert_clean("a pulse-sync command", &output.stderr);
    }
}
