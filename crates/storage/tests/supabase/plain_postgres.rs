//! The migrations on a PostgreSQL that has none of the Data API roles (a cluster of its own, as
//! the shared test server may hold them from the other tests): they apply, lock the tables, and
//! the opt-in read policy refuses to be enabled.

use std::path::PathBuf;

use pulse_storage::local_cluster::LocalCluster;

use crate::support::{API_ROLES, connect, execute, strings};

/// A directory removed at the end of the test.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn the_migrations_apply_where_the_api_roles_do_not_exist() {
    let dir =
        TempDir(std::env::temp_dir().join(format!("pulse-plain-postgres-{}", std::process::id())));
    let data_dir = dir.0.clone();
    let cluster = tokio::task::spawn_blocking(move || LocalCluster::start(&data_dir))
        .await
        .expect("the start task")
        .expect("a local cluster");
    let url = cluster.database_url("postgres");
    let admin = connect(&url).await;
    let roles = API_ROLES.map(|role| format!("'{role}'")).join(", ");
    let present = strings(
        &admin,
        &format!("SELECT rolname FROM pg_roles WHERE rolname IN ({roles})"),
    )
    .await;
    assert_eq!(present, Vec::<String>::new());

    let report = pulse_storage::run_migrations(&url)
        .await
        .expect("the migrations apply");
    assert_eq!(
        report.applied,
        pulse_storage::migrations::embedded_versions().expect("versions")
    );
    let unprotected = strings(
        &admin,
        "SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace \
         AND relkind = 'r' AND NOT relrowsecurity",
    )
    .await;
    assert_eq!(unprotected, Vec::<String>::new());
    execute(
        &admin,
        "INSERT INTO google_contacts_auto_sync_config (user_id) VALUES ('ada')",
    )
    .await;

    let refused = admin
        .batch_execute("SELECT pulse_enable_profile_read_policy()")
        .await
        .expect_err("no role authenticated");
    let message = refused
        .as_db_error()
        .map(|db| db.message().to_owned())
        .unwrap_or_default();
    assert!(
        message.contains("there is no role authenticated"),
        "{message}"
    );

    drop(admin);
    tokio::task::spawn_blocking(move || cluster.stop())
        .await
        .expect("the stop task")
        .expect("the cluster stops");
}
