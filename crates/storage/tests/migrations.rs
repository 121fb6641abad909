//! The embedded migrations against a real PostgreSQL: they apply from scratch, the second run is a
//! no-op, they roll back cleanly, and the per-test databases are migrated and isolated.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use pulse_storage::migrations::{embedded_versions, pending_versions};
use pulse_storage::run_migrations;
use pulse_storage::testing::TestDatabase;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

const TABLES: [&str; 13] = [
    "api_key_revocations",
    "api_keys",
    "google_connections",
    "google_contacts_auto_sync_config",
    "google_contacts_sync_jobs",
    "oauth_pending_authorizations",
    "oauth_pending_confirmations",
    "relationship_profiles",
    "webhook_deliveries",
    "webhook_delivery_attempts",
    "webhook_endpoints",
    "webhook_events",
    "webhook_sequences",
];

async fn table_names(database: &TestDatabase) -> Vec<String> {
    let mut connection = database.connect().await;
    diesel::sql_query(
        "SELECT tablename::text AS name FROM pg_tables \
         WHERE schemaname = 'public' AND tablename NOT LIKE '\\_\\_%' ORDER BY 1",
    )
    .load::<Name>(&mut connection)
    .await
    .expect("list tables")
    .into_iter()
    .map(|row| row.name)
    .collect()
}

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_the_second_run_is_a_noop() {
    let database = TestDatabase::create_empty().await.expect("empty database");
    assert!(table_names(&database).await.is_empty());

    let first = run_migrations(database.url()).await.expect("first run");
    assert_eq!(first.applied, embedded_versions().expect("versions"));
    assert_eq!(
        first.applied.len(),
        14,
        "six tables, the grid slot column, the lock-down, the consents' browser binding, the key \
         revocation counter, the connections' generation, the grants held for confirmation, the \
         profiles' change feed, then the webhooks"
    );
    assert_eq!(table_names(&database).await, TABLES);

    let second = run_migrations(database.url()).await.expect("second run");
    assert!(second.is_noop(), "second run applied {:?}", second.applied);
    assert!(
        pending_versions(&database.pool())
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn an_empty_database_reports_every_migration_pending() {
    let database = TestDatabase::create_empty().await.expect("empty database");
    let pending = pending_versions(&database.pool()).await.expect("pending");
    assert_eq!(pending, embedded_versions().expect("versions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_migration_runs_apply_each_migration_once() {
    let database = TestDatabase::create_empty().await.expect("empty database");
    let (a, b) = tokio::join!(
        run_migrations(database.url()),
        run_migrations(database.url())
    );
    let mut applied = a.expect("run a").applied;
    applied.extend(b.expect("run b").applied);
    applied.sort();
    assert_eq!(applied, embedded_versions().expect("versions"));
}

#[tokio::test]
async fn every_down_migration_reverts_its_up_migration() {
    let database = TestDatabase::new().await;
    let mut connection = database.connect().await;
    let folders = migration_folders();
    for folder in folders.iter().rev() {
        let down = std::fs::read_to_string(folder.join("down.sql")).expect("down.sql");
        connection.batch_execute(&down).await.expect("down runs");
    }
    assert!(table_names(&database).await.is_empty());
    let functions: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
         WHERE n.nspname = 'public'",
    )
    .get_result(&mut connection)
    .await
    .expect("count functions");
    assert_eq!(functions.count, 0);
    let sequences: Count = diesel::sql_query(
        "SELECT count(*) AS count FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relkind = 'S'",
    )
    .get_result(&mut connection)
    .await
    .expect("count sequences");
    assert_eq!(sequences.count, 0);
    for folder in &folders {
        let up = std::fs::read_to_string(folder.join("up.sql")).expect("up.sql");
        connection.batch_execute(&up).await.expect("up runs again");
    }
    assert_eq!(table_names(&database).await, TABLES);
}

/// The migration folders, in order.
fn migration_folders() -> Vec<std::path::PathBuf> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut folders: Vec<_> = std::fs::read_dir(root)
        .expect("migrations folder")
        .map(|entry| entry.expect("entry").path())
        .collect();
    folders.sort();
    folders
}

#[derive(QueryableByName, Debug, PartialEq, Eq)]
struct NumberedRow {
    #[diesel(sql_type = Text)]
    source_id: String,
    #[diesel(sql_type = BigInt)]
    change_seq: i64,
    #[diesel(sql_type = Text)]
    last_change: String,
}

#[tokio::test]
async fn the_change_feed_migration_numbers_stored_profiles_oldest_change_first() {
    const FEED_MIGRATION: &str = "2025-01-01-000013_add_change_feed_to_profiles";
    let database = TestDatabase::create_empty().await.expect("empty database");
    let mut connection = database.connect().await;
    let folders = migration_folders();
    let (before, after): (Vec<_>, Vec<_>) = folders.iter().partition(|folder| {
        folder
            .file_name()
            .is_some_and(|name| name.to_string_lossy().as_ref() < FEED_MIGRATION)
    });
    for folder in &before {
        let up = std::fs::read_to_string(folder.join("up.sql")).expect("up.sql");
        connection.batch_execute(&up).await.expect("up runs");
    }
    connection
        .batch_execute(
            "INSERT INTO relationship_profiles (user_id, source_id, updated_at, deleted_at) VALUES \
             ('ada', 'people/new', '2026-01-03Z', NULL), \
             ('ada', 'people/gone', '2026-01-02Z', '2026-01-02Z'), \
             ('bob', 'people/old', '2026-01-01Z', NULL)",
        )
        .await
        .expect("profiles stored before the feed");
    let feed = after.as_slice().first().expect("the feed migration");
    assert!(feed.ends_with(FEED_MIGRATION));
    let up = std::fs::read_to_string(feed.join("up.sql")).expect("up.sql");
    connection
        .batch_execute(&up)
        .await
        .expect("the feed migration runs");
    connection
        .batch_execute(
            "INSERT INTO relationship_profiles (user_id, source_id) VALUES ('ada', 'people/next')",
        )
        .await
        .expect("a later write");
    let rows: Vec<NumberedRow> = diesel::sql_query(
        "SELECT source_id, change_seq, last_change FROM relationship_profiles ORDER BY change_seq",
    )
    .load(&mut connection)
    .await
    .expect("numbered rows");
    let numbered = |source_id: &str, change_seq: i64, last_change: &str| NumberedRow {
        source_id: source_id.to_owned(),
        change_seq,
        last_change: last_change.to_owned(),
    };
    assert_eq!(
        rows,
        [
            numbered("people/old", 1, "created"),
            numbered("people/gone", 2, "deleted"),
            numbered("people/new", 3, "created"),
            numbered("people/next", 4, "created"),
        ]
    );
}

#[tokio::test]
async fn test_databases_are_migrated_and_isolated() {
    let first = TestDatabase::new().await;
    let second = TestDatabase::new().await;
    assert_ne!(first.name(), second.name());
    assert_eq!(table_names(&first).await, TABLES);

    let mut connection = first.connect().await;
    connection
        .batch_execute(
            "INSERT INTO google_contacts_auto_sync_config (user_id, enabled) VALUES ('u1', true)",
        )
        .await
        .expect("insert");
    assert_eq!(count(&first).await, 1);
    assert_eq!(count(&second).await, 0);
}

async fn count(database: &TestDatabase) -> i64 {
    let mut connection = database.connect().await;
    diesel::sql_query("SELECT count(*) AS count FROM google_contacts_auto_sync_config")
        .get_result::<Count>(&mut connection)
        .await
        .expect("count")
        .count
}

#[tokio::test]
async fn a_dropped_test_database_is_removed_from_the_server() {
    let survivor = TestDatabase::new().await;
    let database = TestDatabase::new().await;
    let name = database.name().to_owned();
    drop(database);
    let mut connection = survivor.connect().await;
    let remaining: Count =
        diesel::sql_query("SELECT count(*) AS count FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(&name)
            .get_result(&mut connection)
            .await
            .expect("count databases");
    assert_eq!(remaining.count, 0);
}
