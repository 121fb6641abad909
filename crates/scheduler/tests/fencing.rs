//! Fencing against a real PostgreSQL: a worker whose lease was rescued and handed to a new attempt
//! comes back late, and none of its writes (a whole sync run against the fake Google, heartbeat,
//! page, completion, failure, release) touch the job or the profiles; the new attempt completes,
//! and neither the late worker nor the rescuer changes the completed job.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::{TimeDelta, Utc};
use pulse_domain::ports::{
    JobQueue, JobRepository, PageWrite, RunEnd, RunEnding, StoreError, SyncRunStore,
};
use pulse_domain::sync::{SyncOutcome, SyncSettings};
use pulse_domain::{JobCounts, JobStatus, ProfileDraft};
use pulse_google::fake::generated_account;
use support::count;
use support::harness::Harness;

fn draft(source_id: &str, email: &str) -> ProfileDraft {
    ProfileDraft {
        source_id: source_id.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some(format!("etag-{source_id}")),
        display_name: Some(source_id.to_owned()),
        given_name: None,
        family_name: None,
        primary_email: Some(email.to_owned()),
        emails: vec![email.to_owned()],
        phones: Vec::new(),
        organization: None,
        title: None,
        photo_url: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_worker_cannot_overwrite_the_rescued_jobs_new_attempt() {
    let harness = Harness::start().await;
    let client = &harness.sql;
    let store = harness.store();
    let engine = harness.engine_over(store.clone(), SyncSettings::default());
    let user = harness
        .connect("fenced-user", generated_account(30, 11))
        .await;
    let start = Utc::now();

    let job = store.enqueue_manual(&user, start).await.unwrap();
    let late = store
        .claim_jobs("worker-late", 1, TimeDelta::seconds(1), start)
        .await
        .unwrap()
        .pop()
        .expect("the queued job is claimed");
    assert_eq!((late.job_id, late.attempt), (job.id, 1));

    let after_expiry = start + TimeDelta::seconds(5);
    let rescued = store.rescue_expired(after_expiry, 3).await.unwrap();
    assert_eq!(rescued.requeued, vec![job.id]);
    let fresh = store
        .claim_job(job.id, "worker-new", TimeDelta::minutes(5), after_expiry)
        .await
        .unwrap()
        .expect("the rescued job is claimable again");
    assert_eq!(fresh.attempt, 2);

    // The late worker comes back: a whole sync run stops at its first write, changing nothing.
    let late_outcome = engine.run(&late, &()).await;
    assert_eq!(late_outcome, Ok(SyncOutcome::LeaseLost));
    assert_eq!(
        harness.listings_of("fenced-user"),
        1,
        "the late run did list"
    );
    // Nor does any single write get through.
    assert_eq!(
        store
            .heartbeat(
                std::slice::from_ref(&late),
                Utc::now() + TimeDelta::minutes(5)
            )
            .await
            .unwrap(),
        vec![late.job_id]
    );
    let late_profiles = [draft("people/late", "late@example.com")];
    let page = PageWrite {
        profiles: &late_profiles,
        deletions: &[],
        skipped_no_identifier: 7,
        retired: &[],
        counts_before: JobCounts::default(),
    };
    assert_eq!(
        store.apply_page(&late, page).await,
        Err(StoreError::LeaseLost)
    );
    let late_counts = JobCounts {
        total_contacts: 1,
        synced: 1,
        created: 1,
        ..JobCounts::default()
    };
    let late_run = RunEnd {
        counts: late_counts,
        finished_at: Utc::now(),
        grant: None,
        ending: RunEnding::Completed {
            sync_token: None,
            full_listing: true,
        },
    };
    assert_eq!(
        store.end_run(&late, late_run.clone()).await,
        Err(StoreError::LeaseLost)
    );
    assert_eq!(
        store
            .end_run(
                &late,
                RunEnd {
                    ending: RunEnding::Retrying {
                        message: "late failure".to_owned(),
                        retry_at: Utc::now(),
                    },
                    ..late_run.clone()
                },
            )
            .await,
        Err(StoreError::LeaseLost)
    );
    assert!(!store.release(&late).await.unwrap());

    let running = store
        .find_job(job.id)
        .await
        .unwrap()
        .expect("the job exists");
    assert_eq!(running.status, JobStatus::Running);
    assert_eq!(running.attempt, 2);
    assert_eq!(running.worker_id.as_deref(), Some("worker-new"));
    assert_eq!(running.error, None);
    assert_eq!(running.fetched, 0);
    let profiles = count(
        client,
        "SELECT count(*) FROM relationship_profiles WHERE user_id = 'fenced-user'",
    )
    .await;
    assert_eq!(profiles, 0, "the late worker's page wrote nothing");

    // The new attempt completes with its own results.
    let fresh_profiles = [draft("people/fresh", "fresh@example.com")];
    let page = PageWrite {
        profiles: &fresh_profiles,
        deletions: &[],
        skipped_no_identifier: 2,
        retired: &[],
        counts_before: JobCounts::default(),
    };
    let page_counts = store.apply_page(&fresh, page).await.unwrap();
    assert_eq!(page_counts.created, 1);
    let fresh_counts = JobCounts {
        total_contacts: 3,
        synced: 1,
        created: 1,
        skipped_no_identifier: 2,
        ..JobCounts::default()
    };
    let fresh_run = RunEnd {
        counts: fresh_counts,
        finished_at: Utc::now(),
        grant: None,
        ending: RunEnding::Completed {
            sync_token: None,
            full_listing: true,
        },
    };
    store.end_run(&fresh, fresh_run).await.unwrap();

    // The late worker's completion after the fact, and a rescue pass long after, change nothing.
    assert_eq!(
        store.end_run(&late, late_run).await,
        Err(StoreError::LeaseLost)
    );
    let later = Utc::now() + TimeDelta::hours(1);
    let rescued = store.rescue_expired(later, 3).await.unwrap();
    assert!(rescued.requeued.is_empty() && rescued.failed.is_empty());
    let done = store
        .find_job(job.id)
        .await
        .unwrap()
        .expect("the job exists");
    assert_eq!(done.status, JobStatus::Completed);
    assert_eq!(done.attempt, 2);
    assert_eq!(done.counts.total_contacts, 3);
    assert_eq!(done.counts.skipped_no_identifier, 2);
    assert_eq!(done.error, None);
    let live: Vec<String> = client
        .query(
            "SELECT source_id FROM relationship_profiles \
             WHERE user_id = 'fenced-user' AND deleted_at IS NULL ORDER BY source_id",
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect();
    assert_eq!(live, vec!["people/fresh".to_owned()]);
}
