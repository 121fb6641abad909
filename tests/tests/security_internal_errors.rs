//! Internal errors never reach tenants: a sync that the database fails (a trigger raising an error
//! whose text names a path and a detail) shows the job a fixed message with an error id, and the
//! server's log holds the same id next to the database's detail.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::cli::create_api_key;
use pulse_tests::{API, ApiClient, Deployment, PATIENCE, ServerProcess, eventually_some};

const USER: &str = "internal-error-user";
/// The database's own words, which only the log may show.
const DETAIL: &str = "disk quota exceeded under /var/lib/postgresql/15/main detail-7d41";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_failure_shows_tenants_a_fixed_message_and_logs_the_detail_with_its_id() {
    let deployment = Deployment::start(FakeOptions {
        accounts: Vec::new(),
        ..FakeOptions::default()
    })
    .await;
    deployment
        .connect(USER, generated_account(20, 0x4_0404))
        .await;
    deployment
        .sql
        .batch_execute(&format!(
            "CREATE FUNCTION refuse_profiles() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION '{DETAIL}'; END $$; \
             CREATE TRIGGER refuse_profiles BEFORE INSERT OR UPDATE ON relationship_profiles \
             FOR EACH ROW EXECUTE FUNCTION refuse_profiles();"
        ))
        .await
        .expect("the failing trigger is installed");
    let config = deployment.server_config();
    let key = create_api_key(&config, USER).await;
    let mut server = ServerProcess::serve("server", &config).await;
    let api = ApiClient::new(server.base_url());

    let job_id = api.queue_sync(Some(&key), USER).await;
    let message = eventually_some(
        "the failed attempt records its message",
        PATIENCE,
        || async {
            let shown = api
                .get(
                    &format!("{API}/google-contacts/sync/jobs/{job_id}"),
                    Some(&key),
                )
                .await;
            shown.json["error"].as_str().map(str::to_owned)
        },
    )
    .await;

    let error_id = message
        .strip_prefix("something went wrong on our side during the sync (error id ")
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("a fixed message with an error id, not {message:?}"));
    assert_eq!(error_id.len(), 12, "{message}");
    assert!(error_id.bytes().all(|b| b.is_ascii_hexdigit()), "{message}");
    let logged = server
        .logs()
        .find(error_id)
        .unwrap_or_else(|| panic!("no log line names error id {error_id}"));
    assert!(logged.contains("detail-7d41"), "{logged}");
    for answer in [
        api.get(
            &format!("{API}/google-contacts/sync/jobs/{job_id}"),
            Some(&key),
        )
        .await,
        api.get(
            &format!("{API}/google-contacts/sync/jobs?workspace_id={USER}"),
            Some(&key),
        )
        .await,
        api.get(
            &format!("{API}/auto-sync/config?workspace_id={USER}"),
            Some(&key),
        )
        .await,
    ] {
        for leak in [
            "detail-7d41",
            "/var/lib",
            "database failed",
            "relationship_profiles",
        ] {
            assert!(!answer.text.contains(leak), "{leak} in {}", answer.text);
        }
    }
    assert!(server.terminate().await.success());
}
