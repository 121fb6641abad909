//! `ApiJson<T>`: a JSON body extractor that refuses other content types (415), bodies over the
//! limit (413), malformed JSON, wrong types, missing and unknown fields (400), all as JSON errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures::StreamExt;
use serde::de::DeserializeOwned;

use crate::config::DEFAULT_BODY_LIMIT_BYTES;
use crate::error::ApiError;
use crate::extract::field_error::field_error;

/// The body size limit, registered as app data by [`crate::configure`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct BodyLimit(pub(crate) usize);

/// A strictly parsed JSON body.
#[derive(Debug)]
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_BODY_LIMIT_BYTES, |limit| limit.0);
        let is_json = is_json(req);
        let declared = declared_length(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            if declared.is_some_and(|length| length > limit) {
                return Err(ApiError::PayloadTooLarge { limit });
            }
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|error| {
                    ApiError::invalid(
                        "invalid_body",
                        format!("cannot read the body: {error}"),
                        None,
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(ApiError::PayloadTooLarge { limit });
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

/// Whether the request declares a JSON body (`application/json` or `application/*+json`).
fn is_json(req: &HttpRequest) -> bool {
    match req.mime_type() {
        Ok(Some(mime)) => {
            mime.type_() == "application"
                && (mime.subtype() == "json"
                    || mime.suffix().is_some_and(|suffix| suffix == "json"))
        }
        _ => false,
    }
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Parses one JSON object into `T`, naming the field at fault on failure.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        None => return Err(ApiError::invalid("invalid_json", "the body is empty", None)),
        Some(b'{') => {}
        Some(_) => {
            return Err(ApiError::invalid(
                "invalid_body",
                "the body must be a JSON object",
                None,
            ));
        }
    }
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            field_error(&path, &message_of(&inner))
        } else {
            malformed(&inner)
        }
    })?;
    deserializer.end().map_err(|error| malformed(&error))?;
    Ok(value)
}

fn malformed(error: &serde_json::Error) -> ApiError {
    ApiError::invalid(
        "invalid_json",
        format!("the body is not valid JSON: {error}"),
        None,
    )
}

/// serde_json's message without its " at line L column C" suffix.
fn message_of(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    text.strip_suffix(&suffix)
        .map_or(text.clone(), str::to_owned)
}

#[cfg(test)]
mod tests {
    use pulse_domain::{SyncInterval, UserId};
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Update {
        workspace_id: UserId,
        enabled: bool,
        interval_hours: Option<SyncInterval>,
    }

    fn code_and_field(body: &str) -> (&'static str, Option<String>) {
        match parse::<Update>(body.as_bytes()) {
            Err(ApiError::Invalid { code, field, .. }) => (code, field),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn accepts_a_valid_body() {
        let update: Update =
            parse(br#"{"workspace_id":"u1","enabled":true,"interval_hours":12}"#).expect("valid");
        assert_eq!(update.interval_hours.map(SyncInterval::hours), Some(12));
    }

    #[test]
    fn names_the_field_at_fault() {
        let cases = [
            (
                r#"{"workspace_id":"u1","enabled":true,"interval_hours":0}"#,
                "invalid_interval",
                Some("interval_hours"),
            ),
            (
                r#"{"workspace_id":"u1","enabled":true,"interval_hours":1.5}"#,
                "invalid_interval",
                Some("interval_hours"),
            ),
            (
                r#"{"workspace_id":"u1","enabled":true,"interval_hours":"24"}"#,
                "invalid_interval",
                Some("interval_hours"),
            ),
            (
                r#"{"workspace_id":"","enabled":true}"#,
                "invalid_workspace_id",
                Some("workspace_id"),
            ),
            (
                r#"{"workspace_id":7,"enabled":true}"#,
                "invalid_workspace_id",
                Some("workspace_id"),
            ),
            (
                r#"{"workspace_id":"u1","enabled":"yes"}"#,
                "invalid_field",
                Some("enabled"),
            ),
            (r#"{"workspace_id":"u1"}"#, "missing_field", Some("enabled")),
            (
                r#"{"workspace_id":"u1","enabled":true,"intervall":2}"#,
                "unknown_field",
                Some("intervall"),
            ),
            (
                r#"{"workspace_id":"u1","enabled":true,"enabled":false}"#,
                "duplicate_field",
                Some("enabled"),
            ),
            (r#"[1,2]"#, "invalid_body", None),
            (r#"["u1",true]"#, "invalid_body", None),
            ("null", "invalid_body", None),
            (r#"{"workspace_id":"u1","#, "invalid_json", None),
            (
                r#"{"workspace_id":"u1","enabled":true} {}"#,
                "invalid_json",
                None,
            ),
            ("", "invalid_json", None),
        ];
        for (body, code, field) in cases {
            assert_eq!(
                code_and_field(body),
                (code, field.map(str::to_owned)),
                "{body}"
            );
        }
    }

    #[test]
    fn messages_carry_no_position_suffix() {
        let error = parse::<Update>(br#"{"workspace_id":"u1","enabled":"yes"}"#).expect_err("bad");
        assert_eq!(error.to_string(), "enabled must be true or false");
        let error = parse::<Update>(br#"{"workspace_id":"","enabled":true}"#).expect_err("bad");
        assert_eq!(
            error.to_string(),
            "workspace_id must be 1 to 255 characters after trimming"
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_a_crash() {
        let body = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(parse::<Update>(body.as_bytes()).is_err());
    }
}
