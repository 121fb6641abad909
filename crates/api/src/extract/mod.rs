//! Request extractors that answer every failure with the API's JSON error: `ApiJson` (content
//! type, size limit, strict JSON) and `ApiQuery` (strict query strings), plus the mapping of
//! deserialization failures to field-level error codes.

mod field_error;
mod json;
mod query;

pub(crate) use json::{ApiJson, BodyLimit};
pub(crate) use query::ApiQuery;
