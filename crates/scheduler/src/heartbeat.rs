//! The process's heartbeat: every interval one statement extends the leases of all the jobs this
//! process runs, and each task whose lease was lost (or ran out without a heartbeat getting
//! through) is told to stop.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use pulse_domain::JobLease;
use pulse_domain::ports::{Clock, JobQueue};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::job_task::LeaseTiming;

/// One lease this process holds.
struct Held {
    lease: JobLease,
    /// Until when the lease is known to last (the last claim or heartbeat that got through).
    known_until: Instant,
    /// Cancelled when the lease is lost: the task running the job stops.
    lost: CancellationToken,
}

/// The leases of the jobs this process is running.
#[derive(Default)]
pub(crate) struct HeldLeases {
    held: Mutex<HashMap<Uuid, Held>>,
}

impl HeldLeases {
    fn locked(&self) -> MutexGuard<'_, HashMap<Uuid, Held>> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts holding `lease`, known to last until `known_until`; the token returned is cancelled
    /// when the lease is lost.
    pub(crate) fn hold(&self, lease: &JobLease, known_until: Instant) -> CancellationToken {
        let lost = CancellationToken::new();
        self.locked().insert(
            lease.job_id,
            Held {
                lease: lease.clone(),
                known_until,
                lost: lost.clone(),
            },
        );
        lost
    }

    /// Stops holding the job's lease (its task ended).
    pub(crate) fn forget(&self, job_id: Uuid) {
        self.locked().remove(&job_id);
    }

    /// Heartbeats every interval until `stop` is cancelled.
    pub(crate) async fn keep_alive<Q: JobQueue>(
        &self,
        queue: &Q,
        clock: &dyn Clock,
        timing: LeaseTiming,
        stop: &CancellationToken,
    ) {
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(timing.heartbeat) => self.beat(queue, clock, timing).await,
            }
        }
    }

    /// One heartbeat for all held leases in one statement.
    async fn beat<Q: JobQueue>(&self, queue: &Q, clock: &dyn Clock, timing: LeaseTiming) {
        let leases: Vec<JobLease> = self.locked().values().map(|h| h.lease.clone()).collect();
        if leases.is_empty() {
            return;
        }
        let sent = Instant::now();
        match queue.heartbeat(&leases, clock.now() + timing.lease).await {
            Ok(lost) => {
                let mut held = self.locked();
                for lease in &leases {
                    if lost.contains(&lease.job_id) {
                        if let Some(gone) = held.remove(&lease.job_id) {
                            tracing::warn!(user = %lease.user_id, job = %lease.job_id, attempt = lease.attempt, worker = %lease.worker_id, "[scheduler] heartbeat found the lease lost; stopping the sync");
                            gone.lost.cancel();
                        }
                    } else if let Some(kept) = held.get_mut(&lease.job_id) {
                        kept.known_until = sent + timing.lease_std;
                    }
                }
            }
            Err(error) => {
                tracing::warn!(%error, running = leases.len(), "[scheduler] heartbeat failed");
                let now = Instant::now();
                let mut held = self.locked();
                held.retain(|_, h| {
                    if now < h.known_until {
                        return true;
                    }
                    tracing::warn!(user = %h.lease.user_id, job = %h.lease.job_id, attempt = h.lease.attempt, "[scheduler] lease ran out without a heartbeat; stopping the sync");
                    h.lost.cancel();
                    false
                });
            }
        }
    }
}
