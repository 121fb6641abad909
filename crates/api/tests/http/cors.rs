//! CORS: the configured origins get CORS headers (also on errors) and preflight answers; other
//! origins, and every origin when none is configured, get none.

use reqwest::{Method, Response, StatusCode};

use crate::support::{Settings, TestApi};

const CRM: &str = "http://localhost:5176";
const EVIL: &str = "https://evil.example.com";
const CONFIG: &str = "/api/logos-vision/auto-sync/config?workspace_id=ws-cors";

async fn with_crm_allowed() -> TestApi {
    TestApi::start_with(Settings {
        cors_origins: vec![CRM.to_owned()],
        ..Settings::default()
    })
    .await
}

fn allow_origin(response: &Response) -> Option<String> {
    response
        .headers()
        .get("access-control-allow-origin")
        .map(|value| value.to_str().expect("ascii").to_owned())
}

async fn preflight(api: &TestApi, origin: &str) -> Response {
    api.http
        .request(Method::OPTIONS, api.url(CONFIG))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .expect("answer")
}

#[tokio::test]
async fn an_allowed_origin_gets_cors_headers_on_answers_and_errors() {
    let api = with_crm_allowed().await;
    let key = api.workspace_key("ws-cors").await;
    let ok = api
        .request(Method::GET, CONFIG, Some(&key))
        .header("Origin", CRM)
        .send()
        .await
        .expect("answer");
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(allow_origin(&ok).as_deref(), Some(CRM));
    let vary: Vec<&str> = ok
        .headers()
        .get_all("vary")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    assert!(vary.iter().any(|v| v.contains("Origin")), "{vary:?}");

    let unauthorized = api
        .request(Method::GET, CONFIG, None)
        .header("Origin", CRM)
        .send()
        .await
        .expect("answer");
    assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        allow_origin(&unauthorized).as_deref(),
        Some(CRM),
        "the page can read the error"
    );
}

#[tokio::test]
async fn an_allowed_origin_gets_a_preflight_answer() {
    let api = with_crm_allowed().await;
    let response = preflight(&api, CRM).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(allow_origin(&response).as_deref(), Some(CRM));
    let methods = response.headers()["access-control-allow-methods"]
        .to_str()
        .expect("ascii")
        .to_owned();
    assert!(
        methods.contains("PUT") && methods.contains("DELETE"),
        "{methods}"
    );
    let headers = response.headers()["access-control-allow-headers"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for header in ["authorization", "content-type", "x-api-key"] {
        assert!(headers.contains(header), "{headers}");
    }
}

#[tokio::test]
async fn other_origins_get_no_cors_headers() {
    let api = with_crm_allowed().await;
    let key = api.workspace_key("ws-cors").await;
    let response = api
        .request(Method::GET, CONFIG, Some(&key))
        .header("Origin", EVIL)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(allow_origin(&response), None);
    let refused = preflight(&api, EVIL).await;
    assert_eq!(allow_origin(&refused), None);
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-methods")
    );
    for near_miss in ["http://localhost:5177", "https://localhost:5176", "null"] {
        let response = preflight(&api, near_miss).await;
        assert_eq!(allow_origin(&response), None, "{near_miss}");
    }
}

#[tokio::test]
async fn no_origin_is_allowed_by_default() {
    let api = TestApi::start().await;
    let key = api.workspace_key("ws-cors").await;
    let response = api
        .request(Method::GET, CONFIG, Some(&key))
        .header("Origin", CRM)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(allow_origin(&response), None);
    assert_eq!(allow_origin(&preflight(&api, CRM).await), None);
}
