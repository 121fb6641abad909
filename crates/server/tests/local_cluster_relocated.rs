//! The local PostgreSQL from wherever a newcomer stands: as root, a data directory under a
//! directory closed to the server's user (as a clone under `/root` is) runs the demo, `serve`,
//! `status` and `api-key`, twice in a row on the same data; the demo's suggested commands work
//! beside it; a stale pointer gives a fresh cluster; and without the server programs every command
//! fails at once with one message and exit status 3.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::path::Path;

use pulse_google::fake::{FakeGoogle, FakeOptions};
use pulse_storage::local_cluster::InstallHint;
use reqwest::StatusCode;
use serde_json::Value;
use support::{
    Running, closed_temp_dir, cluster_home, http, on_data_dir, pulse_sync, remove_data_dir, run,
    running_as_root, temp_dir,
};

/// The demo's printed lines once the fake's (the last) is out.
fn printed_lines(stdout: &str) -> Option<Vec<String>> {
    stdout
        .lines()
        .any(|line| line.starts_with("Fake Google: "))
        .then(|| stdout.lines().map(str::to_owned).collect())
}

/// The words of a suggested command line, as a shell would split this simple one.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in line.trim().chars() {
        match (quote, c) {
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (Some(open), _) if c == open => quote = None,
            (None, c) if c.is_whitespace() => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            _ => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        words.push(word);
    }
    words
}

/// Runs the suggested `cargo run … -- ARGS` line as the real binary with the same environment.
fn run_suggested_status(line: &str, google: &FakeGoogle) -> support::Finished {
    let words = words(line);
    let data_dir = words
        .iter()
        .find_map(|word| word.strip_prefix("PULSE_DATA_DIR="))
        .expect("the suggestion names the data directory");
    let args_start = words
        .iter()
        .position(|word| word == "--")
        .expect("cargo run's --")
        + 1;
    let args: Vec<&str> = words[args_start..].iter().map(String::as_str).collect();
    assert_eq!(args, ["status", "--workspace", "demo"], "{line}");
    run(on_data_dir(Path::new(data_dir), google, &args))
}

/// Calls the suggested curl line: its URL with its header.
async fn call_suggested_curl(line: &str) -> (StatusCode, Value) {
    let words = words(line);
    assert_eq!(words[0], "curl", "{line}");
    assert_eq!(words[1], "-H", "{line}");
    let (name, value) = words[2].split_once(": ").expect("a header");
    let response = http()
        .get(&words[3])
        .header(name, value)
        .send()
        .await
        .expect("the API answers");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_serve_status_and_api_keys_work_under_a_closed_directory_twice() {
    let closed = closed_temp_dir("closed-demo");
    let data_dir = closed.join(".pulse-data");
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google");

    // First run: the demo, and beside it what it suggests, and an API key.
    let mut demo = Running::spawn(on_data_dir(&data_dir, &google, &["demo"]));
    let lines = demo
        .wait_for("the demo's lines", |stdout, _| printed_lines(stdout))
        .await;
    assert_eq!(lines.len(), 5, "{lines:?}");
    let status = run_suggested_status(&lines[2], &google);
    assert!(status.status.success(), "{}", status.stderr);
    assert!(status.stdout.contains("demo"), "{}", status.stdout);
    let (code, config) = call_suggested_curl(&lines[3]).await;
    assert_eq!(code, StatusCode::OK, "{config}");
    assert_eq!(config["connection"], "connected", "{config}");
    let created = run(on_data_dir(
        &data_dir,
        &google,
        &[
            "api-key",
            "create",
            "--workspace",
            "acme",
            "--name",
            "first run",
        ],
    ));
    assert!(created.status.success(), "{}", created.stderr);
    demo.terminate();
    assert_eq!(
        demo.exit_status().await.code(),
        Some(0),
        "{}",
        demo.stderr()
    );
    let home = cluster_home(&data_dir);
    if running_as_root() {
        let relocation_lines = demo
            .stderr()
            .lines()
            .filter(|line| line.contains("its local PostgreSQL lives in"))
            .count();
        assert_eq!(
            relocation_lines,
            1,
            "one line says where: {}",
            demo.stderr()
        );
        assert_ne!(
            home, data_dir,
            "the cluster lives where `postgres` can reach it"
        );
    }

    // Second run: the same cluster and data.
    let listed = run(on_data_dir(&data_dir, &google, &["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(listed.stdout.contains("first run"), "{}", listed.stdout);
    let mut serve = Running::spawn(on_data_dir(&data_dir, &google, &["serve"]));
    let base = serve.listening().await;
    let ready = http().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let status = run(on_data_dir(&data_dir, &google, &["status"]));
    assert!(status.status.success(), "{}", status.stderr);
    assert!(status.stdout.contains("demo"), "{}", status.stdout);
    serve.terminate();
    assert_eq!(
        serve.exit_status().await.code(),
        Some(0),
        "{}",
        serve.stderr()
    );
    assert_eq!(cluster_home(&data_dir), home, "found again, not made anew");
    assert!(
        !home.join("pgdata/postmaster.pid").exists(),
        "stopped at the end"
    );

    remove_data_dir(&data_dir);
    std::fs::remove_dir_all(&closed).ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_pointer_gives_a_fresh_cluster() {
    let closed = closed_temp_dir("closed-stale");
    let data_dir = closed.join("data");
    let google = FakeGoogle::start(FakeOptions::default()).expect("the fake Google");
    let created = run(on_data_dir(
        &data_dir,
        &google,
        &[
            "api-key",
            "create",
            "--workspace",
            "acme",
            "--name",
            "old key",
        ],
    ));
    assert!(created.status.success(), "{}", created.stderr);
    let home = cluster_home(&data_dir);
    if !running_as_root() {
        assert_eq!(
            home, data_dir,
            "the server's own user reaches it: no pointer"
        );
        remove_data_dir(&data_dir);
        return;
    }
    assert_ne!(home, data_dir);

    // A copy of the pointer in another data directory is not followed.
    let copy = closed.join("copy");
    std::fs::create_dir_all(&copy).unwrap();
    std::fs::copy(
        data_dir.join("cluster.location"),
        copy.join("cluster.location"),
    )
    .unwrap();
    let listed = run(on_data_dir(&copy, &google, &["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(!listed.stdout.contains("old key"), "{}", listed.stdout);
    assert!(
        listed.stderr.contains("written for another data directory"),
        "{}",
        listed.stderr
    );
    assert_ne!(cluster_home(&copy), home);
    remove_data_dir(&copy);

    // The directory the pointer names is gone: a new, empty cluster, found again after.
    std::fs::remove_dir_all(&home).unwrap();
    let listed = run(on_data_dir(&data_dir, &google, &["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(!listed.stdout.contains("old key"), "{}", listed.stdout);
    assert!(listed.stderr.contains("is gone"), "{}", listed.stderr);
    let renewed = cluster_home(&data_dir);
    assert!(renewed.join("pgdata/PG_VERSION").is_file(), "{renewed:?}");

    remove_data_dir(&data_dir);
    std::fs::remove_dir_all(&closed).ok();
}

#[test]
fn without_the_server_programs_commands_fail_at_once_with_one_message() {
    let empty = temp_dir("no-programs");
    let data_dir = temp_dir("no-programs-data");
    let install = InstallHint::for_this_machine().to_string();
    for args in [&["demo"][..], &["status"], &["api-key", "list"], &["serve"]] {
        let mut command = pulse_sync(args);
        command
            .env("PULSE_PG_BIN_DIRS", &empty)
            .env("PULSE_DATA_DIR", &data_dir)
            .env("PULSE_BIND", "127.0.0.1:0")
            .env("GOOGLE_CLIENT_ID", "id")
            .env("GOOGLE_CLIENT_SECRET", "secret");
        let finished = run(command);
        assert_eq!(
            finished.status.code(),
            Some(3),
            "{args:?}: {}",
            finished.stderr
        );
        let errors: Vec<&str> = finished
            .stderr
            .lines()
            .filter(|line| line.starts_with("error: "))
            .collect();
        assert_eq!(errors.len(), 1, "{args:?}: {}", finished.stderr);
        let message = errors[0];
        assert!(message.contains("PULSE_PG_BIN_DIRS"), "{message}");
        assert!(message.contains(&install), "{message}");
        assert!(message.contains("DATABASE_URL"), "{message}");
    }
    std::fs::remove_dir_all(&empty).ok();
    std::fs::remove_dir_all(&data_dir).ok();
}
