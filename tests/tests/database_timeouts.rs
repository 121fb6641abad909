//! The session timeouts end a stuck statement instead of letting it hang: a table locked by the
//! test makes the API's read wait past `statement_timeout` (or `lock_timeout`), the API answers
//! its documented `503 database_unavailable` JSON error within seconds, and the one connection
//! of its pool is free again for the next request once the lock is gone. Direct and through a
//! transaction pooler (where the timeouts are set with `SET LOCAL`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_google::fake::FakeOptions;
use pulse_tests::pgbouncer::PgBouncer;
use pulse_tests::{API, ApiClient, Deployment, ServerConfig, ServerProcess, is_documented_error};
use serde_json::json;

/// A lock the test holds while the server's statement waits behind it.
const LOCK_CONFIGS: &str =
    "BEGIN; LOCK TABLE google_contacts_auto_sync_config IN ACCESS EXCLUSIVE MODE";

/// What ran out.
#[derive(Debug, Clone, Copy)]
enum Limit {
    Statement,
    Lock,
}

async fn a_stuck_read_answers_503_and_frees_its_connection(limit: Limit, pooled: bool) {
    let deployment = Deployment::start(FakeOptions::default()).await;
    let bouncer = if pooled {
        match PgBouncer::start(deployment.database_url(), 2) {
            Some(bouncer) => Some(bouncer),
            None => return,
        }
    } else {
        None
    };
    let (statement, lock) = match limit {
        Limit::Statement => ("1", "0"),
        Limit::Lock => ("0", "1"),
    };
    let mut config: ServerConfig = deployment
        .server_config()
        .with("PULSE_DATABASE_STATEMENT_TIMEOUT_SECONDS", statement)
        .with("PULSE_DATABASE_LOCK_TIMEOUT_SECONDS", lock)
        .with("PULSE_API_POOL_SIZE", "1")
        .with("PULSE_NO_SCHEDULER", "1");
    if let Some(bouncer) = &bouncer {
        config
            .set("DATABASE_URL", &bouncer.url_for(deployment.database_url()))
            .set("PULSE_DATABASE_POOLER", "transaction");
    }
    let mut server = ServerProcess::serve("timeouts", &config).await;
    let api = ApiClient::new(server.base_url());
    let key = Some(deployment.admin_key.as_str());
    let path = format!("{API}/auto-sync/config?workspace_id=stuck-user");
    api.get(&path, key).await.expect_status(200);

    let holder = pulse_tests::sql::connect(deployment.database_url()).await;
    holder
        .batch_execute(LOCK_CONFIGS)
        .await
        .expect("the test takes the lock");
    let stuck = api.get(&path, key).await;
    stuck.expect_status(503);
    assert!(is_documented_error(&stuck.json), "{}", stuck.text);
    assert_eq!(
        stuck.json["error"]["code"],
        json!("database_unavailable"),
        "{}",
        stuck.text
    );
    holder
        .batch_execute("ROLLBACK")
        .await
        .expect("the test releases the lock");

    // The pool's only connection was given back: the next request gets it.
    api.get(&path, key).await.expect_status(200);
    let cancelled = match limit {
        Limit::Statement => "canceling statement due to statement timeout",
        Limit::Lock => "canceling statement due to lock timeout",
    };
    assert!(
        server.logs().find(cancelled).is_some(),
        "the log says what ran out ({cancelled}):\n{}",
        server.logs().tail(40)
    );
    assert_eq!(server.terminate().await.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_statement_timeout_is_a_503_and_frees_its_connection() {
    a_stuck_read_answers_503_and_frees_its_connection(Limit::Statement, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_past_lock_timeout_is_a_503_and_frees_its_connection() {
    a_stuck_read_answers_503_and_frees_its_connection(Limit::Lock, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_transaction_pooler_the_timeouts_hold_too() {
    a_stuck_read_answers_503_and_frees_its_connection(Limit::Statement, true).await;
}
