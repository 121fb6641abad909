//! PostgreSQL storage for pulse-sync: the embedded migrations, the connection pool, the sealed
//! (encrypted) secrets, and the repositories that implement the domain's ports.

pub mod connection;
pub mod crypto;
mod cursor;
pub mod error;
pub mod job_listener;
mod key_cache;
pub mod local_cluster;
pub mod migrations;
pub mod pool;
mod prepared;
pub mod repositories;
pub mod schema;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod work;

pub use connection::{ConnectError, DatabaseUrl, PoolerMode, SessionSettings, SessionTimeouts};
pub use crypto::{CryptoError, KeyRing, generate_key};
pub use error::StorageError;
pub use migrations::{MigrationReport, run_migrations};
pub use pool::{PgPool, PoolSettings, build_pool};
pub use store::PgStore;
pub use work::Work;
