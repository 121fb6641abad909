//! `KeyCache`: the API keys this process has authenticated, kept in memory so that a request
//! with a key in steady use costs no database statement.
//!
//! Revocation reaches the cache two ways:
//! - in this process, at once: [`KeyCache::forget_all`] runs as soon as a revocation commits,
//!   and drops whatever lookup or epoch read was in flight when it ran;
//! - from any other process, within [`REVOCATION_CHECK_INTERVAL`]: every revocation (or deletion)
//!   of a key bumps the database's revocation epoch in the same transaction (a trigger on
//!   `api_keys`), and the cache is trusted only while its last read of the epoch is younger
//!   than the interval; a changed epoch empties it.
//!
//! A key is admitted only with the epoch read in the same statement as the key itself, and only
//! when that epoch is the one the cache knows, so a lookup that raced a revocation is not kept.
//! Uses are recorded coarsely: at most one mark per key per [`LAST_USED_RESOLUTION`], written
//! in a batch in the background after the next epoch read.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use pulse_domain::ports::ApiKeyRecord;
use uuid::Uuid;

/// How old the cache's knowledge of revocations may be: the longest a key revoked by another
/// process keeps working here.
pub(crate) const REVOCATION_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// How precisely `last_used_at` is kept: a key in steady use is marked at most this often.
const LAST_USED_RESOLUTION: TimeDelta = TimeDelta::seconds(60);

/// Most keys kept at once (the least recently used go first).
const MAX_CACHED_KEYS: u64 = 100_000;

/// How long a key stays cached without being looked up again in the database.
const CACHED_KEY_LIFETIME: Duration = Duration::from_secs(300);

/// Whether a key last marked used at `last_used` needs a new mark at `now`.
fn use_needs_mark(last_used: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    last_used.is_none_or(|at| at <= now - LAST_USED_RESOLUTION)
}

/// What the cache knows of the database's revocations.
#[derive(Debug, Default)]
struct Watch {
    /// The revocation epoch last read, `None` before the first read or after a local revocation.
    epoch: Option<i64>,
    /// When that read started.
    read_at: Option<Instant>,
    /// Bumped by every local revocation: a lookup or read begun before it is not kept.
    generation: u64,
}

/// A point in the cache's history, taken before a database read, to admit its result with.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    generation: u64,
    started: Instant,
}

/// Authenticated keys by hash, the revocation watch, and the pending use marks.
pub(crate) struct KeyCache {
    keys: moka::sync::Cache<String, ApiKeyRecord>,
    watch: Mutex<Watch>,
    /// One epoch read at a time; the others wait for it rather than read again.
    pub(crate) refresh: tokio::sync::Mutex<()>,
    uses: Mutex<HashMap<Uuid, DateTime<Utc>>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("keys", &self.keys.entry_count())
            .finish_non_exhaustive()
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self {
            keys: moka::sync::Cache::builder()
                .max_capacity(MAX_CACHED_KEYS)
                .time_to_live(CACHED_KEY_LIFETIME)
                .build(),
            watch: Mutex::new(Watch::default()),
            refresh: tokio::sync::Mutex::new(()),
            uses: Mutex::new(HashMap::new()),
        }
    }
}

impl KeyCache {
    fn watch(&self) -> MutexGuard<'_, Watch> {
        self.watch.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn uses(&self) -> MutexGuard<'_, HashMap<Uuid, DateTime<Utc>>> {
        self.uses.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the cache's knowledge of revocations is recent enough to answer from it.
    pub(crate) fn is_current(&self) -> bool {
        let watch = self.watch();
        watch.epoch.is_some()
            && watch
                .read_at
                .is_some_and(|read_at| read_at.elapsed() < REVOCATION_CHECK_INTERVAL)
    }

    /// Taken right before a database read whose result may be kept.
    pub(crate) fn ticket(&self) -> Ticket {
        Ticket {
            generation: self.watch().generation,
            started: Instant::now(),
        }
    }

    /// The cached key with this (normalised) hash, marked used at `now` when its mark is old.
    pub(crate) fn lookup(&self, key_hash: &str, now: DateTime<Utc>) -> Option<ApiKeyRecord> {
        let mut record = self.keys.get(key_hash)?;
        if self.mark_use(&mut record, now) {
            self.keys.insert(key_hash.to_owned(), record.clone());
        }
        Some(record)
    }

    /// Marks `record` used at `now` when its mark is old (to be written with the next batch);
    /// whether it did.
    pub(crate) fn mark_use(&self, record: &mut ApiKeyRecord, now: DateTime<Utc>) -> bool {
        if !use_needs_mark(record.last_used_at, now) {
            return false;
        }
        record.last_used_at = Some(now);
        self.uses().insert(record.id, now);
        true
    }

    /// Keeps a key read with `epoch` (in the same statement), unless a revocation came between.
    pub(crate) fn admit(&self, key_hash: &str, record: &ApiKeyRecord, epoch: i64, ticket: Ticket) {
        let watch = self.watch();
        if watch.generation == ticket.generation && watch.epoch == Some(epoch) {
            self.keys.insert(key_hash.to_owned(), record.clone());
        }
    }

    /// Records the epoch read under `ticket`: a change empties the cache.
    pub(crate) fn observe_epoch(&self, epoch: i64, ticket: Ticket) {
        let mut watch = self.watch();
        if watch.generation != ticket.generation {
            return;
        }
        if watch.epoch != Some(epoch) {
            self.keys.invalidate_all();
            watch.epoch = Some(epoch);
        }
        watch.read_at = Some(ticket.started);
    }

    /// After a revocation committed by this process: nothing cached or in flight is kept.
    pub(crate) fn forget_all(&self) {
        let mut watch = self.watch();
        self.keys.invalidate_all();
        watch.epoch = None;
        watch.read_at = None;
        watch.generation += 1;
    }

    /// The pending use marks, taken to be written.
    pub(crate) fn take_uses(&self) -> Vec<(Uuid, DateTime<Utc>)> {
        self.uses().drain().collect()
    }

    /// Puts back marks whose write failed (a newer mark for the same key wins).
    pub(crate) fn restore_uses(&self, marks: Vec<(Uuid, DateTime<Utc>)>) {
        let mut uses = self.uses();
        for (id, at) in marks {
            let kept = uses.entry(id).or_insert(at);
            if *kept < at {
                *kept = at;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pulse_domain::ports::ApiKeyScope;

    fn record(last_used_at: Option<DateTime<Utc>>) -> ApiKeyRecord {
        ApiKeyRecord {
            id: Uuid::new_v4(),
            name: None,
            scope: ApiKeyScope::Admin,
            created_at: Utc::now(),
            last_used_at,
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_read_with_the_known_epoch_is_kept() {
        let cache = KeyCache::default();
        cache.observe_epoch(3, cache.ticket());
        let ticket = cache.ticket();
        cache.admit("h", &record(Some(Utc::now())), 3, ticket);
        assert!(cache.is_current());
        assert!(cache.lookup("h", Utc::now()).is_some());
    }

    #[test]
    fn a_key_read_with_another_epoch_is_not_kept() {
        let cache = KeyCache::default();
        cache.observe_epoch(3, cache.ticket());
        cache.admit("h", &record(None), 4, cache.ticket());
        assert!(cache.lookup("h", Utc::now()).is_none());
    }

    #[test]
    fn a_new_epoch_empties_the_cache() {
        let cache = KeyCache::default();
        cache.observe_epoch(3, cache.ticket());
        cache.admit("h", &record(None), 3, cache.ticket());
        cache.observe_epoch(4, cache.ticket());
        assert!(cache.lookup("h", Utc::now()).is_none());
    }

    #[test]
    fn a_local_revocation_drops_what_was_in_flight() {
        let cache = KeyCache::default();
        cache.observe_epoch(3, cache.ticket());
        let lookup = cache.ticket();
        let read = cache.ticket();
        cache.admit("h", &record(None), 3, cache.ticket());
        cache.forget_all();
        assert!(cache.lookup("h", Utc::now()).is_none());
        assert!(!cache.is_current(), "the epoch must be read again");
        cache.observe_epoch(3, read);
        cache.admit("h", &record(None), 3, lookup);
        assert!(!cache.is_current());
        assert!(cache.lookup("h", Utc::now()).is_none());
    }

    #[test]
    fn uses_are_marked_once_per_resolution() {
        let cache = KeyCache::default();
        cache.observe_epoch(1, cache.ticket());
        let now = Utc::now();
        let key = record(Some(now - TimeDelta::seconds(10)));
        cache.admit("h", &key, 1, cache.ticket());
        assert_eq!(
            cache.lookup("h", now).and_then(|k| k.last_used_at),
            key.last_used_at
        );
        assert!(cache.take_uses().is_empty());
        let later = now + LAST_USED_RESOLUTION;
        assert_eq!(
            cache.lookup("h", later).and_then(|k| k.last_used_at),
            Some(later)
        );
        assert_eq!(cache.take_uses(), vec![(key.id, later)]);
    }
}
