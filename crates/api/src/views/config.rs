//! `ConfigView`: the auto-sync settings as the settings card shows them (the seed's shape plus the
//! pause state, the connection state and the humanised time to the next sync).

use chrono::{DateTime, Utc};
use pulse_domain::{
    AutoSyncConfig, ConnectionStatus, ConnectionSummary, PausedReason, humanize_until,
};
use serde::Serialize;
use utoipa::ToSchema;

/// The state of the workspace's Google grant, as the page shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = Connection)]
pub(crate) enum ConnectionView {
    /// The grant works.
    Connected,
    /// Google refused the grant; the user must connect again.
    ReauthRequired,
    /// Never connected, or disconnected.
    NotConnected,
}

impl ConnectionView {
    /// The view of a stored connection's state (or of none).
    pub(crate) fn of(status: Option<ConnectionStatus>) -> Self {
        match status {
            Some(ConnectionStatus::Connected) => Self::Connected,
            Some(ConnectionStatus::ReauthRequired) => Self::ReauthRequired,
            Some(ConnectionStatus::Revoked) | None => Self::NotConnected,
        }
    }
}

/// Why auto-sync paused itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = PausedReason)]
pub(crate) enum PausedReasonView {
    /// Ten failed runs in a row.
    TooManyFailures,
    /// Google refused the grant; connecting again unpauses.
    GoogleReauthRequired,
}

impl From<PausedReason> for PausedReasonView {
    fn from(reason: PausedReason) -> Self {
        match reason {
            PausedReason::TooManyFailures => Self::TooManyFailures,
            PausedReason::GoogleReauthRequired => Self::GoogleReauthRequired,
        }
    }
}

/// A workspace's auto-sync settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = AutoSyncConfig)]
pub(crate) struct ConfigView {
    /// The workspace (CRM user) these settings belong to.
    #[schema(example = "demo")]
    pub workspace_id: String,
    /// Whether auto-sync is on.
    pub enabled: bool,
    /// Hours between automatic syncs (1 to 720).
    #[schema(minimum = 1, maximum = 720, example = 24)]
    pub interval_hours: i64,
    /// When the last successful sync started.
    #[schema(required = true)]
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When the next automatic sync is due; null when off or paused.
    #[schema(required = true)]
    pub next_sync_at: Option<DateTime<Utc>>,
    /// The time to the next sync in words ("in 24 hours"); null when none is scheduled.
    #[schema(required = true, example = "in 24 hours")]
    pub next_sync_in: Option<String>,
    /// Set when auto-sync paused itself although it is on.
    #[schema(required = true)]
    pub paused_reason: Option<PausedReasonView>,
    /// The last failure's message.
    #[schema(required = true)]
    pub last_error: Option<String>,
    /// Failed runs in a row since the last success.
    #[schema(minimum = 0)]
    pub consecutive_failures: u32,
    /// The state of the Google grant.
    pub connection: ConnectionView,
    /// The email of the Google account connected; null when none is (or Google named none).
    #[schema(required = true, example = "alice@example.com")]
    pub connection_email: Option<String>,
}

impl ConfigView {
    /// The view of `config` at `now`.
    pub(crate) fn new(
        config: &AutoSyncConfig,
        connection: Option<&ConnectionSummary>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            workspace_id: config.user_id.as_str().to_owned(),
            enabled: config.enabled,
            interval_hours: config.interval_hours.hours(),
            last_sync_at: config.last_sync_at,
            next_sync_at: config.next_sync_at,
            next_sync_in: config.next_sync_at.map(|next| humanize_until(next, now)),
            paused_reason: config.paused_reason.map(PausedReasonView::from),
            last_error: config.last_error.clone(),
            consecutive_failures: config.consecutive_failures,
            connection: ConnectionView::of(connection.map(|summary| summary.status)),
            connection_email: connection
                .and_then(ConnectionSummary::shown_email)
                .map(str::to_owned),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;
    use pulse_domain::{ConfigUpdate, UserId, apply_update};

    use super::*;

    #[test]
    fn defaults_read_off_with_nothing_scheduled() {
        let now = Utc::now();
        let user = UserId::parse("u1").expect("valid");
        let view = ConfigView::new(&AutoSyncConfig::defaults(user), None, now);
        let json = serde_json::to_value(&view).expect("serializes");
        assert_eq!(json["enabled"], false);
        assert_eq!(json["interval_hours"], 24);
        assert!(json["last_sync_at"].is_null());
        assert!(json["next_sync_at"].is_null());
        assert!(json["next_sync_in"].is_null());
        assert!(json["paused_reason"].is_null());
        assert_eq!(json["connection"], "not_connected");
        assert!(json["connection_email"].is_null());
    }

    #[test]
    fn turning_on_reads_in_24_hours() {
        let now = Utc::now();
        let user = UserId::parse("u1").expect("valid");
        let update = ConfigUpdate {
            user_id: user,
            enabled: true,
            interval_hours: None,
        };
        let config = apply_update(None, &update, now);
        let connected = ConnectionSummary {
            status: ConnectionStatus::Connected,
            google_email: Some("alice@example.com".to_owned()),
        };
        let view = ConfigView::new(&config, Some(&connected), now + TimeDelta::seconds(1));
        assert_eq!(view.next_sync_in.as_deref(), Some("in 24 hours"));
        let json = serde_json::to_value(&view).expect("serializes");
        assert_eq!(json["connection"], "connected");
        assert_eq!(json["connection_email"], "alice@example.com");
    }

    #[test]
    fn a_disconnected_account_is_not_shown() {
        let user = UserId::parse("u1").expect("valid");
        let revoked = ConnectionSummary {
            status: ConnectionStatus::Revoked,
            google_email: Some("alice@example.com".to_owned()),
        };
        let view = ConfigView::new(&AutoSyncConfig::defaults(user), Some(&revoked), Utc::now());
        assert_eq!(view.connection, ConnectionView::NotConnected);
        assert_eq!(view.connection_email, None);
    }
}
