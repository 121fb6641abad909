//! OAuth2 against the fake Google over real HTTP: the consent round trip with PKCE, the code
//! exchange, revocation, a revoked grant (re-authorization required), and one shared refresh for
//! concurrent callers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{REDIRECT_URL, client, list_all, start_fake, user};
use futures::future::join_all;
use pulse_domain::Secret;
use pulse_domain::ports::{GoogleAuthorizer, ListingMode, SourceError};
use pulse_google::fake::{
    AuthorizeMode, FakeEndpoint, FakeOptions, SEED_ACCOUNT, generated_account,
};
use pulse_google::{ACCOUNT_EMAIL_SCOPE, CONTACTS_READONLY_SCOPE};
use reqwest::Url;

/// Opens the consent URL like a browser would, without following the redirect back.
async fn consent(url: &str) -> HashMap<String, String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(url).send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::FOUND);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT_URL), "{location}");
    Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn the_consent_round_trip_exchanges_the_code_with_the_pkce_verifier() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);

    let request = client.authorization_request().unwrap();
    assert!(request.url.starts_with(&fake.auth_url()));
    let callback = consent(&request.url).await;
    assert_eq!(callback["state"], request.state);
    let code = &callback["code"];

    let grant = client
        .exchange_code(code, &request.pkce_verifier)
        .await
        .unwrap();

    let refresh_token = grant
        .refresh_token
        .expect("offline access gives a refresh token");
    assert!(grant.expires_at.is_some());
    assert_eq!(grant.scopes, [CONTACTS_READONLY_SCOPE, ACCOUNT_EMAIL_SCOPE]);
    assert_eq!(
        client.account_email(&grant.access_token).await.unwrap(),
        Some(SEED_ACCOUNT.to_owned()),
        "people/me names the account that consented"
    );
    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(round.people.len(), 428);

    let reused = client.exchange_code(code, &request.pkce_verifier).await;
    assert!(reused.unwrap_err().is_reauth(), "a code works once");
}

#[tokio::test]
async fn the_issued_secrets_list_every_token_code_and_verifier_of_a_round_trip() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let request = client.authorization_request().unwrap();
    let callback = consent(&request.url).await;
    let grant = client
        .exchange_code(&callback["code"], &request.pkce_verifier)
        .await
        .unwrap();
    let refresh_token = grant.refresh_token.unwrap();
    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    let issued: pulse_google::fake::IssuedSecrets =
        reqwest::get(format!("{}/__control/issued-secrets", fake.base_url()))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    assert_eq!(issued, fake.issued_secrets());
    assert_eq!(issued.refresh_tokens, [refresh_token.expose().to_owned()]);
    assert_eq!(issued.authorization_codes, [callback["code"].clone()]);
    assert_eq!(
        issued.code_verifiers,
        [request.pkce_verifier.expose().to_owned()]
    );
    assert_eq!(
        issued.access_tokens.len(),
        2,
        "the exchange's and the refresh's"
    );
    let sync_token = round.sync_token.unwrap();
    assert_eq!(issued.sync_tokens, [sync_token.expose().to_owned()]);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let request = client.authorization_request().unwrap();
    let other = client.authorization_request().unwrap();
    let callback = consent(&request.url).await;

    let error = client
        .exchange_code(&callback["code"], &other.pkce_verifier)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        SourceError::ReauthRequired {
            detail: "Invalid code verifier.".to_owned()
        }
    );
}

#[tokio::test]
async fn a_refused_consent_redirects_with_access_denied_and_the_state() {
    let fake = start_fake(FakeOptions::default());
    fake.set_authorize_mode(AuthorizeMode::Deny);
    let client = client(&fake);
    let request = client.authorization_request().unwrap();

    let callback = consent(&request.url).await;

    assert_eq!(callback["error"], "access_denied");
    assert_eq!(callback["state"], request.state);
    assert!(!callback.contains_key("code"));
}

#[tokio::test]
async fn a_revoked_grant_needs_reauthorization() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.revoke_grant(&refresh_token).unwrap();

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert_eq!(
        error,
        SourceError::ReauthRequired {
            detail: "Token has been expired or revoked.".to_owned()
        }
    );
    assert!(!error.to_string().contains(refresh_token.expose()));
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        0
    );

    let unknown = list_all(
        &client,
        &user("u1"),
        &Secret::new("1//never-issued"),
        ListingMode::Full,
    )
    .await
    .unwrap_err();
    assert!(unknown.is_reauth());
}

#[tokio::test]
async fn a_grant_revoked_while_its_access_token_is_cached_needs_reauthorization() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    fake.revoke_account_grants(SEED_ACCOUNT);
    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    // The cached access token is refused (401), the one refresh meets invalid_grant.
    assert!(error.is_reauth(), "{error:?}");
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
}

#[tokio::test]
async fn revoking_through_the_authorizer_ends_the_grant() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    client.revoke(&refresh_token).await.unwrap();
    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(error.is_reauth(), "{error:?}");
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Revoke), 1);
    // Revoking again (or revoking anything Google does not know) is not an error.
    client.revoke(&refresh_token).await.unwrap();
}

#[tokio::test]
async fn an_access_token_is_refreshed_before_it_expires_not_after_a_401() {
    // Two-second tokens: the client refreshes once half the lifetime is left (its margin is
    // capped at half the lifetime).
    let fake = start_fake(FakeOptions::default().with_access_token_ttl(Duration::from_secs(2)));
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    tokio::time::sleep(Duration::from_millis(1_200)).await;
    list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        2,
        "no request was refused for an expired token"
    );
}

#[tokio::test]
async fn concurrent_callers_for_one_user_share_one_refresh() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let me = user("u1");

    let listings = (0..16).map(|_| list_all(&client, &me, &refresh_token, ListingMode::Full));
    let rounds = join_all(listings).await;

    assert!(
        rounds
            .iter()
            .all(|round| round.as_ref().unwrap().people.len() == 428)
    );
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 1);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        16
    );

    // All their access tokens expire at once: the 401s still lead to a single refresh.
    fake.expire_access_tokens();
    let listings = (0..16).map(|_| list_all(&client, &me, &refresh_token, ListingMode::Full));
    let rounds = join_all(listings).await;
    assert!(rounds.iter().all(|round| round.is_ok()));
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_callers_across_threads_share_one_refresh_per_user() {
    let fake = start_fake(
        FakeOptions::default()
            .with_account("a", generated_account(30, 1))
            .with_account("b", generated_account(30, 2)),
    );
    let client = client(&fake);
    let grants = [
        ("a", user("user-a"), fake.grant("a").unwrap()),
        ("b", user("user-b"), fake.grant("b").unwrap()),
    ];

    let mut tasks = Vec::new();
    for _ in 0..8 {
        for (_, user, refresh_token) in &grants {
            let (client, user, refresh_token) =
                (client.clone(), user.clone(), refresh_token.clone());
            tasks.push(tokio::spawn(async move {
                list_all(&client, &user, &refresh_token, ListingMode::Full).await
            }));
        }
    }
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().people.len(), 30);
    }

    for (account, _, _) in &grants {
        assert_eq!(
            fake.request_count(account, FakeEndpoint::Token),
            1,
            "{account}"
        );
        assert_eq!(
            fake.request_count(account, FakeEndpoint::Connections),
            8,
            "{account}"
        );
    }
}
