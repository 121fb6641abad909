//! Authentication: API keys (generation, hashing, lookup), the admin key, the per-client limit on
//! failed attempts (and which address a client has), the middleware guarding `/api/...` and the `Caller` extractor handlers use.

pub(crate) mod admin_key;
pub(crate) mod caller;
pub(crate) mod client_address;
pub(crate) mod credentials;
pub(crate) mod keys;
pub(crate) mod limiter;
pub(crate) mod middleware;
