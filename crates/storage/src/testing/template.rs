//! The migrated template database that every test database is cloned from: named after a digest
//! of the migrations, built once (under an advisory lock, so parallel processes build it once),
//! and reused by later runs until the migrations change. The templates of a few other migration
//! sets stay beside it, so checkouts of different branches can run their tests on one server.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::Text;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};

use crate::error::StorageError;
use crate::migrations::run_migrations;
use crate::testing::TestDatabaseError;

/// Prefix of template databases (current, stale, or half-built by a process that died).
const TEMPLATE_PREFIX: &str = "pulse_template_";

/// Suffix of a template while its migrations run.
const BUILDING_SUFFIX: &str = "_building";

/// Templates of other migration sets kept on the server, newest first (other checkouts' runs).
const KEPT_OTHER_TEMPLATES: usize = 3;

/// Serialises template builds across processes on one server.
const TEMPLATE_LOCK_KEY: i64 = 0x7075_6c73_655f_7470;

/// How often renaming the built template is tried while the migration's session closes.
const RENAME_ATTEMPTS: u32 = 100;

#[derive(QueryableByName)]
struct DatabaseName {
    #[diesel(sql_type = Text)]
    datname: String,
}

/// The template's name for the migrations compiled into this crate.
pub(super) fn template_name() -> String {
    format!("{TEMPLATE_PREFIX}{}", env!("PULSE_MIGRATIONS_DIGEST"))
}

/// Makes sure the current template exists on the server, building it when missing.
pub(super) async fn ensure(
    admin_url: &str,
    url_for: impl Fn(&str) -> String,
) -> Result<String, TestDatabaseError> {
    let template = template_name();
    let mut admin = crate::connection::establish(admin_url).await?;
    execute(
        &mut admin,
        &format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"),
    )
    .await?;
    let built = build_if_missing(&mut admin, &template, &url_for).await;
    let unlocked = execute(
        &mut admin,
        &format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"),
    )
    .await;
    built?;
    unlocked?;
    Ok(template)
}

async fn build_if_missing(
    admin: &mut AsyncPgConnection,
    template: &str,
    url_for: &impl Fn(&str) -> String,
) -> Result<(), TestDatabaseError> {
    // Newest first (a database's oid grows with its creation).
    let existing: Vec<DatabaseName> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY oid DESC",
    )
    .bind::<Text, _>(TEMPLATE_PREFIX)
    .load(admin)
    .await
    .map_err(StorageError::Query)?;
    if existing.iter().any(|db| db.datname == template) {
        return Ok(());
    }
    drop_stale_templates(admin, &existing).await;
    let building = format!("{template}{BUILDING_SUFFIX}");
    execute(admin, &format!("CREATE DATABASE \"{building}\"")).await?;
    let report = run_migrations(&url_for(&building)).await?;
    tracing::info!(
        template,
        applied = report.applied.len(),
        "built the test template database"
    );
    rename_when_idle(admin, &building, template).await
}

/// Drops what is left of earlier template builds, under the build lock: any half-built one (its
/// builder died, since builds hold the lock), and the completed templates of other migration sets
/// beyond the newest few. Those few are kept because test runs of another checkout (another
/// branch's migrations) may be cloning them right now on the same server; an older one that is
/// still in use is left for a later run (the drop waits for no session and forces none out).
async fn drop_stale_templates(admin: &mut AsyncPgConnection, existing: &[DatabaseName]) {
    let (half_built, built): (Vec<_>, Vec<_>) = existing
        .iter()
        .partition(|db| db.datname.ends_with(BUILDING_SUFFIX));
    let abandoned = half_built
        .iter()
        .map(|db| format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", db.datname));
    let stale = built
        .iter()
        .skip(KEPT_OTHER_TEMPLATES)
        .map(|db| format!("DROP DATABASE IF EXISTS \"{}\"", db.datname));
    for statement in abandoned.chain(stale) {
        if let Err(error) = execute(admin, &statement).await {
            tracing::warn!(%error, statement, "could not drop a stale template");
        }
    }
}

/// Renames the built database once the migration's session has left it.
async fn rename_when_idle(
    admin: &mut AsyncPgConnection,
    from: &str,
    to: &str,
) -> Result<(), TestDatabaseError> {
    let statement = format!("ALTER DATABASE \"{from}\" RENAME TO \"{to}\"");
    let mut attempt = 1;
    loop {
        match execute(admin, &statement).await {
            Ok(()) => return Ok(()),
            Err(_) if attempt < RENAME_ATTEMPTS => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
}

async fn execute(connection: &mut AsyncPgConnection, statement: &str) -> Result<(), StorageError> {
    connection
        .batch_execute(statement)
        .await
        .map_err(StorageError::Query)
}
