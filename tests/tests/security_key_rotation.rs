//! Key rotation that finishes: grants sealed with an old key, a server whose current key is a new
//! one (the old one still accepted) syncing them, and `pulse-sync encryption-key rotate` run in the
//! middle of that round. No sync fails, `encryption-key status` then counts no secret under the
//! old key, and a server started without the old key syncs every workspace again.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{TimeDelta, Utc};
use pulse_domain::ports::{OAuthStateRepository, PendingAuthorization};
use pulse_domain::{Secret, UserId};
use pulse_google::fake::{FakeOptions, Fault, FaultTarget, generated_account};
use pulse_storage::crypto::EncryptionKey;
use pulse_storage::generate_key;
use pulse_tests::cli;
use pulse_tests::{Deployment, PATIENCE, ServerProcess, eventually, eventually_some};

const USERS: usize = 6;

fn key_id(encoded: &str) -> String {
    EncryptionKey::from_base64(encoded).unwrap().id().to_owned()
}

async fn completed_jobs(deployment: &Deployment) -> usize {
    let jobs = deployment.all_jobs().await;
    for job in &jobs {
        assert!(
            !matches!(job.status.as_str(), "failed" | "cancelled") && job.error.is_none(),
            "a sync failed during the rotation: {job:?}"
        );
    }
    jobs.iter().filter(|job| job.status == "completed").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_under_a_running_scheduler_fails_no_sync_and_frees_the_old_key() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        page_size_cap: 10,
        ..FakeOptions::default()
    })
    .await;
    let old_key = deployment.encryption_key.clone();
    let new_key = generate_key();
    let users: Vec<String> = (0..USERS).map(|n| format!("rotate-{n}")).collect();
    for (n, user) in users.iter().enumerate() {
        deployment
            .connect(user, generated_account(60, 0x7_0000 + n as u64))
            .await;
        deployment.google.inject_fault_for(
            user,
            FaultTarget::People,
            Fault::Slow { millis: 150 },
            1_000,
        );
    }
    deployment
        .store
        .save_pending(
            &PendingAuthorization {
                state: "pending-under-the-old-key".to_owned(),
                user_id: UserId::parse(&users[0]).unwrap(),
                pkce_verifier: Secret::new("verifier-under-the-old-key"),
                return_to: None,
                expires_at: Utc::now() + TimeDelta::minutes(10),
                browser_binding_hash: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();

    let mut config = deployment.server_config();
    config
        .set("PULSE_ENCRYPTION_KEY", &new_key)
        .set("PULSE_PREVIOUS_ENCRYPTION_KEYS", &old_key);
    let mut server = ServerProcess::serve("rotating", &config).await;
    deployment.make_due(&users).await;
    eventually_some("syncs are running", PATIENCE, || async {
        let running = deployment.jobs_with_status("running").await;
        (running > 0).then_some(running)
    })
    .await;

    let rotated = cli::run(&config, &["encryption-key", "rotate", "--batch-size", "2"]).await;
    assert!(rotated.success, "{rotated:?}");
    assert!(rotated.stdout.contains("Re-sealed"), "{}", rotated.stdout);
    eventually("every sync of the round completes", || async {
        completed_jobs(&deployment).await == USERS
    })
    .await;

    // A sync that ended after the rotation sealed its token with the server's current key; run
    // again until no older key seals anything.
    let status = cli::run(&config, &["encryption-key", "rotate"]).await;
    assert!(status.success, "{status:?}");
    let old_id = key_id(&old_key);
    let new_id = key_id(&new_key);
    assert!(!status.stdout.contains(&old_id), "{}", status.stdout);
    let line = status
        .stdout
        .lines()
        .find(|line| line.starts_with(&new_id))
        .unwrap_or_else(|| panic!("no line for the new key: {}", status.stdout));
    // Refresh and sync tokens of every user, and the pending verifier.
    assert!(
        line.contains(&format!("\t{} secrets\tcurrent", 2 * USERS + 1)),
        "{line}"
    );
    assert!(
        status.stdout.contains("older keys can be removed"),
        "{}",
        status.stdout
    );
    let sealed_old: i64 = deployment
        .sql
        .query_one(
            "SELECT count(*) FROM google_connections
             WHERE refresh_token_key_id = $1 OR sync_token_key_id = $1",
            &[&old_id],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(sealed_old, 0);
    assert!(server.terminate().await.success());

    // The old key is retired: a server that knows only the new one syncs everyone again.
    config.remove("PULSE_PREVIOUS_ENCRYPTION_KEYS");
    let only_new = cli::run(&config, &["encryption-key", "status"]).await;
    assert!(only_new.success, "{only_new:?}");
    assert!(
        !only_new.stdout.contains("not configured"),
        "{}",
        only_new.stdout
    );
    let mut server = ServerProcess::serve("new key only", &config).await;
    deployment.make_due(&users).await;
    eventually(
        "a second round completes with the new key alone",
        || async { completed_jobs(&deployment).await == 2 * USERS },
    )
    .await;
    assert!(server.terminate().await.success());
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}
