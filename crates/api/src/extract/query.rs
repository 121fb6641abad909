//! `ApiQuery<T>`: a query-string extractor whose failures (wrong types, unknown or duplicate
//! parameters, bad values) are 400 JSON errors naming the parameter.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::extract::field_error::field_error;

/// A strictly parsed query string.
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

impl<T: DeserializeOwned> FromRequest for ApiQuery<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(ApiQuery))
    }
}

/// Parses a query string into `T`, naming the parameter at fault on failure.
pub(crate) fn parse<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        field_error(&path, &error.into_inner().to_string())
    })
}

#[cfg(test)]
mod tests {
    use pulse_domain::UserId;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct List {
        workspace_id: UserId,
        limit: Option<i64>,
        include_deleted: Option<bool>,
    }

    fn code_and_field(query: &str) -> (&'static str, Option<String>) {
        match parse::<List>(query) {
            Err(ApiError::Invalid { code, field, .. }) => (code, field),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_valid_query() {
        let list: List = parse("workspace_id=u%201&limit=5&include_deleted=true").expect("valid");
        assert_eq!(list.workspace_id.as_str(), "u 1");
        assert_eq!(list.limit, Some(5));
        assert_eq!(list.include_deleted, Some(true));
    }

    #[test]
    fn names_the_parameter_at_fault() {
        let cases = [
            ("", "missing_field", Some("workspace_id")),
            (
                "workspace_id=",
                "invalid_workspace_id",
                Some("workspace_id"),
            ),
            ("workspace_id=u&limit=ten", "invalid_limit", Some("limit")),
            (
                "workspace_id=u&include_deleted=maybe",
                "invalid_field",
                Some("include_deleted"),
            ),
            ("workspace_id=u&limt=5", "unknown_field", Some("limt")),
            (
                "workspace_id=u&workspace_id=v",
                "duplicate_field",
                Some("workspace_id"),
            ),
        ];
        for (query, code, field) in cases {
            assert_eq!(
                code_and_field(query),
                (code, field.map(str::to_owned)),
                "{query}"
            );
        }
    }
}
