//! Connecting Google through the real server and the fake Google's consent page: a used,
//! expired or forged `state` is refused without touching the connection; `return_to` may only
//! point at the server's own origin or a configured CORS origin; the consent uses S256 PKCE and
//! the verifier never leaves the server (not in any answer, header, log line or readable row).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use reqwest::Url;
use serde_json::json;

use pulse_google::fake::AuthorizeMode;
use pulse_tests::{API, Answer, ApiClient, SecretSet, Tenants, is_documented_error};

const CRM_ORIGIN: &str = "http://crm.example.test:5176";

/// Follows an authorization URL at the fake's consent page; returns the callback URL it
/// redirects the browser to.
async fn consent(api: &ApiClient, authorization_url: &str) -> String {
    let answer = api
        .send(api.request(reqwest::Method::GET, authorization_url))
        .await
        .expect("the consent page answers");
    assert_eq!(answer.status, 302, "{}", answer.text);
    answer
        .header("location")
        .expect("a redirect back")
        .to_owned()
}

/// Starts a consent for `workspace` returning to `return_to`.
async fn connect(tenants: &Tenants, key: &str, workspace: &str, return_to: &str) -> Answer {
    tenants
        .api
        .post(
            &format!("{API}/google/connect"),
            Some(key),
            &json!({"workspace_id": workspace, "return_to": return_to}),
        )
        .await
}

fn query(url: &str) -> Vec<(String, String)> {
    Url::parse(url)
        .expect("an absolute URL")
        .query_pairs()
        .into_owned()
        .collect()
}

fn param(url: &str, name: &str) -> Option<String> {
    query(url)
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

async fn pending_states(tenants: &Tenants) -> i64 {
    pulse_tests::sql::count(
        &tenants.deployment.sql,
        "SELECT count(*) FROM oauth_pending_authorizations",
    )
    .await
}

async fn connection_row(tenants: &Tenants, workspace: &str) -> String {
    tenants
        .deployment
        .sql
        .query_one(
            "SELECT t::text FROM google_connections t WHERE user_id = $1",
            &[&workspace],
        )
        .await
        .map(|row| row.get(0))
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn states_are_single_use_and_short_lived_return_to_is_checked_and_pkce_stays_inside() {
    let tenants = Tenants::start("oauth", |config| {
        config.with("PULSE_CORS_ORIGINS", CRM_ORIGIN)
    })
    .await;
    let api = &tenants.api;
    let a = &tenants.a;
    let account = tenants.deployment.account_of(&a.workspace);
    tenants
        .deployment
        .google
        .set_authorize_mode(AuthorizeMode::Consent {
            account: account.clone(),
        });
    let return_to = format!("{CRM_ORIGIN}/settings?tab=google");

    // A full round trip.
    let started = connect(&tenants, &a.key, &a.workspace, &return_to).await;
    started.expect_status(200);
    let authorization_url = started.json["authorization_url"]
        .as_str()
        .expect("an authorization URL")
        .to_owned();
    assert_eq!(
        param(&authorization_url, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let state = param(&authorization_url, "state").expect("a state");
    let callback = consent(api, &authorization_url).await;
    assert!(callback.starts_with(&tenants.config.url(API)), "{callback}");
    let page = api.get(&callback, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let finished = api.confirm_consent(&page.text).await;
    assert_eq!(finished.status, 303, "{}", finished.text);
    let location = finished.header("location").expect("back to return_to");
    assert!(
        location.starts_with(&format!("{CRM_ORIGIN}/settings?")),
        "{location}"
    );
    assert_eq!(param(location, "google").as_deref(), Some("connected"));
    assert_eq!(param(location, "tab").as_deref(), Some("google"));
    let connected = connection_row(&tenants, &a.workspace).await;

    // The same callback again: the state was used.
    let reused = api.get(&callback, None).await;
    assert_eq!(reused.status, 400, "{}", reused.text);
    assert_eq!(reused.error_code(), Some("invalid_state"));
    assert!(is_documented_error(&reused.json));

    // An expired state.
    let started = connect(&tenants, &a.key, &a.workspace, &return_to).await;
    let authorization_url = started.json["authorization_url"]
        .as_str()
        .expect("a URL")
        .to_owned();
    let expiring = param(&authorization_url, "state").expect("a state");
    let callback = consent(api, &authorization_url).await;
    tenants
        .deployment
        .sql
        .execute(
            "UPDATE oauth_pending_authorizations SET expires_at = now() - interval '1 second'
             WHERE state = $1",
            &[&expiring],
        )
        .await
        .expect("the state is aged");
    let expired = api.get(&callback, None).await;
    assert_eq!(expired.status, 400, "{}", expired.text);
    assert_eq!(expired.error_code(), Some("invalid_state"));

    // Forged states: unknown, one character off a pending one, empty, missing; the pending one
    // still works afterwards.
    let started = connect(&tenants, &a.key, &a.workspace, &return_to).await;
    let authorization_url = started.json["authorization_url"]
        .as_str()
        .expect("a URL")
        .to_owned();
    let pending = param(&authorization_url, "state").expect("a state");
    let callback = consent(api, &authorization_url).await;
    let code = param(&callback, "code").expect("a code");
    let mut off_by_one = pending.clone().into_bytes();
    let last = off_by_one.len() - 1;
    off_by_one[last] = if off_by_one[last] == b'A' { b'B' } else { b'A' };
    let off_by_one = String::from_utf8(off_by_one).expect("ASCII");
    let callback_path = format!("{API}/google/callback");
    for forged in [
        format!("{callback_path}?state=forged-state&code={code}"),
        format!("{callback_path}?state={off_by_one}&code={code}"),
        format!("{callback_path}?state={}&code={code}", state),
        format!("{callback_path}?state=&code={code}"),
        format!("{callback_path}?code={code}"),
    ] {
        let answer = api.get(&forged, None).await;
        assert_eq!(answer.status, 400, "{forged}: {}", answer.text);
        assert_eq!(answer.error_code(), Some("invalid_state"), "{forged}");
    }
    assert_eq!(
        connection_row(&tenants, &a.workspace).await,
        connected,
        "refused callbacks change nothing"
    );
    let page = api.get(&callback, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let finished = api.confirm_consent(&page.text).await;
    assert_eq!(finished.status, 303, "{}", finished.text);

    // return_to: only the server's origin and the configured CORS origins.
    let before = pending_states(&tenants).await;
    let port = tenants.config.port();
    for refused in [
        "https://evil.example/".to_owned(),
        format!("{CRM_ORIGIN}.evil.example/"),
        "http://crm.example.test:5177/".to_owned(),
        "https://crm.example.test:5176/".to_owned(),
        format!("http://127.0.0.1:{port}@evil.example/"),
        format!("http://user:pass@127.0.0.1:{port}/"),
        format!("http://127.0.0.1:{}/", port.wrapping_add(1)),
        "//evil.example/".to_owned(),
        "/settings".to_owned(),
        "javascript:alert(document.cookie)".to_owned(),
        "data:text/html,<script>alert(1)</script>".to_owned(),
        format!("ftp://127.0.0.1:{port}/"),
        format!("{CRM_ORIGIN}/{}", "x".repeat(5000)),
    ] {
        let answer = connect(&tenants, &a.key, &a.workspace, &refused).await;
        assert_eq!(answer.status, 400, "{refused}: {}", answer.text);
        assert_eq!(answer.error_code(), Some("invalid_return_to"), "{refused}");
        assert!(is_documented_error(&answer.json));
    }
    assert_eq!(
        pending_states(&tenants).await,
        before,
        "a refused consent stores nothing"
    );
    for allowed in [
        format!("{}/", tenants.config.origin()),
        format!("{}/?page=1", tenants.config.origin()),
        format!("{CRM_ORIGIN}/"),
    ] {
        connect(&tenants, &a.key, &a.workspace, &allowed)
            .await
            .expect_status(200);
    }

    // A refused consent goes back to return_to with the reason.
    tenants
        .deployment
        .google
        .set_authorize_mode(AuthorizeMode::Deny);
    let started = connect(&tenants, &a.key, &a.workspace, &return_to).await;
    let authorization_url = started.json["authorization_url"]
        .as_str()
        .expect("a URL")
        .to_owned();
    let callback = consent(api, &authorization_url).await;
    let denied = api.get(&callback, None).await;
    assert_eq!(denied.status, 303, "{}", denied.text);
    let location = denied.header("location").expect("back to return_to");
    assert!(location.starts_with(CRM_ORIGIN), "{location}");
    assert_eq!(param(location, "google").as_deref(), Some("error"));
    assert_eq!(param(location, "reason").as_deref(), Some("access_denied"));

    // The PKCE verifiers Google received never left the server any other way.
    let issued = tenants.deployment.google.issued_secrets();
    assert_eq!(issued.code_verifiers.len(), 2, "two code exchanges");
    let mut verifiers = SecretSet::default();
    for (n, verifier) in issued.code_verifiers.iter().enumerate() {
        verifiers.add(&format!("PKCE verifier #{}", n + 1), verifier);
    }
    verifiers.assert_absent("the API's answers", &api.transcript());
    verifiers.assert_absent("the server's logs", &tenants.server.logs().text());
    let rows = pulse_tests::sql::all_rows(&tenants.deployment.sql).await;
    verifiers.assert_absent("the database's rows", &rows);
    for verifier in &issued.code_verifiers {
        let challenge = pulse_tests::secrets::s256_challenge(verifier);
        assert!(
            api.transcript().contains(&challenge),
            "the consent sent the S256 challenge of the verifier Google received"
        );
    }
}
