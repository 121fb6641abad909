//! The middleware that counts every HTTP request by route pattern (never the raw path, so ids do
//! not explode the label set), method and status, times it, and logs one line without the query.

use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use metrics::{counter, histogram};

use crate::handlers::fallback::Unmatched;
use crate::telemetry::names::{HTTP_REQUEST_DURATION_SECONDS, HTTP_REQUESTS_TOTAL};

/// The route label of requests no route took.
const UNMATCHED: &str = "unmatched";

/// Calls the route, then records the request.
pub(crate) async fn track_requests(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let result = next.call(req).await;
    let (route, status) = match &result {
        Ok(response) => {
            let request = response.request();
            let unmatched = request.extensions().contains::<Unmatched>();
            let route = request
                .match_pattern()
                .filter(|_| !unmatched)
                .unwrap_or_else(|| UNMATCHED.to_owned());
            (route, response.status())
        }
        Err(error) => (
            UNMATCHED.to_owned(),
            error.as_response_error().status_code(),
        ),
    };
    let elapsed = started.elapsed();
    counter!(
        HTTP_REQUESTS_TOTAL,
        "route" => route.clone(),
        "method" => method,
        "status" => status.as_str().to_owned()
    )
    .increment(1);
    histogram!(HTTP_REQUEST_DURATION_SECONDS, "route" => route.clone(), "method" => method)
        .record(elapsed.as_secs_f64());
    tracing::info!(
        method,
        route = %route,
        status = status.as_u16(),
        elapsed_ms = elapsed.as_millis(),
        "request"
    );
    result
}

/// The method as a label; unusual methods share one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
