//! `/healthz`, `/readyz` (ready, migrations missing, database unreachable) and `/metrics`.

use reqwest::StatusCode;

use crate::support::{DatabaseKind, Settings, TestApi, expect_error, json};

#[tokio::test]
async fn healthz_answers_ok_without_a_key() {
    let api = TestApi::start().await;
    let response = api
        .http
        .get(api.url("/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["status"], "ok");
}

#[tokio::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let api = TestApi::start().await;
    let response = api
        .http
        .get(api.url("/readyz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json(response).await["status"], "ready");
}

#[tokio::test]
async fn readyz_is_not_ready_while_migrations_are_missing() {
    let api = TestApi::start_with(Settings {
        database: DatabaseKind::Unmigrated,
        ..Settings::default()
    })
    .await;
    let response = api
        .http
        .get(api.url("/readyz"))
        .send()
        .await
        .expect("answer");
    let error = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "not_ready").await;
    assert_eq!(error["message"], "the database migrations are not current");
}

#[tokio::test]
async fn readyz_is_not_ready_when_the_database_does_not_answer() {
    let api = TestApi::start_with(Settings {
        database: DatabaseKind::Unreachable,
        ..Settings::default()
    })
    .await;
    let response = api
        .http
        .get(api.url("/readyz"))
        .send()
        .await
        .expect("answer");
    let error = expect_error(response, StatusCode::SERVICE_UNAVAILABLE, "not_ready").await;
    assert_eq!(error["message"], "the database does not answer");
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_method_and_status() {
    let api = TestApi::start().await;
    let key = api.workspace_key("metrics-ws").await;
    let job = api.queue_job("metrics-ws").await;
    let job_path = format!("/api/logos-vision/google-contacts/sync/jobs/{}", job.id);
    assert_eq!(api.get(&job_path, &key).await.status(), StatusCode::OK);
    let unknown = api
        .http
        .get(api.url("/no/such/route/4711"))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let no_key = api
        .http
        .get(api.url("/api/logos-vision/auto-sync/config?workspace_id=metrics-ws"))
        .send()
        .await
        .expect("answer");
    assert_eq!(no_key.status(), StatusCode::UNAUTHORIZED);

    let response = api
        .http
        .get(api.url("/metrics"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.expect("text");
    for line_start in [
        "pulse_http_requests_total{route=\"/api/logos-vision/google-contacts/sync/jobs/{id}\",method=\"GET\",status=\"200\"}",
        "pulse_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}",
        "pulse_http_requests_total{route=\"/api/logos-vision/auto-sync/config\",method=\"GET\",status=\"401\"}",
        "pulse_http_request_duration_seconds_bucket{route=\"/api/logos-vision/google-contacts/sync/jobs/{id}\",method=\"GET\",le=",
    ] {
        assert!(
            text.lines().any(|line| line.starts_with(line_start)),
            "no line starting with {line_start} in:\n{text}"
        );
    }
    assert!(
        !text.contains(&job.id.to_string()),
        "raw ids must not become labels"
    );
    assert!(!text.contains("4711"), "raw paths must not become labels");
}
