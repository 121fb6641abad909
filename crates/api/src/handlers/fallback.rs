//! The answers for requests no route takes: 404 for unknown paths, 405 (with `Allow`) for a known
//! path with another method.

use actix_web::{HttpMessage, HttpRequest, HttpResponse};

use crate::error::ApiError;

/// Marks a request that matched no route, so metrics label it `unmatched`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unmatched;

/// 404 for a path no route serves.
pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    req.extensions_mut().insert(Unmatched);
    Err(ApiError::NotFound {
        code: "route_not_found",
        message: "no such route",
    })
}

/// 405 for a route that does not take this method; `allowed` goes to the `Allow` header.
pub(crate) fn method_not_allowed(allowed: &'static str) -> ApiError {
    ApiError::MethodNotAllowed { allowed }
}
