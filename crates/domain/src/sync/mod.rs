//! The sync use case: one run of one user's sync job, generic over the ports, shared by "Sync now",
//! the CLI and the scheduler.

mod engine;
mod messages;
mod page;
mod retry;

pub use engine::{SyncEngine, SyncError, SyncOutcome, SyncProgress, SyncSettings};
pub use messages::{NOT_CONNECTED_MESSAGE, REAUTH_MESSAGE, RunError, failure_for};
pub use page::{
    MappedPage, PagePlan, ProfileChange, ProfileWrite, Rename, StoredName, map_page,
    names_to_look_up, plan_page,
};
pub use retry::job_retry_delay;
