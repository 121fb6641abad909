//! `ConnectionRepository`: tokens sealed at rest, opened only with the right key, rotation,
//! reconnecting, re-authorization and forgetting.

use diesel::QueryableByName;
use diesel::sql_types::{Binary, Nullable, Text};
use diesel_async::RunQueryDsl;
use pulse_domain::ports::{ConnectionRepository, StoreError, SyncRunStore};
use pulse_domain::{ConnectionStatus, JobCounts, NewConnection, Secret};
use pulse_storage::PgStore;
use pulse_storage::crypto::{EncryptionKey, KeyRing, generate_key};
use pulse_storage::testing::TestDatabase;

use crate::support::{at, claimed, completed, count, grant, user};

const REFRESH_TOKEN: &str = "1//refresh-token-that-must-never-be-stored-in-clear";

fn new_connection(user_id: &str, refresh_token: &str) -> NewConnection {
    NewConnection {
        user_id: user(user_id),
        google_account_id: Some("1234567890".to_owned()),
        google_email: Some("ada@example.com".to_owned()),
        refresh_token: Secret::new(refresh_token),
        access_token_expires_at: Some(at(60)),
        scopes: vec!["https://www.googleapis.com/auth/contacts.readonly".to_owned()],
    }
}

fn ring(current: &str, previous: &str) -> KeyRing {
    KeyRing::from_base64(current, previous).expect("valid keys")
}

#[derive(QueryableByName)]
struct RowText {
    #[diesel(sql_type = Text)]
    text: String,
}

#[derive(QueryableByName)]
struct Sealed {
    #[diesel(sql_type = Nullable<Binary>)]
    refresh_token_ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Binary>)]
    sync_token_ciphertext: Option<Vec<u8>>,
    #[diesel(sql_type = Nullable<Text>)]
    refresh_token_key_id: Option<String>,
}

async fn whole_row_as_text(database: &TestDatabase) -> String {
    let mut connection = database.connect().await;
    diesel::sql_query(
        "SELECT coalesce(string_agg(c::text, ' '), '') AS text FROM google_connections c",
    )
    .get_result::<RowText>(&mut connection)
    .await
    .expect("row text")
    .text
}

async fn sealed_columns(database: &TestDatabase) -> Sealed {
    let mut connection = database.connect().await;
    diesel::sql_query(
        "SELECT refresh_token_ciphertext, sync_token_ciphertext, refresh_token_key_id \
         FROM google_connections",
    )
    .get_result::<Sealed>(&mut connection)
    .await
    .expect("sealed columns")
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[tokio::test]
async fn a_saved_connection_reads_back_with_its_token_which_is_stored_only_sealed() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("ada");
    assert_eq!(store.find_connection(&u).await.unwrap(), None);

    let saved = store
        .save_connection(&new_connection("ada", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    assert_eq!(saved.status, ConnectionStatus::Connected);
    assert_eq!(saved.refresh_token, Some(Secret::new(REFRESH_TOKEN)));
    assert_eq!(saved.created_at, at(0));

    let found = store.find_connection(&u).await.unwrap().expect("found");
    assert_eq!(found, saved);
    assert_eq!(found.google_email.as_deref(), Some("ada@example.com"));
    assert_eq!(found.scopes.len(), 1);
    assert_eq!(found.sync_token, None);

    let sealed = sealed_columns(&database).await;
    let ciphertext = sealed.refresh_token_ciphertext.expect("sealed token");
    assert!(!contains(&ciphertext, REFRESH_TOKEN));
    assert!(
        !whole_row_as_text(&database)
            .await
            .contains("refresh-token-that")
    );
    assert_eq!(
        sealed.refresh_token_key_id.as_deref(),
        Some(store.keys().current_key_id())
    );
    assert!(!format!("{found:?}").contains(REFRESH_TOKEN));
}

#[tokio::test]
async fn the_sync_token_is_sealed_too_and_reading_with_another_key_is_a_typed_error() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("grace");
    store
        .save_connection(&new_connection("grace", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    let lease = claimed(&store, &u).await;
    store
        .end_run(&lease, {
            let mut end = completed(
                JobCounts::default(),
                false,
                Some("sync-token-plaintext"),
                grant(&store, &u).await,
            );
            end.finished_at = at(5);
            end
        })
        .await
        .unwrap();
    let found = store.find_connection(&u).await.unwrap().expect("found");
    assert_eq!(found.sync_token, Some(Secret::new("sync-token-plaintext")));
    assert_eq!(found.sync_token_issued_at, Some(at(5)));
    let sealed = sealed_columns(&database).await;
    assert!(!contains(
        &sealed.sync_token_ciphertext.expect("sealed"),
        "sync-token-plaintext"
    ));
    assert!(
        !whole_row_as_text(&database)
            .await
            .contains("sync-token-plaintext")
    );

    let stranger = PgStore::new(database.pool(), TestDatabase::key_ring());
    match stranger.find_connection(&u).await {
        Err(StoreError::Crypto(message)) => {
            assert!(message.contains(store.keys().current_key_id()), "{message}");
            assert!(!message.contains(REFRESH_TOKEN));
        }
        other => panic!("expected a crypto error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_rotated_key_ring_still_opens_tokens_sealed_with_the_old_key() {
    let database = TestDatabase::new().await;
    let old_key = generate_key();
    let old = PgStore::new(database.pool(), ring(&old_key, ""));
    old.save_connection(&new_connection("rotate", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    let new_key = generate_key();
    let rotated = PgStore::new(database.pool(), ring(&new_key, &old_key));
    let found = rotated
        .find_connection(&user("rotate"))
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found.refresh_token, Some(Secret::new(REFRESH_TOKEN)));

    rotated
        .save_connection(&new_connection("rotate", "1//new-token"), at(1))
        .await
        .unwrap();
    let sealed = sealed_columns(&database).await;
    let new_id = EncryptionKey::from_base64(&new_key)
        .unwrap()
        .id()
        .to_owned();
    assert_eq!(sealed.refresh_token_key_id, Some(new_id));
    assert!(matches!(
        old.find_connection(&user("rotate")).await,
        Err(StoreError::Crypto(_))
    ));
}

#[tokio::test]
async fn a_ciphertext_copied_to_another_user_does_not_open() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_connection(&new_connection("owner", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    store
        .save_connection(&new_connection("thief", "1//other"), at(0))
        .await
        .unwrap();
    crate::support::execute(
        &database,
        "UPDATE google_connections t SET refresh_token_ciphertext = o.refresh_token_ciphertext, \
         refresh_token_nonce = o.refresh_token_nonce FROM google_connections o \
         WHERE t.user_id = 'thief' AND o.user_id = 'owner'",
    )
    .await
    .unwrap();
    assert!(matches!(
        store.find_connection(&user("thief")).await,
        Err(StoreError::Crypto(_))
    ));
}

#[tokio::test]
async fn reconnecting_replaces_the_grant_and_clears_the_sync_token() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("again");
    store
        .save_connection(&new_connection("again", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    let lease = claimed(&store, &u).await;
    store
        .end_run(&lease, {
            let mut end = completed(
                JobCounts::default(),
                false,
                Some("token-1"),
                grant(&store, &u).await,
            );
            end.finished_at = at(1);
            end
        })
        .await
        .unwrap();
    store.mark_reauth_required(&u, at(2)).await.unwrap();
    let saved = store
        .save_connection(&new_connection("again", "1//second-grant"), at(3))
        .await
        .unwrap();
    assert_eq!(saved.status, ConnectionStatus::Connected);
    assert_eq!(saved.created_at, at(0));
    assert_eq!(saved.updated_at, at(3));
    let found = store.find_connection(&u).await.unwrap().expect("found");
    assert_eq!(found.refresh_token, Some(Secret::new("1//second-grant")));
    assert_eq!(found.sync_token, None);
    assert_eq!(found.sync_token_issued_at, None);
    assert_eq!(
        count(
            &database,
            "SELECT count(*) AS count FROM google_connections"
        )
        .await,
        1
    );
}

#[tokio::test]
async fn reauth_required_is_recorded_but_never_revives_a_revoked_connection() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("reauth");
    store.mark_reauth_required(&u, at(0)).await.unwrap();
    assert_eq!(store.find_connection(&u).await.unwrap(), None);

    store
        .save_connection(&new_connection("reauth", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    store.mark_reauth_required(&u, at(1)).await.unwrap();
    let found = store.find_connection(&u).await.unwrap().expect("found");
    assert_eq!(found.status, ConnectionStatus::ReauthRequired);
    assert_eq!(found.updated_at, at(1));
    assert_eq!(found.refresh_token, Some(Secret::new(REFRESH_TOKEN)));

    store.forget_connection(&u, at(2)).await.unwrap();
    store.mark_reauth_required(&u, at(3)).await.unwrap();
    let found = store.find_connection(&u).await.unwrap().expect("found");
    assert_eq!(found.status, ConnectionStatus::Revoked);
}

#[tokio::test]
async fn forgetting_returns_the_connection_as_it_was_and_erases_the_tokens() {
    let database = TestDatabase::new().await;
    let store = database.store();
    let u = user("forget");
    assert_eq!(store.forget_connection(&u, at(0)).await.unwrap(), None);
    store
        .save_connection(&new_connection("forget", REFRESH_TOKEN), at(0))
        .await
        .unwrap();

    let before = store
        .forget_connection(&u, at(1))
        .await
        .unwrap()
        .expect("existed");
    assert_eq!(before.refresh_token, Some(Secret::new(REFRESH_TOKEN)));
    assert_eq!(before.status, ConnectionStatus::Connected);

    let after = store.find_connection(&u).await.unwrap().expect("row kept");
    assert_eq!(after.status, ConnectionStatus::Revoked);
    assert_eq!(after.refresh_token, None);
    assert_eq!(after.sync_token, None);
    let sealed = sealed_columns(&database).await;
    assert_eq!(sealed.refresh_token_ciphertext, None);
    assert_eq!(sealed.refresh_token_key_id, None);
}

#[tokio::test]
async fn forgetting_works_even_when_the_token_cannot_be_opened() {
    let database = TestDatabase::new().await;
    let store = database.store();
    store
        .save_connection(&new_connection("lost-key", REFRESH_TOKEN), at(0))
        .await
        .unwrap();
    let stranger = PgStore::new(database.pool(), TestDatabase::key_ring());
    let before = stranger
        .forget_connection(&user("lost-key"), at(1))
        .await
        .unwrap()
        .expect("existed");
    assert_eq!(before.refresh_token, None);
    let after = stranger
        .find_connection(&user("lost-key"))
        .await
        .unwrap()
        .expect("row");
    assert_eq!(after.status, ConnectionStatus::Revoked);
}

#[tokio::test]
async fn the_status_check_and_sealing_checks_hold_in_the_database() {
    let database = TestDatabase::new().await;
    let bad_status = crate::support::execute(
        &database,
        "INSERT INTO google_connections (user_id, status) VALUES ('x', 'dormant')",
    )
    .await
    .expect_err("unknown status");
    assert!(
        bad_status.contains("google_connections_status_known"),
        "{bad_status}"
    );
    let connected_without_token = crate::support::execute(
        &database,
        "INSERT INTO google_connections (user_id, status) VALUES ('y', 'connected')",
    )
    .await
    .expect_err("no token");
    assert!(connected_without_token.contains("google_connections_connected_has_token"));
    let half_sealed = crate::support::execute(
        &database,
        "INSERT INTO google_connections (user_id, status, refresh_token_ciphertext) \
         VALUES ('z', 'revoked', '\\x00')",
    )
    .await
    .expect_err("no nonce");
    assert!(
        half_sealed.contains("google_connections_refresh_token_sealed"),
        "{half_sealed}"
    );
}

#[tokio::test]
async fn the_connection_status_reads_without_the_key_that_sealed_the_grant() {
    let database = TestDatabase::new().await;
    let sealing = database.store();
    let other_key = PgStore::new(database.pool(), TestDatabase::key_ring());
    let u = user("status-only");
    assert_eq!(other_key.connection_status(&u).await.unwrap(), None);

    sealing
        .save_connection(&new_connection("status-only", "refresh-1"), at(0))
        .await
        .unwrap();
    assert!(matches!(
        other_key.find_connection(&u).await,
        Err(StoreError::Crypto(_))
    ));
    let connected = other_key.connection_status(&u).await.unwrap().unwrap();
    assert_eq!(connected.status, ConnectionStatus::Connected);
    assert_eq!(connected.google_email.as_deref(), Some("ada@example.com"));

    sealing.mark_reauth_required(&u, at(1)).await.unwrap();
    assert_eq!(
        other_key
            .connection_status(&u)
            .await
            .unwrap()
            .map(|c| c.status),
        Some(ConnectionStatus::ReauthRequired)
    );
}
