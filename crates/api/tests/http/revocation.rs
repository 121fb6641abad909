//! Key revocation across replicas: two API servers on one database, each with a store (and so a
//! key cache) of its own. A key revoked through one is refused by it at once, and by the other
//! within a bounded wait (the revocation epoch is read at most once a second).

use std::time::{Duration, Instant};

use chrono::Utc;
use pulse_domain::ports::{ApiKeyRepository, ApiKeyScope};
use reqwest::StatusCode;

use crate::support::{TestApi, expect_error, user};

const WORKSPACE: &str = "ws-replicas";

/// Far longer than the one second a replica may take: the test waits only as long as needed.
const PATIENCE: Duration = Duration::from_secs(15);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_revoked_on_one_server_is_refused_there_at_once_and_soon_on_the_other() {
    let a = TestApi::start().await;
    let b = a.beside().await;
    let (key, id) = a
        .key_with_scope(&ApiKeyScope::Workspace(user(WORKSPACE)))
        .await;
    let path = format!("/api/logos-vision/auto-sync/config?workspace_id={WORKSPACE}");
    // Both servers authenticate the key, and then answer it from their caches.
    for server in [&a, &b] {
        for _ in 0..3 {
            assert_eq!(server.get(&path, &key).await.status(), StatusCode::OK);
        }
    }

    assert!(a.store.revoke_key(id, Utc::now()).await.expect("revoked"));
    expect_error(
        a.get(&path, &key).await,
        StatusCode::UNAUTHORIZED,
        "invalid_api_key",
    )
    .await;

    let deadline = Instant::now() + PATIENCE;
    loop {
        let status = b.get(&path, &key).await.status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK, "the key works or is refused");
        assert!(
            Instant::now() < deadline,
            "server B still accepts the key revoked on server A"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for server in [&a, &b] {
        expect_error(
            server.get(&path, &key).await,
            StatusCode::UNAUTHORIZED,
            "invalid_api_key",
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_created_after_another_server_cached_its_keys_works_there_at_once() {
    let a = TestApi::start().await;
    let b = a.beside().await;
    let path = format!("/api/logos-vision/auto-sync/config?workspace_id={WORKSPACE}");
    let first = a.workspace_key(WORKSPACE).await;
    assert_eq!(b.get(&path, &first).await.status(), StatusCode::OK);
    let second = a.workspace_key(WORKSPACE).await;
    assert_eq!(b.get(&path, &second).await.status(), StatusCode::OK);
}
