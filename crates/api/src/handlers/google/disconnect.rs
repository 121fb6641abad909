//! `DELETE /api/logos-vision/google/connection`: forgets the workspace's tokens, then revokes the
//! grant at Google (best effort: a failure is logged, without the token).

use actix_web::{HttpResponse, web};
use pulse_domain::ports::GoogleAuthorizer;

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::handlers::WorkspaceQuery;
use crate::state::{ApiState, ApiStore};

/// Disconnects the workspace's Google account; answers 204 whether or not one was connected.
#[utoipa::path(
    delete,
    path = "/api/logos-vision/google/connection",
    tag = "google",
    operation_id = "disconnect_google",
    params(WorkspaceQuery),
    responses((status = 204, description = "The tokens are forgotten and the grant revoked")),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn disconnect<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<WorkspaceQuery>,
) -> Result<HttpResponse, ApiError> {
    let workspace = query.0.workspace_id;
    caller.authorize(&workspace)?;
    let forgotten = state
        .store
        .forget_connection(&workspace, state.now())
        .await?;
    let token = forgotten.and_then(|connection| connection.refresh_token);
    if let Some(token) = token {
        match state.authorizer.revoke(&token).await {
            Ok(()) => tracing::info!(workspace = %workspace, "Google grant revoked"),
            Err(error) => tracing::warn!(
                workspace = %workspace,
                %error,
                "revoking the grant at Google failed; the tokens are forgotten here"
            ),
        }
    }
    Ok(HttpResponse::NoContent().finish())
}
