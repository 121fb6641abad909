//! Every answer carries `X-Content-Type-Options: nosniff`; `Strict-Transport-Security` is sent
//! exactly when the server's public URL is https.

use reqwest::{Method, StatusCode};

use crate::support::{Settings, TestApi};

/// One request of every kind: public routes, an authenticated answer, 401, 404 and 405.
async fn answers(api: &TestApi) -> Vec<(String, reqwest::Response)> {
    let key = api.workspace_key("ws-headers").await;
    let mut answers = Vec::new();
    for (label, method, path, key) in [
        ("healthz", Method::GET, "/healthz", None),
        ("openapi", Method::GET, "/openapi.json", None),
        (
            "config",
            Method::GET,
            "/api/logos-vision/auto-sync/config?workspace_id=ws-headers",
            Some(key.as_str()),
        ),
        (
            "no key",
            Method::GET,
            "/api/logos-vision/auto-sync/config?workspace_id=ws-headers",
            None,
        ),
        ("unknown route", Method::GET, "/nowhere", None),
        ("wrong method", Method::DELETE, "/healthz", None),
        (
            "bad state",
            Method::GET,
            "/api/logos-vision/google/callback",
            None,
        ),
    ] {
        let response = api
            .request(method, path, key)
            .send()
            .await
            .expect("an answer");
        answers.push((label.to_owned(), response));
    }
    answers
}

#[tokio::test]
async fn every_answer_says_nosniff_and_plain_http_gets_no_hsts() {
    let api = TestApi::start().await;
    let answers = answers(&api).await;
    let statuses: Vec<StatusCode> = answers.iter().map(|(_, r)| r.status()).collect();
    for expected in [200, 401, 404, 405, 400] {
        assert!(
            statuses.iter().any(|status| status.as_u16() == expected),
            "a {expected} among {statuses:?}"
        );
    }
    for (label, response) in &answers {
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{label}"
        );
        assert!(
            !response.headers().contains_key("strict-transport-security"),
            "{label}"
        );
    }
}

#[tokio::test]
async fn an_https_public_url_adds_hsts_to_every_answer() {
    let api = TestApi::start_with(Settings {
        public_url: Some("https://sync.example.com".to_owned()),
        ..Settings::default()
    })
    .await;
    for (label, response) in answers(&api).await {
        assert_eq!(
            response.headers()["strict-transport-security"],
            "max-age=31536000",
            "{label}"
        );
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{label}"
        );
    }
}
