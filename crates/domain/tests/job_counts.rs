//! `JobCounts`: the counts of a run add up (total = synced + skipped + reported deletions, synced =
//! created + updated + unchanged), page by page, and job names round-trip.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_domain::{JobCounts, JobStatus, JobTrigger};

fn seed_run() -> JobCounts {
    JobCounts {
        total_contacts: 428,
        synced: 12,
        created: 12,
        updated: 0,
        unchanged: 0,
        deleted: 0,
        skipped_no_identifier: 416,
        reported_deletions: 0,
    }
}

#[test]
fn empty_counts_add_up() {
    assert!(JobCounts::default().adds_up());
}

#[test]
fn the_seeds_run_adds_up() {
    assert!(seed_run().adds_up());
}

#[test]
fn counts_with_deletions_and_updates_add_up() {
    let counts = JobCounts {
        total_contacts: 20,
        synced: 15,
        created: 3,
        updated: 5,
        unchanged: 7,
        deleted: 6,
        skipped_no_identifier: 2,
        reported_deletions: 3,
    };
    assert!(counts.adds_up());
}

#[test]
fn a_total_that_loses_a_person_does_not_add_up() {
    let mut counts = seed_run();
    counts.total_contacts = 429;
    assert!(!counts.adds_up());
    counts.total_contacts = 427;
    assert!(!counts.adds_up());
}

#[test]
fn synced_that_differs_from_its_parts_does_not_add_up() {
    let mut counts = seed_run();
    counts.created = 11;
    assert!(!counts.adds_up());

    let mut counts = seed_run();
    counts.unchanged = 1;
    assert!(!counts.adds_up());
}

#[test]
fn unreported_deletions_do_not_count_in_the_total() {
    let mut counts = seed_run();
    counts.deleted = 5;
    assert!(counts.adds_up());
    counts.reported_deletions = 1;
    assert!(!counts.adds_up());
}

#[test]
fn pages_add_field_by_field() {
    let page = JobCounts {
        total_contacts: 10,
        synced: 6,
        created: 1,
        updated: 2,
        unchanged: 3,
        deleted: 4,
        skipped_no_identifier: 3,
        reported_deletions: 1,
    };
    let mut total = JobCounts::default();
    total.add(&page);
    total.add(&page);
    assert_eq!(
        total,
        JobCounts {
            total_contacts: 20,
            synced: 12,
            created: 2,
            updated: 4,
            unchanged: 6,
            deleted: 8,
            skipped_no_identifier: 6,
            reported_deletions: 2,
        }
    );
    assert!(total.adds_up());
}

#[test]
fn job_triggers_and_statuses_round_trip_their_names() {
    for trigger in [JobTrigger::Auto, JobTrigger::Manual] {
        assert_eq!(JobTrigger::parse(trigger.as_str()), Ok(trigger));
    }
    let statuses = [
        (JobStatus::Queued, "queued", false),
        (JobStatus::Running, "running", false),
        (JobStatus::Completed, "completed", true),
        (JobStatus::Failed, "failed", true),
        (JobStatus::Cancelled, "cancelled", true),
    ];
    for (status, name, is_final) in statuses {
        assert_eq!(status.as_str(), name);
        assert_eq!(JobStatus::parse(name), Ok(status));
        assert_eq!(status.is_final(), is_final);
    }
    assert!(JobStatus::parse("done").is_err());
    assert!(JobTrigger::parse("cron").is_err());
}
