//! Secrets stay secret. A `pulse-sync demo` run at trace level goes through a full OAuth connect
//! (consent, code exchange with PKCE), syncs, every endpoint, a disconnect (revocation) and a
//! mistyped key; then its logs, every API answer and every database row are scanned for each
//! refresh, access and sync token and PKCE verifier the fake Google issued or received, for the
//! authorization codes (logs and rows), for every API key and for the encryption key: none may
//! appear (the demo's own key only on the two stdout lines that hand it to the user: the settings
//! page and the suggested curl). The refresh
//! token is stored only sealed; a wrong `PULSE_ENCRYPTION_KEY` is a clear error.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use pulse_domain::UserId;
use pulse_domain::ports::ConnectionRepository;
use pulse_google::fake::{FakeOptions, IssuedSecrets, generated_account};
use pulse_storage::testing::TestDatabase;
use pulse_tests::cli::create_key_with_id;
use pulse_tests::{
    API, ApiClient, Deployment, SecretSet, ServerConfig, ServerProcess, eventually_some,
    with_workspace,
};
use reqwest::Url;
use serde_json::{Value, json};

const DEMO: &str = "demo";

/// Waits for the newest job of `workspace` to end; returns it.
async fn newest_job_ends(api: &ApiClient, key: &str, workspace: &str) -> Value {
    let path = format!(
        "{}&limit=1",
        with_workspace(&format!("{API}/google-contacts/sync/jobs"), workspace)
    );
    eventually_some("the newest job ends", Duration::from_secs(120), || async {
        let jobs = api.get(&path, Some(key)).await;
        let job = jobs.json["items"][0].clone();
        matches!(job["status"].as_str(), Some("completed" | "failed")).then_some(job)
    })
    .await
}

/// A line of the demo's standard output that starts with `prefix`.
async fn stdout_line(demo: &ServerProcess, prefix: &str) -> String {
    let marker = format!("[out] {prefix}");
    eventually_some(
        "the demo prints its URLs",
        Duration::from_secs(120),
        || async {
            demo.logs()
                .find(&marker)
                .map(|line| line.trim_start_matches(&marker).trim().to_owned())
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trace_level_demo_run_shows_no_token_verifier_or_key() {
    let database = TestDatabase::new().await;
    let sql = pulse_tests::sql::connect(database.url()).await;
    let encryption_key = pulse_storage::generate_key();
    let admin_key = pulse_tests::deployment::random_admin_key();
    let mut config = ServerConfig::new(database.url(), &encryption_key, &admin_key);
    config
        .set("RUST_LOG", "trace")
        .set("PULSE_LOG_FORMAT", "json");
    let mut demo = ServerProcess::spawn("demo", &["demo"], &config);
    let page = stdout_line(&demo, "Settings page:").await;
    let fake_google = stdout_line(&demo, "Fake Google:").await;
    let fragment = Url::parse(&page)
        .expect("the settings page URL")
        .fragment()
        .expect("the key in the fragment")
        .to_owned();
    let demo_key = fragment
        .split('&')
        .find_map(|pair| pair.strip_prefix("key="))
        .expect("key= in the fragment")
        .to_owned();
    let base = config.origin();
    let api = ApiClient::new(&base);

    // The first sync the demo queued.
    let first = newest_job_ends(&api, &demo_key, DEMO).await;
    assert_eq!(first["status"], "completed", "{first}");

    // A full OAuth connect through the fake's consent page.
    let started = api
        .post(
            &format!("{API}/google/connect"),
            Some(&demo_key),
            &json!({"workspace_id": DEMO, "return_to": format!("{base}/")}),
        )
        .await;
    started.expect_status(200);
    let consent_url = started.json["authorization_url"].as_str().expect("a URL");
    let consent = api
        .send(api.request(reqwest::Method::GET, consent_url))
        .await
        .expect("the consent page answers");
    assert_eq!(consent.status, 302, "{}", consent.text);
    let callback = consent.header("location").expect("back to the server");
    let page = api.get(callback, None).await;
    assert_eq!(page.status, 200, "{}", page.text);
    let connected = api.confirm_consent(&page.text).await;
    assert_eq!(connected.status, 303, "{}", connected.text);
    let queued = api
        .post(
            &format!("{API}/google-contacts/sync"),
            Some(&demo_key),
            &json!({"workspace_id": DEMO}),
        )
        .await;
    queued.expect_status(202);
    let synced = newest_job_ends(&api, &demo_key, DEMO).await;
    assert_eq!(synced["status"], "completed", "{synced}");

    // The stored grant is sealed: the raw column holds no token text.
    let row = sql
        .query_one(
            "SELECT refresh_token_ciphertext, refresh_token_nonce, refresh_token_key_id
             FROM google_connections WHERE user_id = $1",
            &[&DEMO],
        )
        .await
        .expect("the demo's connection");
    let ciphertext: Vec<u8> = row.get(0);
    let nonce: Vec<u8> = row.get(1);
    let key_id: String = row.get(2);
    let issued = fetch_issued(&fake_google).await;
    assert!(!issued.refresh_tokens.is_empty());
    assert_eq!(nonce.len(), 12, "an AES-GCM nonce");
    assert!(!key_id.is_empty());
    for token in &issued.refresh_tokens {
        assert!(
            !contains(&ciphertext, token.as_bytes()),
            "a refresh token is stored in the clear"
        );
    }

    // Every endpoint, with the demo's key, the admin key and a mistyped key.
    let mistyped = format!("{}x", &demo_key[..demo_key.len() - 1]);
    for key in [demo_key.as_str(), admin_key.as_str(), mistyped.as_str()] {
        for path in [
            with_workspace(&format!("{API}/auto-sync/config"), DEMO),
            with_workspace(&format!("{API}/google-contacts/sync/jobs"), DEMO),
            format!(
                "{API}/google-contacts/sync/jobs/{}",
                synced["id"].as_str().unwrap_or_default()
            ),
            with_workspace(&format!("{API}/google-contacts/profiles"), DEMO),
            "/healthz".to_owned(),
            "/readyz".to_owned(),
            "/metrics".to_owned(),
            "/openapi.json".to_owned(),
            "/".to_owned(),
        ] {
            api.get(&path, Some(key)).await;
        }
        api.put(
            &format!("{API}/auto-sync/config"),
            Some(key),
            &json!({"workspace_id": DEMO, "enabled": true, "interval_hours": 12}),
        )
        .await;
    }
    // Disconnecting revokes the grant at Google (the refresh token travels there, nowhere else).
    let disconnected = api
        .delete(
            &with_workspace(&format!("{API}/google/connection"), DEMO),
            Some(&demo_key),
        )
        .await;
    disconnected.expect_status(204);
    let issued = fetch_issued(&fake_google).await;
    let exit = demo.terminate().await;
    assert!(exit.success(), "a graceful stop: {exit}");

    assert!(issued.access_tokens.len() >= 2, "{issued:?}");
    assert_eq!(issued.code_verifiers.len(), 1);
    let mut secrets = SecretSet::default();
    secrets
        .add_issued(&issued)
        .add("the demo's API key", &demo_key)
        .add("PULSE_ADMIN_API_KEY", &admin_key)
        .add("a mistyped API key", &mistyped)
        .add("PULSE_ENCRYPTION_KEY", &encryption_key);
    let logs = demo.logs().lines();
    let hands_out_the_key = |line: &str| {
        line.starts_with("[out] Settings page: ") || line.starts_with("[out]   curl -H ")
    };
    let handed_out: Vec<&String> = logs.iter().filter(|l| l.contains(&demo_key)).collect();
    assert_eq!(
        handed_out.len(),
        2,
        "the demo's key is printed twice, on the settings page and the curl lines: {handed_out:?}"
    );
    assert!(
        handed_out.iter().all(|line| hands_out_the_key(line)),
        "{handed_out:?}"
    );
    let scanned: Vec<&String> = logs
        .iter()
        .filter(|line| !hands_out_the_key(line))
        .collect();
    assert!(
        scanned.len() > 1_000,
        "a trace-level run logs a lot: {}",
        scanned.len()
    );
    let log_text = scanned
        .iter()
        .map(|line| line.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    let rows = pulse_tests::sql::all_rows(&sql).await;
    secrets.assert_absent("the demo's logs", &log_text);
    secrets.assert_absent("the API's answers", &api.transcript());
    secrets.assert_absent("the database's rows", &rows);
    // Authorization codes are in the consent's redirect by design, but not logged or stored.
    let mut codes = SecretSet::default();
    for (n, code) in issued.authorization_codes.iter().enumerate() {
        codes.add(&format!("authorization code #{}", n + 1), code);
    }
    assert!(!codes.is_empty());
    codes.assert_absent("the demo's logs", &log_text);
    codes.assert_absent("the database's rows", &rows);
    eprintln!(
        "scanned {} log lines and {} answers for {} secrets",
        scanned.len(),
        api.answers(),
        secrets.len()
    );
}

async fn fetch_issued(fake_google: &str) -> IssuedSecrets {
    reqwest::get(format!("{fake_google}/__control/issued-secrets"))
        .await
        .expect("the fake's control route answers")
        .json()
        .await
        .expect("the issued secrets")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stored_refresh_token_opens_only_with_the_right_key() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        ..FakeOptions::default()
    })
    .await;
    let user = "sealed-user";
    let user_id = UserId::parse(user).expect("a user id");
    deployment
        .connect(user, generated_account(20, 0x5EA1))
        .await;
    let stored = deployment
        .store
        .find_connection(&user_id)
        .await
        .expect("the connection is read")
        .expect("the connection");
    let refresh_token = stored.refresh_token.expect("a refresh token");
    let raw: Vec<u8> = deployment
        .sql
        .query_one(
            "SELECT refresh_token_ciphertext FROM google_connections WHERE user_id = $1",
            &[&user],
        )
        .await
        .expect("the raw column")
        .get(0);
    assert!(!contains(&raw, refresh_token.expose().as_bytes()));
    let rows = pulse_tests::sql::all_rows(&deployment.sql).await;
    assert!(
        !rows.contains(refresh_token.expose()),
        "no column holds the token in the clear"
    );

    // A server with another (valid) key starts, warns, and fails the sync with a message that
    // names the variable; the grant itself is untouched.
    let right = deployment.server_config();
    let wrong = right
        .clone()
        .with("PULSE_ENCRYPTION_KEY", &pulse_storage::generate_key());
    let key = create_key_with_id(&right, &["--workspace", user]).await.key;
    let mut server = ServerProcess::serve("server with the wrong key", &wrong).await;
    let api = ApiClient::new(server.base_url());
    pulse_tests::sql::execute(
        &deployment.sql,
        &format!(
            "INSERT INTO google_contacts_auto_sync_config (user_id, enabled, next_sync_at)
             VALUES ('{user}', true, now() + interval '1 day')"
        ),
    )
    .await;
    api.post(
        &format!("{API}/google-contacts/sync"),
        Some(&key),
        &json!({"workspace_id": user}),
    )
    .await
    .expect_status(202);
    let failed = newest_job_ends(&api, &key, user).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    let message = failed["error"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains("cannot be decrypted") && message.contains("PULSE_ENCRYPTION_KEY"),
        "{message}"
    );
    // The job ends first, then the settings record the failure.
    let last_error = eventually_some(
        "the failure is recorded",
        Duration::from_secs(30),
        || async {
            deployment
                .sql
                .query_one(
                    "SELECT last_error FROM google_contacts_auto_sync_config WHERE user_id = $1",
                    &[&user],
                )
                .await
                .expect("the config row")
                .get::<_, Option<String>>(0)
        },
    )
    .await;
    assert_eq!(last_error, message);
    // Reading the settings needs no decryption: they still load, without any secret.
    let config = api
        .get(
            &with_workspace(&format!("{API}/auto-sync/config"), user),
            Some(&key),
        )
        .await;
    assert_eq!(config.status, 200, "{}", config.text);
    assert_eq!(config.json["last_error"].as_str(), Some(message.as_str()));
    assert!(
        server.logs().find("PULSE_ENCRYPTION_KEY").is_some(),
        "the server says which variable to check"
    );
    server.terminate().await;

    // With the right key again, the same grant syncs.
    let mut server = ServerProcess::serve("server with the right key", &right).await;
    let api = api.for_server(server.base_url());
    api.post(
        &format!("{API}/google-contacts/sync"),
        Some(&key),
        &json!({"workspace_id": user}),
    )
    .await
    .expect_status(202);
    let synced = newest_job_ends(&api, &key, user).await;
    assert_eq!(synced["status"], "completed", "{synced}");
    server.terminate().await;
    deployment.assert_all_jobs_final().await;
    deployment.assert_disk_of_truth().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_encryption_key_stops_the_start_with_a_message_naming_the_variable() {
    let database = TestDatabase::new().await;
    let too_short = "c2hvcnQta2V5LW9mLTE2Yg=="; // 16 bytes
    for value in ["not base64 at all!!", too_short] {
        let config = ServerConfig::new(database.url(), value, "pulse_admin_unused_key");
        let mut server = ServerProcess::spawn("server", &["serve"], &config);
        let status = server
            .wait_exit(Duration::from_secs(60))
            .await
            .expect("the server refuses to start");
        assert!(!status.success(), "{value:?}: {status}");
        let logs = server.logs().text();
        assert!(logs.contains("PULSE_ENCRYPTION_KEY"), "{value:?}: {logs}");
        assert!(
            !logs.contains(value),
            "the key's value is not echoed: {logs}"
        );
        assert!(server.logs().find("listening on").is_none());
    }
}
