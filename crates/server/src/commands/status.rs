//! `pulse-sync status [--workspace U]`: each workspace's auto-sync settings, the next sync in words
//! ("Next sync: in 24 hours"), its Google connection and its last jobs.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use clap::Args;
use pulse_domain::ports::{ConfigRepository, JobRepository};
use pulse_domain::{AutoSyncConfig, PausedReason, SyncJob, UserId, humanize_until};
use pulse_storage::PgStore;

use crate::database::Database;
use crate::encryption;
use crate::error::CliError;
use crate::inventory;
use crate::report::{describe_job, format_time};
use crate::settings::DatabaseArgs;

/// Workspaces shown without `--workspace`.
const MAX_WORKSPACES: i64 = 200;

/// Options of `pulse-sync status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// Only this workspace (CRM user id), with more of its jobs.
    #[arg(long)]
    pub workspace: Option<String>,
    /// Jobs shown per workspace [default: 10 with --workspace, else 3].
    #[arg(long)]
    pub jobs: Option<i64>,
    /// Which database.
    #[command(flatten)]
    pub database: DatabaseArgs,
}

/// Prints the status.
pub async fn run(args: StatusArgs) -> Result<(), CliError> {
    let only = args
        .workspace
        .as_deref()
        .map(UserId::parse)
        .transpose()
        .map_err(|error| CliError::Input(format!("--workspace: {error}")))?;
    let jobs = args
        .jobs
        .unwrap_or(if only.is_some() { 10 } else { 3 })
        .clamp(1, 100);
    let database = Database::open(&args.database).await?;
    let outcome = async {
        database.ensure_schema().await?;
        let store = database.store(2, encryption::ring_for_secret_free_commands()?)?;
        let now = Utc::now();
        let workspaces = match only {
            Some(user) => vec![user],
            None => {
                let due = inventory::count_due(&store, now).await?;
                println!("Database: {}", database.describe());
                println!("Users due for a sync now: {due}");
                inventory::workspaces(&store, MAX_WORKSPACES).await?
            }
        };
        if workspaces.is_empty() {
            println!("No workspaces yet: none has saved auto-sync settings or connected Google.");
        }
        for user in &workspaces {
            println!();
            print!("{}", workspace_status(&store, user, jobs, now).await?);
        }
        Ok(())
    }
    .await;
    database.close().await;
    outcome
}

/// One workspace's block of the status.
async fn workspace_status(
    store: &PgStore,
    user: &UserId,
    jobs: i64,
    now: DateTime<Utc>,
) -> Result<String, CliError> {
    let config = store
        .find_config(user)
        .await?
        .unwrap_or_else(|| AutoSyncConfig::defaults(user.clone()));
    let connection = inventory::connection_status(store, user).await?;
    let recent = store.list_jobs(user, jobs, None).await?.items;
    Ok(render(&config, connection.as_deref(), &recent, now))
}

/// Renders a workspace's block.
pub fn render(
    config: &AutoSyncConfig,
    connection: Option<&str>,
    jobs: &[SyncJob],
    now: DateTime<Utc>,
) -> String {
    let mut out = String::new();
    let hours = config.interval_hours.hours();
    let interval = if hours == 1 {
        "every hour".to_owned()
    } else {
        format!("every {hours} hours")
    };
    let _ = writeln!(out, "Workspace {}", config.user_id);
    let _ = writeln!(
        out,
        "  Auto-sync: {}, {interval}",
        if config.enabled { "on" } else { "off" }
    );
    let _ = writeln!(out, "  {}", next_sync_line(config, now));
    if let Some(reason) = config.paused_reason {
        let why = match reason {
            PausedReason::GoogleReauthRequired => "Google access was revoked; reconnect Google",
            PausedReason::TooManyFailures => "too many failed syncs in a row",
        };
        let _ = writeln!(out, "  Paused: {why}");
    }
    let last = config
        .last_sync_at
        .map_or_else(|| "never".to_owned(), format_time);
    let _ = writeln!(out, "  Last successful sync: {last}");
    if config.consecutive_failures > 0 {
        let _ = writeln!(
            out,
            "  Failures in a row: {} (last: {})",
            config.consecutive_failures,
            config.last_error.as_deref().unwrap_or("no message")
        );
    }
    let google = match connection {
        Some("connected") => "connected",
        Some("reauth_required") => "reconnect needed (Google refused the grant)",
        _ => "not connected",
    };
    let _ = writeln!(out, "  Google: {google}");
    if jobs.is_empty() {
        let _ = writeln!(out, "  Recent syncs: none");
    } else {
        let _ = writeln!(out, "  Recent syncs:");
        for job in jobs {
            let at = job.started_at.unwrap_or(job.created_at);
            let _ = writeln!(
                out,
                "    {}  {:<6}  {:<9}  {}",
                format_time(at),
                job.trigger.as_str(),
                job.status.as_str(),
                describe_job(job)
            );
        }
    }
    out
}

/// "Next sync: in 24 hours (2026-12-01 10:00 UTC)", or why there is none.
fn next_sync_line(config: &AutoSyncConfig, now: DateTime<Utc>) -> String {
    match (config.enabled, config.paused_reason, config.next_sync_at) {
        (false, _, _) => "Next sync: none (auto-sync is off)".to_owned(),
        (true, Some(_), _) => "Next sync: none (auto-sync is paused)".to_owned(),
        (true, None, Some(next)) => format!(
            "Next sync: {} ({})",
            humanize_until(next, now),
            format_time(next)
        ),
        (true, None, None) => "Next sync: not scheduled".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use pulse_domain::{ConfigUpdate, apply_update};

    use super::*;

    #[test]
    fn an_enabled_workspace_shows_the_next_sync_in_words() {
        let now = Utc::now();
        let user = UserId::parse("acme").unwrap();
        let update = ConfigUpdate {
            user_id: user.clone(),
            enabled: true,
            interval_hours: None,
        };
        let config = apply_update(None, &update, now);
        let text = render(&config, Some("connected"), &[], now + TimeDelta::minutes(1));
        assert!(text.contains("Workspace acme"), "{text}");
        assert!(text.contains("Auto-sync: on, every 24 hours"), "{text}");
        assert!(text.contains("Next sync: in 24 hours ("), "{text}");
        assert!(text.contains("Google: connected"), "{text}");
        assert!(text.contains("Recent syncs: none"), "{text}");
        let off = render(&AutoSyncConfig::defaults(user), None, &[], now);
        assert!(off.contains("Next sync: none (auto-sync is off)"), "{off}");
        assert!(off.contains("Google: not connected"), "{off}");
    }
}
