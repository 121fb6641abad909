//! `Caller`: the authenticated key's scope, for handlers to check a workspace against.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use pulse_domain::UserId;
use pulse_domain::ports::ApiKeyScope;

use crate::error::ApiError;

/// Who is calling: the scope of the key the auth middleware accepted.
#[derive(Debug, Clone)]
pub(crate) struct Caller(ApiKeyScope);

impl Caller {
    /// `Ok` when the key may act on `workspace`, else 403.
    pub(crate) fn authorize(&self, workspace: &UserId) -> Result<(), ApiError> {
        if self.0.allows(workspace) {
            Ok(())
        } else {
            Err(ApiError::ForbiddenWorkspace)
        }
    }

    /// Whether the key is an admin key (every workspace, and the admin operations).
    pub(crate) fn is_admin(&self) -> bool {
        matches!(self.0, ApiKeyScope::Admin)
    }

    /// Whether the key may see `workspace`'s items (used where a refusal answers 404).
    pub(crate) fn may_see(&self, workspace: &UserId) -> bool {
        self.0.allows(workspace)
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let scope = req.extensions().get::<ApiKeyScope>().cloned();
        ready(scope.map(Caller).ok_or(ApiError::MissingApiKey))
    }
}
