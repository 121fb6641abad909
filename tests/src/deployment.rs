//! `Deployment`: the world a black-box scenario runs in — a database, the fake Google, the
//! encryption and admin keys every `pulse-sync` process of the scenario shares — with helpers to
//! connect users, make them due, read jobs, and check the disk of truth at the end.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pulse_domain::ports::ConnectionRepository;
use pulse_domain::{NewConnection, UserId};
use pulse_google::CONTACTS_READONLY_SCOPE;
use pulse_google::fake::{Dataset, FakeEndpoint, FakeGoogle, FakeOptions};
use pulse_storage::crypto::{EncryptionKey, KeyRing};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{PgStore, PoolSettings, generate_key};
use tokio_postgres::Client;

use crate::expected::{expected_profiles, live_profiles};
use crate::server_config::ServerConfig;
use crate::sql;

/// A job row as the scenarios check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRow {
    /// The job id.
    pub id: uuid::Uuid,
    /// Whose job.
    pub user_id: String,
    /// `auto` or `manual`.
    pub trigger: String,
    /// The status.
    pub status: String,
    /// Claims so far.
    pub attempt: i32,
    /// The worker holding (or that last held) it.
    pub worker_id: Option<String>,
    /// The failure message.
    pub error: Option<String>,
    /// People fetched so far.
    pub fetched: i64,
}

const JOB_COLUMNS: &str = "id, user_id, trigger, status, attempt, worker_id, error, fetched";

fn job_row(row: &tokio_postgres::Row) -> JobRow {
    JobRow {
        id: row.get(0),
        user_id: row.get(1),
        trigger: row.get(2),
        status: row.get(3),
        attempt: row.get(4),
        worker_id: row.get(5),
        error: row.get(6),
        fetched: row.get(7),
    }
}

/// A database, the fake Google, and the keys of the scenario's servers.
pub struct Deployment {
    database_url: String,
    _database: Option<TestDatabase>,
    /// The fake Google every server of the scenario talks to.
    pub google: FakeGoogle,
    /// Plain SQL on the database.
    pub sql: Client,
    /// A store sealing with the servers' key.
    pub store: PgStore,
    /// `PULSE_ENCRYPTION_KEY` of every server.
    pub encryption_key: String,
    /// `PULSE_ADMIN_API_KEY` of every server.
    pub admin_key: String,
    accounts: Mutex<BTreeMap<String, String>>,
}

impl Deployment {
    /// A fresh test database and a fake Google started with `options`.
    pub async fn start(options: FakeOptions) -> Self {
        let database = TestDatabase::new().await;
        let url = database.url().to_owned();
        Self::assemble(url, Some(database), options).await
    }

    /// A fake Google started with `options` over the (migrated or empty) database at `url`.
    pub async fn start_on(url: &str, options: FakeOptions) -> Self {
        Self::assemble(url.to_owned(), None, options).await
    }

    async fn assemble(url: String, database: Option<TestDatabase>, options: FakeOptions) -> Self {
        let google = FakeGoogle::start(options).expect("the fake Google starts");
        let encryption_key = generate_key();
        let keys = KeyRing::new(
            EncryptionKey::from_base64(&encryption_key).expect("a generated key loads"),
        );
        let settings = PoolSettings {
            max_size: 4,
            wait_timeout: Duration::from_secs(5),
            connect_timeout: Duration::from_secs(5),
            ..PoolSettings::default()
        };
        let store = PgStore::connect(&url, settings, keys).expect("a store on the test database");
        let sql = sql::connect(&url).await;
        Self {
            database_url: url,
            _database: database,
            google,
            sql,
            store,
            encryption_key,
            admin_key: random_admin_key(),
            accounts: Mutex::default(),
        }
    }

    /// Opens the plain SQL connection again (after the database was restarted).
    pub async fn reconnect(&mut self) {
        self.sql = sql::connect(&self.database_url).await;
    }

    /// The database's URL.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The environment of a server of this deployment (its own free port).
    pub fn server_config(&self) -> ServerConfig {
        ServerConfig::new(&self.database_url, &self.encryption_key, &self.admin_key)
            .with_google(&self.google)
    }

    /// Gives `user` a fake Google account of the same name with `dataset`, and stores a
    /// connection to it (a grant made without a browser), sealed with the servers' key.
    pub async fn connect(&self, user: &str, dataset: Dataset) -> UserId {
        self.google.add_account(user, dataset);
        self.connect_to(user, user).await
    }

    /// Stores a connection of `user` to the existing fake account `account`.
    pub async fn connect_to(&self, user: &str, account: &str) -> UserId {
        let user_id = UserId::parse(user).expect("a valid user id");
        let refresh_token = self.google.grant(account).expect("a grant for the account");
        let connection = NewConnection {
            user_id: user_id.clone(),
            google_account_id: Some(account.to_owned()),
            google_email: Some(account.to_owned()),
            refresh_token,
            access_token_expires_at: None,
            scopes: vec![CONTACTS_READONLY_SCOPE.to_owned()],
        };
        self.store
            .save_connection(&connection, Utc::now())
            .await
            .expect("the connection is stored");
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user.to_owned(), account.to_owned());
        user_id
    }

    /// Turns auto-sync on for `users` with their next sync due a minute ago (a round).
    pub async fn make_due(&self, users: &[String]) {
        let due_at: DateTime<Utc> = Utc::now() - chrono::TimeDelta::minutes(1);
        for user in users {
            self.sql
                .execute(
                    "INSERT INTO google_contacts_auto_sync_config
                         (user_id, enabled, interval_hours, next_sync_at)
                     VALUES ($1, true, 24, $2)
                     ON CONFLICT (user_id) DO UPDATE
                     SET enabled = true, next_sync_at = $2, paused_reason = NULL",
                    &[user, &due_at],
                )
                .await
                .unwrap_or_else(|error| panic!("cannot make {user} due: {error}"));
        }
    }

    /// The jobs of `user`, oldest first.
    pub async fn jobs_of(&self, user: &str) -> Vec<JobRow> {
        let query = format!(
            "SELECT {JOB_COLUMNS} FROM google_contacts_sync_jobs
             WHERE user_id = $1 ORDER BY created_at, id"
        );
        match self.sql.query(&query, &[&user]).await {
            Ok(rows) => rows.iter().map(job_row).collect(),
            Err(error) => panic!("cannot read the jobs of {user}: {error}"),
        }
    }

    /// Every job, oldest first.
    pub async fn all_jobs(&self) -> Vec<JobRow> {
        let query =
            format!("SELECT {JOB_COLUMNS} FROM google_contacts_sync_jobs ORDER BY created_at, id");
        match self.sql.query(&query, &[]).await {
            Ok(rows) => rows.iter().map(job_row).collect(),
            Err(error) => panic!("cannot read the jobs: {error}"),
        }
    }

    /// How many jobs have `status`.
    pub async fn jobs_with_status(&self, status: &str) -> i64 {
        match self
            .sql
            .query_one(
                "SELECT count(*) FROM google_contacts_sync_jobs WHERE status = $1",
                &[&status],
            )
            .await
        {
            Ok(row) => row.get(0),
            Err(error) => panic!("cannot count jobs: {error}"),
        }
    }

    /// Listing requests the fake answered for `user`'s account.
    pub fn listings_of(&self, user: &str) -> u64 {
        self.google
            .request_count(&self.account_of(user), FakeEndpoint::Connections)
    }

    /// The fake account `user` is connected to.
    pub fn account_of(&self, user: &str) -> String {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .cloned()
            .unwrap_or_else(|| panic!("{user} was never connected"))
    }

    /// Every connected user.
    pub fn users(&self) -> Vec<String> {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    /// No job is left `queued` or `running`.
    pub async fn assert_all_jobs_final(&self) {
        let unfinished: Vec<JobRow> = self
            .all_jobs()
            .await
            .into_iter()
            .filter(|job| matches!(job.status.as_str(), "queued" | "running"))
            .collect();
        assert!(
            unfinished.is_empty(),
            "jobs not in a final state: {unfinished:#?}"
        );
    }

    /// The disk of truth: every connected user's live profiles are exactly what the fake
    /// Google's current contacts map to, no profile row exists twice, and no profile belongs to
    /// a user who was never connected.
    pub async fn assert_disk_of_truth(&self) {
        let users = self.users();
        for user in &users {
            let user_id = UserId::parse(user).expect("a valid user id");
            let live = live_profiles(&self.store, &user_id).await;
            let expected = expected_profiles(&self.google, &self.account_of(user));
            if live != expected {
                let missing = expected.iter().filter(|p| !live.contains(p)).count();
                let extra = live.iter().filter(|p| !expected.contains(p)).count();
                panic!(
                    "{user}: {} live profiles, Google has {}: {missing} missing or different, \
                     {extra} extra or stale",
                    live.len(),
                    expected.len()
                );
            }
        }
        let duplicated = sql::count(
            &self.sql,
            "SELECT count(*) FROM (SELECT user_id, source_id FROM relationship_profiles
             GROUP BY user_id, source_id HAVING count(*) > 1) AS twice",
        )
        .await;
        assert_eq!(duplicated, 0, "profiles stored twice");
        let owners: Vec<String> = self
            .sql
            .query("SELECT DISTINCT user_id FROM relationship_profiles", &[])
            .await
            .expect("profile owners are read")
            .iter()
            .map(|row| row.get(0))
            .collect();
        for owner in owners {
            assert!(
                users.contains(&owner),
                "profiles of an unknown user {owner}"
            );
        }
    }
}

/// A fresh `PULSE_ADMIN_API_KEY` of 256 random bits (the server refuses weaker ones).
pub fn random_admin_key() -> String {
    format!(
        "pulse_admin_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}
