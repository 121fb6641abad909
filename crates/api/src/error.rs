//! `ApiError`: every failure the API answers with, mapped in this one place to an HTTP status and
//! the body `{"error": {"code", "message", "field"?, "job_id"?, "error_id"?}}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use pulse_domain::ports::{EnqueueError, StoreError};
use pulse_domain::{ErrorId, ValidationError};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::readiness::NotReady;

/// A failure answered to the client; internal details are logged, never sent.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request value was refused (400).
    #[error("{message}")]
    Invalid {
        /// The stable error code, e.g. `invalid_interval`.
        code: &'static str,
        /// What was wrong, for people.
        message: String,
        /// The request field at fault, when there is one.
        field: Option<String>,
    },
    /// No API key was sent (401).
    #[error("an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'")]
    MissingApiKey,
    /// The API key is unknown, revoked or malformed (401).
    #[error("the API key is not valid")]
    InvalidApiKey,
    /// The key may not act on that workspace (403).
    #[error("this API key may not access that workspace")]
    ForbiddenWorkspace,
    /// Nothing at that route, or no such item for this key (404).
    #[error("{message}")]
    NotFound {
        /// `route_not_found` or `job_not_found`.
        code: &'static str,
        /// What was not found.
        message: &'static str,
    },
    /// The route exists but not for this method (405).
    #[error("this route does not accept that method")]
    MethodNotAllowed {
        /// The methods the route accepts, for the `Allow` header.
        allowed: &'static str,
    },
    /// A manual sync is already queued or running (409).
    #[error("a sync is already queued or running for this workspace")]
    SyncInProgress {
        /// The active job.
        job_id: Uuid,
    },
    /// The body is larger than the limit (413).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not JSON (415).
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// Too many failed authentication attempts from this address (429).
    #[error("too many failed authentication attempts; retry in {retry_after_secs} seconds")]
    TooManyAuthFailures {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
    /// The database does not answer (503).
    #[error("the database is unavailable; retry later (error id {error_id})")]
    DatabaseUnavailable {
        /// The store's message, logged only.
        detail: String,
        /// Shown to the client and logged with the detail.
        error_id: ErrorId,
    },
    /// The readiness check failed (503).
    #[error("{0}")]
    NotReady(NotReady),
    /// A stored secret cannot be decrypted with the configured key (500).
    #[error(
        "a stored secret cannot be decrypted with the configured encryption key (error id {error_id})"
    )]
    SecretUnreadable {
        /// The store's message, logged only.
        detail: String,
        /// Shown to the client and logged with the detail.
        error_id: ErrorId,
    },
    /// Anything else (500); the detail is logged with the error id, never sent.
    #[error("{}", error_id.message(""))]
    Internal {
        /// What went wrong, logged only.
        detail: String,
        /// Shown to the client and logged with the detail.
        error_id: ErrorId,
    },
}

impl ApiError {
    /// A 400 with a code, a message and the field at fault.
    pub fn invalid(code: &'static str, message: impl Into<String>, field: Option<&str>) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
            field: field.map(str::to_owned),
        }
    }

    /// A 500 whose detail is logged only.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::Internal {
            detail: detail.into(),
            error_id: ErrorId::new(),
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { code, .. } | Self::NotFound { code, .. } => code,
            Self::MissingApiKey => "missing_api_key",
            Self::InvalidApiKey => "invalid_api_key",
            Self::ForbiddenWorkspace => "forbidden_workspace",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::SyncInProgress { .. } => "sync_in_progress",
            Self::PayloadTooLarge { .. } => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyAuthFailures { .. } => "too_many_auth_failures",
            Self::DatabaseUnavailable { .. } => "database_unavailable",
            Self::NotReady(_) => "not_ready",
            Self::SecretUnreadable { .. } => "secret_unreadable",
            Self::Internal { .. } => "internal_error",
        }
    }

    /// The body sent for this error.
    pub fn body(&self) -> ErrorBody {
        let (field, job_id) = match self {
            Self::Invalid { field, .. } => (field.clone(), None),
            Self::SyncInProgress { job_id } => (None, Some(*job_id)),
            _ => (None, None),
        };
        let error_id = match self {
            Self::Internal { error_id, .. }
            | Self::SecretUnreadable { error_id, .. }
            | Self::DatabaseUnavailable { error_id, .. } => Some(error_id.to_string()),
            _ => None,
        };
        ErrorBody {
            error: ErrorDetail {
                code: self.code().to_owned(),
                message: self.to_string(),
                field,
                job_id,
                error_id,
            },
        }
    }

    /// Logs what the client is not shown (internal details, unavailability).
    pub(crate) fn log(&self) {
        match self {
            Self::Internal { detail, error_id } => {
                tracing::error!(%error_id, %detail, "internal error answered with 500")
            }
            Self::SecretUnreadable { detail, error_id } => {
                tracing::error!(%error_id, %detail, "a stored secret could not be decrypted");
            }
            Self::DatabaseUnavailable { detail, error_id } => {
                tracing::warn!(%error_id, %detail, "database unavailable, answered with 503");
            }
            Self::NotReady(reason) => tracing::warn!(detail = %reason.detail(), "not ready"),
            _ => {}
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Invalid { .. } => StatusCode::BAD_REQUEST,
            Self::MissingApiKey | Self::InvalidApiKey => StatusCode::UNAUTHORIZED,
            Self::ForbiddenWorkspace => StatusCode::FORBIDDEN,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::SyncInProgress { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyAuthFailures { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::DatabaseUnavailable { .. } | Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::SecretUnreadable { .. } | Self::Internal { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut response = HttpResponse::build(self.status_code());
        match self {
            Self::MissingApiKey | Self::InvalidApiKey => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::MethodNotAllowed { allowed } => {
                response.insert_header((header::ALLOW, HeaderValue::from_static(allowed)));
            }
            Self::TooManyAuthFailures { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            Self::DatabaseUnavailable { .. } | Self::NotReady(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        response
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(self.body())
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(detail) => Self::DatabaseUnavailable {
                detail,
                error_id: ErrorId::new(),
            },
            StoreError::InvalidCursor => Self::invalid(
                "invalid_cursor",
                "cursor is not one this server issued",
                Some("cursor"),
            ),
            StoreError::Crypto(detail) => Self::SecretUnreadable {
                detail,
                error_id: ErrorId::new(),
            },
            other @ (StoreError::LeaseLost | StoreError::Corrupt(_) | StoreError::Database(_)) => {
                Self::internal(other.to_string())
            }
        }
    }
}

impl From<EnqueueError> for ApiError {
    fn from(error: EnqueueError) -> Self {
        match error {
            EnqueueError::AlreadyActive { job_id } => Self::SyncInProgress { job_id },
            EnqueueError::Store(store) => store.into(),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(error: ValidationError) -> Self {
        Self::invalid(error.code(), error.to_string(), Some(error.field()))
    }
}

/// Every error response's body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// The error itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code, e.g. `invalid_interval` (see the error table in docs/api.md).
    #[schema(example = "invalid_interval")]
    pub code: String,
    /// A sentence for people.
    #[schema(example = "interval_hours must be a whole number from 1 to 720")]
    pub message: String,
    /// The request field at fault, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "interval_hours")]
    pub field: Option<String>,
    /// The job already queued or running, for `sync_in_progress`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_id: Option<Uuid>,
    /// The id the message ends with, for a 500 or 503: the server's log line with the detail
    /// carries it too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "3f9a1c2b7d4e")]
    pub error_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_on_our_side_carry_the_error_id_of_their_message() {
        let errors = [
            ApiError::internal("a detail"),
            ApiError::from(StoreError::Unavailable("down".to_owned())),
            ApiError::from(StoreError::Crypto("wrong key".to_owned())),
        ];
        for error in errors {
            let body = error.body();
            let id = body.error.error_id.expect("an error id");
            assert_eq!(id.len(), 12, "{id}");
            assert!(
                body.error.message.ends_with(&format!("(error id {id})")),
                "{}",
                body.error.message
            );
        }
    }

    #[test]
    fn other_errors_have_no_error_id() {
        let errors = [
            ApiError::invalid("invalid_interval", "bad", Some("interval_hours")),
            ApiError::SyncInProgress {
                job_id: Uuid::nil(),
            },
            ApiError::InvalidApiKey,
        ];
        for error in errors {
            let json = serde_json::to_value(error.body()).expect("json");
            assert!(json["error"].get("error_id").is_none(), "{json}");
        }
    }
}
