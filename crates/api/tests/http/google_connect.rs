//! The Google connect round trip against the fake Google: connect, consent, callback (grant stored,
//! auto-sync unpaused, redirect to `return_to`), single-use and expiring states, refused consents,
//! refused `return_to` origins, and disconnecting (tokens forgotten, grant revoked).

use std::time::Duration;

use chrono::Utc;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{CONTACTS_READONLY_SCOPE, MAX_PENDING_CONSENTS_PER_WORKSPACE};
use pulse_domain::ports::{ConfigRepository, ConnectionRepository};
use pulse_domain::ports::{ContactListing, ContactsSource, ListingMode, SourceError};
use pulse_domain::{AutoSyncConfig, ConnectionStatus, PausedReason, Secret};
use pulse_google::fake::{AuthorizeMode, FakeEndpoint};
use pulse_storage::schema::{google_connections, oauth_pending_authorizations};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use url::Url;

use crate::support::{CALLBACK_PATH, Settings, TestApi, expect_error, json, user};

const WS: &str = "ws-google";
const CONNECT: &str = "/api/logos-vision/google/connect";
const CRM_ORIGIN: &str = "http://crm.localhost:5176";

fn config_path() -> String {
    format!("/api/logos-vision/auto-sync/config?workspace_id={WS}")
}

async fn start_connect(api: &TestApi, key: &str, return_to: Option<&str>) -> String {
    let mut body = json!({"workspace_id": WS});
    if let Some(return_to) = return_to {
        body["return_to"] = json!(return_to);
    }
    let response = api.send_json(Method::POST, CONNECT, key, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = json(response).await;
    body["authorization_url"]
        .as_str()
        .expect("a consent URL")
        .to_owned()
}

/// Opens the consent URL at the fake Google; returns where it sends the browser back.
async fn consent(api: &TestApi, authorization_url: &str) -> Url {
    assert!(
        authorization_url.starts_with(&api.google.auth_url()),
        "{authorization_url}"
    );
    let response = api
        .http
        .get(authorization_url)
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(response.status(), StatusCode::FOUND);
    let back = location(&response);
    assert_eq!(back.path(), CALLBACK_PATH);
    assert_eq!(back.origin().ascii_serialization(), api.base);
    back
}

async fn follow(api: &TestApi, url: &Url) -> Response {
    api.http
        .get(url.as_str())
        .send()
        .await
        .expect("the callback answers")
}

const CONFIRM: &str = "/api/logos-vision/google/callback/confirm";

/// Follows an unbound consent's callback to its confirmation page; returns the page's HTML after
/// checking it cannot be framed, loads nothing and is not cached.
async fn confirmation_page(api: &TestApi, url: &Url) -> String {
    let response = follow(api, url).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| response.headers()[name].to_str().expect("ascii").to_owned();
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("cache-control"), "no-store");
    let policy = header("content-security-policy");
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(policy.contains("default-src 'none'"), "{policy}");
    response.text().await.expect("a page")
}

/// The one-time token the page's form posts.
fn token_in(page: &str) -> String {
    let marker = "name=\"token\" value=\"";
    let start = page.find(marker).expect("a token field") + marker.len();
    let length = page[start..].find('"').expect("a closed value");
    page[start..start + length].to_owned()
}

/// Presses a button of the confirmation page.
async fn press(api: &TestApi, token: &str, decision: &str) -> Response {
    api.http
        .post(format!("{}{CONFIRM}", api.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("token={token}&decision={decision}"))
        .send()
        .await
        .expect("the confirmation answers")
}

/// Follows an unbound consent's callback and confirms on its page.
async fn follow_and_confirm(api: &TestApi, url: &Url) -> Response {
    let page = confirmation_page(api, url).await;
    press(api, &token_in(&page), "connect").await
}

fn location(response: &Response) -> Url {
    let raw = response.headers()["location"].to_str().expect("ascii");
    Url::parse(raw).expect("an absolute Location")
}

fn query_of(url: &Url) -> Vec<(String, String)> {
    url.query_pairs()
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn pair(name: &str, value: &str) -> (String, String) {
    (name.to_owned(), value.to_owned())
}

async fn pause_for_reauth(api: &TestApi) {
    let now = Utc::now();
    api.store
        .modify_config(&user(WS), chrono::Utc::now(), |_| {
            let mut config = AutoSyncConfig::defaults(user(WS));
            config.enabled = true;
            config.paused_reason = Some(PausedReason::GoogleReauthRequired);
            config.last_error = Some("Google access was revoked".to_owned());
            config.created_at = Some(now);
            config.updated_at = Some(now);
            Some(config)
        })
        .await
        .expect("stored");
}

#[tokio::test]
async fn the_connect_round_trip_stores_the_grant_unpauses_and_redirects() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    pause_for_reauth(&api).await;
    let return_to = format!("{}/settings?tab=contacts", api.base);
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let consent_url = Url::parse(&authorization_url).expect("a URL");
    let consent_query = query_of(&consent_url);
    assert!(consent_query.contains(&pair("code_challenge_method", "S256")));
    assert!(
        !consent_query
            .iter()
            .any(|(name, _)| name == "code_verifier")
    );

    let callback = consent(&api, &authorization_url).await;
    let response = follow_and_confirm(&api, &callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        api.google.total_requests(FakeEndpoint::Token),
        1,
        "one code exchange"
    );
    let back = location(&response);
    assert_eq!(back.path(), "/settings");
    assert_eq!(
        query_of(&back),
        vec![pair("tab", "contacts"), pair("google", "connected")]
    );

    let connection = api
        .store
        .find_connection(&user(WS))
        .await
        .expect("read")
        .expect("a connection");
    assert_eq!(connection.status, ConnectionStatus::Connected);
    let refresh_token = connection.refresh_token.expect("a refresh token");
    assert!(!back.as_str().contains(refresh_token.expose()));
    assert!(
        lists_contacts(&api, &refresh_token).await.is_ok(),
        "the stored grant works"
    );
    let sealed = sealed_refresh_token(&api).await;
    let plain = refresh_token.expose().as_bytes();
    assert!(sealed.len() >= plain.len(), "a ciphertext is stored");
    assert!(
        !sealed.windows(plain.len()).any(|window| window == plain),
        "the refresh token is stored only encrypted"
    );

    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "connected");
    assert_eq!(config["paused_reason"], Value::Null);
    assert_eq!(config["enabled"], true);
    assert_eq!(config["next_sync_in"], "in 24 hours");

    let token_calls = api.google.total_requests(FakeEndpoint::Token);
    let reused = follow(&api, &callback).await;
    let error = expect_error(reused, StatusCode::BAD_REQUEST, "invalid_state").await;
    assert_eq!(error["field"], "state");
    assert_eq!(
        api.google.total_requests(FakeEndpoint::Token),
        token_calls,
        "a reused state exchanges nothing"
    );
}

/// Lists the seed account's first page with `refresh_token` through a fresh Google client.
async fn lists_contacts(api: &TestApi, refresh_token: &Secret) -> Result<(), SourceError> {
    let client = api.google_client();
    let mut listing = client.open_listing(&user(WS), refresh_token, ListingMode::Full);
    let page = listing.next_page().await?.expect("a first page");
    assert!(!page.people.is_empty());
    Ok(())
}

/// The raw `refresh_token_ciphertext` column of the workspace's connection.
async fn sealed_refresh_token(api: &TestApi) -> Vec<u8> {
    let database = api.database.as_ref().expect("a database");
    let mut connection = database.connect().await;
    let sealed: Option<Vec<u8>> = google_connections::table
        .filter(google_connections::user_id.eq(WS))
        .select(google_connections::refresh_token_ciphertext)
        .first(&mut connection)
        .await
        .expect("the connection row");
    sealed.expect("a sealed refresh token")
}

#[tokio::test]
async fn connecting_a_config_that_is_not_paused_leaves_it_alone() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    let response = follow_and_confirm(&api, &callback).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "no return_to: a JSON answer"
    );
    assert_eq!(json(response).await, json!({"status": "connected"}));
    assert_eq!(api.store.find_config(&user(WS)).await.expect("read"), None);
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "connected");
    assert_eq!(config["enabled"], false);
}

#[tokio::test]
async fn a_refused_consent_redirects_with_the_reason_and_stores_nothing() {
    let api = TestApi::start_with(Settings {
        cors_origins: vec![CRM_ORIGIN.to_owned()],
        ..Settings::default()
    })
    .await;
    let key = api.workspace_key(WS).await;
    api.google.set_authorize_mode(AuthorizeMode::Deny);
    let return_to = format!("{CRM_ORIGIN}/contacts");
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let callback = consent(&api, &authorization_url).await;
    assert!(query_of(&callback).contains(&pair("error", "access_denied")));
    let response = follow(&api, &callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let back = location(&response);
    assert_eq!(back.origin().ascii_serialization(), CRM_ORIGIN);
    assert_eq!(
        query_of(&back),
        vec![pair("google", "error"), pair("reason", "access_denied")]
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
    assert_eq!(api.google.total_requests(FakeEndpoint::Token), 0);
}

#[tokio::test]
async fn a_refused_consent_without_return_to_answers_json() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    api.google.set_authorize_mode(AuthorizeMode::Deny);
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    let response = follow(&api, &callback).await;
    expect_error(response, StatusCode::BAD_REQUEST, "google_connect_failed").await;
}

#[tokio::test]
async fn a_forged_code_is_refused_and_spends_the_state() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let return_to = format!("{}/", api.base);
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let mut callback = consent(&api, &authorization_url).await;
    let forged: Vec<(String, String)> = query_of(&callback)
        .into_iter()
        .map(|(name, value)| {
            if name == "code" {
                (name, "forged-code".to_owned())
            } else {
                (name, value)
            }
        })
        .collect();
    callback.query_pairs_mut().clear().extend_pairs(forged);
    let response = follow(&api, &callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_of(&location(&response)),
        vec![pair("google", "error"), pair("reason", "exchange_failed")]
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
    let again = follow(&api, &callback).await;
    expect_error(again, StatusCode::BAD_REQUEST, "invalid_state").await;
}

#[tokio::test]
async fn unknown_missing_and_expired_states_are_refused() {
    let api = TestApi::start_with(Settings {
        oauth_state_ttl: Duration::ZERO,
        ..Settings::default()
    })
    .await;
    for query in [
        "",
        "?code=abc",
        "?state=never-issued&code=abc",
        "?state=%00&code=abc",
    ] {
        let response = api
            .http
            .get(api.url(&format!("{CALLBACK_PATH}{query}")))
            .send()
            .await
            .expect("answer");
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_state").await;
    }
    let key = api.workspace_key(WS).await;
    let authorization_url = start_connect(&api, &key, Some(&format!("{}/", api.base))).await;
    let callback = consent(&api, &authorization_url).await;
    let expired = follow(&api, &callback).await;
    expect_error(expired, StatusCode::BAD_REQUEST, "invalid_state").await;
    assert_eq!(api.google.total_requests(FakeEndpoint::Token), 0);
}

#[tokio::test]
async fn return_to_must_be_on_an_allowed_origin() {
    let api = TestApi::start_with(Settings {
        cors_origins: vec![CRM_ORIGIN.to_owned()],
        ..Settings::default()
    })
    .await;
    let key = api.workspace_key(WS).await;
    for allowed in [
        format!("{}/x", api.base),
        format!("{CRM_ORIGIN}/contacts?x=1"),
    ] {
        start_connect(&api, &key, Some(&allowed)).await;
    }
    for refused in [
        "https://evil.example.com/",
        "http://crm.localhost:5177/",
        "https://crm.localhost:5176/",
        "javascript:alert(1)",
        "/relative/path",
        "http://user:pw@crm.localhost:5176/",
    ] {
        let response = api
            .send_json(
                Method::POST,
                CONNECT,
                &key,
                &json!({"workspace_id": WS, "return_to": refused}),
            )
            .await;
        let error = expect_error(response, StatusCode::BAD_REQUEST, "invalid_return_to").await;
        assert_eq!(error["field"], "return_to", "{refused}");
    }
    assert_eq!(api.google.total_requests(FakeEndpoint::Authorize), 0);
}

#[tokio::test]
async fn disconnecting_forgets_the_tokens_and_revokes_the_grant() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    assert_eq!(
        follow_and_confirm(&api, &callback).await.status(),
        StatusCode::OK
    );
    let refresh_token = api
        .store
        .find_connection(&user(WS))
        .await
        .expect("read")
        .and_then(|connection| connection.refresh_token)
        .expect("a refresh token");
    let path = format!("/api/logos-vision/google/connection?workspace_id={WS}");
    let response = api
        .request(Method::DELETE, &path, Some(&key))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(api.google.total_requests(FakeEndpoint::Revoke), 1);
    let refused = lists_contacts(&api, &refresh_token)
        .await
        .expect_err("the grant is revoked");
    assert!(refused.is_reauth(), "{refused}");
    let connection = api.store.find_connection(&user(WS)).await.expect("read");
    assert!(
        connection
            .is_none_or(|c| c.refresh_token.is_none() && c.status == ConnectionStatus::Revoked)
    );
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "not_connected");

    let again = api
        .request(Method::DELETE, &path, Some(&key))
        .send()
        .await
        .expect("answer");
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "disconnecting twice is fine"
    );
    assert_eq!(
        api.google.total_requests(FakeEndpoint::Revoke),
        1,
        "nothing left to revoke"
    );
}

#[tokio::test]
async fn a_workspace_keeps_only_its_newest_pending_consents() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let other_key = api.workspace_key("ws-other").await;
    let other = api
        .send_json(
            Method::POST,
            CONNECT,
            &other_key,
            &json!({"workspace_id": "ws-other"}),
        )
        .await;
    assert_eq!(other.status(), StatusCode::OK);
    let mut urls = Vec::new();
    for _ in 0..25 {
        urls.push(start_connect(&api, &key, None).await);
    }
    let database = api.database.as_ref().expect("a database");
    let mut connection = database.connect().await;
    let count = |workspace: &'static str| {
        oauth_pending_authorizations::table
            .filter(oauth_pending_authorizations::user_id.eq(workspace))
            .count()
    };
    let kept: i64 = count(WS)
        .get_result(&mut connection)
        .await
        .expect("a count");
    assert_eq!(kept, MAX_PENDING_CONSENTS_PER_WORKSPACE);
    let others: i64 = count("ws-other")
        .get_result(&mut connection)
        .await
        .expect("a count");
    assert_eq!(others, 1, "another workspace's consent is not dropped");
    // The newest consent still completes; the oldest was dropped.
    let newest = consent(&api, urls.last().expect("a consent")).await;
    let oldest = consent(&api, &urls[0]).await;
    assert_eq!(follow(&api, &newest).await.status(), StatusCode::OK);
    expect_error(
        follow(&api, &oldest).await,
        StatusCode::BAD_REQUEST,
        "invalid_state",
    )
    .await;
}

#[tokio::test]
async fn a_consent_without_the_contacts_scope_connects_nothing_and_says_what_to_tick() {
    let api = TestApi::start_with(Settings {
        cors_origins: vec![CRM_ORIGIN.to_owned()],
        ..Settings::default()
    })
    .await;
    let key = api.workspace_key(WS).await;
    pause_for_reauth(&api).await;
    let unticked = AuthorizeMode::ConsentWithout {
        account: "partial@example.com".to_owned(),
        unticked: vec![CONTACTS_READONLY_SCOPE.to_owned()],
    };
    api.google.set_authorize_mode(unticked);
    let return_to = format!("{CRM_ORIGIN}/contacts");
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let callback = consent(&api, &authorization_url).await;
    let response = follow(&api, &callback).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_of(&location(&response)),
        vec![
            pair("google", "error"),
            pair("reason", "missing_contacts_scope")
        ]
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None,
        "nothing is connected"
    );
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(
        config["paused_reason"], "google_reauth_required",
        "still paused"
    );
    assert_eq!(
        api.google.total_requests(FakeEndpoint::Revoke),
        1,
        "the partial grant is revoked"
    );

    let without_return_to = start_connect(&api, &key, None).await;
    let callback = consent(&api, &without_return_to).await;
    let error = expect_error(
        follow(&api, &callback).await,
        StatusCode::BAD_REQUEST,
        "google_connect_failed",
    )
    .await;
    let message = error["message"].as_str().expect("a message");
    assert!(
        message.contains("See and download your contacts"),
        "{message}"
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
}

/// Starts a browser-bound consent; returns the consent URL and the cookie the answer set.
async fn start_bound_connect(
    api: &TestApi,
    key: &str,
    return_to: Option<&str>,
) -> (String, String) {
    let mut body = json!({"workspace_id": WS, "bind_browser": true});
    if let Some(return_to) = return_to {
        body["return_to"] = json!(return_to);
    }
    let response = api.send_json(Method::POST, CONNECT, key, &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .to_owned();
    for attribute in [
        "HttpOnly",
        "SameSite=Lax",
        "Path=/api/logos-vision/google/callback",
    ] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    let cookie = set_cookie.split(';').next().expect("name=value").to_owned();
    let body = json(response).await;
    let url = body["authorization_url"]
        .as_str()
        .expect("a consent URL")
        .to_owned();
    (url, cookie)
}

async fn follow_with_cookie(api: &TestApi, url: &Url, cookie: Option<&str>) -> Response {
    let mut request = api.http.get(url.as_str());
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    request.send().await.expect("the callback answers")
}

#[tokio::test]
async fn a_browser_bound_consent_completes_only_in_the_browser_that_started_it() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let return_to = format!("{}/", api.base);

    // Someone else's browser: no cookie, and another jar's cookie of the same name.
    let (url, cookie) = start_bound_connect(&api, &key, Some(&return_to)).await;
    let (_, other_jar) = start_bound_connect(&api, &key, Some(&return_to)).await;
    assert_ne!(cookie, other_jar);
    let callback = consent(&api, &url).await;
    let refused = follow_with_cookie(&api, &callback, Some(&other_jar)).await;
    assert_eq!(refused.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_of(&location(&refused)),
        vec![pair("google", "error"), pair("reason", "other_browser")]
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
    assert_eq!(
        api.google.total_requests(FakeEndpoint::Token),
        0,
        "no code is exchanged"
    );

    let (url, _) = start_bound_connect(&api, &key, None).await;
    let callback = consent(&api, &url).await;
    let error = expect_error(
        follow_with_cookie(&api, &callback, None).await,
        StatusCode::BAD_REQUEST,
        "google_connect_failed",
    )
    .await;
    assert_eq!(
        error["message"],
        "this sign-in was started in another browser; start connecting again from this one"
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );

    // The browser that started it.
    let (url, cookie) = start_bound_connect(&api, &key, Some(&return_to)).await;
    let callback = consent(&api, &url).await;
    let connected = follow_with_cookie(&api, &callback, Some(&cookie)).await;
    assert_eq!(connected.status(), StatusCode::SEE_OTHER);
    assert!(query_of(&location(&connected)).contains(&pair("google", "connected")));
    assert!(
        api.store
            .find_connection(&user(WS))
            .await
            .expect("read")
            .is_some()
    );
}

#[tokio::test]
async fn the_config_names_the_google_account_that_connected() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let before = json(api.get(&config_path(), &key).await).await;
    assert_eq!(before["connection_email"], Value::Null);

    api.google.set_authorize_mode(AuthorizeMode::Consent {
        account: "alice@example.com".to_owned(),
    });
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    assert_eq!(
        follow_and_confirm(&api, &callback).await.status(),
        StatusCode::OK
    );
    assert_eq!(api.google.total_requests(FakeEndpoint::Profile), 1);
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "connected");
    assert_eq!(config["connection_email"], "alice@example.com");

    // Reconnecting as another account names that one; disconnecting names none.
    api.google.set_authorize_mode(AuthorizeMode::Consent {
        account: "bob@example.com".to_owned(),
    });
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    assert_eq!(
        follow_and_confirm(&api, &callback).await.status(),
        StatusCode::OK
    );
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection_email"], "bob@example.com");

    let path = format!("/api/logos-vision/google/connection?workspace_id={WS}");
    let disconnected = api
        .request(Method::DELETE, &path, Some(&key))
        .send()
        .await
        .expect("answer");
    assert_eq!(disconnected.status(), StatusCode::NO_CONTENT);
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "not_connected");
    assert_eq!(config["connection_email"], Value::Null);
}

#[tokio::test]
async fn a_grant_without_the_email_scope_connects_and_names_no_account() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    api.google
        .set_authorize_mode(AuthorizeMode::ConsentWithout {
            account: "carol@example.com".to_owned(),
            unticked: vec![pulse_google::ACCOUNT_EMAIL_SCOPE.to_owned()],
        });
    let authorization_url = start_connect(&api, &key, None).await;
    let callback = consent(&api, &authorization_url).await;
    assert_eq!(
        follow_and_confirm(&api, &callback).await.status(),
        StatusCode::OK
    );
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(config["connection"], "connected");
    assert_eq!(config["connection_email"], Value::Null);
}

#[tokio::test]
async fn an_unbound_consent_connects_only_when_its_page_is_confirmed_once() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    api.google.set_authorize_mode(AuthorizeMode::Consent {
        account: "alice@example.com".to_owned(),
    });
    let return_to = format!("{}/settings", api.base);
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let callback = consent(&api, &authorization_url).await;

    let page = confirmation_page(&api, &callback).await;
    assert!(page.contains(WS), "the page names the workspace: {page}");
    assert!(
        page.contains("alice@example.com"),
        "the page names the account: {page}"
    );
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None,
        "the callback alone connects nothing"
    );

    let wrong = press(&api, &"0".repeat(64), "connect").await;
    expect_error(wrong, StatusCode::BAD_REQUEST, "invalid_confirmation").await;
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None,
        "a wrong token connects nothing"
    );

    let token = token_in(&page);
    let confirmed = press(&api, &token, "connect").await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_of(&location(&confirmed)),
        vec![pair("google", "connected")]
    );
    let connection = api
        .store
        .find_connection(&user(WS))
        .await
        .expect("read")
        .expect("connected on confirmation");
    assert_eq!(connection.status, ConnectionStatus::Connected);
    assert_eq!(
        connection.google_email.as_deref(),
        Some("alice@example.com")
    );
    assert!(
        connection.refresh_token.is_some(),
        "the held grant is stored"
    );

    // Disconnect, then replay the token: it was used, so nothing connects again.
    let path = format!("/api/logos-vision/google/connection?workspace_id={WS}");
    let disconnected = api
        .request(Method::DELETE, &path, Some(&key))
        .send()
        .await
        .expect("answer");
    assert_eq!(disconnected.status(), StatusCode::NO_CONTENT);
    let replayed = press(&api, &token, "connect").await;
    expect_error(replayed, StatusCode::BAD_REQUEST, "invalid_confirmation").await;
    let config = json(api.get(&config_path(), &key).await).await;
    assert_eq!(
        config["connection"], "not_connected",
        "a replay connects nothing"
    );
}

#[tokio::test]
async fn cancelling_the_confirmation_connects_nothing_and_revokes_the_grant() {
    let api = TestApi::start().await;
    let key = api.workspace_key(WS).await;
    let return_to = format!("{}/settings", api.base);
    let authorization_url = start_connect(&api, &key, Some(&return_to)).await;
    let callback = consent(&api, &authorization_url).await;
    let token = token_in(&confirmation_page(&api, &callback).await);

    let cancelled = press(&api, &token, "cancel").await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        query_of(&location(&cancelled)),
        vec![pair("google", "error"), pair("reason", "cancelled")]
    );
    assert_eq!(api.google.total_requests(FakeEndpoint::Revoke), 1);
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
    let after = press(&api, &token, "connect").await;
    expect_error(after, StatusCode::BAD_REQUEST, "invalid_confirmation").await;
    assert_eq!(
        api.store.find_connection(&user(WS)).await.expect("read"),
        None
    );
}
