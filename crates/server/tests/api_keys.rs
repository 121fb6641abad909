//! `pulse-sync api-key create|list|revoke` against the database a running `serve` uses: the
//! printed key works against the API, `list` shows it without the key, and after `revoke` the API
//! refuses it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::StatusCode;
use support::{Running, World, http, run};

async fn config_status(base: &str, workspace: &str, key: &str) -> StatusCode {
    http()
        .get(format!(
            "{base}/api/logos-vision/auto-sync/config?workspace_id={workspace}"
        ))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_created_key_works_until_it_is_revoked() {
    let world = World::new().await;
    let mut server = Running::spawn(world.command(&["serve", "--no-scheduler"]));
    let base = server.listening().await;

    let created = run(world.command(&[
        "api-key",
        "create",
        "--workspace",
        "acme",
        "--name",
        "CRM production",
    ]));
    assert!(created.status.success(), "{}", created.stderr);
    let lines: Vec<&str> = created.stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "the key alone on stdout: {:?}",
        created.stdout
    );
    let key = lines[0];
    assert!(
        key.starts_with("pulse_") && key.len() == "pulse_".len() + 64,
        "{key}"
    );
    assert!(created.stderr.contains("shown only this once"));
    assert!(!created.stderr.contains(key), "the key is not logged");

    assert_eq!(config_status(&base, "acme", key).await, StatusCode::OK);
    assert_eq!(
        config_status(&base, "other", key).await,
        StatusCode::FORBIDDEN
    );

    let listed = run(world.command(&["api-key", "list"]));
    assert!(listed.status.success(), "{}", listed.stderr);
    assert!(!listed.stdout.contains(key), "list never shows a key");
    let row = listed
        .stdout
        .lines()
        .find(|line| line.contains("workspace acme"))
        .unwrap_or_else(|| panic!("the key is listed:\n{}", listed.stdout));
    assert!(
        row.contains("CRM production") && row.contains("active"),
        "{row}"
    );
    let id = row.split_whitespace().next().unwrap().to_owned();

    let revoked = run(world.command(&["api-key", "revoke", &id]));
    assert!(revoked.status.success(), "{}", revoked.stderr);
    assert!(revoked.stdout.contains(&id));
    // The server learns of a revocation made by another process within a second.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let status = config_status(&base, "acme", key).await;
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        assert_eq!(status, StatusCode::OK);
        assert!(
            std::time::Instant::now() < deadline,
            "the revoked key still works"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let listed = run(world.command(&["api-key", "list"]));
    assert!(listed.stdout.contains("revoked"), "{}", listed.stdout);

    let again = run(world.command(&["api-key", "revoke", &id]));
    assert_eq!(again.status.code(), Some(1), "{}", again.stderr);
    assert!(
        again.stderr.contains("no active API key"),
        "{}",
        again.stderr
    );
    let malformed = run(world.command(&["api-key", "revoke", "not-a-key-id"]));
    assert_eq!(malformed.status.code(), Some(1));

    server.terminate();
    assert_eq!(server.exit_status().await.code(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_key_reaches_every_workspace_and_a_scope_is_required() {
    let world = World::new().await;
    let mut server = Running::spawn(world.command(&["serve", "--no-scheduler"]));
    let base = server.listening().await;
    let created = run(world.command(&["api-key", "create", "--admin"]));
    assert!(created.status.success(), "{}", created.stderr);
    let key = created.stdout.trim();
    assert_eq!(config_status(&base, "acme", key).await, StatusCode::OK);
    assert_eq!(config_status(&base, "globex", key).await, StatusCode::OK);

    let neither = run(world.command(&["api-key", "create"]));
    assert_eq!(neither.status.code(), Some(2), "{}", neither.stderr);
    let both = run(world.command(&["api-key", "create", "--admin", "--workspace", "acme"]));
    assert_eq!(both.status.code(), Some(2), "{}", both.stderr);

    server.terminate();
    assert_eq!(server.exit_status().await.code(), Some(0));
}
