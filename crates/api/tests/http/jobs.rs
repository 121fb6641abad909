//! Manual syncs and jobs: 202 with a flat job, 409 (and no second job) while one is active, the
//! list newest first with cursors and limits, one job by id, and refused ids, limits and cursors.

use pulse_domain::ports::JobRepository;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::{TestApi, expect_error, json, user};

const WS: &str = "ws-jobs";
const SYNC: &str = "/api/logos-vision/google-contacts/sync";
const JOBS: &str = "/api/logos-vision/google-contacts/sync/jobs";

const JOB_FIELDS: [&str; 17] = [
    "id",
    "workspace_id",
    "trigger",
    "status",
    "fetched",
    "total_contacts",
    "synced",
    "created",
    "updated",
    "unchanged",
    "deleted",
    "skipped_no_identifier",
    "error",
    "attempt",
    "created_at",
    "started_at",
    "finished_at",
];

fn assert_flat_job(job: &Value) {
    let object = job.as_object().expect("a job object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = JOB_FIELDS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert!(
        object
            .values()
            .all(|value| !value.is_object() && !value.is_array())
    );
}

#[tokio::test]
async fn a_manual_sync_is_queued_and_a_second_one_is_refused_with_the_first_job() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let body = json!({"workspace_id": WS});
    let first = api.send_json(Method::POST, SYNC, &key, &body).await;
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let job = json(first).await;
    assert_flat_job(&job);
    assert_eq!(job["workspace_id"], WS);
    assert_eq!(job["trigger"], "manual");
    assert_eq!(job["status"], "queued");
    assert!(job["attempt"].is_i64());
    assert_eq!(job["synced"], 0);
    assert_eq!(job["started_at"], Value::Null);

    let second = api.send_json(Method::POST, SYNC, &key, &body).await;
    let error = expect_error(second, StatusCode::CONFLICT, "sync_in_progress").await;
    assert_eq!(error["job_id"], job["id"]);

    let lease = api.claim_job().await;
    let running = api.send_json(Method::POST, SYNC, &key, &body).await;
    let error = expect_error(running, StatusCode::CONFLICT, "sync_in_progress").await;
    assert_eq!(
        error["job_id"],
        lease.job_id.to_string(),
        "a running job refuses too"
    );

    let page = api
        .store
        .list_jobs(&user(WS), 100, None)
        .await
        .expect("listed");
    assert_eq!(page.items.len(), 1, "never a second job");
}

#[tokio::test]
async fn jobs_are_listed_newest_first_page_by_page() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(api.finished_job(WS).await.id.to_string());
    }
    api.finished_job("ws-someone-else").await;
    ids.reverse();

    let first = json(
        api.get(&format!("{JOBS}?workspace_id={WS}&limit=2"), &key)
            .await,
    )
    .await;
    let items = first["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    items.iter().for_each(assert_flat_job);
    assert_eq!(items[0]["id"], ids[0].as_str());
    assert_eq!(items[1]["id"], ids[1].as_str());
    assert_eq!(items[0]["status"], "failed");
    assert_eq!(items[0]["error"], "the test ended it");
    let cursor = first["next_cursor"].as_str().expect("a next cursor");

    let second = api
        .http
        .get(api.url(JOBS))
        .query(&[("workspace_id", WS), ("limit", "2"), ("cursor", cursor)])
        .bearer_auth(&key)
        .send()
        .await
        .expect("answer");
    let second = json(second).await;
    let items = second["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], ids[2].as_str());
    assert_eq!(second["next_cursor"], Value::Null);

    let all = json(api.get(&format!("{JOBS}?workspace_id={WS}"), &key).await).await;
    assert_eq!(
        all["items"].as_array().map(Vec::len),
        Some(3),
        "only this workspace's jobs"
    );
}

#[tokio::test]
async fn limits_are_capped_and_bad_limits_and_cursors_are_refused() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    api.finished_job(WS).await;
    let capped = api
        .get(&format!("{JOBS}?workspace_id={WS}&limit=100000"), &key)
        .await;
    assert_eq!(capped.status(), StatusCode::OK);
    for limit in ["0", "-1", "ten", "1.5", "", "99999999999999999999"] {
        let response = api
            .get(&format!("{JOBS}?workspace_id={WS}&limit={limit}"), &key)
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_limit").await;
        assert_eq!(error["field"], "limit", "{limit}");
    }
    for cursor in ["garbage", "eyJub3QiOiJvdXJzIn0", "%00"] {
        let response = api
            .get(&format!("{JOBS}?workspace_id={WS}&cursor={cursor}"), &key)
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_cursor").await;
        assert_eq!(error["field"], "cursor", "{cursor}");
    }
}

#[tokio::test]
async fn one_job_by_id_for_its_workspace_only() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let other_key = api.workspace_key("ws-other").await;
    let job = api.queue_job(WS).await;
    let path = format!("{JOBS}/{}", job.id);
    let response = api.get(&path, &key).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    assert_flat_job(&body);
    assert_eq!(body["id"], job.id.to_string());

    let hidden = api.get(&path, &other_key).await;
    expect_error(hidden, StatusCode::NOT_FOUND, "job_not_found").await;
    let unknown = api
        .get(&format!("{JOBS}/{}", uuid::Uuid::new_v4()), &key)
        .await;
    expect_error(unknown, StatusCode::NOT_FOUND, "job_not_found").await;
    let malformed = api.get(&format!("{JOBS}/not-a-uuid"), &key).await;
    let error = expect_error(malformed, StatusCode::BAD_REQUEST, "invalid_job_id").await;
    assert_eq!(error["field"], "id");
}

#[tokio::test]
async fn a_sync_request_must_be_a_json_object_with_a_workspace() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let missing = api.send_json(Method::POST, SYNC, &key, &json!({})).await;
    expect_error(missing, StatusCode::BAD_REQUEST, "missing_field").await;
    let extra = api
        .send_json(
            Method::POST,
            SYNC,
            &key,
            &json!({"workspace_id": WS, "force": true}),
        )
        .await;
    expect_error(extra, StatusCode::BAD_REQUEST, "unknown_field").await;
    let page = api
        .store
        .list_jobs(&user(WS), 100, None)
        .await
        .expect("listed");
    assert!(page.items.is_empty(), "refused requests queue nothing");
}
