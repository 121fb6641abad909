//! `ApiKeyRepository`: hashes only, scopes, authentication marks use, revocation is immediate.

use chrono::TimeDelta;
use pulse_domain::ports::{ApiKeyRepository, ApiKeyScope};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, execute, user};

fn hash(seed: char) -> String {
    seed.to_string().repeat(64)
}

#[tokio::test]
async fn keys_are_created_with_their_scope_and_listed_newest_first() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let admin = store
        .create_key(&hash('a'), &ApiKeyScope::Admin, Some("ops"), at(0))
        .await
        .unwrap();
    let workspace = store
        .create_key(&hash('b'), &ApiKeyScope::Workspace(user("w1")), None, at(1))
        .await
        .unwrap();
    assert_eq!(admin.scope, ApiKeyScope::Admin);
    assert_eq!(admin.name.as_deref(), Some("ops"));
    assert_eq!(admin.created_at, at(0));
    assert_eq!(admin.last_used_at, None);
    assert_eq!(workspace.scope, ApiKeyScope::Workspace(user("w1")));
    assert_eq!(store.list_keys().await.unwrap(), vec![workspace, admin]);
}

#[tokio::test]
async fn authenticating_finds_the_key_by_hash_and_marks_it_used() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let created = store
        .create_key(&hash('c'), &ApiKeyScope::Workspace(user("w2")), None, at(0))
        .await
        .unwrap();
    let found = store
        .authenticate(&hash('c'), at(10))
        .await
        .unwrap()
        .expect("known");
    assert_eq!(found.id, created.id);
    assert_eq!(found.scope, ApiKeyScope::Workspace(user("w2")));
    assert_eq!(found.last_used_at, Some(at(10)));
    let upper = hash('c').to_uppercase();
    assert!(store.authenticate(&upper, at(10)).await.unwrap().is_some());
    assert_eq!(store.authenticate(&hash('d'), at(10)).await.unwrap(), None);

    // Within a minute, use is not written again; later it is.
    let soon = at(10) + TimeDelta::seconds(30);
    let again = store
        .authenticate(&hash('c'), soon)
        .await
        .unwrap()
        .expect("known");
    assert_eq!(again.last_used_at, Some(at(10)));
    let later = store
        .authenticate(&hash('c'), at(12))
        .await
        .unwrap()
        .expect("known");
    assert_eq!(later.last_used_at, Some(at(12)));
    let listed = store.list_keys().await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(at(12)));
}

#[tokio::test]
async fn a_revoked_key_stops_authenticating_at_once() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let created = store
        .create_key(&hash('e'), &ApiKeyScope::Admin, None, at(0))
        .await
        .unwrap();
    assert!(store.revoke_key(created.id, at(1)).await.unwrap());
    assert!(!store.revoke_key(created.id, at(2)).await.unwrap());
    assert!(!store.revoke_key(uuid::Uuid::new_v4(), at(2)).await.unwrap());
    assert_eq!(store.authenticate(&hash('e'), at(3)).await.unwrap(), None);
    let listed = store.list_keys().await.unwrap();
    assert_eq!(listed[0].revoked_at, Some(at(1)));
}

#[tokio::test]
async fn the_table_accepts_only_hashes_and_consistent_scopes() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .create_key(&hash('f'), &ApiKeyScope::Admin, None, at(0))
        .await
        .unwrap();
    assert!(
        store
            .create_key(&hash('f'), &ApiKeyScope::Admin, None, at(0))
            .await
            .is_err()
    );
    assert!(
        store
            .create_key("plain-key", &ApiKeyScope::Admin, None, at(0))
            .await
            .is_err()
    );
    for (statement, constraint) in [
        (
            format!(
                "INSERT INTO api_keys (key_hash, scope) VALUES ('{}', 'workspace')",
                hash('1')
            ),
            "api_keys_scope_workspace",
        ),
        (
            format!(
                "INSERT INTO api_keys (key_hash, scope, workspace_id) VALUES ('{}', 'admin', 'w')",
                hash('2')
            ),
            "api_keys_scope_workspace",
        ),
        (
            format!(
                "INSERT INTO api_keys (key_hash, scope) VALUES ('{}', 'root')",
                hash('3')
            ),
            "api_keys_scope_known",
        ),
        (
            "INSERT INTO api_keys (key_hash, scope) VALUES ('sk_live_secret', 'admin')".to_owned(),
            "api_keys_hash_is_sha256_hex",
        ),
    ] {
        let error = execute(&database, &statement).await.expect_err(&statement);
        assert!(error.contains(constraint), "{error}");
    }
}
