//! Replay property of the change feed, beside the sync's model-based test: after any random
//! sequence of Google-side changes (creations, edits, deletions, renames, people losing and
//! regaining their last identifier, which deletes and restores their profiles), syncs (full and
//! incremental, some failing halfway) and reconnections to another Google account, a client that
//! polls `GET .../profiles/changes` from the start and applies the items in order holds exactly
//! the live profiles of `GET .../profiles` (all pages); and so does every client that resumed from
//! a cursor saved at a random point, with the profiles it held then.
//!
//! The syncs run the real engine over real storage and the fake Google over HTTP; the API is the
//! real actix server on a loopback port over the same database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::pin::Pin;

use actix_web::HttpServer;
use actix_web::dev::ServerHandle;
use chrono::Utc;
use proptest::prelude::*;
use pulse_api::{
    ApiConfig, ApiState, NotReady, ReadinessProbe, generate_api_key, install_metrics_recorder,
};
use pulse_domain::ChangeCursor;
use pulse_domain::ports::{ApiKeyRepository, ApiKeyScope};
use pulse_domain::sync::SyncSettings;
use pulse_google::fake::{FakeOptions, generated_account};
use pulse_tests::sync_harness::client_for;
use pulse_tests::{API, AccountChange, ApiClient, SyncHarness, account_change};
use serde_json::Value;

const ACCOUNTS: [&str; 2] = ["replay-acct", "replay-other"];
const WORKSPACE: &str = "replay-user";

/// One step of the scenario.
#[derive(Debug, Clone)]
enum Step {
    Change(AccountChange),
    /// Connect the workspace to the other Google account (the previous one's profiles go).
    SwitchAccount,
    /// A sync, listing everything (a full listing sweeps what it did not see) or the changes.
    Sync {
        full: bool,
    },
    /// The main client reads one page of the feed.
    Poll {
        limit: u8,
    },
    /// A new client starts from the main client's cursor, with what the main client holds.
    SaveCursor,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        13 => account_change().prop_map(Step::Change),
        1 => Just(Step::SwitchAccount),
        4 => any::<bool>().prop_map(|full| Step::Sync { full }),
        4 => (1_u8..12).prop_map(|limit| Step::Poll { limit }),
        1 => Just(Step::SaveCursor),
    ]
}

/// A CRM mirroring the feed: its cursor and the live profiles it holds, by id.
#[derive(Debug, Clone)]
struct Mirror {
    cursor: String,
    profiles: BTreeMap<String, Value>,
}

impl Mirror {
    fn new() -> Self {
        Self {
            cursor: ChangeCursor::START.encode(),
            profiles: BTreeMap::new(),
        }
    }

    /// Reads one page of at most `limit` changes and applies it; how many items it had.
    async fn poll(
        &mut self,
        api: &ApiClient,
        key: &str,
        limit: u8,
    ) -> Result<usize, TestCaseError> {
        let path = format!(
            "{API}/google-contacts/profiles/changes?workspace_id={WORKSPACE}&after={}&limit={limit}",
            self.cursor
        );
        let answer = api.get(&path, Some(key)).await;
        prop_assert_eq!(answer.status.as_u16(), 200, "{}", answer.text);
        let items = answer.json["items"].as_array().cloned().unwrap_or_default();
        prop_assert!(items.len() <= usize::from(limit));
        let next = answer.json["next_cursor"]
            .as_str()
            .expect("next_cursor is always there")
            .to_owned();
        let before = ChangeCursor::parse(&self.cursor).expect("our cursor");
        let after = ChangeCursor::parse(&next).expect("a cursor the server issued");
        if items.is_empty() {
            prop_assert_eq!(&next, &self.cursor, "an empty page gives the cursor back");
        } else {
            prop_assert!(after > before, "the cursor moves on");
        }
        for item in &items {
            let profile = &item["profile"];
            let id = profile["id"].as_str().expect("an id").to_owned();
            match item["change"].as_str() {
                Some("deleted") => {
                    prop_assert!(!profile["deleted_at"].is_null(), "{item}");
                    self.profiles.remove(&id);
                }
                Some("created" | "updated") => {
                    prop_assert!(profile["deleted_at"].is_null(), "{item}");
                    self.profiles.insert(id, profile.clone());
                }
                other => prop_assert!(false, "unknown change {other:?} in {item}"),
            }
        }
        self.cursor = next;
        Ok(items.len())
    }

    /// Polls until the feed has nothing more.
    async fn catch_up(&mut self, api: &ApiClient, key: &str) -> Result<(), TestCaseError> {
        while self.poll(api, key, 7).await? > 0 {}
        Ok(())
    }
}

/// Every live profile of `GET .../profiles`, all pages, by id.
async fn listed(api: &ApiClient, key: &str) -> BTreeMap<String, Value> {
    let mut profiles = BTreeMap::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("{API}/google-contacts/profiles?workspace_id={WORKSPACE}&limit=4");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let answer = api.get(&path, Some(key)).await;
        answer.expect_status(200);
        for profile in answer.json["items"].as_array().expect("items") {
            let id = profile["id"].as_str().expect("an id").to_owned();
            profiles.insert(id, profile.clone());
        }
        match answer.json["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return profiles,
        }
    }
}

/// `/readyz` is not what this test is about: always ready.
struct AlwaysReady;

impl ReadinessProbe for AlwaysReady {
    fn check(&self) -> Pin<Box<dyn Future<Output = Result<(), NotReady>> + Send + '_>> {
        Box::pin(async { Ok(()) })
    }
}

/// The API over the harness's store, on a loopback port, in a thread of its own.
fn serve(harness: &SyncHarness) -> (ServerHandle, ApiClient) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let base = format!("http://{}", listener.local_addr().expect("the address"));
    let config = ApiConfig::new(url::Url::parse(&base).expect("the base URL"));
    let state = ApiState::new(
        harness.store.clone(),
        client_for(&harness.google),
        config,
        AlwaysReady,
        install_metrics_recorder().expect("the metrics recorder"),
    );
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = HttpServer::new(move || pulse_api::app(state.clone()))
                .workers(1)
                .disable_signals()
                .shutdown_timeout(1)
                .listen(listener)
                .expect("the server listens")
                .run();
            sender.send(server.handle()).expect("the test waits");
            server.await.expect("the server runs");
        });
    });
    let handle = receiver.recv().expect("the server started");
    (handle, ApiClient::new(&base))
}

async fn scenario(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let options = FakeOptions::default()
        .with_page_size_cap(5)
        .with_account(ACCOUNTS[0], generated_account(16, 7))
        .with_account(ACCOUNTS[1], generated_account(9, 8));
    let harness = SyncHarness::start_with(options, SyncSettings { max_attempts: 1 }).await;
    let mut account = 0;
    let user = harness.connect(WORKSPACE, ACCOUNTS[account]).await;
    let (server, api) = serve(&harness);
    let key = generate_api_key().expect("random bytes");
    harness
        .store
        .create_key(
            &key.hash,
            &ApiKeyScope::Workspace(user.clone()),
            Some("replay"),
            Utc::now(),
        )
        .await
        .expect("the key is stored");
    let key = key.plaintext.expose().to_owned();

    let mut main = Mirror::new();
    let mut resumed: Vec<Mirror> = Vec::new();
    for (n, step) in (1..).zip(&steps) {
        match step {
            Step::Change(change) => change.apply(&harness.google, ACCOUNTS[account], n),
            Step::Sync { full } => {
                if *full {
                    harness.google.expire_sync_tokens(ACCOUNTS[account]);
                }
                harness.sync(&user).await;
            }
            Step::SwitchAccount => {
                account = 1 - account;
                harness.connect(WORKSPACE, ACCOUNTS[account]).await;
            }
            Step::Poll { limit } => {
                main.poll(&api, &key, *limit).await?;
            }
            Step::SaveCursor => resumed.push(main.clone()),
        }
    }
    harness.google.clear_faults();
    harness.sync(&user).await;

    let expected = listed(&api, &key).await;
    main.catch_up(&api, &key).await?;
    prop_assert_eq!(&main.profiles, &expected, "the client from the start");
    for (index, mut client) in resumed.into_iter().enumerate() {
        client.catch_up(&api, &key).await?;
        prop_assert_eq!(
            &client.profiles,
            &expected,
            "the client resumed at save {}",
            index
        );
    }
    let mut fresh = Mirror::new();
    fresh.catch_up(&api, &key).await?;
    prop_assert_eq!(
        &fresh.profiles,
        &expected,
        "a client that starts at the end"
    );
    drop(server.stop(false));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, max_shrink_iters: 64, ..ProptestConfig::default() })]

    #[test]
    fn a_client_replaying_the_feed_holds_exactly_the_live_profiles(
        steps in proptest::collection::vec(step(), 1..28)
    ) {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(scenario(steps))?;
    }
}
