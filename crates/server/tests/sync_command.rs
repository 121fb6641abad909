//! `pulse-sync sync --workspace U` runs one sync in the foreground and prints its counts: the
//! seed's account gives "12 synced, 416 skipped (no identifier)", the profiles are stored, the next
//! run is incremental, and a workspace without Google fails with a message a person understands.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pulse_domain::JobStatus;
use pulse_domain::ports::{JobRepository, ProfileQuery, ProfileRepository};
use support::{World, run};

#[tokio::test(flavor = "multi_thread")]
async fn a_foreground_sync_prints_the_seed_accounts_counts() {
    let world = World::new().await;
    let user = world.connect("acme").await;
    let finished = run(world.command(&["sync", "--workspace", "acme"]));
    assert!(finished.status.success(), "stderr:\n{}", finished.stderr);
    assert_eq!(
        finished.stdout.trim(),
        "12 synced, 416 skipped (no identifier)",
        "stderr:\n{}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains("428 contacts"),
        "plain progress lines off a terminal:\n{}",
        finished.stderr
    );

    let jobs = world.store.list_jobs(&user, 10, None).await.unwrap().items;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].status, JobStatus::Completed);
    assert_eq!(jobs[0].counts.synced, 12);
    let query = ProfileQuery {
        user_id: user,
        limit: 100,
        cursor: None,
        search: None,
        include_deleted: false,
    };
    let profiles = world.store.list_profiles(&query).await.unwrap();
    assert_eq!(profiles.items.len(), 12);

    // The next run is incremental (Google's sync token): nothing changed, nothing to count.
    let again = run(world.command(&["sync", "--workspace", "acme"]));
    assert!(again.status.success(), "{}", again.stderr);
    assert_eq!(again.stdout.trim(), "0 synced, 0 skipped (no identifier)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workspace_without_google_fails_with_a_plain_message() {
    let world = World::new().await;
    let finished = run(world.command(&["sync", "--workspace", "nobody"]));
    assert_eq!(finished.status.code(), Some(1), "{}", finished.stderr);
    assert!(
        finished
            .stderr
            .contains("error: the sync failed: Google is not connected"),
        "{}",
        finished.stderr
    );
    assert!(finished.stdout.is_empty());
    let bad = run(world.command(&["sync", "--workspace", " "]));
    assert_eq!(bad.status.code(), Some(1));
    assert!(bad.stderr.contains("--workspace"), "{}", bad.stderr);
}
