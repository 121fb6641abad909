//! The error answers: unknown routes (404), wrong methods (405), bodies that are too large (413),
//! not JSON (415) or malformed (400), an unreachable database (503), and a 500 that shows nothing.

use chrono::Utc;
use pulse_domain::ports::ConnectionRepository;
use pulse_domain::{NewConnection, Secret};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{DatabaseKind, Settings, TestApi, expect_error, user};

const CONFIG: &str = "/api/logos-vision/auto-sync/config";
const ADMIN: &str = "pulse_admin_key_for_error_tests_0123456789";

#[tokio::test]
async fn unknown_routes_answer_404_json() {
    let api = TestApi::start().await;
    let key = api.admin_key().await;
    for path in [
        "/nope",
        "/api/logos-vision/nope",
        "/api/logos-vision/google-contacts/sync/jobs/a/b",
        "/",
    ] {
        let response = api.get(path, &key).await;
        expect_error(response, StatusCode::NOT_FOUND, "route_not_found").await;
    }
}

#[tokio::test]
async fn wrong_methods_answer_405_with_allow() {
    let api = TestApi::start().await;
    let key = api.admin_key().await;
    let cases = [
        (Method::DELETE, CONFIG, "GET, PUT"),
        (
            Method::GET,
            "/api/logos-vision/google-contacts/sync",
            "POST",
        ),
        (
            Method::PATCH,
            "/api/logos-vision/google/connection?workspace_id=w",
            "DELETE",
        ),
        (Method::POST, "/healthz", "GET"),
        (Method::PUT, "/openapi.json", "GET"),
    ];
    for (method, path, allowed) in cases {
        let response = api
            .request(method.clone(), path, Some(&key))
            .send()
            .await
            .expect("answer");
        assert_eq!(response.headers()["allow"], allowed, "{method} {path}");
        expect_error(
            response,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        )
        .await;
    }
}

#[tokio::test]
async fn bodies_over_64_kib_answer_413() {
    let api = TestApi::start().await;
    let key = api.admin_key().await;
    let padding = "x".repeat(70 * 1024);
    let body = format!(r#"{{"workspace_id":"w","enabled":true,"padding":"{padding}"}}"#);
    let response = api
        .request(Method::PUT, CONFIG, Some(&key))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("answer");
    expect_error(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;

    let just_under = format!(
        r#"{{"workspace_id":"w","enabled":true,"padding":"{}"}}"#,
        "x".repeat(60 * 1024)
    );
    let response = api
        .request(Method::PUT, CONFIG, Some(&key))
        .header("content-type", "application/json")
        .body(just_under)
        .send()
        .await
        .expect("answer");
    expect_error(response, StatusCode::BAD_REQUEST, "unknown_field").await;
}

#[tokio::test]
async fn bodies_that_are_not_json_answer_415() {
    let api = TestApi::start().await;
    let key = api.admin_key().await;
    let body = r#"{"workspace_id":"w","enabled":true}"#;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut request = api.request(Method::PUT, CONFIG, Some(&key)).body(body);
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        let response = request.send().await.expect("answer");
        expect_error(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        )
        .await;
    }
    let response = api
        .request(Method::PUT, CONFIG, Some(&key))
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a charset parameter is fine"
    );
}

#[tokio::test]
async fn malformed_json_answers_400() {
    let api = TestApi::start().await;
    let key = api.admin_key().await;
    let nested = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    let bodies: Vec<Vec<u8>> = vec![
        b"{".to_vec(),
        b"".to_vec(),
        br#"{"workspace_id":"w","enabled":true} trailing"#.to_vec(),
        [
            &br#"{"workspace_id":"w"#[..],
            &[0xff, 0xfe],
            &br#"","enabled":true}"#[..],
        ]
        .concat(),
        br#"{'workspace_id':'w'}"#.to_vec(),
    ];
    for body in bodies {
        let response = api
            .request(Method::PUT, CONFIG, Some(&key))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("answer");
        let status = response.status();
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}",
            String::from_utf8_lossy(&body)
        );
        let error = expect_error(response, status, "invalid_json").await;
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("the body is")),
            "{error}"
        );
    }
    for body in [nested.clone(), format!(r#"{{"workspace_id":{nested}}}"#)] {
        let response = api
            .request(Method::PUT, CONFIG, Some(&key))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("answer");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "deep nesting is refused, not a crash"
        );
    }
}

#[tokio::test]
async fn an_unreachable_database_answers_503_json() {
    let api = TestApi::start_with(Settings {
        database: DatabaseKind::Unreachable,
        admin_key: Some(ADMIN.to_owned()),
        ..Settings::default()
    })
    .await;
    let response = api.get(&format!("{CONFIG}?workspace_id=w"), ADMIN).await;
    assert!(response.headers().contains_key("retry-after"));
    let error = expect_error(
        response,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.starts_with("the database is unavailable; retry later (error id "),
        "{message}"
    );
    let error_id = error["error_id"].as_str().expect("an error_id");
    assert!(
        message.ends_with(&format!("(error id {error_id})")),
        "{message} names {error_id}"
    );
    let stored_key = api
        .get(&format!("{CONFIG}?workspace_id=w"), "pulse_some_stored_key")
        .await;
    expect_error(
        stored_key,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
    let sync = api
        .send_json(
            Method::POST,
            "/api/logos-vision/google-contacts/sync",
            ADMIN,
            &json!({"workspace_id": "w"}),
        )
        .await;
    expect_error(
        sync,
        StatusCode::SERVICE_UNAVAILABLE,
        "database_unavailable",
    )
    .await;
}

#[tokio::test]
async fn the_settings_load_even_when_the_grant_cannot_be_decrypted() {
    let api = TestApi::start().await;
    let key = api.workspace_key("ws-sealed").await;
    let database = api.database.as_ref().expect("a database");
    let store_with_another_key = database.store();
    let connection = NewConnection {
        user_id: user("ws-sealed"),
        google_account_id: None,
        google_email: None,
        refresh_token: Secret::new("sealed-with-another-key"),
        access_token_expires_at: None,
        scopes: vec![],
    };
    store_with_another_key
        .save_connection(&connection, Utc::now())
        .await
        .expect("saved");
    let response = api
        .get(&format!("{CONFIG}?workspace_id=ws-sealed"), &key)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["connection"], json!("connected"));
    assert!(!body.to_string().contains("sealed-with-another-key"));
}
