//! The fake's OAuth2 endpoints: the consent page (`/o/oauth2/v2/auth`), `/token` and `/revoke`.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oauth2::url::form_urlencoded;

use crate::fake::faults::FaultTarget;
use crate::fake::responses::{fault_response, oauth_failure, status};
use crate::fake::world::{FakeEndpoint, World, lock};

/// The consent page's path.
pub(crate) const AUTHORIZE_PATH: &str = "/o/oauth2/v2/auth";
/// The token endpoint's path.
pub(crate) const TOKEN_PATH: &str = "/token";
/// The revocation endpoint's path.
pub(crate) const REVOKE_PATH: &str = "/revoke";

/// Registers the OAuth routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route(AUTHORIZE_PATH, web::get().to(authorize))
        .route(TOKEN_PATH, web::post().to(token))
        .route(REVOKE_PATH, web::post().to(revoke));
}

/// Consents at once (or refuses, as configured) and redirects back with a code and the state.
async fn authorize(
    world: web::Data<Mutex<World>>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let outcome = lock(&world).authorize(&query);
    match outcome {
        Ok(location) => HttpResponse::Found()
            .insert_header((LOCATION, location))
            .finish(),
        Err(error) => HttpResponse::build(status(error.status))
            .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
            .body(format!(
                "<!doctype html><title>Error</title><h1>{}</h1>",
                escape_html(&error.message)
            )),
    }
}

/// `grant_type=authorization_code` (PKCE checked) or `grant_type=refresh_token`.
async fn token(
    world: web::Data<Mutex<World>>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let form = parse_form(&body);
    let fault = {
        let mut world = lock(&world);
        let account = world.token_account(&form);
        world.count(FakeEndpoint::Token, account.as_deref());
        world.faults.take(FaultTarget::Token, account.as_deref())
    };
    if let Some(response) = fault_response(FaultTarget::Token, fault).await {
        return response;
    }
    let outcome = lock(&world).token(&form, basic_credentials(&request));
    match outcome {
        Ok(body) => HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(body),
        Err(failure) => oauth_failure(&failure),
    }
}

/// Revokes the `token` given in the form body or the query string.
async fn revoke(
    world: web::Data<Mutex<World>>,
    request: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let mut params = parse_form(request.query_string().as_bytes());
    params.extend(parse_form(&body));
    let token = params.get("token").cloned().unwrap_or_default();
    let mut world = lock(&world);
    let account = world.revoke_account(&token);
    world.count(FakeEndpoint::Revoke, account.as_deref());
    match world.revoke(&token) {
        Ok(()) => HttpResponse::Ok().json(serde_json::json!({})),
        Err(failure) => oauth_failure(&failure),
    }
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

/// Client credentials from `Authorization: Basic` (each part form-urlencoded, RFC 6749 2.3.1).
fn basic_credentials(request: &HttpRequest) -> Option<(String, String)> {
    let header = request.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let encoded = header.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |part: &str| -> String {
        form_urlencoded::parse(format!("v={part}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
            .unwrap_or_default()
    };
    Some((decode(id), decode(secret)))
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
