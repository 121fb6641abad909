//! `/readyz` over the storage crate: ready when the database answers and no embedded migration
//! is pending.

use futures::future::BoxFuture;
use pulse_api::{NotReady, ReadinessProbe};
use pulse_storage::PgStore;

/// The readiness probe of a server over `PgStore`.
pub struct StoreReadiness(pub PgStore);

impl ReadinessProbe for StoreReadiness {
    fn check(&self) -> BoxFuture<'_, Result<(), NotReady>> {
        Box::pin(async move {
            let pending = self.0.pending_migrations().await.map_err(|error| {
                NotReady::DatabaseUnavailable {
                    detail: error.to_string(),
                }
            })?;
            if pending.is_empty() {
                Ok(())
            } else {
                Err(NotReady::MigrationsNotCurrent {
                    detail: pending.join(", "),
                })
            }
        })
    }
}
