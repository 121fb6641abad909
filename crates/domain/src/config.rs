//! A user's auto-sync settings and the rule that applies a settings change (`apply_update`).

use chrono::{DateTime, Utc};

use crate::error::ValidationError;
use crate::interval::SyncInterval;
use crate::user_id::UserId;

/// Why auto-sync stopped scheduling itself although the user left it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PausedReason {
    /// Ten consecutive transient failures.
    TooManyFailures,
    /// Google refused the grant (revoked or expired); the user must reconnect.
    GoogleReauthRequired,
}

impl PausedReason {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooManyFailures => "too_many_failures",
            Self::GoogleReauthRequired => "google_reauth_required",
        }
    }

    /// Parses the stored name.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        match raw {
            "too_many_failures" => Ok(Self::TooManyFailures),
            "google_reauth_required" => Ok(Self::GoogleReauthRequired),
            other => Err(ValidationError::UnknownVariant {
                field: "paused_reason",
                value: other.to_owned(),
            }),
        }
    }
}

/// One user's auto-sync configuration, as stored in `google_contacts_auto_sync_config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoSyncConfig {
    /// Whose configuration this is.
    pub user_id: UserId,
    /// Whether the user turned auto-sync on.
    pub enabled: bool,
    /// How often auto-sync runs.
    pub interval_hours: SyncInterval,
    /// When the last successful sync started.
    pub last_sync_at: Option<DateTime<Utc>>,
    /// When the next automatic sync is due (a retry's time while one is pending); `None` when off
    /// or paused.
    pub next_sync_at: Option<DateTime<Utc>>,
    /// While a retry is pending in `next_sync_at`: the grid slot it stands in front of, so the
    /// schedule goes back to its grid after the retry instead of drifting.
    pub grid_slot_at: Option<DateTime<Utc>>,
    /// Failed runs in a row since the last success.
    pub consecutive_failures: u32,
    /// Set when auto-sync paused itself.
    pub paused_reason: Option<PausedReason>,
    /// The last failure's message, for the UI.
    pub last_error: Option<String>,
    /// When the row was first written; `None` for the defaults of a user with no row.
    pub created_at: Option<DateTime<Utc>>,
    /// When the row last changed; `None` for the defaults of a user with no row.
    pub updated_at: Option<DateTime<Utc>>,
}

impl AutoSyncConfig {
    /// The configuration of a user who never saved one: off, every 24 hours, nothing scheduled.
    pub fn defaults(user_id: UserId) -> Self {
        Self {
            user_id,
            enabled: false,
            interval_hours: SyncInterval::DEFAULT,
            last_sync_at: None,
            next_sync_at: None,
            grid_slot_at: None,
            consecutive_failures: 0,
            paused_reason: None,
            last_error: None,
            created_at: None,
            updated_at: None,
        }
    }

    /// Whether auto-sync is on and not paused.
    pub fn is_active(&self) -> bool {
        self.enabled && self.paused_reason.is_none()
    }

    /// True when the schedule-relevant fields equal `other`'s (timestamps of the row ignored).
    fn same_settings(&self, other: &Self) -> bool {
        self.enabled == other.enabled
            && self.interval_hours == other.interval_hours
            && self.last_sync_at == other.last_sync_at
            && self.next_sync_at == other.next_sync_at
            && self.grid_slot_at == other.grid_slot_at
            && self.consecutive_failures == other.consecutive_failures
            && self.paused_reason == other.paused_reason
            && self.last_error == other.last_error
    }
}

/// A settings change requested by the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigUpdate {
    /// Whose settings change.
    pub user_id: UserId,
    /// Auto-sync on or off.
    pub enabled: bool,
    /// The new interval; `None` keeps the current one.
    pub interval_hours: Option<SyncInterval>,
}

/// Applies a settings change to the current configuration (or to the defaults when there is none).
///
/// Turning on schedules `now + interval`; changing the interval while on reschedules from the last
/// sync (or now); turning off clears the schedule but keeps `last_sync_at`; an unchanged request
/// changes nothing, not even `updated_at`. Turning on a paused configuration unpauses it.
pub fn apply_update(
    current: Option<&AutoSyncConfig>,
    update: &ConfigUpdate,
    now: DateTime<Utc>,
) -> AutoSyncConfig {
    let base = current
        .cloned()
        .unwrap_or_else(|| AutoSyncConfig::defaults(update.user_id.clone()));
    let interval = update.interval_hours.unwrap_or(base.interval_hours);
    let mut next = base.clone();
    next.interval_hours = interval;
    next.enabled = update.enabled;

    if update.enabled && !base.is_active() {
        next.next_sync_at = Some(now + interval.duration());
        next.grid_slot_at = None;
        next.paused_reason = None;
        next.consecutive_failures = 0;
    } else if update.enabled && interval != base.interval_hours {
        next.next_sync_at = Some(base.last_sync_at.unwrap_or(now) + interval.duration());
        next.grid_slot_at = None;
    } else if !update.enabled {
        next.next_sync_at = None;
        next.grid_slot_at = None;
        next.paused_reason = None;
    }

    if next.same_settings(&base) && current.is_some() {
        return base;
    }
    next.created_at = base.created_at.or(Some(now));
    next.updated_at = Some(now);
    next
}
