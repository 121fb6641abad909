//! `pulse-sync demo` on a `DATABASE_URL` (a fresh, empty database): it prints the settings page
//! with a working key and the fake Google's URL, syncs the seed's account, keeps the key out of
//! its logs, and exits 0 on SIGTERM.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use std::time::Duration;

use pulse_storage::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::Value;
use support::{PATIENCE, Running, http, pulse_sync};

/// The two lines of the demo's contract, once both are printed.
fn printed_urls(stdout: &str) -> Option<(String, String)> {
    let page = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Settings page: "))?;
    let google = stdout
        .lines()
        .find_map(|line| line.strip_prefix("Fake Google: "))?;
    Some((page.to_owned(), google.to_owned()))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_prints_a_working_page_syncs_the_seed_account_and_stops_cleanly() {
    let database = TestDatabase::create_empty()
        .await
        .expect("an empty database");
    let mut command = pulse_sync(&["demo"]);
    command
        .env("DATABASE_URL", database.url())
        .env("PULSE_BIND", "127.0.0.1:0");
    let mut demo = Running::spawn(command);
    let (page, google) = demo
        .wait_for("the demo's URLs", |stdout, _| printed_urls(stdout))
        .await;

    let (base, fragment) = page.split_once("/#").expect("a fragment in the page URL");
    assert!(base.starts_with("http://127.0.0.1:"), "{page}");
    let params: Vec<(&str, &str)> = fragment
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .collect();
    let key = params
        .iter()
        .find(|(name, _)| *name == "key")
        .map(|(_, value)| *value)
        .expect("a key in the fragment");
    assert!(params.contains(&("workspace", "demo")), "{fragment}");
    assert!(google.starts_with("http://127.0.0.1:"), "{google}");
    let printed: Vec<String> = demo.stdout().lines().map(str::to_owned).collect();
    assert_eq!(
        printed.len(),
        5,
        "the page, what to try next, the fake: {printed:?}"
    );
    assert!(printed[0].starts_with("Settings page: "), "{printed:?}");
    assert!(printed[1].starts_with("Try next"), "{printed:?}");
    assert!(
        printed[2].ends_with("-- status --workspace demo   # with the same DATABASE_URL"),
        "{printed:?}"
    );
    assert!(
        printed[3].starts_with(&format!(
            "  curl -H \"Authorization: Bearer {key}\" \"{base}/api/"
        )),
        "{printed:?}"
    );
    assert!(printed[4].starts_with("Fake Google: "), "{printed:?}");

    let client = http();
    let index = client.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(index.status(), StatusCode::OK);
    let config: Value = client
        .get(format!(
            "{base}/api/logos-vision/auto-sync/config?workspace_id=demo"
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["connection"], "connected", "{config}");
    let control = client
        .get(format!("{google}/__control/requests"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        control.status(),
        StatusCode::OK,
        "the fake's control routes answer"
    );

    let deadline = tokio::time::Instant::now() + PATIENCE;
    let job = loop {
        let page: Value = client
            .get(format!(
                "{base}/api/logos-vision/google-contacts/sync/jobs?workspace_id=demo"
            ))
            .bearer_auth(key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let finished = page["items"]
            .as_array()
            .and_then(|items| items.first())
            .filter(|job| job["status"] == "completed" || job["status"] == "failed")
            .cloned();
        if let Some(job) = finished {
            break job;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first sync did not finish: {page}\n{}",
            demo.stderr()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["trigger"], "manual");
    assert_eq!(job["synced"], 12);
    assert_eq!(job["skipped_no_identifier"], 416);

    demo.terminate();
    let status = demo.exit_status().await;
    assert_eq!(status.code(), Some(0), "stderr:\n{}", demo.stderr());
    let logs = demo.stderr();
    assert!(!logs.contains(key), "the key never reaches the logs");
    assert!(
        logs.contains("Settings page: http://127.0.0.1:")
            && logs.contains("#key=[redacted]&workspace=demo"),
        "{logs}"
    );
    assert!(logs.contains("demo stopped"), "{logs}");
}
