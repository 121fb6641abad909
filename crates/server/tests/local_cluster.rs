//! Without `DATABASE_URL`, `pulse-sync` runs on its own PostgreSQL in `PULSE_DATA_DIR`: `serve`
//! starts it, generates the encryption key once (mode 0600) and keeps it, and a later command on
//! the same directory opens what was sealed with that key.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::os::unix::fs::PermissionsExt;

use chrono::Utc;
use pulse_domain::ports::ConnectionRepository;
use pulse_domain::{NewConnection, UserId};
use pulse_google::fake::{FakeGoogle, FakeOptions, SEED_ACCOUNT};
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::local_cluster::LocalCluster;
use pulse_storage::{KeyRing, PgStore, PoolSettings};
use reqwest::StatusCode;
use support::{Running, http, pulse_sync, run, temp_dir};

#[tokio::test(flavor = "multi_thread")]
async fn serve_on_the_local_cluster_keeps_one_generated_key() {
    let data_dir = temp_dir("local-cluster");
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google");
    let command = |args: &[&str]| {
        let mut command = pulse_sync(args);
        command
            .env("PULSE_DATA_DIR", &data_dir)
            .env("PULSE_BIND", "127.0.0.1:0");
        for (name, value) in google.env_vars("http://127.0.0.1:9/unused") {
            command.env(name, value);
        }
        command
    };

    let mut server = Running::spawn(command(&["serve"]));
    let base = server.listening().await;
    let ready = http().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    server.terminate();
    assert_eq!(
        server.exit_status().await.code(),
        Some(0),
        "{}",
        server.stderr()
    );
    assert!(server.stderr().contains("local PostgreSQL stopped"));

    let key_file = data_dir.join("encryption.key");
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the key file is private");
    let encoded = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        !server.stderr().contains(encoded.trim()),
        "the key is not logged"
    );

    // Store a grant sealed with the file's key, as the running server would have.
    let cluster_dir = data_dir.clone();
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&cluster_dir))
        .await
        .unwrap()
        .expect("the local cluster starts again");
    let keys = KeyRing::new(EncryptionKey::from_base64(encoded.trim()).unwrap());
    let store = PgStore::connect(
        &cluster.database_url("postgres"),
        PoolSettings::default(),
        keys,
    )
    .unwrap();
    let connection = NewConnection {
        user_id: UserId::parse("acme").unwrap(),
        google_account_id: None,
        google_email: Some(SEED_ACCOUNT.to_owned()),
        refresh_token: google.grant(SEED_ACCOUNT).unwrap(),
        access_token_expires_at: None,
        scopes: Vec::new(),
    };
    store
        .save_connection(&connection, Utc::now())
        .await
        .unwrap();
    drop(store);
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();

    let synced = run(command(&["sync", "--workspace", "acme"]));
    assert!(synced.status.success(), "{}", synced.stderr);
    assert_eq!(
        synced.stdout.trim(),
        "12 synced, 416 skipped (no identifier)"
    );
    assert_eq!(
        std::fs::read_to_string(&key_file).unwrap(),
        encoded,
        "the key is kept"
    );
    std::fs::remove_dir_all(&data_dir).ok();
}
