//! `pulse-sync api-key create|list|revoke`: API keys for the CRM and the settings page. A key is
//! printed once, alone on a line of standard output; only its hash is stored.

use std::io::Write;

use chrono::Utc;
use clap::{ArgGroup, Args, Subcommand};
use pulse_api::generate_api_key;
use pulse_domain::UserId;
use pulse_domain::ports::{ApiKeyRecord, ApiKeyRepository, ApiKeyScope};
use uuid::Uuid;

use crate::database::Database;
use crate::encryption;
use crate::error::CliError;
use crate::report::{format_time, write_table};
use crate::settings::DatabaseArgs;

/// Options of `pulse-sync api-key`.
#[derive(Debug, Clone, Args)]
pub struct ApiKeyArgs {
    /// What to do with keys.
    #[command(subcommand)]
    pub action: ApiKeyAction,
}

/// The key operations.
#[derive(Debug, Clone, Subcommand)]
pub enum ApiKeyAction {
    /// Creates a key and prints it once on standard output.
    Create(CreateArgs),
    /// Lists the keys (never the keys themselves): id, scope, name, dates.
    List(ListArgs),
    /// Revokes a key at once.
    Revoke(RevokeArgs),
}

/// Options of `api-key create`.
#[derive(Debug, Clone, Args)]
#[command(group(ArgGroup::new("scope").required(true).args(["workspace", "admin"])))]
pub struct CreateArgs {
    /// The workspace (CRM user id) the key may access.
    #[arg(long)]
    pub workspace: Option<String>,
    /// An admin key: every workspace.
    #[arg(long)]
    pub admin: bool,
    /// A label for people ("CRM production", "laptop").
    #[arg(long)]
    pub name: Option<String>,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `api-key list`.
#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Options of `api-key revoke`.
#[derive(Debug, Clone, Args)]
pub struct RevokeArgs {
    /// The key's id, as `api-key list` shows it.
    pub id: String,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Runs the key operation.
pub async fn run(args: ApiKeyArgs) -> Result<(), CliError> {
    let database_args = match &args.action {
        ApiKeyAction::Create(create) => &create.database,
        ApiKeyAction::List(list) => &list.database,
        ApiKeyAction::Revoke(revoke) => &revoke.database,
    };
    let database = Database::open(database_args).await?;
    let outcome = async {
        database.ensure_schema().await?;
        let store = database.store(2, encryption::ring_for_secret_free_commands()?)?;
        match &args.action {
            ApiKeyAction::Create(create) => create_key(&store, create).await,
            ApiKeyAction::List(_) => list_keys(&store).await,
            ApiKeyAction::Revoke(revoke) => revoke_key(&store, revoke).await,
        }
    }
    .await;
    database.close().await;
    outcome
}

async fn create_key(store: &impl ApiKeyRepository, args: &CreateArgs) -> Result<(), CliError> {
    let scope = match (&args.workspace, args.admin) {
        (Some(workspace), false) => ApiKeyScope::Workspace(
            UserId::parse(workspace)
                .map_err(|error| CliError::Input(format!("--workspace: {error}")))?,
        ),
        (None, true) => ApiKeyScope::Admin,
        _ => {
            return Err(CliError::Input(
                "give either --workspace or --admin".to_owned(),
            ));
        }
    };
    let name = args
        .name
        .as_deref()
        .map(str::trim)
        .filter(|name| !name.is_empty());
    let key = generate_api_key()?;
    let record = store
        .create_key(&key.hash, &scope, name, Utc::now())
        .await?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", key.plaintext.expose())
        .and_then(|()| stdout.flush())
        .map_err(CliError::Output)?;
    eprintln!(
        "Created API key {} for {}. It is shown only this once: store it now.",
        record.id,
        describe_scope(&record.scope)
    );
    tracing::info!(key_id = %record.id, scope = %describe_scope(&record.scope), "API key created");
    Ok(())
}

async fn list_keys(store: &impl ApiKeyRepository) -> Result<(), CliError> {
    let keys = store.list_keys().await?;
    if keys.is_empty() {
        println!("No API keys yet: create one with `pulse-sync api-key create --workspace U`.");
        return Ok(());
    }
    let rows: Vec<Vec<String>> = keys.iter().map(row).collect();
    let mut stdout = std::io::stdout().lock();
    write_table(
        &mut stdout,
        &["ID", "SCOPE", "NAME", "CREATED", "LAST USED", "STATUS"],
        &rows,
    )
    .map_err(CliError::Output)
}

fn row(key: &ApiKeyRecord) -> Vec<String> {
    vec![
        key.id.to_string(),
        describe_scope(&key.scope),
        key.name.clone().unwrap_or_else(|| "-".to_owned()),
        format_time(key.created_at),
        key.last_used_at
            .map_or_else(|| "never".to_owned(), format_time),
        key.revoked_at.map_or_else(
            || "active".to_owned(),
            |at| format!("revoked {}", format_time(at)),
        ),
    ]
}

async fn revoke_key(store: &impl ApiKeyRepository, args: &RevokeArgs) -> Result<(), CliError> {
    let id = Uuid::parse_str(args.id.trim()).map_err(|_| {
        CliError::Input(format!(
            "'{}' is not a key id; `pulse-sync api-key list` shows them",
            args.id
        ))
    })?;
    if store.revoke_key(id, Utc::now()).await? {
        println!("Revoked API key {id}.");
        tracing::info!(key_id = %id, "API key revoked");
        Ok(())
    } else {
        Err(CliError::Input(format!(
            "no active API key has the id {id}; `pulse-sync api-key list` shows them"
        )))
    }
}

/// "workspace demo" or "admin".
fn describe_scope(scope: &ApiKeyScope) -> String {
    match scope {
        ApiKeyScope::Admin => "admin".to_owned(),
        ApiKeyScope::Workspace(user) => format!("workspace {user}"),
    }
}
