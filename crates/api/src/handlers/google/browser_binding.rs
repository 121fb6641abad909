//! Binding a consent to the browser that started it: the connect answer sets a random, HttpOnly,
//! same-site cookie scoped to the callback, the pending consent keeps the cookie's SHA-256, and the
//! callback refuses the consent from a browser without it (someone else who was sent the link).

use actix_web::HttpRequest;

use crate::config::ApiConfig;
use crate::handlers::google::one_time_token::{hash_of, new_token};
use crate::routes::API_PREFIX;

/// The cookie's name.
pub(crate) const BINDING_COOKIE: &str = "pulse_consent_binding";

/// A fresh binding: the cookie's value and the hash the pending consent keeps.
pub(crate) fn new_binding() -> (String, String) {
    new_token()
}

/// The `Set-Cookie` value for `value`: sent only to the callback, never readable by scripts,
/// `SameSite=Lax` (Google's redirect back is a top-level navigation), `Secure` on https.
pub(crate) fn set_cookie(config: &ApiConfig, value: &str) -> String {
    let secure = if config.public_base_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    format!(
        "{BINDING_COOKIE}={value}; Path={API_PREFIX}/google/callback; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        config.oauth_state_ttl.as_secs()
    )
}

/// Whether the request carries the cookie whose hash is `expected`.
pub(crate) fn carries_binding(req: &HttpRequest, expected: &str) -> bool {
    req.headers()
        .get_all(actix_web::http::header::COOKIE)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .any(|(name, value)| name == BINDING_COOKIE && hash_of(value) == expected)
}
