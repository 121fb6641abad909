//! `pulse-sync migrate` against a real PostgreSQL: the real binary applies every migration to a
//! fresh database, the second run is a no-op, and failures exit non-zero with a clear message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

use pulse_server::commands::migrate::{MigrateArgs, run, summary};
use pulse_storage::migrations::{embedded_versions, pending_versions};
use pulse_storage::testing::TestDatabase;

fn pulse_sync(database_url: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pulse-sync"));
    command
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn");
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    command.output().expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_binary_migrates_a_fresh_database_and_is_a_noop_the_second_time() {
    let database = TestDatabase::create_empty().await.expect("empty database");
    let migrations = embedded_versions().expect("embedded migrations").len();

    let first = pulse_sync(Some(database.url()));
    assert!(first.status.success(), "{first:?}");
    assert_eq!(stdout(&first), format!("applied {migrations} migrations"));
    assert!(
        pending_versions(&database.pool())
            .await
            .expect("pending")
            .is_empty()
    );

    let second = pulse_sync(Some(database.url()));
    assert!(second.status.success(), "{second:?}");
    assert_eq!(
        stdout(&second),
        "applied 0 migrations: the schema is up to date"
    );
}

#[tokio::test]
async fn the_command_reports_what_it_applied_each_time() {
    let database = TestDatabase::create_empty().await.expect("empty database");
    let args = MigrateArgs {
        database_url: pulse_domain::Secret::new(database.url()),
    };
    run(&args).await.expect("first run");
    assert!(
        pending_versions(&database.pool())
            .await
            .expect("pending")
            .is_empty()
    );
    run(&args).await.expect("second run is a no-op");

    let already = TestDatabase::new().await;
    let report = pulse_storage::run_migrations(already.url())
        .await
        .expect("runs");
    assert!(report.is_noop(), "a test database is already migrated");
}

#[test]
fn without_database_url_it_exits_non_zero_naming_the_variable() {
    let output = pulse_sync(None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("DATABASE_URL") || stderr.contains("--database-url"),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_database_exits_non_zero_with_an_error() {
    let output = pulse_sync(Some("postgres://postgres@127.0.0.1:1/nowhere"));
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("error: cannot connect to 127.0.0.1 (sslmode=prefer)"),
        "the error names the host and the TLS mode: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn the_summary_counts_migrations_in_words() {
    let report = |count: usize| pulse_storage::MigrationReport {
        applied: (0..count).map(|n| n.to_string()).collect(),
    };
    assert_eq!(
        summary(&report(0)),
        "applied 0 migrations: the schema is up to date"
    );
    assert_eq!(summary(&report(1)), "applied 1 migration");
    assert_eq!(summary(&report(6)), "applied 6 migrations");
}
