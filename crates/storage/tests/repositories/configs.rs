//! `ConfigRepository`: reads without creating rows, locked read-modify-writes, and the CHECKs.

use pulse_domain::ports::ConfigRepository;
use pulse_domain::schedule::on_success;
use pulse_domain::{AutoSyncConfig, ConfigUpdate, PausedReason, SyncInterval, apply_update};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, count, execute, user};

fn turn_on(user_id: &str, hours: i64) -> ConfigUpdate {
    ConfigUpdate {
        user_id: user(user_id),
        enabled: true,
        interval_hours: Some(SyncInterval::from_hours(hours).expect("valid interval")),
    }
}

#[tokio::test]
async fn a_user_without_a_row_has_none_and_reading_creates_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    assert_eq!(store.find_config(&user("nobody")).await.unwrap(), None);
    let unchanged = store
        .modify_config(&user("nobody"), chrono::Utc::now(), |current| {
            assert!(current.is_none());
            None
        })
        .await
        .unwrap();
    assert_eq!(unchanged, None);
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM google_contacts_auto_sync_config"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn a_modified_config_is_stored_and_read_back_field_for_field() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("workspace-1");
    let stored = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            Some(apply_update(current, &turn_on("workspace-1", 6), at(0)))
        })
        .await
        .unwrap()
        .expect("stored");
    assert!(stored.enabled);
    assert_eq!(stored.interval_hours.hours(), 6);
    assert_eq!(stored.next_sync_at, Some(at(6 * 60)));
    assert_eq!(stored.created_at, Some(at(0)));
    assert_eq!(stored.updated_at, Some(at(0)));
    assert_eq!(store.find_config(&u).await.unwrap().as_ref(), Some(&stored));

    let paused = AutoSyncConfig {
        consecutive_failures: 10,
        paused_reason: Some(PausedReason::TooManyFailures),
        last_error: Some("Google is unavailable".to_owned()),
        next_sync_at: None,
        last_sync_at: Some(at(5)),
        updated_at: Some(at(7)),
        ..stored.clone()
    };
    let written = store
        .modify_config(&u, chrono::Utc::now(), |_| Some(paused.clone()))
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(written, paused);
    assert_eq!(store.find_config(&u).await.unwrap(), Some(paused));
}

#[tokio::test]
async fn the_same_values_again_write_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("same");
    let first = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            Some(apply_update(current, &turn_on("same", 24), at(0)))
        })
        .await
        .unwrap()
        .expect("stored");
    let again = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            Some(apply_update(current, &turn_on("same", 24), at(30)))
        })
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(again, first);
    assert_eq!(again.updated_at, Some(at(0)));
}

#[tokio::test]
async fn a_change_that_keeps_updated_at_gets_the_write_time() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("success");
    let first = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            Some(apply_update(current, &turn_on("success", 24), at(0)))
        })
        .await
        .unwrap()
        .expect("stored");
    let after = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            current.map(|c| on_success(c, at(60)))
        })
        .await
        .unwrap()
        .expect("stored");
    assert_eq!(after.last_sync_at, Some(at(60)));
    assert!(after.updated_at > first.updated_at);
    assert_eq!(after.created_at, first.created_at);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_modifications_of_one_user_are_serialised_even_before_the_row_exists() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("contended");
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            let u = u.clone();
            tokio::spawn(async move {
                store
                    .modify_config(&u, chrono::Utc::now(), |current| {
                        let mut next = current
                            .cloned()
                            .unwrap_or_else(|| AutoSyncConfig::defaults(u.clone()));
                        next.consecutive_failures += 1;
                        Some(next)
                    })
                    .await
                    .expect("modify")
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("task");
    }
    let config = store.find_config(&u).await.unwrap().expect("stored");
    assert_eq!(config.consecutive_failures, 16);
}

#[tokio::test]
async fn the_database_refuses_what_the_domain_refuses() {
    let database = TestDatabase::new().await;
    let insert = |user_id: &str, interval: i64, paused: &str| {
        format!(
            "INSERT INTO google_contacts_auto_sync_config (user_id, interval_hours, paused_reason) \
             VALUES ('{user_id}', {interval}, {paused})"
        )
    };
    assert!(execute(&database, &insert("ok", 720, "NULL")).await.is_ok());
    for (statement, constraint) in [
        (insert("a", 0, "NULL"), "auto_sync_config_interval_range"),
        (insert("b", 721, "NULL"), "auto_sync_config_interval_range"),
        (insert("c", -1, "NULL"), "auto_sync_config_interval_range"),
        (insert("", 24, "NULL"), "auto_sync_config_user_id_length"),
        (
            insert(&"x".repeat(256), 24, "NULL"),
            "auto_sync_config_user_id_length",
        ),
        (
            insert("d", 24, "'sleepy'"),
            "auto_sync_config_paused_reason_known",
        ),
    ] {
        let error = execute(&database, &statement).await.expect_err(&statement);
        assert!(error.contains(constraint), "{error}");
    }
    let control = "INSERT INTO google_contacts_auto_sync_config (user_id) VALUES (E'a\\tb')";
    let error = execute(&database, control)
        .await
        .expect_err("control character");
    assert!(
        error.contains("auto_sync_config_user_id_no_control"),
        "{error}"
    );
    let duplicate = execute(&database, &insert("ok", 24, "NULL"))
        .await
        .expect_err("duplicate");
    assert!(duplicate.contains("unique"), "{duplicate}");
}
