//! `pulse-sync status` shows each workspace's settings with the next sync in words, its Google
//! connection and its recent jobs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use chrono::Utc;
use pulse_domain::ports::ConfigRepository;
use pulse_domain::{ConfigUpdate, apply_update};
use support::{World, run};

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_next_sync_in_words_and_the_last_sync() {
    let world = World::new().await;
    let user = world.connect("acme").await;
    let update = ConfigUpdate {
        user_id: user.clone(),
        enabled: true,
        interval_hours: None,
    };
    world
        .store
        .modify_config(&user, chrono::Utc::now(), |current| {
            Some(apply_update(current, &update, Utc::now()))
        })
        .await
        .unwrap();
    let synced = run(world.command(&["sync", "--workspace", "acme"]));
    assert!(synced.status.success(), "{}", synced.stderr);

    let one = run(world.command(&["status", "--workspace", "acme"]));
    assert!(one.status.success(), "{}", one.stderr);
    let text = one.stdout;
    assert!(text.contains("Workspace acme"), "{text}");
    assert!(text.contains("Auto-sync: on, every 24 hours"), "{text}");
    assert!(text.contains("Next sync: in 24 hours ("), "{text}");
    assert!(text.contains("Google: connected"), "{text}");
    assert!(
        text.contains("manual  completed  12 synced, 416 skipped (no identifier)"),
        "{text}"
    );

    let all = run(world.command(&["status"]));
    assert!(all.status.success(), "{}", all.stderr);
    assert!(
        all.stdout.contains("Users due for a sync now: 0"),
        "{}",
        all.stdout
    );
    assert!(all.stdout.contains("Workspace acme"), "{}", all.stdout);

    let unknown = run(world.command(&["status", "--workspace", "nobody"]));
    assert!(unknown.status.success());
    assert!(
        unknown
            .stdout
            .contains("Next sync: none (auto-sync is off)")
    );
    assert!(unknown.stdout.contains("Google: not connected"));
}
