//! `Clock`: the current time and a jitter sample, passed in so rules stay testable.

use chrono::{DateTime, Utc};

/// Where the use cases get the time and a random jitter fraction from.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> DateTime<Utc>;

    /// A jitter fraction in [-0.1, 0.1] for retry delays.
    fn jitter(&self) -> f64;
}

/// The wall clock; its jitter comes from the sub-second part of the time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn jitter(&self) -> f64 {
        let nanos = Utc::now().timestamp_subsec_nanos();
        let mixed = nanos.wrapping_mul(2_654_435_761) % 1_000_001;
        (f64::from(mixed) / 1_000_000.0 - 0.5) * 0.2
    }
}
