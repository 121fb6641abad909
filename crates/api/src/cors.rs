//! CORS: browsers on the configured origins (`PULSE_CORS_ORIGINS`) may call the API; others get no
//! CORS headers, so their browser keeps the answer from them. None are allowed by default.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE,
    ACCESS_CONTROL_REQUEST_METHOD, HeaderMap, HeaderValue, ORIGIN, VARY,
};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};

use crate::config::AllowedOrigin;

/// Methods a browser may use across origins.
const ALLOWED_METHODS: &str = "GET, PUT, POST, DELETE";
/// Request headers a browser may send across origins.
const ALLOWED_HEADERS: &str = "authorization, content-type, x-api-key";
/// Response headers a browser may read across origins.
const EXPOSED_HEADERS: &str = "retry-after, www-authenticate";
/// How long a browser may cache a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The origins allowed to call the API from a browser.
#[derive(Debug, Clone)]
pub(crate) struct CorsOrigins(pub(crate) Vec<AllowedOrigin>);

impl CorsOrigins {
    fn allow(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let text = origin?.to_str().ok()?;
        let parsed = AllowedOrigin::parse(text).ok()?;
        self.0
            .contains(&parsed)
            .then(|| HeaderValue::from_str(parsed.as_str()).ok())
            .flatten()
    }
}

/// Answers allowed preflights and adds CORS headers to answers for allowed origins.
pub(crate) async fn apply_cors(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origins = req.app_data::<web::Data<CorsOrigins>>().cloned();
    let has_origin = req.headers().contains_key(ORIGIN);
    let allowed = origins.and_then(|origins| origins.allow(req.headers().get(ORIGIN)));
    if let Some(origin) = &allowed
        && is_preflight(&req)
    {
        return Ok(req.into_response(preflight_answer(origin)));
    }
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    if let Some(origin) = allowed {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // Lets a frontend's `fetch(..., {credentials: "include"})` keep the consent's browser
        // binding cookie; no route authenticates with cookies, so this grants nothing else.
        headers.insert(
            ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
    }
    if has_origin {
        add_vary(headers);
    }
    Ok(response)
}

/// 204 telling the browser what it may send from `origin`.
fn preflight_answer(origin: &HeaderValue) -> HttpResponse {
    let mut response = HttpResponse::NoContent().finish();
    let headers = response.headers_mut();
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.insert(
        ACCESS_CONTROL_ALLOW_CREDENTIALS,
        HeaderValue::from_static("true"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static(ALLOWED_METHODS),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static(ALLOWED_HEADERS),
    );
    headers.insert(
        ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static(PREFLIGHT_MAX_AGE),
    );
    add_vary(headers);
    response
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS && req.headers().contains_key(ACCESS_CONTROL_REQUEST_METHOD)
}

/// Answers differ by `Origin`, so caches must keep them apart.
fn add_vary(headers: &mut HeaderMap) {
    headers.append(VARY, HeaderValue::from_static("Origin"));
}
