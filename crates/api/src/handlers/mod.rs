//! The route handlers, generic over the store (`S: ApiStore`) and the Google authorizer (`A`).

pub(crate) mod auto_sync;
pub(crate) mod fallback;
pub(crate) mod google;
pub(crate) mod jobs;
pub(crate) mod operations;
mod pagination;
pub(crate) mod profiles;
mod requests;
pub(crate) mod webhooks;

pub(crate) use requests::WorkspaceQuery;
