//! Listing contacts from the fake Google over real HTTP: a full listing across several pages, an
//! incremental listing with adds, edits, deletions and renames, and an expired sync token.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashSet;

use common::{client, list_all, start_fake, user};
use pulse_domain::ports::{ListingMode, SourceError};
use pulse_domain::{PersonOutcome, map_person};
use pulse_google::fake::{
    FakeContact, FakeEndpoint, FakeOptions, SEED_ACCOUNT, SEED_ACCOUNT_SIZE,
    SEED_ACCOUNT_WITH_IDENTIFIER, generated_account,
};

#[tokio::test]
async fn a_full_listing_follows_every_page_and_takes_the_sync_token_from_the_last() {
    let fake = start_fake(FakeOptions::default().with_page_size_cap(50));
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();

    let round = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();

    assert_eq!(round.people.len(), SEED_ACCOUNT_SIZE as usize);
    assert_eq!(round.page_sizes, [50, 50, 50, 50, 50, 50, 50, 50, 28]);
    assert!(round.sync_token.is_some());
    assert_eq!(round.early_sync_tokens, 0);
    assert_eq!(
        fake.request_count(SEED_ACCOUNT, FakeEndpoint::Connections),
        9
    );
    let expected: Vec<_> = fake
        .contacts(SEED_ACCOUNT)
        .unwrap()
        .iter()
        .map(|contact| contact.to_google_person())
        .collect();
    assert_eq!(round.people, expected);
    let with_identifier = round
        .people
        .iter()
        .filter(|person| matches!(map_person(person), PersonOutcome::Profile(_)))
        .count();
    assert_eq!(with_identifier, SEED_ACCOUNT_WITH_IDENTIFIER as usize);
}

#[tokio::test]
async fn an_incremental_listing_returns_adds_edits_deletions_and_renames_only() {
    let fake = start_fake(
        FakeOptions::default()
            .with_account("alice", generated_account(300, 11))
            .with_page_size_cap(2),
    );
    let client = client(&fake);
    let refresh_token = fake.grant("alice").unwrap();
    let alice = user("alice");
    let full = list_all(&client, &alice, &refresh_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(full.people.len(), 300);
    let first_token = full.sync_token.unwrap();

    let contacts = fake.contacts("alice").unwrap();
    let added = fake
        .add_contact(
            "alice",
            FakeContact::named("Nora", "New").with_email("nora@example.com"),
        )
        .unwrap();
    let edited = &contacts[10].resource_name;
    fake.edit_contact(
        "alice",
        edited,
        FakeContact::named("Edith", "Edited").with_phone("+44 20 7946 0001", Some("+442079460001")),
    )
    .unwrap();
    let deleted = &contacts[20].resource_name;
    fake.delete_contact("alice", deleted).unwrap();
    let old_name = &contacts[30].resource_name;
    let renamed = fake.rename_contact("alice", old_name).unwrap();

    let changes = list_all(
        &client,
        &alice,
        &refresh_token,
        ListingMode::Incremental(first_token.clone()),
    )
    .await
    .unwrap();

    assert_eq!(changes.page_sizes, [2, 2]);
    let names: Vec<&str> = changes
        .people
        .iter()
        .map(|p| p.resource_name.as_str())
        .collect();
    assert_eq!(names, [added.as_str(), edited, deleted, &renamed]);
    let by_name = |name: &str| {
        changes
            .people
            .iter()
            .find(|p| p.resource_name == name)
            .unwrap()
    };
    assert_eq!(
        by_name(&added).emails[0].value.as_deref(),
        Some("nora@example.com")
    );
    assert_eq!(
        by_name(edited).phones[0].canonical_form.as_deref(),
        Some("+442079460001")
    );
    assert_eq!(
        by_name(edited).names[0].display_name.as_deref(),
        Some("Edith Edited")
    );
    assert!(by_name(deleted).deleted);
    assert!(by_name(deleted).names.is_empty());
    assert!(!by_name(&renamed).deleted);
    assert_eq!(
        by_name(&renamed).previous_resource_names,
        [old_name.as_str()]
    );
    assert_eq!(
        changes.people.iter().filter(|p| p.deleted).count(),
        1,
        "only the deleted person is marked deleted"
    );
    let second_token = changes.sync_token.unwrap();
    assert_ne!(second_token, first_token);

    let nothing_new = list_all(
        &client,
        &alice,
        &refresh_token,
        ListingMode::Incremental(second_token),
    )
    .await
    .unwrap();
    assert!(nothing_new.people.is_empty());
    assert_eq!(nothing_new.page_sizes, [0]);
    assert!(nothing_new.sync_token.is_some());
}

#[tokio::test]
async fn changes_made_during_a_full_round_come_back_in_the_next_incremental_round() {
    let fake = start_fake(FakeOptions::default().with_page_size_cap(100));
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let me = user("u1");
    let mut listing = pulse_domain::ports::ContactsSource::open_listing(
        &client,
        &me,
        &refresh_token,
        ListingMode::Full,
    );
    let first = pulse_domain::ports::ContactListing::next_page(&mut listing)
        .await
        .unwrap()
        .unwrap();
    let early = &first.people[0].resource_name;
    fake.edit_contact(
        SEED_ACCOUNT,
        early,
        FakeContact::named("Changed", "Mid-round"),
    )
    .unwrap();
    let mut token = None;
    while let Some(page) = pulse_domain::ports::ContactListing::next_page(&mut listing)
        .await
        .unwrap()
    {
        token = page.next_sync_token;
    }
    let changes = list_all(
        &client,
        &me,
        &refresh_token,
        ListingMode::Incremental(token.unwrap()),
    )
    .await
    .unwrap();
    let names: HashSet<&str> = changes
        .people
        .iter()
        .map(|p| p.resource_name.as_str())
        .collect();
    assert_eq!(names, HashSet::from([early.as_str()]));
}

#[tokio::test]
async fn an_expired_sync_token_is_a_typed_error_and_a_full_listing_still_works() {
    let fake = start_fake(FakeOptions::default());
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let me = user("u1");
    let token = list_all(&client, &me, &refresh_token, ListingMode::Full)
        .await
        .unwrap()
        .sync_token
        .unwrap();
    assert_eq!(fake.expire_sync_tokens(SEED_ACCOUNT), 1);

    let expired = list_all(
        &client,
        &me,
        &refresh_token,
        ListingMode::Incremental(token),
    )
    .await;
    assert_eq!(expired.unwrap_err(), SourceError::SyncTokenExpired);

    let unknown = list_all(
        &client,
        &me,
        &refresh_token,
        ListingMode::Incremental(pulse_domain::Secret::new("never-issued")),
    )
    .await;
    assert_eq!(unknown.unwrap_err(), SourceError::SyncTokenExpired);

    let again = list_all(&client, &me, &refresh_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(again.people.len(), SEED_ACCOUNT_SIZE as usize);
    let fresh = again.sync_token.unwrap();
    let incremental = list_all(
        &client,
        &me,
        &refresh_token,
        ListingMode::Incremental(fresh),
    )
    .await
    .unwrap();
    assert!(incremental.people.is_empty());
}

#[tokio::test]
async fn sync_tokens_expire_after_their_lifetime() {
    let fake = start_fake(FakeOptions {
        sync_token_ttl: std::time::Duration::ZERO,
        ..FakeOptions::default()
    });
    let client = client(&fake);
    let refresh_token = fake.grant(SEED_ACCOUNT).unwrap();
    let token = list_all(&client, &user("u1"), &refresh_token, ListingMode::Full)
        .await
        .unwrap()
        .sync_token
        .unwrap();

    let error = list_all(
        &client,
        &user("u1"),
        &refresh_token,
        ListingMode::Incremental(token),
    )
    .await
    .unwrap_err();

    assert_eq!(error, SourceError::SyncTokenExpired);
}

#[tokio::test]
async fn an_empty_account_lists_one_empty_page_with_a_sync_token() {
    let fake = start_fake(
        FakeOptions::default().with_account("empty", pulse_google::fake::Dataset::Empty),
    );
    let client = client(&fake);
    let refresh_token = fake.grant("empty").unwrap();
    let round = list_all(&client, &user("e"), &refresh_token, ListingMode::Full)
        .await
        .unwrap();
    assert_eq!(round.page_sizes, [0]);
    assert!(round.sync_token.is_some());
}
