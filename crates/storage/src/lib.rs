//! PostgreSQL storage for pulse-sync: the embedded migrations, the connection pool, the sealed
//! (encrypted) secrets, and the repositories that implement the domain's ports.

pub mod schema;
