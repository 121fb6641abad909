//! Request shapes shared by several handlers.

use pulse_domain::UserId;
use serde::Deserialize;
use utoipa::IntoParams;

/// `?workspace_id=U`: which workspace (CRM user) the call is about.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct WorkspaceQuery {
    /// The workspace (CRM user id): 1 to 255 characters, no control characters.
    #[param(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
}
