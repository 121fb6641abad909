//! `SyncRunner`: what a worker runs for a claimed job; the domain's `SyncEngine` is the one runner.

use std::future::Future;

use pulse_domain::JobLease;
use pulse_domain::ports::{
    Clock, ConfigRepository, ConnectionRepository, ContactsSource, SyncRunStore,
};
use pulse_domain::sync::{SyncEngine, SyncError, SyncOutcome, SyncProgress};

/// Runs one attempt of a claimed job to its end and records that end.
pub trait SyncRunner: Send + Sync + 'static {
    /// Runs the attempt held by `lease`, reporting progress after each page.
    fn run_sync<P: SyncProgress>(
        &self,
        lease: &JobLease,
        progress: &P,
    ) -> impl Future<Output = Result<SyncOutcome, SyncError>> + Send;
}

impl<St, Src, Clk> SyncRunner for SyncEngine<St, Src, Clk>
where
    St: SyncRunStore + ConfigRepository + ConnectionRepository + 'static,
    Src: ContactsSource + 'static,
    Clk: Clock + 'static,
{
    fn run_sync<P: SyncProgress>(
        &self,
        lease: &JobLease,
        progress: &P,
    ) -> impl Future<Output = Result<SyncOutcome, SyncError>> + Send {
        self.run(lease, progress)
    }
}
