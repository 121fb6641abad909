//! Plain SQL on a test database, for arranging rows and reading what the server wrote.

use pulse_storage::ConnectError;
use tokio_postgres::Client;

/// A plain SQL connection to `url`; panics when the database does not answer.
pub async fn connect(url: &str) -> Client {
    try_connect(url)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to the test database: {error}"))
}

/// A plain SQL connection to `url` (TLS as the URL's `sslmode` says), or the error.
pub async fn try_connect(url: &str) -> Result<Client, ConnectError> {
    pulse_storage::connection::connect_client(url).await
}

/// One `bigint` (a `count(*)`) from a query without parameters.
pub async fn count(client: &Client, query: &str) -> i64 {
    match client.query_one(query, &[]).await {
        Ok(row) => row.get(0),
        Err(error) => panic!("query failed: {query}: {error}"),
    }
}

/// Runs statements, failing the test on error.
pub async fn execute(client: &Client, statements: &str) {
    if let Err(error) = client.batch_execute(statements).await {
        panic!("statements failed: {statements}: {error}");
    }
}

/// The tables pulse-sync writes.
pub const TABLES: &[&str] = &[
    "google_contacts_auto_sync_config",
    "google_contacts_sync_jobs",
    "google_connections",
    "oauth_pending_authorizations",
    "relationship_profiles",
    "api_keys",
];

/// Every row of every table as PostgreSQL's text form (bytea as hex), one per line.
pub async fn all_rows(client: &Client) -> String {
    let mut text = String::new();
    for table in TABLES {
        let query = format!("SELECT t::text FROM {table} t");
        let rows = client
            .query(&query, &[])
            .await
            .unwrap_or_else(|error| panic!("cannot read {table}: {error}"));
        for row in rows {
            text.push_str(table);
            text.push_str(": ");
            text.push_str(&row.get::<_, String>(0));
            text.push('\n');
        }
    }
    text
}
