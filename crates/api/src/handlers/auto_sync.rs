//! `GET` and `PUT /api/logos-vision/auto-sync/config`: read and change a workspace's auto-sync
//! settings (a read never creates a row; a change goes through the domain's `apply_update`).
//! Each is one call of the store: the configuration comes with the connection's state.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use pulse_domain::ports::{GoogleAuthorizer, SettingsView};
use pulse_domain::{AutoSyncConfig, ConfigUpdate, SyncInterval, UserId, apply_update};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::handlers::WorkspaceQuery;
use crate::state::{ApiState, ApiStore};
use crate::views::ConfigView;

/// A settings change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AutoSyncConfigUpdate)]
pub(crate) struct ConfigUpdateRequest {
    /// The workspace (CRM user id).
    #[schema(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
    /// Auto-sync on or off.
    pub enabled: bool,
    /// Hours between automatic syncs, a whole number from 1 to 720; omit (or null) to keep.
    #[serde(default)]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 720, example = 24)]
    pub interval_hours: Option<SyncInterval>,
}

/// Reads a workspace's auto-sync settings; a workspace that never saved any gets the defaults.
#[utoipa::path(
    get,
    path = "/api/logos-vision/auto-sync/config",
    tag = "auto-sync",
    operation_id = "get_auto_sync_config",
    params(WorkspaceQuery),
    responses((status = 200, description = "The settings", body = ConfigView)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn get_config<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<WorkspaceQuery>,
) -> Result<HttpResponse, ApiError> {
    let workspace = query.0.workspace_id;
    caller.authorize(&workspace)?;
    let now = state.now();
    let settings = state.store.settings_view(&workspace).await?;
    let (_, view) = config_view(settings, workspace, now);
    Ok(HttpResponse::Ok().json(view))
}

/// Turns auto-sync on or off and sets its interval.
#[utoipa::path(
    put,
    path = "/api/logos-vision/auto-sync/config",
    tag = "auto-sync",
    operation_id = "update_auto_sync_config",
    request_body = ConfigUpdateRequest,
    responses((status = 200, description = "The settings as stored", body = ConfigView)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn update_config<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    body: ApiJson<ConfigUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let request = body.0;
    caller.authorize(&request.workspace_id)?;
    let update = ConfigUpdate {
        user_id: request.workspace_id,
        enabled: request.enabled,
        interval_hours: request.interval_hours,
    };
    let now = state.now();
    let stored = state
        .store
        .change_settings(&update.user_id, now, |current| {
            let next = apply_update(current, &update, now);
            (current != Some(&next)).then_some(next)
        })
        .await?;
    let (config, view) = config_view(stored, update.user_id.clone(), now);
    tracing::info!(
        workspace = %config.user_id,
        enabled = config.enabled,
        interval_hours = config.interval_hours.hours(),
        "auto-sync settings changed"
    );
    Ok(HttpResponse::Ok().json(view))
}

/// The stored configuration (or the defaults of `workspace`) and its view with the connection.
fn config_view(
    settings: SettingsView,
    workspace: UserId,
    now: DateTime<Utc>,
) -> (AutoSyncConfig, ConfigView) {
    let config = settings
        .config
        .unwrap_or_else(|| AutoSyncConfig::defaults(workspace));
    let view = ConfigView::new(&config, settings.connection.as_ref(), now);
    (config, view)
}
