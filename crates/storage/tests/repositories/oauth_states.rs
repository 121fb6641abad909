//! `OAuthStateRepository`: single use, expiry, the sealed verifier, and purging.

use chrono::TimeDelta;
use pulse_domain::Secret;
use pulse_domain::ports::{OAuthStateRepository, PendingAuthorization};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, count, now, user};

fn pending(state: &str, expires_in: TimeDelta) -> PendingAuthorization {
    PendingAuthorization {
        state: state.to_owned(),
        user_id: user("ada"),
        pkce_verifier: Secret::new(format!("verifier-for-{state}")),
        return_to: Some("https://crm.example.com/settings".to_owned()),
        expires_at: now() + expires_in,
        browser_binding_hash: None,
    }
}

#[tokio::test]
async fn a_pending_consent_is_taken_once() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let consent = pending("state-1", TimeDelta::minutes(10));
    store.save_pending(&consent).await.unwrap();
    let taken = store.take_pending("state-1", now()).await.unwrap();
    assert_eq!(taken, Some(consent));
    assert_eq!(store.take_pending("state-1", now()).await.unwrap(), None);
    assert_eq!(
        store.take_pending("never-issued", now()).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn an_expired_consent_is_refused_and_gone() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let consent = pending("state-2", TimeDelta::minutes(10));
    store.save_pending(&consent).await.unwrap();
    let later = consent.expires_at + TimeDelta::seconds(1);
    assert_eq!(store.take_pending("state-2", later).await.unwrap(), None);
    assert_eq!(store.take_pending("state-2", now()).await.unwrap(), None);
}

#[tokio::test]
async fn the_verifier_is_stored_sealed_and_expired_consents_are_purged() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_pending(&pending("old", TimeDelta::minutes(-1)))
        .await
        .unwrap();
    store
        .save_pending(&pending("new", TimeDelta::minutes(10)))
        .await
        .unwrap();
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM oauth_pending_authorizations"
        )
        .await,
        1,
        "saving purges consents that expired"
    );
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM oauth_pending_authorizations p \
             WHERE position('verifier-for' in p::text) > 0 \
                OR position(convert_to('verifier-for', 'UTF8') in pkce_verifier_ciphertext) > 0"
        )
        .await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_callbacks_only_one_gets_the_consent() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_pending(&pending("race", TimeDelta::minutes(10)))
        .await
        .unwrap();
    let takers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.take_pending("race", at(0)).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for taker in takers {
        winners += usize::from(taker.await.unwrap().is_some());
    }
    assert_eq!(winners, 1);
}
