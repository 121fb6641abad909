//! Quotas and faults against the fake Google over real HTTP: 429 with `Retry-After`, repeated
//! 500s, a 401 in the middle of a listing, a malformed body, and timeouts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use common::{client, client_with, list_all, start_fake, user};
use pulse_domain::ports::{ContactListing, ContactsSource, ListingMode, SourceError};
use pulse_google::fake::{
    FakeEndpoint, FakeOptions, Fault, FaultTarget, SEED_ACCOUNT, generated_account,
};

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out_and_the_listing_succeeds() {
    let fake = start_fake(FakeOptions::default());
    // Backoff alone would wait at most 5 ms: only Retry-After explains a one-second wait.
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
        1,
    );

    let started = Instant::now();
    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(round.people.len(), 428);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        2
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_retry_budget_gives_up_at_once() {
    let fake = start_fake(FakeOptions::default());
    let client = client_with(&fake, |config| {
        config.retry.max_total = Duration::from_secs(2)
    });
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(
        Fault::RateLimited {
            retry_after_secs: Some(3600),
        },
        1,
    );

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(matches!(&error, SourceError::Transient { detail } if detail.contains("HTTP 429")));
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        1
    );
}

#[tokio::test]
async fn repeated_500s_give_up_with_a_transient_error_after_the_configured_attempts() {
    let fake = start_fake(FakeOptions::default());
    let client = client_with(&fake, |config| config.retry.max_attempts = 4);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::ServerError, 10);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    match &error {
        SourceError::Transient { detail } => {
            assert!(detail.contains("HTTP 500"), "{detail}");
            assert!(detail.contains("4 attempt"), "{detail}");
            assert!(!detail.contains("http://"), "no URL in errors: {detail}");
        }
        other => panic!("expected a transient error, got {other:?}"),
    }
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        4
    );
}

#[tokio::test]
async fn a_few_500s_are_retried_through() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::ServerError, 2);

    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    assert_eq!(round.people.len(), 428);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        3
    );
}

#[tokio::test]
async fn a_401_mid_listing_refreshes_once_and_the_listing_completes() {
    let fake = start_fake(FakeOptions::default().with_page_size_cap(100));
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let me = user("u1");
    let mut listing = client.open_listing(&me, &refresh_token, ListingMode::Full);
    let mut people = listing.next_page().await.unwrap().unwrap().people.len();
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 1);

    fake.inject_fault(Fault::Unauthorized, 1);
    let mut sync_token = None;
    while let Some(page) = listing.next_page().await.unwrap() {
        people += page.people.len();
        sync_token = page.next_sync_token;
    }

    assert_eq!(people, 428);
    assert!(sync_token.is_some());
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        6
    );
}

#[tokio::test]
async fn expired_access_tokens_are_refreshed_on_the_401() {
    let fake = start_fake(FakeOptions::default().with_page_size_cap(100));
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let me = user("u1");
    let mut listing = client.open_listing(&me, &refresh_token, ListingMode::Full);
    listing.next_page().await.unwrap().unwrap();

    fake.expire_access_tokens();
    let second = listing.next_page().await.unwrap().unwrap();

    assert_eq!(second.people.len(), 100);
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_transient_and_refreshes_only_once() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::Unauthorized, 2);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(matches!(error, SourceError::Transient { .. }), "{error:?}");
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 2);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        2
    );
}

#[tokio::test]
async fn a_malformed_body_is_a_typed_error_naming_the_endpoint() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::MalformedBody, 1);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    match error {
        SourceError::Malformed { endpoint, detail } => {
            assert!(endpoint.contains("people/me/connections"), "{endpoint}");
            assert!(!detail.is_empty());
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
    // Not retried: the body arrived, it is just wrong.
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        1
    );
}

#[tokio::test]
async fn a_malformed_token_response_is_a_typed_error_naming_the_token_endpoint() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault_at(FaultTarget::Token, Fault::MalformedBody, 1);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, SourceError::Malformed { endpoint, .. } if endpoint.contains("token")),
        "{error:?}"
    );
    assert!(!error.to_string().contains(refresh_token.expose()));
}

#[tokio::test]
async fn a_token_endpoint_outage_is_transient_not_reauthorization() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault_at(FaultTarget::Token, Fault::ServerError, 3);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(matches!(error, SourceError::Transient { .. }), "{error:?}");
    assert_eq!(fake.request_count(SEED_ACCOUNT, FakeEndpoint::Token), 3);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        0
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_the_retry_succeeds() {
    let fake = start_fake(FakeOptions::default());
    let client = client_with(&fake, |config| {
        config.request_timeout = Duration::from_secs(1);
    });
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::Slow { millis: 10_000 }, 1);

    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    assert_eq!(round.people.len(), 428);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        2
    );
}

#[tokio::test]
async fn answers_slower_than_the_timeout_every_time_end_in_a_transient_timeout() {
    let fake = start_fake(FakeOptions::default());
    let client = client_with(&fake, |config| {
        config.request_timeout = Duration::from_millis(500);
    });
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    fake.inject_fault(Fault::Slow { millis: 5_000 }, 3);

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, SourceError::Transient { detail } if detail.contains("timed out")),
        "{error:?}"
    );
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        3
    );
}

#[tokio::test]
async fn an_unreachable_google_is_transient() {
    let fake = start_fake(FakeOptions::default());
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = client_with(&fake, |config| {
        config.people_api_url = format!("http://127.0.0.1:{closed_port}").parse().unwrap();
    });

    let error = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap_err();

    assert!(
        matches!(&error, SourceError::Transient { detail } if detail.contains("could not connect")),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_fault_for_one_account_spares_the_others() {
    let fake = start_fake(
        FakeOptions::default().with_account("other@example.com", generated_account(20, 3)),
    );
    let client = client_with(&fake, |config| config.retry.max_attempts = 1);
    let seed_token = fake.grant(SEED_ACCOUNT).unwrap();
    let other_token = fake.grant("other@example.com").unwrap();
    fake.inject_fault_for(
        "other@example.com",
        FaultTarget::People,
        Fault::ServerError,
        1,
    );

    let seed = list_all(&client, &user("u1"), &seed_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(seed.people.len(), 428);
    let error = list_all(&client, &user("u2"), &other_token, ListingMode::Full)
        .await
        .unwrap_err();
    assert!(matches!(&error, SourceError::Transient { detail } if detail.contains("HTTP 500")));
    let other = list_all(&client, &user("u2"), &other_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(other.people.len(), 20);
}

#[tokio::test]
async fn an_account_fault_is_queued_through_the_control_route() {
    let fake = start_fake(
        FakeOptions::default().with_account("other@example.com", generated_account(5, 4)),
    );
    let client = client_with(&fake, |config| config.retry.max_attempts = 1);
    let seed_token = fake.grant(SEED_ACCOUNT).unwrap();
    let other_token = fake.grant("other@example.com").unwrap();
    let answer = reqwest::Client::new()
        .post(format!("{}/__control/faults", fake.base_url()))
        .json(&serde_json::json!({
            "account": SEED_ACCOUNT,
            "fault": {"kind": "malformed_body"},
            "times": 1
        }))
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());

    let other = list_all(&client, &user("u2"), &other_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(other.people.len(), 5);
    let error = list_all(&client, &user("u1"), &seed_token, ListingMode::Full)
        .await
        .unwrap_err();
    assert!(matches!(error, SourceError::Malformed { .. }), "{error:?}");
}
