//! Model-based test of the sync engine: after any random sequence of Google-side changes, token
//! expiries, injected faults and syncs, every completed sync leaves the user's live profiles equal
//! to what a fresh full sync of Google's current data gives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use pulse_domain::UserId;
use pulse_domain::sync::{SyncOutcome, SyncSettings};
use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::{AccountChange, SyncHarness, account_change, expected_profiles, live_profiles};

const ACCOUNT: &str = "model-acct";

/// One step of the scenario.
#[derive(Debug, Clone)]
enum Step {
    Change(AccountChange),
    Sync,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        13 => account_change().prop_map(Step::Change),
        3 => Just(Step::Sync),
    ]
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
    for (n, step) in (1..).zip(&steps) {
        match step {
            Step::Change(change) => change.apply(&harness.google, ACCOUNT, n),
            Step::Sync => sync_and_check(&harness, &user).await?,
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
