//! Maps a deserialization failure (with the path of the field at fault) to a 400 `ApiError` with
//! a stable code: `missing_field`, `unknown_field`, `duplicate_field`, `invalid_workspace_id`,
//! `invalid_interval`, `invalid_limit`, `invalid_field` or `invalid_body`.

use pulse_domain::ValidationError;

use crate::error::ApiError;

/// The 400 for a value that failed to deserialize at `path` (`.` for the whole document).
pub(crate) fn field_error(path: &str, message: &str) -> ApiError {
    for (prefix, code) in [
        ("missing field `", "missing_field"),
        ("unknown field `", "unknown_field"),
        ("duplicate field `", "duplicate_field"),
    ] {
        if let Some(field) = quoted_after(message, prefix) {
            let text = match code {
                "missing_field" => format!("{field} is required"),
                _ => message.to_owned(),
            };
            return ApiError::invalid(code, text, Some(field));
        }
    }
    let field = path.trim_start_matches('.');
    if field.is_empty() {
        return ApiError::invalid("invalid_body", message, None);
    }
    let (code, text) = describe(field, message);
    ApiError::invalid(code, text, Some(field))
}

/// The code and message for a bad value of a known field.
fn describe(field: &str, message: &str) -> (&'static str, String) {
    match field {
        "workspace_id" => ("invalid_workspace_id", message.to_owned()),
        "interval_hours" => (
            ValidationError::IntervalOutOfRange.code(),
            ValidationError::IntervalOutOfRange.to_string(),
        ),
        "limit" => (
            "invalid_limit",
            "limit must be a whole number of at least 1".to_owned(),
        ),
        "enabled" | "include_deleted" => {
            ("invalid_field", format!("{field} must be true or false"))
        }
        _ => ("invalid_field", message.to_owned()),
    }
}

/// The text between `prefix` and the next backtick, when `message` starts with `prefix`.
fn quoted_after<'a>(message: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(field, _)| field)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(error: &ApiError) -> (&'static str, Option<String>) {
        match error {
            ApiError::Invalid { code, field, .. } => (code, field.clone()),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn missing_unknown_and_duplicate_fields_name_the_field() {
        let missing = field_error(".", "missing field `workspace_id`");
        assert_eq!(
            parts(&missing),
            ("missing_field", Some("workspace_id".into()))
        );
        assert_eq!(missing.to_string(), "workspace_id is required");
        let unknown = field_error(
            "enabeld",
            "unknown field `enabeld`, expected one of `enabled`",
        );
        assert_eq!(parts(&unknown), ("unknown_field", Some("enabeld".into())));
        let duplicate = field_error(".", "duplicate field `enabled`");
        assert_eq!(
            parts(&duplicate),
            ("duplicate_field", Some("enabled".into()))
        );
    }

    #[test]
    fn known_fields_get_their_codes() {
        let interval = field_error(
            "interval_hours",
            "invalid type: string \"24\", expected f64",
        );
        assert_eq!(
            parts(&interval),
            ("invalid_interval", Some("interval_hours".into()))
        );
        assert_eq!(
            interval.to_string(),
            "interval_hours must be a whole number from 1 to 720"
        );
        let workspace = field_error(
            "workspace_id",
            "workspace_id must not contain control characters",
        );
        assert_eq!(
            parts(&workspace),
            ("invalid_workspace_id", Some("workspace_id".into()))
        );
        let limit = field_error("limit", "invalid digit found in string");
        assert_eq!(parts(&limit), ("invalid_limit", Some("limit".into())));
    }

    #[test]
    fn a_whole_document_of_the_wrong_shape_is_an_invalid_body() {
        let error = field_error(".", "invalid type: sequence, expected struct SyncRequest");
        assert_eq!(parts(&error), ("invalid_body", None));
    }
}
