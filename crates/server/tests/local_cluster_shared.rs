//! Many `pulse-sync` commands on one local data directory at once: a command started while `serve`
//! runs the local PostgreSQL joins it at once; a SIGKILL of any of them (even the one that started
//! the server) leaves the others working and blocks no later start; and when the last one exits,
//! no PostgreSQL process of that cluster remains.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use pulse_google::fake::{FakeGoogle, FakeOptions};
use reqwest::StatusCode;
use support::{
    PATIENCE, Running, cluster_home, http, on_data_dir, processes_naming, remove_data_dir, run,
    temp_dir,
};

/// `GET /readyz` on `base`.
async fn ready(base: &str) -> StatusCode {
    http()
        .get(format!("{base}/readyz"))
        .send()
        .await
        .expect("the server answers")
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn many_commands_share_one_local_cluster_and_the_last_stops_it() {
    let data_dir = temp_dir("shared-cluster");
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google");

    // The first `serve` starts the server; a second joins it.
    let mut first = Running::spawn(on_data_dir(&data_dir, &google, &["serve"]));
    let first_base = first.listening().await;
    let mut second = Running::spawn(on_data_dir(&data_dir, &google, &["serve"]));
    let second_base = second.listening().await;
    assert!(
        second
            .stderr()
            .contains("joining the local PostgreSQL another process runs"),
        "{}",
        second.stderr()
    );
    let pgdata = cluster_home(&data_dir).join("pgdata");
    assert!(!processes_naming(&pgdata).is_empty(), "the server runs");

    // Two more commands at once, beside both.
    let status = std::thread::spawn({
        let command = on_data_dir(&data_dir, &google, &["status"]);
        move || run(command)
    });
    let created = run(on_data_dir(
        &data_dir,
        &google,
        &[
            "api-key",
            "create",
            "--workspace",
            "acme",
            "--name",
            "concurrent",
        ],
    ));
    let status = status.join().expect("the status thread");
    assert!(status.status.success(), "{}", status.stderr);
    assert!(created.status.success(), "{}", created.stderr);
    assert!(
        created.stderr.contains("left running"),
        "{}",
        created.stderr
    );

    // The one that started the server is killed: the others keep working.
    first.kill();
    assert_eq!(ready(&second_base).await, StatusCode::OK);
    let listed = run(on_data_dir(&data_dir, &google, &["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(listed.stdout.contains("concurrent"), "{}", listed.stdout);
    assert!(
        http()
            .get(format!("{first_base}/readyz"))
            .send()
            .await
            .is_err(),
        "the killed server is gone"
    );

    // The last one exits: the server stops with it.
    second.terminate();
    assert_eq!(
        second.exit_status().await.code(),
        Some(0),
        "{}",
        second.stderr()
    );
    assert!(
        second.stderr().contains("local PostgreSQL stopped"),
        "{}",
        second.stderr()
    );
    assert!(
        processes_naming(&pgdata).is_empty(),
        "no PostgreSQL of the cluster remains"
    );

    // The next start succeeds at once and has the data.
    let listed = run(on_data_dir(&data_dir, &google, &["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(listed.stdout.contains("concurrent"), "{}", listed.stdout);
    assert!(
        processes_naming(&pgdata).is_empty(),
        "stopped again after it"
    );
    remove_data_dir(&data_dir);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_last_user_leaves_no_server_and_no_lock_behind() {
    let data_dir = temp_dir("killed-last");
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google");
    let mut serve = Running::spawn(on_data_dir(&data_dir, &google, &["serve"]));
    serve.listening().await;
    let pgdata = cluster_home(&data_dir).join("pgdata");
    assert!(!processes_naming(&pgdata).is_empty(), "the server runs");

    serve.kill();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !processes_naming(&pgdata).is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the killed user's guardian did not stop the server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let created = run(on_data_dir(
        &data_dir,
        &google,
        &[
            "api-key",
            "create",
            "--workspace",
            "acme",
            "--name",
            "after the kill",
        ],
    ));
    assert!(created.status.success(), "{}", created.stderr);
    assert!(
        created.stderr.contains("local PostgreSQL stopped"),
        "{}",
        created.stderr
    );
    assert!(
        processes_naming(&pgdata).is_empty(),
        "stopped with its last user"
    );
    remove_data_dir(&data_dir);
}
