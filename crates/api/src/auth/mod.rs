//! Authentication: API keys (generation, hashing, lookup), the admin key, the per-address limit on
//! failed attempts, the middleware guarding `/api/...` and the `Caller` extractor handlers use.

pub(crate) mod admin_key;
pub(crate) mod caller;
pub(crate) mod credentials;
pub(crate) mod keys;
pub(crate) mod limiter;
pub(crate) mod middleware;
