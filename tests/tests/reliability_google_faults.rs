//! Google misbehaving through a whole round: a 429 storm with `Retry-After`, 500s, an answer
//! slower than the request timeout, a malformed body, an expired sync token, a revoked grant and
//! a user whose Google keeps failing. Each user's job ends with the right status and message,
//! the other users are not held up, every request the fake answered is accounted for, and the
//! profiles are exactly Google's.
//!
//! With `PULSE_LONG_TESTS=1`, the failing user's job is followed through all its attempts to
//! its final failure (about 100 s of retry backoff); otherwise the failure is cleared after the
//! first failed attempt and the retry completes the job.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use pulse_domain::sync::REAUTH_MESSAGE;
use pulse_google::fake::{
    FakeContact, FakeEndpoint, FakeOptions, Fault, FaultTarget, generated_account,
};
use pulse_tests::{
    API, ApiClient, Deployment, JobRow, ServerProcess, eventually_some, eventually_within,
    with_workspace,
};

const CONTACTS: u32 = 30;
const PAGE: u32 = 10;
/// Pages of one full listing of 30 contacts.
const FULL_PAGES: u64 = 3;
/// Attempts per Google request (`PULSE_GOOGLE_MAX_ATTEMPTS`).
const REQUEST_ATTEMPTS: u64 = 12;
/// 429s of the storm, whoever they hit.
const STORM: u64 = 8;
/// Rounds that include a job's retry backoff (30 s, then 60 s).
const ROUND_PATIENCE: Duration = Duration::from_secs(240);

const HEALTHY: usize = 6;
const FLAKY: &str = "faults-flaky";
const SLOW: &str = "faults-slow";
const MALFORMED: &str = "faults-malformed";
const EXPIRED: &str = "faults-expired-token";
const REVOKED: &str = "faults-revoked";
const BROKEN: &str = "faults-broken";

fn long_tests() -> bool {
    std::env::var("PULSE_LONG_TESTS").is_ok_and(|value| value == "1")
}

/// The user's newest job.
async fn last_job(deployment: &Deployment, user: &str) -> JobRow {
    deployment
        .jobs_of(user)
        .await
        .pop()
        .unwrap_or_else(|| panic!("{user} has no job"))
}

/// Waits until the user's round-2 job failed its first attempt and waits for a retry.
async fn waiting_for_retry(deployment: &Deployment, user: &str) -> JobRow {
    eventually_some(
        "a failed attempt waiting for its retry",
        ROUND_PATIENCE,
        || async {
            let jobs = deployment.jobs_of(user).await;
            jobs.get(1)
                .filter(|job| job.status == "queued" && job.attempt == 1 && job.error.is_some())
                .cloned()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_of_a_round_ends_each_job_rightly_and_holds_no_one_else_up() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: PAGE,
        ..FakeOptions::default()
    })
    .await;
    let healthy: Vec<String> = (0..HEALTHY)
        .map(|n| format!("faults-healthy-{n}"))
        .collect();
    let faulted = [FLAKY, SLOW, MALFORMED, EXPIRED, REVOKED, BROKEN].map(str::to_owned);
    let users: Vec<String> = healthy.iter().chain(&faulted).cloned().collect();
    for (seed, user) in (1_u64..).zip(&users) {
        deployment
            .connect(user, generated_account(CONTACTS, 0xFA_0000 + seed))
            .await;
    }
    let config = deployment
        .server_config()
        .with("PULSE_GOOGLE_MAX_ATTEMPTS", &REQUEST_ATTEMPTS.to_string())
        .with("PULSE_GOOGLE_REQUEST_TIMEOUT_MS", "1000");
    let mut server = ServerProcess::serve("server", &config).await;
    let api = ApiClient::new(server.base_url());

    // Round 1, no faults: every user gets a sync token.
    deployment.make_due(&users).await;
    let everyone = i64::try_from(users.len()).expect("small");
    eventually_within("the first round completes", ROUND_PATIENCE, || async {
        deployment.jobs_with_status("completed").await == everyone
    })
    .await;

    // Round 2 with faults.
    let contacts = deployment.google.contacts(EXPIRED).expect("the account");
    deployment
        .google
        .delete_contact(EXPIRED, &contacts[0].resource_name)
        .expect("deleted");
    deployment
        .google
        .edit_contact(
            EXPIRED,
            &contacts[1].resource_name,
            FakeContact::named("Renamed", "Contact").with_email("renamed@example.com"),
        )
        .expect("edited");
    deployment
        .google
        .add_contact(
            EXPIRED,
            FakeContact::named("Added", "Contact").with_email("added@example.com"),
        )
        .expect("added");
    assert!(deployment.google.expire_sync_tokens(EXPIRED) > 0);
    assert!(deployment.google.revoke_account_grants(REVOKED) > 0);
    // A user's own faults come first (they are queued first); the storm then hits whoever
    // calls next. Each 429 costs exactly one more request, and no request runs out of attempts:
    // at most 2 + 8 failures before the answer, under 12 attempts.
    let google = &deployment.google;
    google.inject_fault_for(FLAKY, FaultTarget::People, Fault::ServerError, 2);
    google.inject_fault_for(SLOW, FaultTarget::People, Fault::Slow { millis: 3_000 }, 1);
    google.inject_fault_for(MALFORMED, FaultTarget::People, Fault::MalformedBody, 1);
    google.inject_fault_for(BROKEN, FaultTarget::People, Fault::ServerError, 1_000_000);
    google.inject_fault(
        Fault::RateLimited {
            retry_after_secs: Some(1),
        },
        u32::try_from(STORM).expect("small"),
    );
    google.reset_request_counts();
    deployment.make_due(&users).await;

    let malformed = waiting_for_retry(&deployment, MALFORMED).await;
    assert_eq!(
        malformed.error.as_deref(),
        Some("Google sent a response that could not be read (GET people/me/connections)")
    );
    let broken = waiting_for_retry(&deployment, BROKEN).await;
    let broken_error = broken.error.clone().unwrap_or_default();
    assert!(
        broken_error.starts_with("Google is unavailable right now (")
            && broken_error.contains("HTTP 500"),
        "{broken_error}"
    );

    // Everyone else ends while those two wait for their retries: no one is held up.
    let others: Vec<&String> = users
        .iter()
        .filter(|user| ![MALFORMED, BROKEN].contains(&user.as_str()))
        .collect();
    eventually_within("the other users' jobs end", ROUND_PATIENCE, || async {
        let mut all_final = true;
        for user in &others {
            let jobs = deployment.jobs_of(user).await;
            all_final &=
                jobs.len() == 2 && matches!(jobs[1].status.as_str(), "completed" | "failed");
        }
        all_final
    })
    .await;
    let malformed_now = last_job(&deployment, MALFORMED).await;
    assert_eq!(
        (malformed_now.status.as_str(), malformed_now.attempt),
        ("queued", 1),
        "the other users finished while the malformed answer's job waited for its retry"
    );
    for user in &others {
        let job = last_job(&deployment, user).await;
        if user.as_str() == REVOKED {
            assert_eq!(job.status, "failed", "{user}: {job:?}");
            assert_eq!(job.error.as_deref(), Some(REAUTH_MESSAGE));
        } else {
            assert_eq!(job.status, "completed", "{user}: {job:?}");
            assert_eq!(
                job.attempt, 1,
                "{user}: the client's retries absorbed it: {job:?}"
            );
            assert_eq!(job.error, None, "{user}");
        }
    }
    let shown = api
        .get(
            &with_workspace(&format!("{API}/auto-sync/config"), REVOKED),
            Some(&deployment.admin_key),
        )
        .await;
    shown.expect_status(200);
    assert_eq!(shown.json["paused_reason"], "google_reauth_required");
    assert_eq!(shown.json["connection"], "reauth_required");
    assert_eq!(shown.json["last_error"], REAUTH_MESSAGE);

    // The malformed answer's job completes on its retry; the broken user's either fails for
    // good after its last attempt (long run) or completes once Google recovers.
    if !long_tests() {
        google.clear_faults();
    }
    eventually_within("the retried jobs end", ROUND_PATIENCE, || async {
        let malformed = last_job(&deployment, MALFORMED).await;
        let broken = last_job(&deployment, BROKEN).await;
        malformed.status == "completed" && matches!(broken.status.as_str(), "completed" | "failed")
    })
    .await;
    let malformed = last_job(&deployment, MALFORMED).await;
    assert_eq!(malformed.attempt, 2, "{malformed:?}");
    let broken = last_job(&deployment, BROKEN).await;
    let broken_listings = if long_tests() {
        assert_eq!(broken.status, "failed", "{broken:?}");
        assert_eq!(broken.attempt, 3, "every attempt used: {broken:?}");
        let error = broken.error.clone().unwrap_or_default();
        assert!(
            error.starts_with("Google is unavailable right now ("),
            "{error}"
        );
        let shown = api
            .get(
                &with_workspace(&format!("{API}/auto-sync/config"), BROKEN),
                Some(&deployment.admin_key),
            )
            .await;
        assert_eq!(shown.json["last_error"].as_str(), Some(error.as_str()));
        assert_eq!(shown.json["consecutive_failures"], 1);
        3 * REQUEST_ATTEMPTS
    } else {
        assert_eq!(broken.status, "completed", "{broken:?}");
        assert_eq!(broken.attempt, 2, "{broken:?}");
        REQUEST_ATTEMPTS + 1
    };

    // Every request the fake answered in round 2 is accounted for.
    let expected: BTreeMap<&str, u64> = [
        (FLAKY, 1 + 2),
        (SLOW, 1 + 1),
        (MALFORMED, 1 + 1),
        (EXPIRED, 1 + FULL_PAGES),
        (REVOKED, 1),
        (BROKEN, broken_listings),
    ]
    .into_iter()
    .collect();
    let mut total = 0;
    for user in &users {
        let mut listings = deployment.listings_of(user);
        if user.as_str() == REVOKED {
            // Calls with a revoked grant's token are counted without an account.
            listings += google.request_count("", FakeEndpoint::Connections);
        }
        total += listings;
        let exact = expected.get(user.as_str()).copied().unwrap_or(1);
        assert!(
            (exact..=exact + STORM).contains(&listings),
            "{user}: {listings} listings, {exact} plus any 429s of the storm"
        );
    }
    let accounted: u64 = expected.values().sum::<u64>() + u64::try_from(HEALTHY).expect("small");
    assert_eq!(
        total,
        accounted + STORM,
        "every 429 of the storm was retried once"
    );

    let exit = server.terminate().await;
    assert!(exit.success(), "a graceful stop: {exit}");
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}
