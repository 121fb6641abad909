//! Writes fenced on the grant they belong to: a sync run that started before the user reconnected
//! (to another Google account) or disconnected stores neither its sync token nor
//! `reauth_required` on the new grant, and does not pause the new grant's schedule. The run's
//! first listing page is held (requested from the fake Google over HTTP only once the test lets
//! it go) while the test reconnects.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use chrono::Utc;
use pulse_domain::ports::{
    ConfigRepository, ConnectionRepository, ContactListing, ContactPage, ContactsSource,
    JobRepository, ListingMode, SourceError, SystemClock,
};
use pulse_domain::sync::{SyncEngine, SyncOutcome, SyncSettings};
use pulse_domain::{
    ConfigUpdate, ConnectionStatus, JobStatus, Secret, SyncInterval, UserId, apply_update,
};
use pulse_google::GoogleClient;
use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::SyncHarness;
use pulse_tests::sync_harness::client_for;
use tokio::sync::{Notify, Semaphore};

/// The fake Google client, with every listing page held until the test releases one.
struct Held {
    client: GoogleClient,
    requested: Arc<Notify>,
    released: Arc<Semaphore>,
}

struct HeldListing<L> {
    listing: L,
    requested: Arc<Notify>,
    released: Arc<Semaphore>,
}

impl ContactsSource for Held {
    type Listing = HeldListing<<GoogleClient as ContactsSource>::Listing>;

    fn open_listing(&self, user: &UserId, token: &Secret, mode: ListingMode) -> Self::Listing {
        HeldListing {
            listing: self.client.open_listing(user, token, mode),
            requested: Arc::clone(&self.requested),
            released: Arc::clone(&self.released),
        }
    }
}

impl<L: ContactListing> ContactListing for HeldListing<L> {
    async fn next_page(&mut self) -> Result<Option<ContactPage>, SourceError> {
        self.requested.notify_one();
        self.released
            .acquire()
            .await
            .expect("the gate stays open")
            .forget();
        self.listing.next_page().await
    }
}

fn options() -> FakeOptions {
    FakeOptions::default()
        .with_page_size_cap(100)
        .with_account("first-account", generated_account(30, 11))
        .with_account("second-account", generated_account(20, 12))
}

async fn turn_on(harness: &SyncHarness, user: &UserId) {
    let update = ConfigUpdate {
        user_id: user.clone(),
        enabled: true,
        interval_hours: Some(SyncInterval::DEFAULT),
    };
    harness
        .store
        .modify_config(user, chrono::Utc::now(), |current| {
            Some(apply_update(current, &update, Utc::now()))
        })
        .await
        .expect("the config is saved");
}

/// Starts a run of `user`'s job over the held source; returns once its first page is asked for.
async fn run_held(
    harness: &SyncHarness,
    user: &UserId,
) -> (
    tokio::task::JoinHandle<SyncOutcome>,
    Arc<Semaphore>,
    pulse_domain::JobLease,
) {
    let requested = Arc::new(Notify::new());
    let released = Arc::new(Semaphore::new(0));
    let engine = SyncEngine::new(
        harness.store.clone(),
        Held {
            client: client_for(&harness.google),
            requested: Arc::clone(&requested),
            released: Arc::clone(&released),
        },
        SystemClock,
        SyncSettings::default(),
    );
    let lease = harness.claim_manual(user).await;
    let run = {
        let lease = lease.clone();
        tokio::spawn(async move { engine.run(&lease, &()).await.expect("the end is recorded") })
    };
    requested.notified().await;
    (run, released, lease)
}

#[tokio::test]
async fn a_run_of_the_previous_account_stores_no_token_on_the_new_grant() {
    let harness = SyncHarness::start(options()).await;
    let user = harness.connect("switcher", "first-account").await;
    turn_on(&harness, &user).await;
    let first = harness.sync_to_end(&user).await;
    assert_eq!(first.status, JobStatus::Completed);
    assert_eq!(
        harness
            .store
            .find_config(&user)
            .await
            .unwrap()
            .unwrap()
            .last_sync_at,
        first.started_at
    );

    // An incremental run of the first account is held at its first page ...
    let (run, released, lease) = run_held(&harness, &user).await;
    // ... while the user connects another Google account: the first account's profiles go.
    harness.connect("switcher", "second-account").await;
    let after_reconnect = harness.store.find_connection(&user).await.unwrap().unwrap();
    assert_eq!(after_reconnect.sync_token, None);
    assert!(
        pulse_tests::live_profiles(&harness.store, &user)
            .await
            .is_empty()
    );
    let config_before = harness.store.find_config(&user).await.unwrap().unwrap();
    released.add_permits(1_000);
    let outcome = run.await.unwrap();
    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert_eq!(
        harness
            .store
            .find_job(lease.job_id)
            .await
            .unwrap()
            .unwrap()
            .status,
        JobStatus::Completed
    );

    let connection = harness.store.find_connection(&user).await.unwrap().unwrap();
    assert_eq!(
        connection.sync_token, None,
        "the old account's token stays off the new grant"
    );
    assert_eq!(connection.generation, after_reconnect.generation);
    assert_eq!(
        harness.store.find_config(&user).await.unwrap().unwrap(),
        config_before,
        "the old run leaves the new grant's schedule alone"
    );

    // The new grant's first run is a full listing of the second account only.
    let next = harness.sync_to_end(&user).await;
    assert_eq!(next.status, JobStatus::Completed);
    assert_eq!(
        pulse_tests::live_profiles(&harness.store, &user).await,
        pulse_tests::expected_profiles(&harness.google, "second-account"),
        "only the second account's contacts are live"
    );
    assert!(
        harness
            .store
            .find_connection(&user)
            .await
            .unwrap()
            .unwrap()
            .sync_token
            .is_some()
    );
}

#[tokio::test]
async fn a_refused_old_grant_neither_marks_nor_pauses_the_new_grant() {
    let harness = SyncHarness::start(options()).await;
    let user = harness.connect("revoker", "first-account").await;
    turn_on(&harness, &user).await;
    let old = harness.store.find_connection(&user).await.unwrap().unwrap();

    // A run is held at its first page while the user disconnects (the grant is revoked at
    // Google) and connects again.
    let (run, released, _lease) = run_held(&harness, &user).await;
    harness
        .store
        .forget_connection(&user, Utc::now())
        .await
        .unwrap();
    harness
        .google
        .revoke_grant(old.refresh_token.as_ref().expect("a refresh token"))
        .unwrap();
    harness.connect("revoker", "first-account").await;
    let config_before = harness.store.find_config(&user).await.unwrap().unwrap();
    released.add_permits(1_000);
    let outcome = run.await.unwrap();
    assert!(matches!(outcome, SyncOutcome::Failed(_)), "{outcome:?}");

    let connection = harness.store.find_connection(&user).await.unwrap().unwrap();
    assert_eq!(connection.status, ConnectionStatus::Connected);
    let config = harness.store.find_config(&user).await.unwrap().unwrap();
    assert_eq!(config, config_before);
    assert_eq!(config.paused_reason, None);
}
