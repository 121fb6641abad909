//! Model-based test of the sync engine: after any random sequence of Google-side changes, token
//! expiries, injected faults and syncs, every completed sync leaves the user's live profiles equal
//! to what a fresh full sync of Google's current data gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use pulse_domain::UserId;
use pulse_domain::sync::{SyncOutcome, SyncSettings};
use pulse_google::fake::{FakeContact, FakeOptions, Fault, generated_account};
use pulse_tests::{SyncHarness, expected_profiles, live_profiles};

const ACCOUNT: &str = "model-acct";

/// One step of the scenario.
#[derive(Debug, Clone)]
enum Step {
    Add { with_email: bool },
    Edit { pick: usize },
    Delete { pick: usize },
    RemoveIdentifier { pick: usize },
    GiveIdentifier { pick: usize },
    Rename { pick: usize },
    ExpireSyncToken,
    FailNextCalls { calls: u32 },
    Sync,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<bool>().prop_map(|with_email| Step::Add { with_email }),
        3 => any::<usize>().prop_map(|pick| Step::Edit { pick }),
        2 => any::<usize>().prop_map(|pick| Step::Delete { pick }),
        1 => any::<usize>().prop_map(|pick| Step::RemoveIdentifier { pick }),
        1 => any::<usize>().prop_map(|pick| Step::GiveIdentifier { pick }),
        1 => any::<usize>().prop_map(|pick| Step::Rename { pick }),
        1 => Just(Step::ExpireSyncToken),
        1 => (1_u32..8).prop_map(|calls| Step::FailNextCalls { calls }),
        3 => Just(Step::Sync),
    ]
}

fn apply(harness: &SyncHarness, step: &Step, counter: &mut u32) {
    let google = &harness.google;
    let contacts = google.contacts(ACCOUNT).expect("contacts");
    let pick = |index: usize| contacts.get(index % contacts.len().max(1));
    *counter += 1;
    let n = *counter;
    match step {
        Step::Add { with_email } => {
            let mut contact = FakeContact::named(&format!("Added{n}"), "Person");
            if *with_email {
                contact = contact.with_email(&format!("added{n}@example.com"));
            }
            google.add_contact(ACCOUNT, contact).expect("added");
        }
        Step::Edit { pick: index } => {
            if let Some(found) = pick(*index) {
                let mut contact = found.contact.clone();
                contact.names = FakeContact::named(&format!("Edited{n}"), "Person").names;
                google
                    .edit_contact(ACCOUNT, &found.resource_name, contact)
                    .expect("edited");
            }
        }
        Step::Delete { pick: index } => {
            if let Some(found) = pick(*index) {
                google
                    .delete_contact(ACCOUNT, &found.resource_name)
                    .expect("deleted");
            }
        }
        Step::RemoveIdentifier { pick: index } => {
            if let Some(found) = pick(*index) {
                let mut contact = found.contact.clone();
                contact.emails.clear();
                contact.phones.clear();
                google
                    .edit_contact(ACCOUNT, &found.resource_name, contact)
                    .expect("edited");
            }
        }
        Step::GiveIdentifier { pick: index } => {
            if let Some(found) = pick(*index) {
                let contact = found
                    .contact
                    .clone()
                    .with_phone(&format!("+1 555 01{n:04}"), None);
                google
                    .edit_contact(ACCOUNT, &found.resource_name, contact)
                    .expect("edited");
            }
        }
        Step::Rename { pick: index } => {
            if let Some(found) = pick(*index) {
                google
                    .rename_contact(ACCOUNT, &found.resource_name)
                    .expect("renamed");
            }
        }
        Step::ExpireSyncToken => {
            google.expire_sync_tokens(ACCOUNT);
        }
        Step::FailNextCalls { calls } => google.inject_fault(Fault::ServerError, *calls),
        Step::Sync => {}
    }
}

async fn sync_and_check(harness: &SyncHarness, user: &UserId) -> Result<(), TestCaseError> {
    let (outcome, job) = harness.sync(user).await;
    prop_assert!(job.counts.adds_up(), "counts add up: {:?}", job.counts);
    if let SyncOutcome::Completed(_) = outcome {
        prop_assert_eq!(
            live_profiles(&harness.store, user).await,
            expected_profiles(&harness.google, ACCOUNT)
        );
    }
    Ok(())
}

async fn scenario(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let options = FakeOptions::default()
        .with_page_size_cap(7)
        .with_account(ACCOUNT, generated_account(30, 11));
    let harness = SyncHarness::start_with(options, SyncSettings { max_attempts: 1 }).await;
    let user = harness.connect("model-user", ACCOUNT).await;
    let mut counter = 0;
    for step in &steps {
        apply(&harness, step, &mut counter);
        if matches!(step, Step::Sync) {
            sync_and_check(&harness, &user).await?;
        }
    }
    harness.google.clear_faults();
    sync_and_check(&harness, &user).await?;
    prop_assert_eq!(
        live_profiles(&harness.store, &user).await,
        expected_profiles(&harness.google, ACCOUNT),
        "the last sync completed and matches Google"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn live_profiles_always_equal_a_fresh_full_sync(steps in proptest::collection::vec(step(), 1..24)) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(scenario(steps))?;
    }
}
