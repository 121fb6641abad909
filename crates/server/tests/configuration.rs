//! Invalid configuration stops `pulse-sync` at start with exit status 2 and a message that names
//! the variable, before it touches the database; a secret's value never appears in the message.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use pulse_storage::migrations::{embedded_versions, pending_versions};
use pulse_storage::testing::TestDatabase;
use support::{Finished, World, pulse_sync, run};

fn assert_refused(finished: &Finished, variable: &str) {
    assert_eq!(
        finished.status.code(),
        Some(2),
        "exit status\nstderr:\n{}",
        finished.stderr
    );
    assert!(
        finished.stderr.contains(variable),
        "the message names {variable}:\n{}",
        finished.stderr
    );
    assert!(!finished.stderr.contains("panicked"), "{}", finished.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_worker_count_is_refused_naming_pulse_workers() {
    let world = World::new().await;
    for value in ["abc", "0", "-3"] {
        let mut command = world.command(&["serve"]);
        command.env("PULSE_WORKERS", value);
        assert_refused(&run(command), "PULSE_WORKERS");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_encryption_key_is_refused_without_showing_it() {
    let world = World::new().await;
    for value in ["not-base64!", "c2hvcnQ="] {
        let mut command = world.command(&["serve"]);
        command.env("PULSE_ENCRYPTION_KEY", value);
        let finished = run(command);
        assert_refused(&finished, "PULSE_ENCRYPTION_KEY");
        assert!(!finished.stderr.contains(value), "{}", finished.stderr);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn serve_on_a_database_url_without_a_key_refuses_before_touching_the_database() {
    let database = TestDatabase::create_empty()
        .await
        .expect("an empty database");
    let mut command = pulse_sync(&["serve"]);
    command
        .env("DATABASE_URL", database.url())
        .env("PULSE_BIND", "127.0.0.1:0");
    let finished = run(command);
    assert_refused(&finished, "PULSE_ENCRYPTION_KEY");
    assert!(
        finished.stderr.contains("DATABASE_URL"),
        "{}",
        finished.stderr
    );
    let pending = pending_versions(&database.pool()).await.expect("pending");
    assert_eq!(
        pending,
        embedded_versions().expect("versions"),
        "no migration ran"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_google_credentials_rust_log_and_run_modes_are_named() {
    let world = World::new().await;
    let mut command = world.command(&["serve"]);
    command.env_remove("GOOGLE_CLIENT_ID");
    assert_refused(&run(command), "GOOGLE_CLIENT_ID");

    let mut command = world.command(&["serve"]);
    command.env("PULSE_GOOGLE_RPM", "0");
    assert_refused(&run(command), "PULSE_GOOGLE_RPM");

    let mut command = world.command(&["serve"]);
    command.env("RUST_LOG", "pulse_api=loud");
    assert_refused(&run(command), "RUST_LOG");

    let mut command = world.command(&["serve", "--no-api"]);
    command.env("PULSE_NO_SCHEDULER", "true");
    let finished = run(command);
    assert_refused(&finished, "PULSE_NO_API");
    assert!(finished.stderr.contains("PULSE_NO_SCHEDULER"));

    for (variable, value) in [
        ("PULSE_BIND", "localhost"),
        ("PULSE_PUBLIC_URL", "ftp://example.com"),
        ("PULSE_CORS_ORIGINS", "not an origin"),
        ("PULSE_LEASE_SECONDS", "1"),
        ("PULSE_SCHEDULER_TICK_SECONDS", "0"),
        ("PULSE_AUTH_FAILURE_LIMIT", "none"),
        ("PULSE_LOG_FORMAT", "xml"),
    ] {
        let mut command = world.command(&["serve"]);
        command.env(variable, value);
        assert_refused(&run(command), variable);
    }
}
