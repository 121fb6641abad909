//! `SyncInterval`: how often auto-sync runs, in whole hours from 1 to 720 (30 days).

use chrono::TimeDelta;

use crate::error::ValidationError;

/// A validated auto-sync interval in whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct SyncInterval(u16);

impl SyncInterval {
    /// The smallest interval, in hours.
    pub const MIN_HOURS: i64 = 1;
    /// The largest interval, in hours (30 days).
    pub const MAX_HOURS: i64 = 720;
    /// The interval a user starts with: 24 hours, as in the seed's UI.
    pub const DEFAULT: SyncInterval = SyncInterval(24);

    /// Validates a whole number of hours.
    pub fn from_hours(hours: i64) -> Result<Self, ValidationError> {
        if (Self::MIN_HOURS..=Self::MAX_HOURS).contains(&hours) {
            u16::try_from(hours)
                .map(Self)
                .map_err(|_| ValidationError::IntervalOutOfRange)
        } else {
            Err(ValidationError::IntervalOutOfRange)
        }
    }

    /// Validates a JSON number, refusing fractions, infinities and NaN.
    pub fn from_f64(hours: f64) -> Result<Self, ValidationError> {
        if !hours.is_finite() || hours.fract() != 0.0 {
            return Err(ValidationError::IntervalOutOfRange);
        }
        if hours < Self::MIN_HOURS as f64 || hours > Self::MAX_HOURS as f64 {
            return Err(ValidationError::IntervalOutOfRange);
        }
        Self::from_hours(hours as i64)
    }

    /// The interval in hours.
    pub fn hours(self) -> i64 {
        i64::from(self.0)
    }

    /// The interval as a time span.
    pub fn duration(self) -> TimeDelta {
        TimeDelta::hours(self.hours())
    }
}

impl Default for SyncInterval {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl<'de> serde::Deserialize<'de> for SyncInterval {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hours = f64::deserialize(deserializer)?;
        Self::from_f64(hours).map_err(serde::de::Error::custom)
    }
}
