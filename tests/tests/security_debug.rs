//! Secrets in `Debug` output and the admin key's entry points: every settings and OAuth type,
//! built with secret values, is formatted with `{:?}` and searched for them; the admin key is not
//! a command-line flag, a weak one stops the start, and one read from a file is accepted.

use chrono::Utc;
use clap::Parser;
use pulse_api::ApiConfig;
use pulse_domain::ports::{
    AuthorizationRequest, GoogleAuthorizer, PendingAuthorization, TokenGrant,
};
use pulse_domain::{NewConnection, Secret, UserId};
use pulse_google::fake::FakeOptions;
use pulse_google::{GoogleClient, GoogleConfig};
use pulse_server::cli::Cli;
use pulse_tests::deployment::random_admin_key;
use pulse_tests::{API, ApiClient, Deployment, ServerProcess, cli};
use reqwest::Method;

const DATABASE_PASSWORD: &str = "db-password-8c1f0e";
const ENCRYPTION_KEY: &str = "q3Vd0mJ8Yl+2xZr4kP9sT1uW6oN5bA7cE0fG8hI2jK4=";
const PREVIOUS_KEY: &str = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE=";
const CLIENT_SECRET: &str = "google-client-secret-55e1";
const TOKENS: [&str; 4] = [
    "refresh-token-1f2e",
    "access-token-3c4d",
    "pkce-verifier-5b6a",
    "admin-key-7e8f",
];

fn assert_hides(label: &str, debug: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(
            !debug.contains(secret),
            "{label}'s Debug output shows {secret}: {debug}"
        );
    }
}

#[test]
fn settings_and_oauth_types_print_no_secret_in_debug() {
    let database_url = format!("postgres://pulse:{DATABASE_PASSWORD}@db.example:5432/pulse");
    for command in ["serve", "demo", "sync", "status", "migrate"] {
        let mut args = vec![
            "pulse-sync".to_owned(),
            command.to_owned(),
            "--database-url".to_owned(),
            database_url.clone(),
        ];
        if !matches!(command, "migrate" | "status") {
            args.extend(
                [
                    "--encryption-key",
                    ENCRYPTION_KEY,
                    "--previous-encryption-keys",
                    PREVIOUS_KEY,
                ]
                .map(str::to_owned),
            );
        }
        if command == "sync" {
            args.extend(["--workspace", "w"].map(str::to_owned));
        }
        let cli = Cli::try_parse_from(&args).unwrap_or_else(|error| panic!("{args:?}: {error}"));
        assert_hides(
            &format!("pulse-sync {command}"),
            &format!("{cli:?}"),
            &[DATABASE_PASSWORD, ENCRYPTION_KEY, PREVIOUS_KEY],
        );
    }

    let google = GoogleConfig::new("client", Secret::new(CLIENT_SECRET), "https://x.example/cb")
        .expect("a Google configuration");
    assert_hides("GoogleConfig", &format!("{google:?}"), &[CLIENT_SECRET]);
    let mut api = ApiConfig::new("https://x.example".parse().expect("a URL"));
    api.admin_api_key = Some(Secret::new(TOKENS[3]));
    assert_hides("ApiConfig", &format!("{api:?}"), &TOKENS);

    let request: AuthorizationRequest = GoogleClient::new(&google)
        .expect("a Google client")
        .authorization_request()
        .expect("a consent URL");
    assert_hides(
        "AuthorizationRequest",
        &format!("{request:?}"),
        &[request.pkce_verifier.expose()],
    );
    let user = UserId::parse("w").expect("a user id");
    let grant = TokenGrant {
        refresh_token: Some(Secret::new(TOKENS[0])),
        access_token: Secret::new(TOKENS[1]),
        expires_at: None,
        scopes: Vec::new(),
    };
    let pending = PendingAuthorization {
        state: "state".to_owned(),
        user_id: user.clone(),
        pkce_verifier: Secret::new(TOKENS[2]),
        return_to: None,
        expires_at: Utc::now(),
        browser_binding_hash: None,
    };
    let connection = NewConnection {
        user_id: user,
        google_account_id: None,
        google_email: None,
        refresh_token: Secret::new(TOKENS[0]),
        access_token_expires_at: None,
        scopes: Vec::new(),
    };
    let debug = format!("{grant:?} {pending:?} {connection:?}");
    assert_hides("the OAuth types", &debug, &TOKENS);
}

#[test]
fn the_admin_key_is_not_a_command_line_flag() {
    let key = random_admin_key();
    let refused = Cli::try_parse_from(["pulse-sync", "serve", "--admin-api-key", key.as_str()])
        .expect_err("--admin-api-key is refused");
    assert!(refused.to_string().contains("--admin-api-key"), "{refused}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weak_admin_key_stops_the_start_and_one_from_a_file_is_accepted() {
    let deployment = Deployment::start(FakeOptions::default()).await;
    let weak = "pulse_admin_0123456789abcdef";
    let config = deployment.server_config().with("PULSE_ADMIN_API_KEY", weak);
    let output = cli::run(&config, &["serve"]).await;
    assert_eq!(output.code, Some(2), "{output:?}");
    assert!(output.stderr.contains("PULSE_ADMIN_API_KEY"), "{output:?}");
    assert!(!output.stderr.contains("0123456789abcdef"), "{output:?}");
    assert!(!output.stdout.contains("listening on"), "{output:?}");

    let key = random_admin_key();
    let file = std::env::temp_dir().join(format!("pulse-admin-key-{}", uuid::Uuid::new_v4()));
    std::fs::write(&file, format!("{key}\n")).expect("the key file is written");
    let mut config = deployment.server_config();
    config
        .remove("PULSE_ADMIN_API_KEY")
        .set("PULSE_ADMIN_API_KEY_FILE", &file.to_string_lossy());
    let mut server = ServerProcess::serve("admin-key-file", &config).await;
    let api = ApiClient::new(server.base_url());
    api.call(
        Method::GET,
        &format!("{API}/auto-sync/config?workspace_id=anyone"),
        Some(&key),
        None,
    )
    .await
    .expect_status(200);
    assert!(server.terminate().await.success());
    std::fs::remove_file(&file).expect("the key file is removed");
}
