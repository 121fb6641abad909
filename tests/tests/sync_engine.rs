//! The sync engine over the real PostgreSQL and the fake Google over HTTP: the seed's account,
//! incremental changes, renames, token expiry, revoked grants, failures half way, isolation,
//! and counts that add up.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_domain::job::JobStatus;
use pulse_domain::ports::{ConfigRepository, ConnectionRepository};
use pulse_domain::sync::{REAUTH_MESSAGE, SyncOutcome, SyncSettings};
use pulse_domain::{
    ConfigUpdate, ConnectionStatus, PausedReason, SyncInterval, UserId, apply_update,
};
use pulse_google::fake::{
    FakeContact, FakeOptions, Fault, SEED_ACCOUNT, generated_account, seed_account,
};
use pulse_tests::{SyncHarness, expected_profiles, live_profiles, stored_profiles};

fn options_with(accounts: &[(&str, u32)]) -> FakeOptions {
    let mut options = FakeOptions::default().with_page_size_cap(100);
    for (index, (account, size)) in accounts.iter().enumerate() {
        options = options.with_account(account, generated_account(*size, 7 + index as u64));
    }
    options
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
            Some(apply_update(current, &update, chrono::Utc::now()))
        })
        .await
        .expect("the config is saved");
}

#[tokio::test]
async fn the_seed_account_gives_12_synced_and_416_skipped() {
    let harness = SyncHarness::start(FakeOptions::default()).await;
    let user = harness.connect("seed-user", SEED_ACCOUNT).await;

    let (outcome, job) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.counts.total_contacts, 428);
    assert_eq!(job.counts.synced, 12);
    assert_eq!(job.counts.skipped_no_identifier, 416);
    assert_eq!(job.counts.created, 12);
    assert_eq!(job.fetched, 428);
    assert!(job.counts.adds_up(), "{:?}", job.counts);
    assert_eq!(live_profiles(&harness.store, &user).await.len(), 12);
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, SEED_ACCOUNT)
    );
}

#[tokio::test]
async fn a_second_full_run_counts_every_profile_unchanged() {
    let harness = SyncHarness::start(options_with(&[("acct", 350)])).await;
    let user = harness.connect("u1", "acct").await;
    let (_, first) = harness.sync(&user).await;
    let before = live_profiles(&harness.store, &user).await;

    harness.google.expire_sync_tokens("acct");
    let (outcome, second) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert_eq!(second.counts.created, 0);
    assert_eq!(second.counts.updated, 0);
    assert_eq!(second.counts.deleted, 0);
    assert_eq!(second.counts.unchanged, first.counts.synced);
    assert_eq!(live_profiles(&harness.store, &user).await, before);
}

#[tokio::test]
async fn an_incremental_run_applies_adds_edits_deletes_renames_and_lost_identifiers() {
    let harness = SyncHarness::start(options_with(&[("acct", 250)])).await;
    let user = harness.connect("u1", "acct").await;
    harness.sync(&user).await;
    let contacts = harness.google.contacts("acct").expect("contacts");
    let with_identifier: Vec<_> = contacts
        .iter()
        .filter(|c| c.contact.has_identifier())
        .collect();
    assert!(
        with_identifier.len() >= 4,
        "the data set has identified people"
    );

    harness
        .google
        .add_contact(
            "acct",
            FakeContact::named("Ada", "Lovelace").with_email("ada@example.com"),
        )
        .expect("added");
    let edited = &with_identifier[0];
    let mut contact = edited.contact.clone();
    contact.names = FakeContact::named("Renamed", "Person").names;
    harness
        .google
        .edit_contact("acct", &edited.resource_name, contact)
        .expect("edited");
    harness
        .google
        .delete_contact("acct", &with_identifier[1].resource_name)
        .expect("deleted");
    let renamed_to = harness
        .google
        .rename_contact("acct", &with_identifier[2].resource_name)
        .expect("renamed");
    harness
        .google
        .edit_contact(
            "acct",
            &with_identifier[3].resource_name,
            FakeContact::named("No", "Identifier"),
        )
        .expect("identifier removed");

    let (outcome, job) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert!(
        job.counts.total_contacts < 10,
        "only the changes are listed: {:?}",
        job.counts
    );
    assert_eq!(job.counts.created, 1);
    assert!(
        job.counts.updated >= 2,
        "the edit and the rename: {:?}",
        job.counts
    );
    assert_eq!(
        job.counts.deleted, 2,
        "the deletion and the lost identifier"
    );
    assert!(job.counts.adds_up(), "{:?}", job.counts);
    let stored = stored_profiles(&harness.store, &user, true).await;
    assert_eq!(
        stored.iter().filter(|p| p.source_id == renamed_to).count(),
        1,
        "the renamed person keeps one profile"
    );
    assert!(
        !stored
            .iter()
            .any(|p| p.source_id == with_identifier[2].resource_name),
        "the old name is gone, not duplicated"
    );
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, "acct")
    );
}

#[tokio::test]
async fn a_deleted_person_who_comes_back_is_restored() {
    let harness = SyncHarness::start(options_with(&[("acct", 50)])).await;
    let user = harness.connect("u1", "acct").await;
    harness.sync(&user).await;
    let first = live_profiles(&harness.store, &user).await;
    let victim = first[0].clone();
    let stored = harness
        .google
        .contact("acct", &victim.source_id)
        .expect("contact");
    harness
        .google
        .delete_contact("acct", &victim.source_id)
        .expect("deleted");
    harness.sync(&user).await;
    assert!(!live_profiles(&harness.store, &user).await.contains(&victim));

    let back = harness
        .google
        .add_contact("acct", stored.contact)
        .expect("added back");
    let (_, job) = harness.sync(&user).await;

    assert_eq!(job.counts.created, 1, "a new resource name is a new person");
    assert!(
        live_profiles(&harness.store, &user)
            .await
            .iter()
            .any(|p| p.source_id == back)
    );
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, "acct")
    );
}

#[tokio::test]
async fn an_expired_sync_token_falls_back_to_a_full_listing_that_finds_deletions() {
    let harness = SyncHarness::start(options_with(&[("acct", 300)])).await;
    let user = harness.connect("u1", "acct").await;
    harness.sync(&user).await;
    let victim = live_profiles(&harness.store, &user).await[3]
        .source_id
        .clone();
    harness
        .google
        .delete_contact("acct", &victim)
        .expect("deleted");
    harness.google.expire_sync_tokens("acct");

    let (outcome, job) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert_eq!(
        job.counts.total_contacts, 299,
        "a full listing of the live contacts"
    );
    assert_eq!(
        job.counts.deleted, 1,
        "the missing profile is marked deleted"
    );
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, "acct")
    );
}

#[tokio::test]
async fn a_failure_half_way_loses_nothing_and_the_next_run_completes() {
    let settings = SyncSettings { max_attempts: 1 };
    let harness = SyncHarness::start_with(options_with(&[("acct", 600)]), settings).await;
    let user = harness.connect("u1", "acct").await;
    turn_on(&harness, &user).await;
    // Two pages pass, then Google fails for longer than the client retries.
    harness.google.inject_fault(Fault::Slow { millis: 0 }, 2);
    harness.google.inject_fault(Fault::ServerError, 20);

    let (outcome, failed) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Failed(_)), "{outcome:?}");
    assert_eq!(failed.status, JobStatus::Failed);
    assert!(failed.error.as_deref().unwrap_or("").contains("Google"));
    assert!(
        failed.fetched > 0,
        "the pages before the failure were applied"
    );
    let written = live_profiles(&harness.store, &user).await;
    assert!(!written.is_empty());
    let connection = harness
        .store
        .find_connection(&user)
        .await
        .expect("read")
        .expect("connected");
    assert!(
        connection.sync_token.is_none(),
        "the sync token did not advance"
    );
    let config = harness
        .store
        .find_config(&user)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(config.consecutive_failures, 1);

    harness.google.clear_faults();
    let (outcome, done) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Completed(_)), "{outcome:?}");
    assert_eq!(done.counts.total_contacts, 600);
    assert!(done.counts.unchanged >= written.len() as i64);
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, "acct")
    );
    let config = harness
        .store
        .find_config(&user)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(config.consecutive_failures, 0);
    assert!(config.last_error.is_none());
}

#[tokio::test]
async fn a_transient_failure_is_retried_by_the_job_and_then_completes() {
    let harness = SyncHarness::start(options_with(&[("acct", 120)])).await;
    let user = harness.connect("u1", "acct").await;
    harness.google.inject_fault(Fault::ServerError, 3);

    let job = harness.sync_to_end(&user).await;

    assert_eq!(job.status, JobStatus::Completed);
    assert_eq!(job.attempt, 2, "one failed attempt, then success");
    assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, "acct")
    );
}

#[tokio::test]
async fn a_revoked_grant_pauses_auto_sync_and_asks_to_reconnect() {
    let harness = SyncHarness::start(options_with(&[("acct", 40)])).await;
    let user = harness.connect("u1", "acct").await;
    turn_on(&harness, &user).await;
    harness.google.revoke_account_grants("acct");

    let (outcome, job) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Failed(_)), "{outcome:?}");
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(job.attempt, 1, "an authorization failure is not retried");
    assert_eq!(job.error.as_deref(), Some(REAUTH_MESSAGE));
    let connection = harness
        .store
        .find_connection(&user)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(connection.status, ConnectionStatus::ReauthRequired);
    let config = harness
        .store
        .find_config(&user)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        config.paused_reason,
        Some(PausedReason::GoogleReauthRequired)
    );
    assert_eq!(config.next_sync_at, None);
}

#[tokio::test]
async fn two_users_never_mix_and_one_failure_leaves_the_other_alone() {
    let harness = SyncHarness::start(options_with(&[("alice-acct", 200), ("bob-acct", 150)])).await;
    let alice = harness.connect("alice", "alice-acct").await;
    let bob = harness.connect("bob", "bob-acct").await;
    harness.sync(&alice).await;
    harness.sync(&bob).await;
    let bob_before = live_profiles(&harness.store, &bob).await;

    harness.google.revoke_account_grants("alice-acct");
    let (alice_outcome, _) = harness.sync(&alice).await;
    let (bob_outcome, bob_job) = harness.sync(&bob).await;

    assert!(matches!(alice_outcome, SyncOutcome::Failed(_)));
    assert!(matches!(bob_outcome, SyncOutcome::Completed(_)));
    assert_eq!(bob_job.status, JobStatus::Completed);
    assert_eq!(live_profiles(&harness.store, &bob).await, bob_before);
    assert_eq!(
        live_profiles(&harness.store, &alice).await,
        expected_profiles(&harness.google, "alice-acct")
    );
    assert_eq!(bob_before, expected_profiles(&harness.google, "bob-acct"));
    assert_ne!(
        live_profiles(&harness.store, &alice).await,
        bob_before,
        "the accounts differ, so the users' profiles differ"
    );
}

#[tokio::test]
async fn a_user_without_a_connection_gets_a_clear_failure() {
    let harness =
        SyncHarness::start(FakeOptions::default().with_account("x", seed_account())).await;
    let user = UserId::parse("nobody").expect("valid");

    let (outcome, job) = harness.sync(&user).await;

    assert!(matches!(outcome, SyncOutcome::Failed(_)), "{outcome:?}");
    assert!(
        job.error
            .as_deref()
            .unwrap_or("")
            .contains("connect Google")
    );
}
