//! The due scanner end to end (real PostgreSQL, fake Google over HTTP): a due user gets exactly one
//! auto job and one sync and its `next_sync_at` moves one interval along the grid; users not due,
//! disabled or paused get nothing; a user three intervals overdue gets one sync, not three.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::TimeDelta;
use pulse_google::fake::generated_account;
use support::eventually;
use support::harness::{Harness, fast_config, now_micros};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn due_users_get_one_sync_each_and_move_one_slot_along_the_grid() {
    let harness = Harness::start().await;
    let now = now_micros();
    let hour = TimeDelta::hours(1);
    let due_at = now - TimeDelta::minutes(10);
    let overdue_at = now - TimeDelta::hours(3) - TimeDelta::minutes(10);
    let users = [
        "due-user",
        "overdue-user",
        "future-user",
        "disabled-user",
        "paused-user",
    ];
    for (seed, user) in (1_u64..).zip(users) {
        harness.connect(user, generated_account(25, seed)).await;
    }
    harness
        .set_config("due-user", true, 1, Some(due_at), None)
        .await;
    harness
        .set_config("overdue-user", true, 1, Some(overdue_at), None)
        .await;
    harness
        .set_config("future-user", true, 1, Some(now + hour), None)
        .await;
    harness
        .set_config("disabled-user", false, 1, Some(due_at), None)
        .await;
    harness
        .set_config(
            "paused-user",
            true,
            1,
            Some(due_at),
            Some("too_many_failures"),
        )
        .await;

    let (scheduler, _wakeup) = harness.scheduler(fast_config("scan-test"));
    let running = support::harness::spawn_scheduler(scheduler);
    eventually("both due users are synced", || async {
        harness.jobs_with_status("completed").await == 2
    })
    .await;
    // Let the scanner come around a few more times: nothing else is due.
    let (observer, _) = harness.scheduler(fast_config("scan-observer"));
    for _ in 0..3 {
        let report = observer.scan_once().await.unwrap();
        assert_eq!(report.enqueued, 0);
    }
    running.stop().await;

    for user in ["due-user", "overdue-user"] {
        let jobs = harness.jobs_of(user).await;
        assert_eq!(jobs.len(), 1, "{user}: {jobs:?}");
        assert_eq!(jobs[0].trigger, "auto");
        assert_eq!(jobs[0].status, "completed");
        assert_eq!(jobs[0].attempt, 1);
        assert_eq!(harness.listings_of(user), 1, "{user} was listed once");
        let (live, rows) = harness.profiles_of(user).await;
        let expected = harness.expected_profiles(user);
        assert!(!expected.is_empty());
        assert_eq!(live, expected);
        assert_eq!(rows, i64::try_from(expected.len()).unwrap());
    }
    let (next, last) = harness.schedule_of("due-user").await;
    assert_eq!(next, Some(due_at + hour), "one interval along the grid");
    assert!(last.is_some_and(|last| last >= now));
    let (next, last) = harness.schedule_of("overdue-user").await;
    assert_eq!(
        next,
        Some(overdue_at + hour * 4),
        "the first grid slot after now: one catch-up, not three"
    );
    assert!(last.is_some());

    for user in ["future-user", "disabled-user", "paused-user"] {
        assert!(harness.jobs_of(user).await.is_empty(), "{user} got a job");
        assert_eq!(harness.listings_of(user), 0, "{user} was listed");
    }
    assert_eq!(harness.schedule_of("future-user").await.0, Some(now + hour));
    assert_eq!(harness.schedule_of("disabled-user").await.0, Some(due_at));
    assert_eq!(harness.schedule_of("paused-user").await.0, Some(due_at));
}
