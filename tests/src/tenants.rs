//! `Tenants`: two workspaces on one running server, each with its own Google account, API key
//! and one completed sync, for the security scenarios (auth matrix, isolation, OAuth, secrets).

use std::time::Duration;

use pulse_google::fake::{FakeOptions, generated_account};
use serde_json::json;

use crate::api::{API, ApiClient};
use crate::cli::{CreatedKey, create_key_with_id};
use crate::deployment::Deployment;
use crate::process::ServerProcess;
use crate::server_config::ServerConfig;
use crate::wait::eventually_some;

/// One workspace of the scenario.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The workspace id.
    pub workspace: String,
    /// Its API key.
    pub key: String,
    /// The key's id.
    pub key_id: String,
    /// Its first (completed) job.
    pub job_id: String,
}

/// Two synced workspaces on a running server.
pub struct Tenants {
    /// The database, fake Google and keys.
    pub deployment: Deployment,
    /// The server's environment.
    pub config: ServerConfig,
    /// The server.
    pub server: ServerProcess,
    /// A client of the server.
    pub api: ApiClient,
    /// The first workspace.
    pub a: Tenant,
    /// The second workspace.
    pub b: Tenant,
}

impl Tenants {
    /// Starts a server (its environment adjusted by `adjust`) with workspaces `<prefix>-a` and
    /// `<prefix>-b`, each connected to an account of its own and synced once.
    pub async fn start(prefix: &str, adjust: impl FnOnce(ServerConfig) -> ServerConfig) -> Self {
        let deployment = Deployment::start(FakeOptions {
            accounts: Vec::new(),
            page_size_cap: 50,
            ..FakeOptions::default()
        })
        .await;
        let names = [format!("{prefix}-a"), format!("{prefix}-b")];
        for (seed, name) in (0xA_u64..).zip(&names) {
            deployment.connect(name, generated_account(60, seed)).await;
        }
        let config = adjust(deployment.server_config());
        let server = ServerProcess::serve("server", &config).await;
        let api = ApiClient::new(server.base_url());
        let mut tenants = Vec::new();
        for name in &names {
            let CreatedKey { key, id } =
                create_key_with_id(&config, &["--workspace", name.as_str()]).await;
            let job_id = sync_once(&api, name, &key).await;
            tenants.push(Tenant {
                workspace: name.clone(),
                key,
                key_id: id,
                job_id,
            });
        }
        let b = tenants.pop().expect("two tenants");
        let a = tenants.pop().expect("two tenants");
        Self {
            deployment,
            config,
            server,
            api,
            a,
            b,
        }
    }
}

/// Queues a manual sync of `workspace` and waits until it completed; returns the job's id.
pub async fn sync_once(api: &ApiClient, workspace: &str, key: &str) -> String {
    let queued = api
        .post(
            &format!("{API}/google-contacts/sync"),
            Some(key),
            &json!({"workspace_id": workspace}),
        )
        .await;
    queued.expect_status(202);
    let job_id = queued.json["id"]
        .as_str()
        .expect("the job has an id")
        .to_owned();
    let path = format!("{API}/google-contacts/sync/jobs/{job_id}");
    eventually_some("the sync completes", Duration::from_secs(90), || async {
        let job = api.get(&path, Some(key)).await;
        (job.json["status"] == "completed").then_some(())
    })
    .await;
    job_id
}
