//! The fake Google's own protocol, checked over raw HTTP: Google's error bodies, paging rules,
//! field masks, the token endpoint, and the `/__control/` interface another process would use.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::start_fake;
use pulse_google::fake::{FakeGoogle, FakeOptions, SEED_ACCOUNT};
use pulse_google::{CONTACTS_READONLY_SCOPE, PERSON_FIELDS};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn access_token(fake: &FakeGoogle, refresh_token: &str) -> String {
    let body: Value = reqwest::Client::new()
        .post(fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", fake.client_id()),
            ("client_secret", "fake-client-secret"),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], CONTACTS_READONLY_SCOPE);
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert!(
        body.get("refresh_token").is_none(),
        "a refresh does not rotate the token"
    );
    body["access_token"].as_str().unwrap().to_owned()
}

async fn connections(
    fake: &FakeGoogle,
    token: &str,
    query: &[(&str, &str)],
) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/people/me/connections",
            fake.people_api_url()
        ))
        .bearer_auth(token)
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn person_fields_are_required_and_checked() {
    let fake = start_fake(FakeOptions::default());
    let token = access_token(&fake, fake.grant(SEED_ACCOUNT).unwrap().expose()).await;

    let (status, body) = connections(&fake, &token, &[("pageSize", "10")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 400);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("personFields")
    );

    let (status, body) = connections(&fake, &token, &[("personFields", "names,shoeSize")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("shoeSize")
    );

    let (status, _) = connections(
        &fake,
        &token,
        &[("personFields", "names"), ("pageSize", "1001")],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_field_mask_and_default_page_size_are_honoured() {
    let fake = start_fake(FakeOptions::default());
    let token = access_token(&fake, fake.grant(SEED_ACCOUNT).unwrap().expose()).await;

    let (status, body) = connections(&fake, &token, &[("personFields", "names")]).await;

    assert_eq!(status, StatusCode::OK);
    let people = body["connections"].as_array().unwrap();
    assert_eq!(people.len(), 100, "no pageSize means 100");
    assert_eq!(body["totalItems"], 428);
    assert!(body.get("nextPageToken").is_some());
    assert!(body.get("nextSyncToken").is_none(), "not asked for");
    assert!(people.iter().all(|p| p.get("names").is_some()));
    assert!(
        people
            .iter()
            .all(|p| p.get("photos").is_none() && p.get("metadata").is_none())
    );
}

#[tokio::test]
async fn a_page_token_must_come_with_the_same_parameters() {
    let fake = start_fake(FakeOptions::default());
    let token = access_token(&fake, fake.grant(SEED_ACCOUNT).unwrap().expose()).await;
    let first = [
        ("personFields", PERSON_FIELDS),
        ("pageSize", "200"),
        ("requestSyncToken", "true"),
    ];
    let (_, page) = connections(&fake, &token, &first).await;
    let page_token = page["nextPageToken"].as_str().unwrap().to_owned();
    assert!(
        page.get("nextSyncToken").is_none(),
        "only the last page has it"
    );

    let (status, body) = connections(
        &fake,
        &token,
        &[
            ("personFields", PERSON_FIELDS),
            ("pageSize", "100"),
            ("requestSyncToken", "true"),
            ("pageToken", &page_token),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["status"], "INVALID_ARGUMENT");

    let mut same = first.to_vec();
    same.push(("pageToken", &page_token));
    let (status, second) = connections(&fake, &token, &same).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(second["connections"].as_array().unwrap().len(), 200);
    let mut last = first.to_vec();
    let last_token = second["nextPageToken"].as_str().unwrap().to_owned();
    last.push(("pageToken", &last_token));
    let (_, third) = connections(&fake, &token, &last).await;
    assert_eq!(third["connections"].as_array().unwrap().len(), 28);
    assert!(third.get("nextPageToken").is_none());
    assert!(third["nextSyncToken"].is_string());
}

#[tokio::test]
async fn unknown_and_expired_access_tokens_get_google_401() {
    let fake = start_fake(FakeOptions::default());
    let (status, body) = connections(&fake, "ya29.made-up", &[("personFields", "names")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["status"], "UNAUTHENTICATED");

    let token = access_token(&fake, fake.grant(SEED_ACCOUNT).unwrap().expose()).await;
    fake.expire_access_tokens();
    let (status, _) = connections(&fake, &token, &[("personFields", "names")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_sync_token_works_only_for_its_own_account() {
    let fake = start_fake(
        FakeOptions::default().with_account("other", pulse_google::fake::Dataset::Empty),
    );
    let mine = access_token(&fake, fake.grant(SEED_ACCOUNT).unwrap().expose()).await;
    let theirs = access_token(&fake, fake.grant("other").unwrap().expose()).await;
    let (_, body) = connections(
        &fake,
        &theirs,
        &[("personFields", "names"), ("requestSyncToken", "true")],
    )
    .await;
    let their_sync_token = body["nextSyncToken"].as_str().unwrap().to_owned();

    let (status, body) = connections(
        &fake,
        &mine,
        &[("personFields", "names"), ("syncToken", &their_sync_token)],
    )
    .await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"][0]["reason"], "EXPIRED_SYNC_TOKEN");
}

#[tokio::test]
async fn the_token_endpoint_checks_the_client_and_reports_invalid_grant_like_google() {
    let fake = start_fake(FakeOptions::default());
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let http = reqwest::Client::new();

    let wrong_secret = http
        .post(fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
            ("client_id", fake.client_id()),
            ("client_secret", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_secret.status(), StatusCode::UNAUTHORIZED);
    let body: Value = wrong_secret.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");

    fake.revoke_grant(&refresh_token).unwrap();
    let revoked = http
        .post(fake.token_url())
        .basic_auth(fake.client_id(), Some("fake-client-secret"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.expose()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::BAD_REQUEST);
    let body: Value = revoked.json().await.unwrap();
    assert_eq!(
        body,
        json!({"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
    );
}

#[tokio::test]
async fn the_control_routes_drive_the_fake_from_another_process() {
    let fake = start_fake(FakeOptions::default());
    let http = reqwest::Client::new();
    let control = |path: &str| format!("{}/__control{path}", fake.base_url());
    let ok = |response: reqwest::Response| {
        assert_eq!(response.status(), StatusCode::OK);
        response
    };

    ok(http
        .post(control("/accounts"))
        .json(&json!({"account": "bob", "dataset": {"kind": "generated", "size": 3, "seed": 9}}))
        .send()
        .await
        .unwrap());
    let added: Value = ok(http
        .post(control("/accounts/bob/contacts"))
        .json(&json!({"names": [{"given_name": "Bea", "primary": true}], "emails": [{"value": "bea@example.com", "primary": true}]}))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    let added_name = added["resource_name"].as_str().unwrap().to_owned();
    let listed: Value = ok(http
        .get(control("/accounts/bob/contacts"))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    assert_eq!(
        fake.contact("bob", &added_name).unwrap().contact.emails[0].value,
        "bea@example.com"
    );

    let renamed: Value = ok(http
        .post(control("/accounts/bob/contacts/rename"))
        .json(&json!({"resource_name": added_name}))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    let new_name = renamed["resource_name"].as_str().unwrap().to_owned();
    ok(http
        .post(control("/accounts/bob/contacts/delete"))
        .json(&json!({"resource_name": new_name}))
        .send()
        .await
        .unwrap());
    assert_eq!(fake.contact_count("bob").unwrap(), 3);
    let missing = http
        .post(control("/accounts/bob/contacts/delete"))
        .json(&json!({"resource_name": new_name}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let grant: Value = ok(http
        .post(control("/accounts/bob/grants"))
        .send()
        .await
        .unwrap())
    .json()
    .await
    .unwrap();
    let refresh_token = grant["refresh_token"].as_str().unwrap().to_owned();
    ok(http
        .post(control("/faults"))
        .json(&json!({"fault": {"kind": "server_error"}, "times": 1}))
        .send()
        .await
        .unwrap());
    let token = access_token(&fake, &refresh_token).await;
    let (status, _) = connections(&fake, &token, &[("personFields", "names")]).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    let (status, _) = connections(&fake, &token, &[("personFields", "names")]).await;
    assert_eq!(status, StatusCode::OK);

    let counts: Value = ok(http.get(control("/requests")).send().await.unwrap())
        .json()
        .await
        .unwrap();
    assert!(
        counts
            .as_array()
            .unwrap()
            .contains(&json!({"account": "bob", "endpoint": "connections", "count": 2}))
    );

    ok(http
        .post(control("/grants/revoke"))
        .json(&json!({"refresh_token": refresh_token}))
        .send()
        .await
        .unwrap());
    let refused = http
        .post(fake.token_url())
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", fake.client_id()),
            ("client_secret", "fake-client-secret"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
}
