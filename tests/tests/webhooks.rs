//! Signed webhooks end to end, against `pulse-sync serve` processes, the fake Google over HTTP
//! and a receiver on loopback that verifies with `pulse_webhooks::verify`:
//! - a sync's `sync.completed` arrives signed and verified, with the job's counts; the receiver
//!   refuses the same body signed with another secret, or with a timestamp older than five
//!   minutes, and does not process a replayed request again; the API lists the attempt;
//! - the endpoints refuse other workspaces' keys, bad input and, unless allowed, internal
//!   addresses;
//! - a server killed with SIGKILL after a run's end, before the event was delivered: the next
//!   process delivers it, once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pulse_google::fake::{Dataset, FakeOptions};
use pulse_tests::cli::create_api_key;
use pulse_tests::webhook_receiver::{Receiver, Verdict};
use pulse_tests::{API, ApiClient, Deployment, ServerProcess, eventually, eventually_some};
use pulse_webhooks::{EVENT_ID_HEADER, SIGNATURE_HEADER, VerifyError, sign};
use serde_json::{Value, json};

const PATIENCE: Duration = Duration::from_secs(90);

fn endpoint(workspace: &str, url: &str) -> Value {
    json!({"workspace_id": workspace, "url": url, "events": ["sync.completed", "sync.failed"]})
}

/// POSTs `body` to the receiver with a signature header, as an attacker could.
async fn post_to(receiver: &Receiver, body: &[u8], signature: &str) -> u16 {
    reqwest::Client::new()
        .post(receiver.url())
        .header(SIGNATURE_HEADER, signature)
        .header(EVENT_ID_HEADER, "forged")
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_is_reported_signed_and_forged_or_replayed_requests_are_refused() {
    let deployment = Deployment::start(FakeOptions::default()).await;
    deployment
        .connect("hooked", Dataset::Generated { size: 40, seed: 7 })
        .await;
    let config = deployment
        .server_config()
        .with("PULSE_WEBHOOK_ALLOW_PRIVATE", "true");
    let key = create_api_key(&config, "hooked").await;
    let other_key = create_api_key(&config, "other").await;
    let server = ServerProcess::serve("server", &config).await;
    let api = ApiClient::new(server.base_url());
    let receiver = Receiver::start(0);

    let set = api
        .put(
            &format!("{API}/webhooks"),
            Some(&key),
            &endpoint("hooked", receiver.url()),
        )
        .await;
    set.expect_status(200);
    let secret = set.json["secret"]
        .as_str()
        .expect("the secret, once")
        .to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 6 + 64,
        "{secret}"
    );
    assert_eq!(set.json["url"], receiver.url());
    assert_eq!(set.json["events"], json!(["sync.completed", "sync.failed"]));
    receiver.set_secret(&secret);
    let shown = api
        .get(&format!("{API}/webhooks?workspace_id=hooked"), Some(&key))
        .await;
    shown.expect_status(200);
    assert_eq!(shown.json["id"], set.json["id"]);
    assert!(
        shown.json.get("secret").is_none(),
        "never shown again: {}",
        shown.text
    );

    let job_id = api.queue_sync(Some(&key), "hooked").await;
    let delivered = eventually_some("the completion is delivered", PATIENCE, || async {
        receiver.processed().into_iter().next()
    })
    .await;
    let body = delivered.json();
    assert_eq!(delivered.content_type.as_deref(), Some("application/json"));
    assert_eq!(body["type"], "sync.completed");
    assert_eq!(body["workspace_id"], "hooked");
    assert_eq!(body["sequence"], 1);
    assert_eq!(body["id"].as_str(), delivered.event_id.as_deref());
    assert_eq!(body["data"]["job_id"], job_id.as_str());
    assert_eq!(body["data"]["trigger"], "manual");
    let job = api
        .get(
            &format!("{API}/google-contacts/sync/jobs/{job_id}"),
            Some(&key),
        )
        .await;
    job.expect_status(200);
    for count in [
        "total_contacts",
        "synced",
        "created",
        "updated",
        "unchanged",
        "deleted",
        "skipped_no_identifier",
    ] {
        assert_eq!(
            body["data"]["counts"][count], job.json[count],
            "{count}: {}",
            job.text
        );
    }
    assert!(body["data"]["counts"]["created"].as_i64().unwrap() > 0);
    // The change-feed range: from the start (the workspace's first completion) to the position
    // after the run; the feed from `after` lists exactly the run's profiles and ends at `until`.
    let changes = &body["data"]["changes"];
    let after = changes["after"].as_str().expect("a cursor before the run");
    let until = changes["until"].as_str().expect("a cursor after the run");
    let feed = api
        .get(
            &format!("{API}/google-contacts/profiles/changes?workspace_id=hooked&after={after}&limit=1000"),
            Some(&key),
        )
        .await;
    feed.expect_status(200);
    assert_eq!(
        feed.json["next_cursor"].as_str(),
        Some(until),
        "{}",
        feed.text
    );
    assert_eq!(
        feed.json["items"].as_array().unwrap().len() as i64,
        body["data"]["counts"]["created"].as_i64().unwrap(),
        "every profile the run created, once"
    );

    // A forgery: the same body signed with another secret. A replay of a captured request a
    // minute too late: signed with the right secret, but more than five minutes ago. A tampered
    // body under the real signature. The captured request itself, again.
    let raw = delivered.body.clone();
    let signature = delivered.signature.clone().unwrap();
    let now = chrono::Utc::now().timestamp();
    assert_eq!(
        post_to(&receiver, &raw, &sign("whsec_forged", now, &raw)).await,
        400
    );
    assert_eq!(
        post_to(&receiver, &raw, &sign(&secret, now - 360, &raw)).await,
        400
    );
    let mut tampered = raw.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(post_to(&receiver, &tampered, &signature).await, 400);
    let replay = reqwest::Client::new()
        .post(receiver.url())
        .header(SIGNATURE_HEADER, &signature)
        .header(EVENT_ID_HEADER, delivered.event_id.clone().unwrap())
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status().as_u16(), 200, "acknowledged");
    let verdicts: Vec<Verdict> = receiver.received().into_iter().map(|r| r.verdict).collect();
    assert_eq!(
        verdicts[verdicts.len() - 4..],
        [
            Verdict::Refused(VerifyError::Mismatch),
            Verdict::Refused(VerifyError::Expired),
            Verdict::Refused(VerifyError::Mismatch),
            Verdict::Duplicate,
        ]
    );
    assert_eq!(receiver.processed().len(), 1, "processed once");

    let log = api
        .get(
            &format!("{API}/webhooks/deliveries?workspace_id=hooked"),
            Some(&key),
        )
        .await;
    log.expect_status(200);
    let attempt = &log.json["items"][0];
    assert_eq!(attempt["event_id"], body["id"]);
    assert_eq!(attempt["event_type"], "sync.completed");
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["status"], "delivered");
    assert_eq!(attempt["attempt"], 1);
    assert!(attempt["latency_ms"].as_i64().unwrap() >= 0);
    assert_eq!(attempt["error"], Value::Null);
    assert_eq!(attempt["next_attempt_at"], Value::Null);

    // Another workspace's key may not read or set this workspace's endpoint.
    for (method, path, body) in [
        (
            "PUT",
            format!("{API}/webhooks"),
            Some(endpoint("hooked", receiver.url())),
        ),
        ("GET", format!("{API}/webhooks?workspace_id=hooked"), None),
        (
            "DELETE",
            format!("{API}/webhooks?workspace_id=hooked"),
            None,
        ),
        (
            "GET",
            format!("{API}/webhooks/deliveries?workspace_id=hooked"),
            None,
        ),
    ] {
        let answer = api
            .call(
                method.parse().unwrap(),
                &path,
                Some(&other_key),
                body.as_ref(),
            )
            .await;
        assert_eq!(answer.status, 403, "{method} {path}: {}", answer.text);
        assert_eq!(answer.error_code(), Some("forbidden_workspace"));
    }
    // Bad input.
    for (body, code) in [
        (
            json!({"url": receiver.url(), "events": ["sync.completed"]}),
            "missing_workspace_id",
        ),
        (
            json!({"workspace_id": "hooked", "url": receiver.url(), "events": ["contact.updated"]}),
            "invalid_events",
        ),
        (
            json!({"workspace_id": "hooked", "url": receiver.url(), "events": []}),
            "invalid_events",
        ),
        (
            json!({"workspace_id": "hooked", "url": "ftp://crm.example.com/", "events": ["sync.completed"]}),
            "invalid_webhook_url",
        ),
        (
            json!({"workspace_id": "hooked", "url": "not a url", "events": ["sync.completed"]}),
            "invalid_webhook_url",
        ),
    ] {
        let answer = api.put(&format!("{API}/webhooks"), Some(&key), &body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert_eq!(answer.error_code(), Some(code), "{body}: {}", answer.text);
    }
    assert_eq!(
        api.get(&format!("{API}/webhooks?workspace_id=hooked"), Some(&key))
            .await
            .json["url"],
        receiver.url(),
        "refused changes change nothing"
    );
    // The admin key sets the endpoint of every workspace.
    let admin = api
        .put(
            &format!("{API}/webhooks"),
            Some(&deployment.admin_key),
            &json!({"url": "https://crm.example.com/all", "events": ["sync.failed"]}),
        )
        .await;
    admin.expect_status(200);
    assert_eq!(admin.json["workspace_id"], Value::Null);
    let deleted = api
        .delete(&format!("{API}/webhooks?workspace_id=hooked"), Some(&key))
        .await;
    deleted.expect_status(204);
    let gone = api
        .get(&format!("{API}/webhooks?workspace_id=hooked"), Some(&key))
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(gone.error_code(), Some("webhook_not_found"));

    // Without PULSE_WEBHOOK_ALLOW_PRIVATE, internal addresses are refused when set.
    let strict_config = deployment.server_config();
    let strict = ServerProcess::serve("strict server", &strict_config).await;
    let strict_api = ApiClient::new(strict.base_url());
    for url in [
        receiver.url().to_owned(),
        "http://localhost:8080/hooks".to_owned(),
        "http://10.1.2.3/hooks".to_owned(),
        "http://[::1]:8080/hooks".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://100.64.0.1/hooks".to_owned(),
    ] {
        let answer = strict_api
            .put(
                &format!("{API}/webhooks"),
                Some(&key),
                &endpoint("hooked", &url),
            )
            .await;
        assert_eq!(answer.status, 400, "{url}: {}", answer.text);
        assert_eq!(answer.error_code(), Some("invalid_webhook_url"), "{url}");
    }
    let public = strict_api
        .put(
            &format!("{API}/webhooks"),
            Some(&key),
            &endpoint("hooked", "https://crm.example.com/hooks"),
        )
        .await;
    public.expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_not_yet_delivered_when_the_server_is_killed_is_delivered_after_the_restart() {
    let deployment = Deployment::start(FakeOptions::default()).await;
    deployment
        .connect("crashed", Dataset::Generated { size: 20, seed: 3 })
        .await;
    let config = deployment
        .server_config()
        .with("PULSE_WEBHOOK_ALLOW_PRIVATE", "true");
    let key = create_api_key(&config, "crashed").await;
    // The receiver is down while the first server runs: its port is known, nothing listens.
    let down = Receiver::start(0);
    let port = down.port();
    let url = down.url().to_owned();
    down.stop().await;
    drop(down);

    let mut first = ServerProcess::serve("server 1", &config).await;
    let api = ApiClient::new(first.base_url());
    let set = api
        .put(
            &format!("{API}/webhooks"),
            Some(&key),
            &endpoint("crashed", &url),
        )
        .await;
    set.expect_status(200);
    let secret = set.json["secret"].as_str().unwrap().to_owned();
    let job_id = api.queue_sync(Some(&key), "crashed").await;
    // The run ended and its event's first attempt failed (nothing listens); then SIGKILL.
    eventually("the first attempt failed", || async {
        let log = api
            .get(
                &format!("{API}/webhooks/deliveries?workspace_id=crashed"),
                Some(&key),
            )
            .await;
        log.json["items"][0]["status"] == "retrying"
    })
    .await;
    first.kill9();
    let jobs = deployment.jobs_of("crashed").await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, "completed");
    let undelivered = deployment
        .sql
        .query_one(
            "SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at IS NOT NULL",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0);
    assert_eq!(undelivered, 1, "the event waits in the outbox");

    // The receiver comes back on its port, and so does a server.
    let receiver = Receiver::start(port);
    receiver.set_secret(&secret);
    let _second = ServerProcess::serve("server 2", &config.on_new_port()).await;
    let delivered = eventually_some("the event is delivered", PATIENCE, || async {
        receiver.processed().into_iter().next()
    })
    .await;
    let body = delivered.json();
    assert_eq!(body["type"], "sync.completed");
    assert_eq!(body["data"]["job_id"], job_id.as_str());
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receiver.received().len(),
        1,
        "delivered once: {:?}",
        receiver.received()
    );
}
