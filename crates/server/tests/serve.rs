//! `pulse-sync serve` as a real process against a fresh PostgreSQL and the fake Google: it listens
//! on the port it logs, answers health, readiness, metrics, OpenAPI and the settings page, and on
//! SIGTERM exits 0 with no job left `running`, even with a sync in flight.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use pulse_domain::JobStatus;
use pulse_domain::ports::{JobRepository, Page};
use pulse_google::fake::{FakeEndpoint, Fault, SEED_ACCOUNT};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use serde_json::Value;
use support::{PATIENCE, Running, World, http};

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response
        .headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_answers_health_readiness_and_the_page_then_stops_on_sigterm() {
    let world = World::new().await;
    let mut server = Running::spawn(world.command(&["serve"]));
    let base = server.listening().await;
    let stderr = server
        .wait_for("the count of due users", |_, stderr| {
            stderr
                .contains("users are due for a sync now")
                .then(|| stderr.to_owned())
        })
        .await;
    assert!(
        stderr.contains(
            "[scheduler] started: scanning for due users every 30 s (first scan in 10 s)"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("0 users are due for a sync now"),
        "{stderr}"
    );
    let client = http();

    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");
    let ready = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

    let page = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(header(&page, CONTENT_TYPE), "text/html; charset=utf-8");
    assert_eq!(header(&page, CACHE_CONTROL), "no-store");
    let policy = header(&page, CONTENT_SECURITY_POLICY);
    assert!(policy.starts_with("default-src 'self'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(page.text().await.unwrap().contains("/assets/app.js"));

    let script = client
        .get(format!("{base}/assets/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        header(&script, CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    let etag = header(&script, ETAG);
    assert!(script.text().await.unwrap().contains("next_sync_in"));
    let revalidated = client
        .get(format!("{base}/assets/app.js"))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
    let style = client
        .get(format!("{base}/assets/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&style, CONTENT_TYPE), "text/css; charset=utf-8");

    let metrics = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        metrics
            .text()
            .await
            .unwrap()
            .contains("pulse_http_requests_total")
    );
    let openapi = client
        .get(format!("{base}/openapi.json"))
        .send()
        .await
        .unwrap();
    let document: Value = openapi.json().await.unwrap();
    assert!(document["paths"]["/api/logos-vision/auto-sync/config"].is_object());
    let unknown = client
        .get(format!("{base}/assets/missing.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    server.terminate();
    let status = server.exit_status().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    assert!(server.stderr().contains("pulse-sync stopped"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_with_a_sync_in_flight_hands_the_job_back_and_exits_zero() {
    let world = World::new().await;
    let user = world.connect("acme").await;
    // The listing hangs at the fake Google, far longer than the shutdown grace.
    world
        .google
        .inject_fault(Fault::Slow { millis: 300_000 }, 1);
    let mut command = world.command(&["serve"]);
    command.env("PULSE_SHUTDOWN_GRACE_SECONDS", "1");
    let mut server = Running::spawn(command);
    let base = server.listening().await;
    let key = world_key(&world, "acme").await;
    let queued = http()
        .post(format!("{base}/api/logos-vision/google-contacts/sync"))
        .bearer_auth(&key)
        .json(&serde_json::json!({ "workspace_id": "acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::ACCEPTED);
    let job_id = queued.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let deadline = tokio::time::Instant::now() + PATIENCE;
    while world
        .google
        .request_count(SEED_ACCOUNT, FakeEndpoint::Connections)
        == 0
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sync never reached Google\n{}",
            server.stderr()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let jobs = jobs_of(&world, &user).await;
    assert_eq!(
        jobs.items[0].status,
        JobStatus::Running,
        "the sync is in flight"
    );

    server.terminate();
    let status = server.exit_status().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", server.stderr());
    let jobs = jobs_of(&world, &user).await;
    assert_eq!(jobs.items.len(), 1);
    let job = &jobs.items[0];
    assert_eq!(job.id.to_string(), job_id);
    assert_eq!(
        job.status,
        JobStatus::Queued,
        "handed back to the queue, not left running\n{}",
        server.stderr()
    );
    assert!(job.worker_id.is_none() && job.lease_expires_at.is_none());
    assert!(
        server.stderr().contains("outcome=\"released\""),
        "{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_api_alone_and_the_scheduler_alone() {
    let world = World::new().await;
    let mut api_only = Running::spawn(world.command(&["serve", "--no-scheduler"]));
    let base = api_only.listening().await;
    let ready = http().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    assert!(
        api_only
            .stderr()
            .contains("[scheduler] not started in this process")
    );

    let mut command = world.command(&["serve"]);
    command.env("PULSE_NO_API", "1");
    let mut scheduler_only = Running::spawn(command);
    scheduler_only
        .wait_for("the scheduler to start", |_, stderr| {
            stderr.contains("[scheduler] started").then_some(())
        })
        .await;
    assert!(!scheduler_only.stderr().contains("listening on"));

    for process in [&mut api_only, &mut scheduler_only] {
        process.terminate();
        assert_eq!(process.exit_status().await.code(), Some(0));
    }
}

async fn world_key(world: &World, workspace: &str) -> String {
    use pulse_domain::ports::{ApiKeyRepository, ApiKeyScope};
    let key = pulse_api::generate_api_key().unwrap();
    let scope = ApiKeyScope::Workspace(pulse_domain::UserId::parse(workspace).unwrap());
    world
        .store
        .create_key(&key.hash, &scope, Some("test"), Utc::now())
        .await
        .unwrap();
    key.plaintext.expose().to_owned()
}

async fn jobs_of(world: &World, user: &pulse_domain::UserId) -> Page<pulse_domain::SyncJob> {
    world.store.list_jobs(user, 10, None).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn json_logs_are_one_object_per_line() {
    let world = World::new().await;
    let mut command = world.command(&["serve", "--no-scheduler"]);
    command.env("PULSE_LOG_FORMAT", "json");
    let mut server = Running::spawn(command);
    server.listening().await;
    server.terminate();
    assert_eq!(server.exit_status().await.code(), Some(0));
    let logs = server.stderr();
    let mut messages = Vec::new();
    for line in logs.lines().filter(|line| !line.trim().is_empty()) {
        let event: Value = serde_json::from_str(line)
            .unwrap_or_else(|error| panic!("not a JSON line ({error}): {line}"));
        assert!(
            event["level"].is_string() && event["timestamp"].is_string(),
            "{line}"
        );
        messages.push(
            event["fields"]["message"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    assert!(
        messages
            .iter()
            .any(|message| message.starts_with("listening on http://127.0.0.1:")),
        "{messages:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn grants_sealed_with_a_key_that_is_not_configured_are_reported_at_start() {
    let world = World::new().await;
    world.connect("acme").await;
    let mut command = world.command(&["serve", "--no-scheduler"]);
    command.env("PULSE_ENCRYPTION_KEY", pulse_storage::generate_key());
    let mut server = Running::spawn(command);
    server.listening().await;
    let logs = server.stderr();
    assert!(
        logs.contains("stored Google grants are sealed with a key that is not configured")
            && logs.contains("grants=1"),
        "{logs}"
    );

    let mut command = world.command(&["serve", "--no-scheduler"]);
    command.env("PULSE_ENCRYPTION_KEY", pulse_storage::generate_key());
    command.env("PULSE_PREVIOUS_ENCRYPTION_KEYS", &world.encoded_key);
    let mut rotated = Running::spawn(command);
    rotated.listening().await;
    assert!(
        !rotated.stderr().contains("not configured"),
        "the old key is still known:\n{}",
        rotated.stderr()
    );
    for process in [&mut server, &mut rotated] {
        process.terminate();
        assert_eq!(process.exit_status().await.code(), Some(0));
    }
}
