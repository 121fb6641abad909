//! Headers every answer carries: `X-Content-Type-Options: nosniff` (browsers never guess a type
//! other than the one sent) and, when the server's public URL is https, `Strict-Transport-Security`
//! (browsers then refuse plain http for it).

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS};
use actix_web::middleware::Next;
use actix_web::{Error, web};

use crate::config::ApiConfig;

/// One year, as browsers' preload lists expect.
const HSTS_VALUE: &str = "max-age=31536000";

/// Whether answers carry `Strict-Transport-Security` (the public URL is https).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SecurityHeaders {
    strict_transport: bool,
}

impl SecurityHeaders {
    /// The headers for a server reached at the configured public URL.
    pub(crate) fn for_config(config: &ApiConfig) -> Self {
        Self {
            strict_transport: config.public_base_url.scheme() == "https",
        }
    }
}

/// Adds the security headers to every answer of the app.
pub(crate) async fn apply_security_headers(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let settings = req
        .app_data::<web::Data<SecurityHeaders>>()
        .map(|data| *data.get_ref());
    let mut response = next.call(req).await?;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if settings.is_some_and(|settings| settings.strict_transport) {
        headers.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS_VALUE),
        );
    }
    Ok(response)
}
