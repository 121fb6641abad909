//! The server the test databases live on, prepared once per process: `DATABASE_URL`, or a local
//! cluster under the temporary directory; and the migrated template on it.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use diesel_async::SimpleAsyncConnection;

use crate::local_cluster::LocalCluster;
use crate::testing::{TestDatabaseError, template, with_database};

/// Prefix of the local clusters' data directories in the temporary directory.
const LOCAL_CLUSTER_PREFIX: &str = "pulse-test-pg-";

/// Where the test databases are made.
enum Target {
    /// An existing server, from `DATABASE_URL`.
    External { url: String },
    /// This process's own cluster.
    Local(Mutex<LocalCluster>),
}

/// What every test of the process shares: the server and the template's name.
pub(super) struct Shared {
    target: Target,
    /// A URL of the server's maintenance database, for CREATE and DROP DATABASE.
    pub(super) admin_url: String,
    /// The migrated template database.
    pub(super) template: String,
}

impl Shared {
    /// The URL of database `name` on the server.
    pub(super) fn database_url(&self, name: &str) -> String {
        self.target.database_url(name)
    }
}

impl Target {
    fn database_url(&self, name: &str) -> String {
        match self {
            Self::External { url } => with_database(url, name),
            Self::Local(cluster) => match cluster.lock() {
                Ok(cluster) => cluster.database_url(name),
                Err(poisoned) => poisoned.into_inner().database_url(name),
            },
        }
    }
}

static SHARED: OnceLock<Result<Shared, String>> = OnceLock::new();

/// The process's shared server and template, prepared on first use.
pub(super) fn shared() -> Result<&'static Shared, TestDatabaseError> {
    SHARED
        .get_or_init(|| {
            // Preparing blocks and runs a runtime of its own: keep it off the caller's runtime.
            std::thread::spawn(|| prepare().map_err(|error| error.to_string()))
                .join()
                .unwrap_or_else(|_| Err("the preparation thread panicked".to_owned()))
        })
        .as_ref()
        .map_err(|error| TestDatabaseError::Setup(error.clone()))
}

fn prepare() -> Result<Shared, TestDatabaseError> {
    let target = match std::env::var("DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => Target::External { url },
        _ => Target::Local(Mutex::new(start_local_cluster()?)),
    };
    let admin_url = target.database_url("postgres");
    let runtime = current_thread_runtime()?;
    let template = runtime.block_on(template::ensure(&admin_url, |name| {
        target.database_url(name)
    }))?;
    Ok(Shared {
        target,
        admin_url,
        template,
    })
}

fn start_local_cluster() -> Result<LocalCluster, TestDatabaseError> {
    let temp = std::env::temp_dir();
    remove_abandoned_clusters(&temp);
    let data_dir = temp.join(format!("{LOCAL_CLUSTER_PREFIX}{}", std::process::id()));
    tracing::info!(data_dir = %data_dir.display(), "no DATABASE_URL: starting a local PostgreSQL for the tests");
    Ok(LocalCluster::start(&data_dir)?)
}

/// Deletes the data directories of earlier test processes that are gone.
fn remove_abandoned_clusters(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    let abandoned = entries.flatten().map(|entry| entry.path()).filter(|path| {
        owner_pid(path).is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists())
    });
    for path in abandoned.collect::<Vec<PathBuf>>() {
        let _ = std::fs::remove_dir_all(path);
    }
}

fn owner_pid(path: &Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_prefix(LOCAL_CLUSTER_PREFIX)?
        .parse()
        .ok()
}

fn current_thread_runtime() -> Result<tokio::runtime::Runtime, TestDatabaseError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| TestDatabaseError::Setup(format!("cannot start a runtime: {error}")))
}

/// Drops database `name` (best effort, closing its sessions); runs a runtime of its own.
pub(super) fn drop_database(admin_url: &str, name: &str) {
    let Ok(runtime) = current_thread_runtime() else {
        return;
    };
    runtime.block_on(async {
        let Ok(mut admin) = crate::connection::establish(admin_url).await else {
            return;
        };
        let statement = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        if let Err(error) = admin.batch_execute(&statement).await {
            tracing::warn!(%error, database = name, "could not drop a test database");
        }
    });
}
