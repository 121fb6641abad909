//! Page limits (defaulted, capped, at least 1) and cursor sanity checks for the list endpoints.

use crate::error::ApiError;

/// The longest cursor accepted; the store's cursors are far shorter.
const MAX_CURSOR_CHARS: usize = 512;

/// The default and the cap of one list's page size.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LimitRule {
    /// Used when no `limit` is given.
    pub default: i64,
    /// Larger requests are cut down to this.
    pub max: i64,
}

impl LimitRule {
    /// The page size for a requested `limit`: the default when absent, capped at the maximum;
    /// zero and negative values are refused.
    pub(crate) fn apply(self, requested: Option<i64>) -> Result<i64, ApiError> {
        match requested {
            None => Ok(self.default),
            Some(limit) if limit >= 1 => Ok(limit.min(self.max)),
            Some(_) => Err(ApiError::invalid(
                "invalid_limit",
                "limit must be a whole number of at least 1",
                Some("limit"),
            )),
        }
    }
}

/// The cursor to pass to the store: empty means the first page; odd text is refused before the
/// store sees it.
pub(crate) fn checked_cursor(cursor: Option<String>) -> Result<Option<String>, ApiError> {
    match cursor {
        None => Ok(None),
        Some(cursor) if cursor.is_empty() => Ok(None),
        Some(cursor)
            if cursor.chars().count() <= MAX_CURSOR_CHARS
                && !cursor.chars().any(char::is_control) =>
        {
            Ok(Some(cursor))
        }
        Some(_) => Err(ApiError::invalid(
            "invalid_cursor",
            "cursor is not one this server issued",
            Some("cursor"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOBS: LimitRule = LimitRule {
        default: 20,
        max: 100,
    };

    #[test]
    fn limits_default_cap_and_refuse_non_positive() {
        assert_eq!(JOBS.apply(None).ok(), Some(20));
        assert_eq!(JOBS.apply(Some(1)).ok(), Some(1));
        assert_eq!(JOBS.apply(Some(100)).ok(), Some(100));
        assert_eq!(JOBS.apply(Some(i64::MAX)).ok(), Some(100));
        assert!(JOBS.apply(Some(0)).is_err());
        assert!(JOBS.apply(Some(-5)).is_err());
    }

    #[test]
    fn cursors_are_checked_before_the_store() {
        assert_eq!(checked_cursor(None).ok(), Some(None));
        assert_eq!(checked_cursor(Some(String::new())).ok(), Some(None));
        assert_eq!(
            checked_cursor(Some("abc".into())).ok(),
            Some(Some("abc".into()))
        );
        assert!(checked_cursor(Some("a\0b".into())).is_err());
        assert!(checked_cursor(Some("x".repeat(513))).is_err());
    }
}
