//! The auth matrix over every `/api` route (no key, wrong key, malformed key, revoked key, another
//! workspace's key, the workspace's key, a stored admin key, `PULSE_ADMIN_API_KEY`), the two
//! headers, and the per-address limit on failed attempts.

use std::time::Duration;

use chrono::Utc;
use pulse_api::AuthFailureLimit;
use pulse_domain::ports::{ApiKeyRepository, ConfigRepository};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::support::{Settings, TestApi, expect_error, user};

const OWNER: &str = "ws-owner";
const OTHER: &str = "ws-other";
const ENV_ADMIN_KEY: &str = "pulse_env_admin_key_for_tests_0123456789";

/// One route of the API, called for `OWNER`.
struct Route {
    method: Method,
    path: String,
    body: Option<Value>,
    /// The status the owner's key gets.
    success: StatusCode,
    /// Whether another workspace's key gets 404 (no workspace in the request) instead of 403.
    hidden_from_others: bool,
}

/// Every `/api` route, for `OWNER` (the job route names one of the owner's finished jobs).
async fn routes(api: &TestApi) -> Vec<Route> {
    let job = api.finished_job(OWNER).await;
    let workspace = json!({"workspace_id": OWNER});
    vec![
        Route {
            method: Method::GET,
            path: format!("/api/logos-vision/auto-sync/config?workspace_id={OWNER}"),
            body: None,
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::PUT,
            path: "/api/logos-vision/auto-sync/config".to_owned(),
            body: Some(json!({"workspace_id": OWNER, "enabled": false})),
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::POST,
            path: "/api/logos-vision/google-contacts/sync".to_owned(),
            body: Some(workspace.clone()),
            success: StatusCode::ACCEPTED,
            hidden_from_others: false,
        },
        Route {
            method: Method::GET,
            path: format!("/api/logos-vision/google-contacts/sync/jobs?workspace_id={OWNER}"),
            body: None,
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::GET,
            path: format!("/api/logos-vision/google-contacts/sync/jobs/{}", job.id),
            body: None,
            success: StatusCode::OK,
            hidden_from_others: true,
        },
        Route {
            method: Method::GET,
            path: format!("/api/logos-vision/google-contacts/profiles?workspace_id={OWNER}"),
            body: None,
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::GET,
            path: format!(
                "/api/logos-vision/google-contacts/profiles/changes?workspace_id={OWNER}"
            ),
            body: None,
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::POST,
            path: "/api/logos-vision/google/connect".to_owned(),
            body: Some(workspace),
            success: StatusCode::OK,
            hidden_from_others: false,
        },
        Route {
            method: Method::DELETE,
            path: format!("/api/logos-vision/google/connection?workspace_id={OWNER}"),
            body: None,
            success: StatusCode::NO_CONTENT,
            hidden_from_others: false,
        },
    ]
}

/// How a request presents its key.
#[derive(Clone, Copy)]
enum Credential<'a> {
    None,
    Bearer(&'a str),
    ApiKeyHeader(&'a str),
    RawAuthorization(&'a str),
}

async fn call(api: &TestApi, route: &Route, credential: Credential<'_>) -> Response {
    let mut request = api.http.request(route.method.clone(), api.url(&route.path));
    request = match credential {
        Credential::None => request,
        Credential::Bearer(key) => request.bearer_auth(key),
        Credential::ApiKeyHeader(key) => request.header("X-API-Key", key),
        Credential::RawAuthorization(value) => request.header("Authorization", value),
    };
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    request.send().await.expect("the request is answered")
}

fn is_authorized(status: StatusCode) -> bool {
    ![
        StatusCode::UNAUTHORIZED,
        StatusCode::FORBIDDEN,
        StatusCode::TOO_MANY_REQUESTS,
    ]
    .contains(&status)
}

fn admin_settings() -> Settings {
    Settings {
        admin_key: Some(ENV_ADMIN_KEY.to_owned()),
        ..Settings::default()
    }
}

#[tokio::test]
async fn without_a_key_every_route_answers_401() {
    let api = TestApi::start().await;
    for route in routes(&api).await {
        let response = call(&api, &route, Credential::None).await;
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .map(|v| v.as_bytes()),
            Some(&b"Bearer"[..])
        );
        expect_error(response, StatusCode::UNAUTHORIZED, "missing_api_key").await;
    }
}

#[tokio::test]
async fn unknown_and_malformed_keys_answer_401_on_every_route() {
    let api = TestApi::start_with(admin_settings()).await;
    let unknown = format!("pulse_{}", "0".repeat(64));
    let near_admin = format!("{ENV_ADMIN_KEY}x");
    for route in routes(&api).await {
        for credential in [
            Credential::Bearer(&unknown),
            Credential::ApiKeyHeader(&unknown),
            Credential::Bearer(&near_admin),
            Credential::RawAuthorization("Basic dXNlcjpwYXNz"),
            Credential::RawAuthorization("Bearer"),
            Credential::RawAuthorization("Bearer two words"),
        ] {
            let response = call(&api, &route, credential).await;
            expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
        }
    }
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let api = TestApi::start().await;
    let scope = pulse_domain::ports::ApiKeyScope::Workspace(user(OWNER));
    let (key, id) = api.key_with_scope(&scope).await;
    let routes = routes(&api).await;
    let before = call(&api, &routes[0], Credential::Bearer(&key)).await;
    assert_eq!(before.status(), StatusCode::OK);
    assert!(api.store.revoke_key(id, Utc::now()).await.expect("revoked"));
    for route in &routes {
        let response = call(&api, route, Credential::Bearer(&key)).await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
    }
}

#[tokio::test]
async fn another_workspace_key_is_forbidden_and_changes_nothing() {
    let api = TestApi::start().await;
    let other_key = api.workspace_key(OTHER).await;
    for route in routes(&api).await {
        let response = call(&api, &route, Credential::Bearer(&other_key)).await;
        if route.hidden_from_others {
            expect_error(response, StatusCode::NOT_FOUND, "job_not_found").await;
        } else {
            expect_error(response, StatusCode::FORBIDDEN, "forbidden_workspace").await;
        }
    }
    let config = api.store.find_config(&user(OWNER)).await.expect("read");
    assert_eq!(config, None, "the other workspace's PUT must not write");
    let jobs = api
        .get(
            &format!("/api/logos-vision/google-contacts/sync/jobs?workspace_id={OWNER}"),
            &api.workspace_key(OWNER).await,
        )
        .await;
    let jobs: Value = jobs.json().await.expect("json");
    assert_eq!(
        jobs["items"].as_array().map(Vec::len),
        Some(1),
        "only the finished job: the other workspace's POST queued nothing"
    );
}

#[tokio::test]
async fn the_workspace_key_reaches_every_route_with_either_header() {
    let api = TestApi::start().await;
    let key = api.workspace_key(OWNER).await;
    let routes = routes(&api).await;
    for route in &routes {
        let response = call(&api, route, Credential::Bearer(&key)).await;
        assert_eq!(
            response.status(),
            route.success,
            "{} {}",
            route.method,
            route.path
        );
    }
    for route in &routes {
        let response = call(&api, route, Credential::ApiKeyHeader(&key)).await;
        assert!(
            is_authorized(response.status()),
            "{} {}",
            route.method,
            route.path
        );
    }
}

#[tokio::test]
async fn admin_keys_reach_every_workspace() {
    let api = TestApi::start_with(admin_settings()).await;
    let stored_admin = api.admin_key().await;
    let routes = routes(&api).await;
    for credential in [
        Credential::Bearer(&stored_admin),
        Credential::Bearer(ENV_ADMIN_KEY),
        Credential::ApiKeyHeader(ENV_ADMIN_KEY),
    ] {
        for route in &routes {
            let response = call(&api, route, credential).await;
            assert!(
                is_authorized(response.status()),
                "{} {} answered {}",
                route.method,
                route.path,
                response.status()
            );
        }
    }
}

#[tokio::test]
async fn without_pulse_admin_api_key_its_value_is_just_an_unknown_key() {
    let api = TestApi::start().await;
    let routes = routes(&api).await;
    let response = call(&api, &routes[0], Credential::Bearer(ENV_ADMIN_KEY)).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
}

#[tokio::test]
async fn failed_attempts_are_limited_per_address() {
    let api = TestApi::start_with(Settings {
        auth_failures: AuthFailureLimit {
            max_failures: 3,
            window: Duration::from_secs(600),
        },
        ..Settings::default()
    })
    .await;
    let key = api.workspace_key(OWNER).await;
    let path = format!("/api/logos-vision/auto-sync/config?workspace_id={OWNER}");
    for _ in 0..5 {
        let response = api
            .request(Method::GET, &path, None)
            .send()
            .await
            .expect("answer");
        expect_error(response, StatusCode::UNAUTHORIZED, "missing_api_key").await;
    }
    assert_eq!(
        api.get(&path, &key).await.status(),
        StatusCode::OK,
        "no key is not a failure"
    );
    for _ in 0..3 {
        let response = api.get(&path, "pulse_guess").await;
        expect_error(response, StatusCode::UNAUTHORIZED, "invalid_api_key").await;
    }
    let limited = api.get(&path, "pulse_guess").await;
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    expect_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_auth_failures",
    )
    .await;
    assert_eq!(
        api.get(&path, &key).await.status(),
        StatusCode::OK,
        "a valid key is never refused because of failures from its address"
    );
    let public = api
        .http
        .get(api.url("/healthz"))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        public.status(),
        StatusCode::OK,
        "only /api routes are limited"
    );
}
