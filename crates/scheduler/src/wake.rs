//! Waking the worker pools of this process when queued jobs appear.

use tokio::sync::Notify;

/// Wakes every pool waiting on `wakeup` now, and leaves a permit for one that is busy claiming.
pub fn wake_workers(wakeup: &Notify) {
    wakeup.notify_waiters();
    wakeup.notify_one();
}
