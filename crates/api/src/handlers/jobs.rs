//! Manual syncs and their jobs: `POST .../google-contacts/sync` (202, or 409 while one is active),
//! `GET .../sync/jobs` (newest first) and `GET .../sync/jobs/{id}` (404 outside the key's scope).

use actix_web::{HttpResponse, web};
use pulse_domain::UserId;
use pulse_domain::ports::GoogleAuthorizer;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::caller::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::handlers::pagination::{LimitRule, checked_cursor};
use crate::state::{ApiState, ApiStore};
use crate::views::{JobPage, JobView};

/// Jobs per page: 20 unless asked, at most 100.
const JOB_LIMIT: LimitRule = LimitRule {
    default: 20,
    max: 100,
};

/// Which workspace to sync now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = SyncRequest)]
pub(crate) struct SyncRequest {
    /// The workspace (CRM user id).
    #[schema(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
}

/// `?workspace_id=U&limit=20&cursor=...`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct JobListQuery {
    /// The workspace (CRM user id).
    #[param(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
    /// Jobs per page: default 20, values above 100 are cut to 100.
    #[param(minimum = 1, example = 20)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// Queues a manual sync of the workspace's Google contacts.
#[utoipa::path(
    post,
    path = "/api/logos-vision/google-contacts/sync",
    tag = "sync",
    operation_id = "start_manual_sync",
    request_body = SyncRequest,
    responses(
        (status = 202, description = "The queued job", body = JobView),
        (status = 409, description = "A sync is already queued or running (`sync_in_progress`, with its `job_id`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn start_sync<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    body: ApiJson<SyncRequest>,
) -> Result<HttpResponse, ApiError> {
    let workspace = body.0.workspace_id;
    caller.authorize(&workspace)?;
    let job = state.store.enqueue_manual(&workspace, state.now()).await?;
    tracing::info!(workspace = %workspace, job_id = %job.id, "manual sync queued");
    Ok(HttpResponse::Accepted().json(JobView::from(&job)))
}

/// Lists the workspace's sync jobs, newest first.
#[utoipa::path(
    get,
    path = "/api/logos-vision/google-contacts/sync/jobs",
    tag = "sync",
    operation_id = "list_sync_jobs",
    params(JobListQuery),
    responses((status = 200, description = "A page of jobs", body = JobPage)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn list_jobs<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<JobListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    caller.authorize(&query.workspace_id)?;
    let limit = JOB_LIMIT.apply(query.limit)?;
    let cursor = checked_cursor(query.cursor)?;
    let page = state
        .store
        .list_jobs(&query.workspace_id, limit, cursor.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(JobPage {
        items: page.items.iter().map(JobView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// One sync job; a job outside the key's workspace answers 404, as an unknown one does.
#[utoipa::path(
    get,
    path = "/api/logos-vision/google-contacts/sync/jobs/{id}",
    tag = "sync",
    operation_id = "get_sync_job",
    params(("id" = Uuid, Path, description = "The job id")),
    responses((status = 200, description = "The job", body = JobView)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn get_job<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| {
        ApiError::invalid("invalid_job_id", "the job id must be a UUID", Some("id"))
    })?;
    let job = state
        .store
        .find_job(id)
        .await?
        .filter(|job| caller.may_see(&job.user_id))
        .ok_or(ApiError::NotFound {
            code: "job_not_found",
            message: "no such job for this API key",
        })?;
    Ok(HttpResponse::Ok().json(JobView::from(&job)))
}
