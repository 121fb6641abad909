//! The fake's control interface over HTTP (`/__control/...`), so another process (the demo, a
//! black-box test of the binary) can drive it the way `FakeGoogle`'s methods do.

use std::sync::Mutex;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::fake::FakeError;
use crate::fake::contact::FakeContact;
use crate::fake::dataset::Dataset;
use crate::fake::faults::{Fault, FaultTarget};
use crate::fake::world::{AuthorizeMode, World, lock};

/// Registers the control routes.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config.service(
        web::scope("/__control")
            .route("/accounts", web::post().to(add_account))
            .route("/accounts/{account}/contacts", web::get().to(contacts))
            .route("/accounts/{account}/contacts", web::post().to(add_contact))
            .route(
                "/accounts/{account}/contacts/edit",
                web::post().to(edit_contact),
            )
            .route(
                "/accounts/{account}/contacts/delete",
                web::post().to(delete_contact),
            )
            .route(
                "/accounts/{account}/contacts/rename",
                web::post().to(rename_contact),
            )
            .route("/accounts/{account}/grants", web::post().to(create_grant))
            .route(
                "/accounts/{account}/revoke-grants",
                web::post().to(revoke_account_grants),
            )
            .route(
                "/accounts/{account}/expire-sync-tokens",
                web::post().to(expire_sync_tokens),
            )
            .route("/grants/revoke", web::post().to(revoke_grant))
            .route(
                "/expire-access-tokens",
                web::post().to(expire_access_tokens),
            )
            .route("/faults", web::post().to(inject_fault))
            .route("/faults", web::delete().to(clear_faults))
            .route("/authorize-mode", web::put().to(set_authorize_mode))
            .route("/settings", web::put().to(update_settings))
            .route("/requests", web::get().to(request_counts))
            .route("/requests", web::delete().to(reset_request_counts))
            .route("/issued-secrets", web::get().to(issued_secrets)),
    );
}

type WorldData = web::Data<Mutex<World>>;

#[derive(Deserialize)]
struct NewAccount {
    account: String,
    dataset: Dataset,
}

#[derive(Deserialize)]
struct ContactEdit {
    resource_name: String,
    contact: FakeContact,
}

#[derive(Deserialize)]
struct ContactRef {
    resource_name: String,
}

#[derive(Deserialize)]
struct GrantRef {
    refresh_token: String,
}

#[derive(Deserialize)]
struct FaultRequest {
    #[serde(default)]
    target: FaultTarget,
    /// Only calls for this account; every account when absent.
    #[serde(default)]
    account: Option<String>,
    fault: Fault,
    times: u32,
}

#[derive(Deserialize)]
struct Settings {
    access_token_ttl_secs: Option<u64>,
    page_size_cap: Option<u32>,
}

fn outcome(result: Result<serde_json::Value, FakeError>) -> HttpResponse {
    match result {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(error) => HttpResponse::NotFound().json(json!({ "error": error.to_string() })),
    }
}

async fn add_account(world: WorldData, body: web::Json<NewAccount>) -> HttpResponse {
    lock(&world).add_account(&body.account, body.dataset);
    HttpResponse::Ok().json(json!({ "account": body.account }))
}

async fn contacts(world: WorldData, account: web::Path<String>) -> HttpResponse {
    let result = lock(&world)
        .account(&account)
        .map(|account| json!(account.contacts()));
    outcome(result)
}

async fn add_contact(
    world: WorldData,
    account: web::Path<String>,
    body: web::Json<FakeContact>,
) -> HttpResponse {
    let result = lock(&world)
        .account_mut(&account)
        .map(|account| json!({ "resource_name": account.add(body.into_inner()) }));
    outcome(result)
}

async fn edit_contact(
    world: WorldData,
    account: web::Path<String>,
    body: web::Json<ContactEdit>,
) -> HttpResponse {
    let body = body.into_inner();
    let result = lock(&world)
        .account_mut(&account)
        .and_then(|account| account.edit(&body.resource_name, body.contact))
        .map(|()| json!({}));
    outcome(result)
}

async fn delete_contact(
    world: WorldData,
    account: web::Path<String>,
    body: web::Json<ContactRef>,
) -> HttpResponse {
    let result = lock(&world)
        .account_mut(&account)
        .and_then(|account| account.delete(&body.resource_name))
        .map(|()| json!({}));
    outcome(result)
}

async fn rename_contact(
    world: WorldData,
    account: web::Path<String>,
    body: web::Json<ContactRef>,
) -> HttpResponse {
    let result = lock(&world)
        .account_mut(&account)
        .and_then(|account| account.rename(&body.resource_name))
        .map(|name| json!({ "resource_name": name }));
    outcome(result)
}

async fn create_grant(world: WorldData, account: web::Path<String>) -> HttpResponse {
    let result = lock(&world)
        .create_grant(&account)
        .map(|token| json!({ "refresh_token": token }));
    outcome(result)
}

async fn revoke_account_grants(world: WorldData, account: web::Path<String>) -> HttpResponse {
    let revoked = lock(&world).revoke_account_grants(&account);
    HttpResponse::Ok().json(json!({ "revoked": revoked }))
}

async fn expire_sync_tokens(world: WorldData, account: web::Path<String>) -> HttpResponse {
    let expired = lock(&world).expire_sync_tokens(&account);
    HttpResponse::Ok().json(json!({ "expired": expired }))
}

async fn revoke_grant(world: WorldData, body: web::Json<GrantRef>) -> HttpResponse {
    let revoked = lock(&world).revoke_grant(&body.refresh_token);
    outcome(revoked.then(|| json!({})).ok_or(FakeError::UnknownGrant))
}

async fn expire_access_tokens(world: WorldData) -> HttpResponse {
    lock(&world).expire_access_tokens();
    HttpResponse::Ok().json(json!({}))
}

async fn inject_fault(world: WorldData, body: web::Json<FaultRequest>) -> HttpResponse {
    let body = body.into_inner();
    lock(&world)
        .faults
        .push_for(body.target, body.account, body.fault, body.times);
    HttpResponse::Ok().json(json!({}))
}

async fn clear_faults(world: WorldData) -> HttpResponse {
    lock(&world).faults.clear();
    HttpResponse::Ok().json(json!({}))
}

async fn set_authorize_mode(world: WorldData, body: web::Json<AuthorizeMode>) -> HttpResponse {
    lock(&world).authorize_mode = body.into_inner();
    HttpResponse::Ok().json(json!({}))
}

async fn update_settings(world: WorldData, body: web::Json<Settings>) -> HttpResponse {
    let mut world = lock(&world);
    if let Some(seconds) = body.access_token_ttl_secs {
        world.access_token_ttl = Duration::from_secs(seconds);
    }
    if let Some(cap) = body.page_size_cap {
        world.page_size_cap = cap.max(1);
    }
    HttpResponse::Ok().json(json!({}))
}

async fn request_counts(world: WorldData) -> HttpResponse {
    let counts = lock(&world).request_counts();
    HttpResponse::Ok().json(counts)
}

async fn reset_request_counts(world: WorldData) -> HttpResponse {
    lock(&world).reset_counts();
    HttpResponse::Ok().json(json!({}))
}

async fn issued_secrets(world: WorldData) -> HttpResponse {
    let secrets = lock(&world).issued_secrets();
    HttpResponse::Ok().json(secrets)
}
