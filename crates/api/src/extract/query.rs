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
    reject_invalid_utf8(query)?;
    let pairs = form_urlencoded::parse(query.as_bytes());
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        field_error(&path, &error.into_inner().to_string())
    })
}

/// Refuses a parameter whose name or value is not UTF-8 once percent-decoded: decoding it would
/// replace the bytes with U+FFFD and silently change what the client sent.
fn reject_invalid_utf8(query: &str) -> Result<(), ApiError> {
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = String::from_utf8(percent_decoded(name)).map_err(|_| {
            ApiError::invalid("invalid_field", "a parameter name is not valid UTF-8", None)
        })?;
        if std::str::from_utf8(&percent_decoded(value)).is_err() {
            return Err(field_error(&name, &format!("{name} is not valid UTF-8")));
        }
    }
    Ok(())
}

/// The bytes of a `application/x-www-form-urlencoded` part: `%XX` decoded, `+` a space, any other
/// byte (a stray `%` included) as it is.
fn percent_decoded(part: &str) -> Vec<u8> {
    let bytes = part.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = |offset: usize| {
            bytes
                .get(index + offset)
                .and_then(|digit| char::from(*digit).to_digit(16))
        };
        match (bytes[index], hex(1), hex(2)) {
            (b'%', Some(high), Some(low)) => {
                decoded.push(u8::try_from(high * 16 + low).unwrap_or(b'?'));
                index += 3;
            }
            (b'+', _, _) => {
                decoded.push(b' ');
                index += 1;
            }
            (byte, _, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    decoded
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
    fn percent_decoding_keeps_stray_percents_and_reads_plus_as_space() {
        assert_eq!(percent_decoded("a%20b+c%"), b"a b c%");
        assert_eq!(percent_decoded("%e2%9c%93%zz"), "\u{2713}%zz".as_bytes());
        assert_eq!(percent_decoded("%FF"), [0xFF]);
    }

    #[test]
    fn valid_utf8_passes_and_a_multibyte_value_is_kept() {
        let list: List = parse("workspace_id=%E2%9C%93%20ok").expect("valid");
        assert_eq!(list.workspace_id.as_str(), "\u{2713} ok");
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
            (
                "workspace_id=%FF%FE",
                "invalid_workspace_id",
                Some("workspace_id"),
            ),
            (
                "workspace_id=u&limit=%C3%28",
                "invalid_limit",
                Some("limit"),
            ),
            ("workspace_id=u&x%FF=1", "invalid_field", None),
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
