//! A Supabase-like test database (the Data API roles, Supabase's default privileges, a
//! non-superuser owner that runs the migrations and the service), and running SQL as a role.

use std::path::PathBuf;

use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::ports::{
    ApiKeyRepository, ApiKeyScope, ConfigRepository, ConnectionRepository, HeldGrant, JobQueue,
    JobRepository, NewEndpoint, OAuthStateRepository, PageWrite, PendingAuthorization, RunEnd,
    RunEnding, SyncRunStore, WebhookOutbox, WebhookStore,
};
use pulse_domain::webhook::EventKind;
use pulse_domain::{
    ConfigUpdate, JobCounts, NewConnection, ProfileDraft, Secret, SyncInterval, UserId,
    apply_update,
};
use pulse_storage::testing::TestDatabase;
use pulse_storage::{PgStore, PoolSettings};
use sha2::{Digest, Sha256};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, NoTls, SimpleQueryMessage};

/// The roles Supabase's Data API runs requests as.
pub const API_ROLES: [&str; 3] = ["anon", "authenticated", "service_role"];

/// The roles that RLS applies to (service_role has BYPASSRLS on Supabase, as here).
pub const RLS_ROLES: [&str; 2] = ["anon", "authenticated"];

/// The non-superuser that owns the test databases, runs the migrations and the service, as the
/// `postgres` role does on Supabase (shared by every test; never dropped).
pub const OWNER: &str = "pulse_test_owner";

/// The owner's password, for servers that do not trust local connections.
const OWNER_PASSWORD: &str = "pulse-test-owner";

/// pulse-sync's own tables (the lock-down must cover at least these and diesel's).
pub const PULSE_TABLES: [&str; 13] = [
    "__diesel_schema_migrations",
    "api_keys",
    "google_connections",
    "google_contacts_auto_sync_config",
    "google_contacts_sync_jobs",
    "oauth_pending_authorizations",
    "oauth_pending_confirmations",
    "relationship_profiles",
    "webhook_deliveries",
    "webhook_delivery_attempts",
    "webhook_endpoints",
    "webhook_events",
    "webhook_sequences",
];

/// The folder of the migration that locks the tables down.
pub const LOCK_DOWN_MIGRATION: &str = "2025-01-01-000008_lock_down_tables_for_data_apis";

/// A fresh database set up like a Supabase project's, not yet migrated.
pub struct SupabaseDatabase {
    /// The database, dropped with this value.
    _database: TestDatabase,
    /// A superuser connection (the test's own, for SET ROLE).
    pub admin: Client,
    /// The URL that connects as [`OWNER`].
    pub owner_url: String,
}

impl SupabaseDatabase {
    /// An empty database owned by [`OWNER`], with the Data API roles, Supabase's grants on the
    /// schema and its default privileges for objects the owner creates.
    pub async fn create() -> Self {
        let database = TestDatabase::create_empty().await.expect("empty database");
        let admin = connect(database.url()).await;
        for role in API_ROLES {
            let attributes = if role == "service_role" {
                "NOLOGIN BYPASSRLS"
            } else {
                "NOLOGIN"
            };
            ensure_role(&admin, role, attributes).await;
        }
        let owner_attributes =
            format!("LOGIN PASSWORD '{OWNER_PASSWORD}' NOSUPERUSER NOBYPASSRLS NOCREATEDB");
        ensure_role(&admin, OWNER, &owner_attributes).await;
        let roles = API_ROLES.join(", ");
        execute(
            &admin,
            &format!(
                "ALTER DATABASE \"{name}\" OWNER TO {OWNER};
                 GRANT USAGE ON SCHEMA public TO {roles};
                 ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public GRANT ALL ON TABLES TO {roles};
                 ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public GRANT ALL ON SEQUENCES TO {roles};
                 ALTER DEFAULT PRIVILEGES FOR ROLE {OWNER} IN SCHEMA public GRANT ALL ON FUNCTIONS TO {roles};",
                name = database.name()
            ),
        )
        .await;
        let owner_url = as_owner(database.url());
        Self {
            _database: database,
            admin,
            owner_url,
        }
    }

    /// Like [`SupabaseDatabase::create`], then migrated by the owner with the embedded migrations.
    pub async fn migrated() -> Self {
        let supabase = Self::create().await;
        pulse_storage::run_migrations(&supabase.owner_url)
            .await
            .expect("the owner migrates");
        supabase
    }

    /// A connection as the owner.
    pub async fn owner(&self) -> Client {
        connect(&self.owner_url).await
    }

    /// The service's store, connected as the owner.
    pub fn store(&self) -> PgStore {
        PgStore::connect(
            &self.owner_url,
            PoolSettings::default(),
            TestDatabase::key_ring(),
        )
        .expect("store")
    }

    /// The tables of `public`, quoted, as the catalog lists them.
    pub async fn tables(&self) -> Vec<String> {
        strings(
            &self.admin,
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
        )
        .await
    }
}

/// Creates `role` unless it exists; safe when parallel tests (or processes) create it at once.
async fn ensure_role(client: &Client, role: &str, attributes: &str) {
    execute(
        client,
        &format!(
            "DO $$ BEGIN CREATE ROLE {role} {attributes};
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        ),
    )
    .await;
}

/// `url` with its user replaced by [`OWNER`] (and the owner's password).
fn as_owner(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    format!("{scheme}://{OWNER}:{OWNER_PASSWORD}@{host}{tail}")
}

/// A plain SQL connection to `url`.
pub async fn connect(url: &str) -> Client {
    let (client, connection) = tokio_postgres::connect(url, NoTls)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {url}: {error}"));
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// Runs statements, failing the test on error.
pub async fn execute(client: &Client, statements: &str) {
    if let Err(error) = client.batch_execute(statements).await {
        panic!("statements failed: {statements}: {}", describe(&error));
    }
}

/// The first column of every row of `query`, as text.
pub async fn strings(client: &Client, query: &str) -> Vec<String> {
    let messages = client
        .simple_query(query)
        .await
        .unwrap_or_else(|error| panic!("query failed: {query}: {}", describe(&error)));
    Answer::from(messages).rows
}

/// `count(*)` of `table`, read by `client`'s own role.
pub async fn count(client: &Client, table: &str) -> i64 {
    let query = format!("SELECT count(*) FROM {table}");
    let row = client
        .query_one(&query, &[])
        .await
        .unwrap_or_else(|error| panic!("query failed: {query}: {}", describe(&error)));
    row.get(0)
}

/// The server's message for `error` (tokio-postgres shows only "db error").
pub fn describe(error: &tokio_postgres::Error) -> String {
    error
        .as_db_error()
        .map_or_else(|| error.to_string(), |db| db.message().to_owned())
}

/// What a statement run as a role returned.
#[derive(Debug)]
pub struct Answer {
    /// The first column of every row, as text (`NULL` as an empty string).
    pub rows: Vec<String>,
    /// The rows the last statement returned or changed.
    pub affected: u64,
}

impl From<Vec<SimpleQueryMessage>> for Answer {
    fn from(messages: Vec<SimpleQueryMessage>) -> Self {
        let mut answer = Self {
            rows: Vec::new(),
            affected: 0,
        };
        for message in messages {
            match message {
                SimpleQueryMessage::Row(row) => {
                    answer.rows.push(row.get(0).unwrap_or_default().to_owned());
                }
                SimpleQueryMessage::CommandComplete(affected) => answer.affected = affected,
                _ => {}
            }
        }
        answer
    }
}

/// Runs `sql` as `role` (`SET LOCAL ROLE`, as PostgREST does) with `claims` as the request's JWT
/// claims when given, in a transaction that is rolled back afterwards.
pub async fn as_role(
    client: &Client,
    role: &str,
    claims: Option<&str>,
    sql: &str,
) -> Result<Answer, tokio_postgres::Error> {
    execute(client, &format!("BEGIN; SET LOCAL ROLE {role}")).await;
    if let Some(claims) = claims {
        client
            .execute(
                "SELECT set_config('request.jwt.claims', $1, true)",
                &[&claims],
            )
            .await
            .expect("set the claims");
    }
    let answer = client.simple_query(sql).await.map(Answer::from);
    execute(client, "ROLLBACK").await;
    answer
}

/// Asserts that `result` is PostgreSQL's "permission denied" (a missing privilege).
#[track_caller]
pub fn assert_permission_denied(result: Result<Answer, tokio_postgres::Error>, what: &str) {
    assert_error(result, "permission denied for ", what);
}

/// Asserts that `result` failed with SQLSTATE 42501 and a message starting with `message`.
#[track_caller]
pub fn assert_error(result: Result<Answer, tokio_postgres::Error>, message: &str, what: &str) {
    match result {
        Err(error)
            if error.code() == Some(&SqlState::INSUFFICIENT_PRIVILEGE)
                && error
                    .as_db_error()
                    .is_some_and(|db| db.message().starts_with(message)) => {}
        other => panic!("{what}: expected an error starting with {message:?}, got {other:?}"),
    }
}

/// The migration folders, oldest first.
pub fn migration_folders() -> Vec<PathBuf> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("migrations folder")
        .map(|entry| entry.expect("entry").path())
        .collect();
    folders.sort();
    folders
}

/// Runs one `up.sql` or `down.sql` of `folder` on `client`.
pub async fn run_file(client: &Client, folder: &std::path::Path, file: &str) {
    let sql = std::fs::read_to_string(folder.join(file)).expect("migration file");
    if let Err(error) = client.batch_execute(&sql).await {
        panic!("{}/{file} failed: {}", folder.display(), describe(&error));
    }
}

/// A valid user id.
pub fn user(id: &str) -> UserId {
    UserId::parse(id).expect("valid user id")
}

/// The wall clock, truncated to PostgreSQL's microseconds.
pub fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).expect("valid time")
}

/// A profile draft named `name`.
pub fn draft(source_id: &str, name: &str) -> ProfileDraft {
    ProfileDraft {
        source_id: source_id.to_owned(),
        previous_source_ids: Vec::new(),
        etag: Some("etag".to_owned()),
        display_name: Some(name.to_owned()),
        given_name: Some(name.to_owned()),
        family_name: None,
        primary_email: Some(format!("{}@example.com", name.to_lowercase())),
        emails: vec![format!("{}@example.com", name.to_lowercase())],
        phones: Vec::new(),
        organization: None,
        title: None,
        photo_url: None,
    }
}

/// One complete sync run of `user` through the service's store that writes `profiles`.
pub async fn sync_profiles(store: &PgStore, user: &UserId, profiles: &[ProfileDraft]) {
    let job = store.enqueue_manual(user, now()).await.expect("enqueue");
    let lease = store
        .claim_job(job.id, "test-worker", TimeDelta::minutes(2), now())
        .await
        .expect("claim")
        .expect("the job was queued");
    let page = PageWrite {
        profiles,
        deletions: &[],
        skipped_no_identifier: 0,
        retired: &[],
        counts_before: JobCounts::default(),
    };
    let counts = store.apply_page(&lease, page).await.expect("apply a page");
    store
        .end_run(
            &lease,
            RunEnd {
                counts,
                finished_at: now(),
                grant: None,
                ending: RunEnding::Completed {
                    sync_token: None,
                    full_listing: false,
                },
            },
        )
        .await
        .expect("complete the run");
}

/// Writes at least one row into every pulse-sync table through the service's store: a schedule,
/// a Google connection, a pending consent, an admin key, a webhook endpoint, and a synced profile
/// (with its job, whose end writes an event and its delivery, then attempted once).
pub async fn seed_through_the_service(store: &PgStore, user_id: &str) {
    let u = user(user_id);
    let update = ConfigUpdate {
        user_id: u.clone(),
        enabled: true,
        interval_hours: Some(SyncInterval::from_hours(6).expect("valid interval")),
    };
    let stored = store
        .modify_config(&u, chrono::Utc::now(), |current| {
            Some(apply_update(current, &update, now()))
        })
        .await
        .expect("modify the config")
        .expect("stored");
    assert!(stored.enabled);
    assert_eq!(
        store.find_config(&u).await.expect("find the config"),
        Some(stored)
    );

    let connection = NewConnection {
        user_id: u.clone(),
        google_account_id: Some("1234567890".to_owned()),
        google_email: Some("ada@example.com".to_owned()),
        refresh_token: Secret::new("1//refresh-token"),
        access_token_expires_at: None,
        scopes: vec!["https://www.googleapis.com/auth/contacts.readonly".to_owned()],
    };
    store
        .save_connection(&connection, now())
        .await
        .expect("save the connection");
    let found = store
        .find_connection(&u)
        .await
        .expect("find the connection")
        .expect("connected");
    assert_eq!(found.user_id, u);

    store
        .save_pending(
            &PendingAuthorization {
                state: format!("state-{user_id}"),
                user_id: u.clone(),
                pkce_verifier: Secret::new("verifier"),
                return_to: None,
                expires_at: now() + TimeDelta::minutes(10),
                browser_binding_hash: None,
            },
            now(),
        )
        .await
        .expect("save a pending consent");
    store
        .hold_grant(
            &hex::encode(Sha256::digest(format!("confirm-{user_id}"))),
            &HeldGrant {
                connection: connection.clone(),
                return_to: None,
                expires_at: now() + TimeDelta::minutes(10),
            },
            now(),
        )
        .await
        .expect("hold a grant for confirmation");

    let key_hash = hex::encode(Sha256::digest(user_id));
    let key = store
        .create_key(&key_hash, &ApiKeyScope::Admin, Some("ops"), now())
        .await
        .expect("create a key");
    let authenticated = store
        .authenticate(&key_hash, now())
        .await
        .expect("authenticate")
        .expect("the key is known");
    assert_eq!(authenticated.id, key.id);

    store
        .put_endpoint(
            NewEndpoint {
                workspace: Some(&u),
                url: "https://crm.example.com/hooks",
                events: &[EventKind::SyncCompleted],
                secret: &Secret::new("whsec_seed"),
            },
            now(),
        )
        .await
        .expect("set a webhook endpoint");

    sync_profiles(store, &u, &[draft(&format!("people/{user_id}"), "Ada")]).await;

    let claimed = store
        .claim_deliveries(now() + TimeDelta::seconds(1), TimeDelta::seconds(60), 10)
        .await
        .expect("claim the delivery");
    let delivery = claimed
        .iter()
        .find(|delivery| delivery.workspace == u)
        .expect("the run's end wrote a delivery");
    let recorded = store
        .record_attempt(
            delivery,
            &pulse_domain::ports::AttemptRecord {
                attempted_at: now(),
                status_code: Some(204),
                latency_ms: 5,
                error: None,
                outcome: pulse_domain::ports::AttemptOutcome::Delivered,
            },
        )
        .await
        .expect("record the attempt");
    assert!(recorded);
}
