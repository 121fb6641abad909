//! The fake's People API endpoints: `GET /v1/people/me/connections` and `GET /v1/people/me`.

use std::collections::HashMap;
use std::sync::Mutex;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::fake::faults::FaultTarget;
use crate::fake::responses::{api_failure, fault_response};
use crate::fake::world::{FakeEndpoint, World, lock};

/// The connections endpoint's path.
pub(crate) const CONNECTIONS_PATH: &str = "/v1/people/me/connections";

/// The authenticated account's own profile.
pub(crate) const PROFILE_PATH: &str = "/v1/people/me";

/// Registers the People API routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .route(CONNECTIONS_PATH, web::get().to(connections))
        .route(PROFILE_PATH, web::get().to(profile));
}

/// Authenticates the bearer token and answers the account's profile.
async fn profile(
    world: web::Data<Mutex<World>>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let authorization = authorization(&request);
    let mut world = lock(&world);
    let account = world.people_account(authorization).ok();
    world.count(FakeEndpoint::Profile, account.as_deref());
    match world.profile(authorization, &query) {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(failure) => api_failure(&failure),
    }
}

/// Authenticates the bearer token, applies a queued fault, then lists a page.
async fn connections(
    world: web::Data<Mutex<World>>,
    request: HttpRequest,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let authorization = authorization(&request);
    let (account, fault) = {
        let mut world = lock(&world);
        let account = world.people_account(authorization);
        world.count(FakeEndpoint::Connections, account.as_deref().ok());
        let fault = world
            .faults
            .take(FaultTarget::People, account.as_deref().ok());
        (account, fault)
    };
    if let Some(response) = fault_response(FaultTarget::People, fault).await {
        return response;
    }
    let account = match account {
        Ok(account) => account,
        Err(failure) => return api_failure(&failure),
    };
    let outcome = lock(&world).connections(&account, &query);
    match outcome {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(failure) => api_failure(&failure),
    }
}

/// The request's `Authorization` header, when it is text.
fn authorization(request: &HttpRequest) -> Option<&str> {
    request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
}
