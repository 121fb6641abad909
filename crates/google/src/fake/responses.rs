//! HTTP responses shared by the fake's routes: Google's error envelope, OAuth errors, and the
//! injected faults.

use std::time::Duration;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};

use crate::fake::faults::{Fault, FaultTarget};
use crate::fake::render::{ApiFailure, OAuthFailure};

/// The body of an injected malformed answer: cut off in the middle of a person.
const MALFORMED_BODY: &str =
    r#"{"connections": [{"resourceName": "people/c1", "names": [{"displayName": "Trunc"#;

/// Google's error envelope with its status.
pub(crate) fn api_failure(failure: &ApiFailure) -> HttpResponse {
    let mut response = HttpResponse::build(status(failure.code));
    if failure.code == 401 {
        response.insert_header((
            WWW_AUTHENTICATE,
            r#"Bearer realm="https://accounts.google.com/", error="invalid_token""#,
        ));
    }
    response.json(failure.body())
}

/// An OAuth error body with its status.
pub(crate) fn oauth_failure(failure: &OAuthFailure) -> HttpResponse {
    HttpResponse::build(status(failure.code))
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(failure.body())
}

/// What an injected fault answers at `target`, or `None` when the normal answer follows (after
/// a delay).
pub(crate) async fn fault_response(
    target: FaultTarget,
    fault: Option<Fault>,
) -> Option<HttpResponse> {
    match fault? {
        Fault::Unauthorized if target == FaultTarget::Token => Some(oauth_failure(&OAuthFailure {
            code: 401,
            error: "invalid_client",
            description: "Unauthorized",
        })),
        Fault::RateLimited { retry_after_secs } => {
            let mut response = HttpResponse::build(StatusCode::TOO_MANY_REQUESTS);
            if let Some(seconds) = retry_after_secs {
                response.insert_header((RETRY_AFTER, seconds.to_string()));
            }
            Some(response.json(ApiFailure::rate_limited().body()))
        }
        Fault::ServerError => Some(api_failure(&ApiFailure::internal())),
        Fault::Slow { millis } => {
            actix_web::rt::time::sleep(Duration::from_millis(millis)).await;
            None
        }
        Fault::MalformedBody => Some(
            HttpResponse::Ok()
                .insert_header((CONTENT_TYPE, "application/json; charset=UTF-8"))
                .body(MALFORMED_BODY),
        ),
        Fault::Unauthorized => Some(api_failure(&ApiFailure::unauthenticated(
            "ACCESS_TOKEN_EXPIRED",
        ))),
    }
}

/// A status code from its number.
pub(crate) fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
