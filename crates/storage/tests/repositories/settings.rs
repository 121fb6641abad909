//! `ConfigRepository::settings_view` and `change_settings`: the configuration read with the
//! connection's state in one statement, and changes written by compare-and-set on the row's
//! version, falling back to the row lock when another writer won the race.

use std::sync::atomic::{AtomicUsize, Ordering};

use pulse_domain::ports::{ConfigRepository, ConnectionRepository, SettingsView};
use pulse_domain::{
    ConfigUpdate, ConnectionStatus, NewConnection, Secret, SyncInterval, apply_update,
};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, execute, user};

fn update(user_id: &str, enabled: bool, hours: i64) -> ConfigUpdate {
    ConfigUpdate {
        user_id: user(user_id),
        enabled,
        interval_hours: Some(SyncInterval::from_hours(hours).expect("valid interval")),
    }
}

fn connection(user_id: &str) -> NewConnection {
    NewConnection {
        user_id: user(user_id),
        google_account_id: None,
        google_email: Some("alice@example.com".to_owned()),
        refresh_token: Secret::new("refresh"),
        access_token_expires_at: None,
        scopes: Vec::new(),
    }
}

#[tokio::test]
async fn the_view_of_a_new_workspace_is_empty_and_creates_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let view = store.settings_view(&user("new")).await.unwrap();
    assert_eq!(
        view,
        SettingsView {
            config: None,
            connection: None
        }
    );
    assert_eq!(store.find_config(&user("new")).await.unwrap(), None);
}

#[tokio::test]
async fn the_view_brings_the_config_and_the_connection_state_together() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_connection(&connection("both"), at(0))
        .await
        .unwrap();
    let changed = store
        .change_settings(&user("both"), at(1), |current| {
            Some(apply_update(current, &update("both", true, 6), at(1)))
        })
        .await
        .unwrap();
    let connected = changed.connection.clone().expect("a connection");
    assert_eq!(connected.status, ConnectionStatus::Connected);
    assert_eq!(connected.google_email.as_deref(), Some("alice@example.com"));
    let stored = store.find_config(&user("both")).await.unwrap();
    assert_eq!(changed.config, stored);
    assert_eq!(stored.as_ref().map(|c| c.interval_hours.hours()), Some(6));
    let view = store.settings_view(&user("both")).await.unwrap();
    assert_eq!(view, changed);

    store
        .mark_reauth_required(&user("both"), at(2))
        .await
        .unwrap();
    let view = store.settings_view(&user("both")).await.unwrap();
    assert_eq!(
        view.connection.map(|c| c.status),
        Some(ConnectionStatus::ReauthRequired)
    );
    assert_eq!(view.config, stored);
}

#[tokio::test]
async fn a_change_that_stores_nothing_writes_nothing() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let first = store
        .change_settings(&user("same"), at(1), |current| {
            Some(apply_update(current, &update("same", true, 24), at(1)))
        })
        .await
        .unwrap();
    let again = store
        .change_settings(&user("same"), at(5), |current| {
            let next = apply_update(current, &update("same", true, 24), at(5));
            (current != Some(&next)).then_some(next)
        })
        .await
        .unwrap();
    assert_eq!(
        again, first,
        "same settings: the row (and updated_at) unchanged"
    );
}

#[tokio::test]
async fn a_row_changed_between_the_read_and_the_write_is_changed_again_under_the_lock() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .change_settings(&user("race"), at(1), |current| {
            Some(apply_update(current, &update("race", true, 24), at(1)))
        })
        .await
        .unwrap();
    let calls = AtomicUsize::new(0);
    let changed = store
        .change_settings(&user("race"), at(2), |current| {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                // Another writer (a finishing sync, say) changes the row after this read; the
                // change cannot block on it, so it runs in another session, synchronously.
                std::thread::scope(|scope| {
                    scope.spawn(|| {
                        let runtime = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("a runtime");
                        runtime
                            .block_on(execute(
                                &database,
                                "UPDATE google_contacts_auto_sync_config
                                 SET last_error = 'written by another' WHERE user_id = 'race'",
                            ))
                            .expect("the other write");
                    });
                });
            }
            Some(apply_update(current, &update("race", true, 12), at(2)))
        })
        .await
        .unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the change ran again on the newer row"
    );
    let config = changed.config.expect("stored");
    assert_eq!(config.interval_hours.hours(), 12);
    assert_eq!(config.last_error.as_deref(), Some("written by another"));
    assert_eq!(
        store.find_config(&user("race")).await.unwrap(),
        Some(config)
    );
}
