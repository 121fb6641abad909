//! `GET .../google-contacts/profiles`: the workspace's synced profiles, by name, with a search;
//! `GET .../google-contacts/profiles/changes`: the workspace's change feed, from a cursor.

use actix_web::{HttpResponse, web};
use pulse_domain::feed::{DEFAULT_CHANGES_PER_PAGE, MAX_CHANGES_PER_PAGE};
use pulse_domain::ports::{ChangeQuery, GoogleAuthorizer, ProfileQuery};
use pulse_domain::{ChangeCursor, UserId};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::caller::Caller;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::handlers::pagination::{LimitRule, checked_cursor};
use crate::state::{ApiState, ApiStore};
use crate::views::{ProfileChangePage, ProfilePage, ProfileView};

/// Profiles per page: 50 unless asked, at most 500.
const PROFILE_LIMIT: LimitRule = LimitRule {
    default: 50,
    max: 500,
};

/// Changes per poll of the feed: 100 unless asked, at most 1000 (the domain's numbers).
const CHANGE_LIMIT: LimitRule = LimitRule {
    default: DEFAULT_CHANGES_PER_PAGE,
    max: MAX_CHANGES_PER_PAGE,
};

/// The longest search text accepted.
const MAX_SEARCH_CHARS: usize = 200;

/// `?workspace_id=U&limit=50&cursor=...&q=...&include_deleted=false`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProfileListQuery {
    /// The workspace (CRM user id).
    #[param(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
    /// Profiles per page: default 50, values above 500 are cut to 500.
    #[param(minimum = 1, example = 50)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Case-insensitive text to find in names and emails (at most 200 characters).
    #[param(max_length = 200, example = "ada")]
    pub q: Option<String>,
    /// Also list profiles deleted on Google's side (with their `deleted_at`).
    pub include_deleted: Option<bool>,
}

/// Lists the workspace's synced profiles, ordered by display name.
#[utoipa::path(
    get,
    path = "/api/logos-vision/google-contacts/profiles",
    tag = "profiles",
    operation_id = "list_profiles",
    params(ProfileListQuery),
    responses((status = 200, description = "A page of profiles", body = ProfilePage)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn list_profiles<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<ProfileListQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    caller.authorize(&query.workspace_id)?;
    let request = ProfileQuery {
        user_id: query.workspace_id,
        limit: PROFILE_LIMIT.apply(query.limit)?,
        cursor: checked_cursor(query.cursor)?,
        search: checked_search(query.q)?,
        include_deleted: query.include_deleted.unwrap_or(false),
    };
    let page = state.store.list_profiles(&request).await?;
    Ok(HttpResponse::Ok().json(ProfilePage {
        items: page.items.into_iter().map(ProfileView::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// `?workspace_id=U&after=...&limit=100`
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChangeFeedQuery {
    /// The workspace (CRM user id).
    #[param(value_type = String, min_length = 1, max_length = 255, example = "demo")]
    pub workspace_id: UserId,
    /// The `next_cursor` of the previous poll; absent (or empty) reads the feed from its start.
    pub after: Option<String>,
    /// Changes per poll: default 100, values above 1000 are cut to 1000.
    #[param(minimum = 1, example = 100)]
    pub limit: Option<i64>,
}

/// The workspace's profiles changed after the cursor, in the order of their changes, each in its
/// latest state. A client that applies the items in order and polls again from `next_cursor`
/// mirrors the live profiles exactly and never misses a change.
#[utoipa::path(
    get,
    path = "/api/logos-vision/google-contacts/profiles/changes",
    tag = "profiles",
    operation_id = "list_profile_changes",
    params(ChangeFeedQuery),
    responses((status = 200, description = "The changes after the cursor", body = ProfileChangePage)),
    security(("bearer" = []), ("api_key" = []))
)]
pub(crate) async fn list_changes<S: ApiStore, A: GoogleAuthorizer + 'static>(
    state: web::Data<ApiState<S, A>>,
    caller: Caller,
    query: ApiQuery<ChangeFeedQuery>,
) -> Result<HttpResponse, ApiError> {
    let query = query.0;
    caller.authorize(&query.workspace_id)?;
    let request = ChangeQuery {
        user_id: query.workspace_id,
        after: feed_position(query.after.as_deref())?,
        limit: CHANGE_LIMIT.apply(query.limit)?,
    };
    let page = state.store.profile_changes(&request).await?;
    Ok(HttpResponse::Ok().json(ProfileChangePage::from(page)))
}

/// Where a poll starts: the start of the feed without a cursor, else the cursor's position.
fn feed_position(after: Option<&str>) -> Result<ChangeCursor, ApiError> {
    match after {
        None | Some("") => Ok(ChangeCursor::START),
        Some(token) => Ok(ChangeCursor::parse(token)?),
    }
}

/// The trimmed search text; blank means no search.
fn checked_search(search: Option<String>) -> Result<Option<String>, ApiError> {
    let Some(search) = search else {
        return Ok(None);
    };
    let trimmed = search.trim();
    if trimmed.chars().count() > MAX_SEARCH_CHARS || trimmed.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "invalid_search",
            "q must be at most 200 characters without control characters",
            Some("q"),
        ));
    }
    Ok((!trimmed.is_empty()).then(|| trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_is_trimmed_and_blank_means_none() {
        assert_eq!(checked_search(None).ok(), Some(None));
        assert_eq!(checked_search(Some("  ".into())).ok(), Some(None));
        assert_eq!(
            checked_search(Some(" ada ".into())).ok(),
            Some(Some("ada".into()))
        );
    }

    #[test]
    fn a_poll_without_a_cursor_starts_at_the_start_and_foreign_cursors_are_refused() {
        assert_eq!(feed_position(None).ok(), Some(ChangeCursor::START));
        assert_eq!(feed_position(Some("")).ok(), Some(ChangeCursor::START));
        let later = ChangeCursor::after_seq(7).unwrap_or_default();
        assert_eq!(feed_position(Some(&later.encode())).ok(), Some(later));
        assert!(feed_position(Some("abc")).is_err());
    }

    #[test]
    fn long_or_control_searches_are_refused() {
        assert!(checked_search(Some("x".repeat(201))).is_err());
        assert!(checked_search(Some("a\0b".into())).is_err());
        assert!(checked_search(Some("x".repeat(200))).is_ok());
    }
}
