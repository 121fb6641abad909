//! `OAuthStateRepository`: single use, expiry, the sealed verifier, and purging; grants held for
//! confirmation: single use, expiry, the sealed refresh token and its key rotation.

use chrono::TimeDelta;
use pulse_domain::ports::{HeldGrant, OAuthStateRepository, PendingAuthorization};
use pulse_domain::{NewConnection, Secret};
use pulse_storage::PgStore;
use pulse_storage::crypto::{KeyRing, generate_key};
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
    store.save_pending(&consent, now()).await.unwrap();
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
    store.save_pending(&consent, now()).await.unwrap();
    let later = consent.expires_at + TimeDelta::seconds(1);
    assert_eq!(store.take_pending("state-2", later).await.unwrap(), None);
    assert_eq!(store.take_pending("state-2", now()).await.unwrap(), None);
}

#[tokio::test]
async fn the_verifier_is_stored_sealed_and_expired_consents_are_purged() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_pending(&pending("old", TimeDelta::minutes(-1)), now())
        .await
        .unwrap();
    store
        .save_pending(&pending("new", TimeDelta::minutes(10)), now())
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
    // Expiry is judged at the caller's clock, not the database's: an hour on, "new" is expired.
    store
        .save_pending(
            &pending("later", TimeDelta::minutes(70)),
            now() + TimeDelta::hours(1),
        )
        .await
        .unwrap();
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM oauth_pending_authorizations WHERE state = 'new'"
        )
        .await,
        0,
        "a consent expired at the caller's now is purged"
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
        .save_pending(&pending("race", TimeDelta::minutes(10)), now())
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

fn held(refresh_token: &str, expires_in: TimeDelta) -> HeldGrant {
    HeldGrant {
        connection: NewConnection {
            user_id: user("ada"),
            google_account_id: None,
            google_email: Some("ada@example.com".to_owned()),
            refresh_token: Secret::new(refresh_token),
            access_token_expires_at: Some(now() + TimeDelta::hours(1)),
            scopes: vec!["https://www.googleapis.com/auth/contacts.readonly".to_owned()],
        },
        return_to: None,
        expires_at: now() + expires_in,
    }
}

#[tokio::test]
async fn a_held_grant_is_taken_once_before_it_expires_and_stored_only_sealed() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let grant = held("1//held-refresh-token", TimeDelta::minutes(10));
    store.hold_grant("hash-1", &grant, now()).await.unwrap();
    let sealed_in_clear = count(
        &database,
        "SELECT count(*) AS count FROM oauth_pending_confirmations \
         WHERE position(convert_to('1//held-refresh-token', 'UTF8') in refresh_token_ciphertext) > 0",
    )
    .await;
    assert_eq!(
        sealed_in_clear, 0,
        "the refresh token is stored only sealed"
    );
    assert_eq!(
        store.take_held_grant("other-hash", now()).await.unwrap(),
        None
    );
    assert_eq!(
        store.take_held_grant("hash-1", now()).await.unwrap(),
        Some(grant)
    );
    assert_eq!(store.take_held_grant("hash-1", now()).await.unwrap(), None);

    let expiring = held("1//expiring", TimeDelta::minutes(10));
    store.hold_grant("hash-2", &expiring, now()).await.unwrap();
    let later = expiring.expires_at + TimeDelta::seconds(1);
    assert_eq!(store.take_held_grant("hash-2", later).await.unwrap(), None);
    assert_eq!(store.take_held_grant("hash-2", now()).await.unwrap(), None);
}

#[tokio::test]
async fn rotation_reseals_a_held_grant_so_the_old_key_can_go() {
    let database = TestDatabase::new().await;
    let old_key = generate_key();
    let ring = |current: &str, previous: &str| {
        KeyRing::from_base64(current, previous).expect("valid keys")
    };
    let old = PgStore::new(database.pool(), ring(&old_key, ""));
    let grant = held("1//rotated", TimeDelta::minutes(10));
    old.hold_grant("hash-r", &grant, now()).await.unwrap();
    let new_key = generate_key();
    let both = PgStore::new(database.pool(), ring(&new_key, &old_key));
    assert_eq!(both.reseal_batch(100).await.unwrap(), 1);
    let new_only = PgStore::new(database.pool(), ring(&new_key, ""));
    assert_eq!(
        new_only.take_held_grant("hash-r", now()).await.unwrap(),
        Some(grant)
    );
}
