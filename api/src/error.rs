//! Errors as `application/problem+json` (RFC 9457) with a stable machine `code`.
//!
//! `IntoResponse` has no side effects; server errors are logged by the tracing middleware, which
//! sees the status, and by `ApiError::internal` where the detail is known.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skyfly_commands::{CommandError, DomainRefusal, RefusalKind, UseCaseError};
use skyfly_domain::store::StoreError;

/// One wrong request field: its path and what is wrong with it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    /// The field's path, e.g. `passengers[0].first_name` (or a header name).
    pub field: String,
    /// What is wrong with the field.
    pub message: String,
}

/// A problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type, derived from `code`.
    #[serde(rename = "type")]
    pub type_: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// A human-readable explanation of this occurrence.
    pub detail: String,
    /// The stable machine-readable error code.
    pub code: String,
    /// The wrong fields, if the problem is about the request's fields (omitted when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// An error answered as a problem document: status, stable code, detail and wrong fields.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status to answer with.
    pub status: StatusCode,
    /// The stable machine-readable error code.
    pub code: String,
    /// A human-readable explanation.
    pub detail: String,
    /// The wrong request fields, if any.
    pub errors: Vec<FieldError>,
    /// Refused before anything executed (a field failing validation, a malformed body, a stale
    /// `If-Match`): an `Idempotency-Key` does not keep this answer, so the corrected retry runs.
    pub before_execution: bool,
}

impl ApiError {
    /// An error with this status, code and detail, naming no field.
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
            before_execution: false,
        }
    }

    /// A request field is wrong: 422 naming it.
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        let (field, message) = (field.into(), message.into());
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: code.into(),
            detail: format!("{field}: {message}"),
            errors: vec![FieldError { field, message }],
            before_execution: true,
        }
    }

    /// The same error with another status.
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// A `400` with this code: the request is malformed (refused before anything executed).
    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self {
            before_execution: true,
            ..Self::new(StatusCode::BAD_REQUEST, code, detail)
        }
    }
    /// A `401 unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }
    /// A `403 forbidden`: the endpoint is for staff.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this endpoint is for staff",
        )
    }
    /// A `404 not_found` for `what`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
    /// A `409` with this code.
    pub fn conflict(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// A failure that is ours, not the client's: opaque body, detail in the log.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "the server failed to handle this request",
        )
    }

    /// A dependency is down: `503 unavailable` with an opaque body, detail in the log.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "a dependency is unavailable; retry later",
        )
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        Problem {
            type_: format!(
                "https://skyfly.dev/problems/{}",
                self.code.replace('_', "-")
            ),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => ApiError::unavailable(e),
            // Nothing was appended: a retry under the same idempotency key decides afresh.
            StoreError::VersionConflict { actual, .. } => ApiError {
                before_execution: true,
                ..ApiError::conflict(
                    "version_conflict",
                    format!("the resource is at version {actual}"),
                )
            },
            other => ApiError::internal(other),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                ApiError::unavailable(e)
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<skyfly_projections::runtime::ProjectionError> for ApiError {
    fn from(e: skyfly_projections::runtime::ProjectionError) -> Self {
        use skyfly_projections::runtime::ProjectionError as E;
        match e {
            E::Database(e) => e.into(),
            E::Store(e) => e.into(),
            E::RebuildRunning(name) => {
                skyfly_commands::read_models::rebuild_in_progress(&name).into()
            }
        }
    }
}

impl From<UseCaseError> for ApiError {
    fn from(e: UseCaseError) -> Self {
        match e {
            UseCaseError::Invalid {
                field,
                code,
                message,
            } => ApiError::field(field, code, message),
            UseCaseError::Refused(r) => {
                let status = match r.kind {
                    RefusalKind::NotFound => StatusCode::NOT_FOUND,
                    RefusalKind::Conflict => StatusCode::CONFLICT,
                    RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
                    RefusalKind::Unauthenticated => StatusCode::UNAUTHORIZED,
                };
                let mut err = ApiError::new(status, r.code, r.message.clone());
                if let Some(field) = r.field {
                    err.errors.push(FieldError {
                        field,
                        message: r.message,
                    });
                }
                err
            }
            UseCaseError::Forbidden(why) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", why),
            UseCaseError::NotFound(what) => ApiError::not_found(what),
            UseCaseError::VersionConflict { expected, actual } => ApiError {
                before_execution: true,
                ..ApiError::conflict(
                    "version_conflict",
                    format!(
                        "If-Match names version {expected}; the resource is at version {actual}"
                    ),
                )
            },
            UseCaseError::ProviderFailed { reason } => ApiError::new(
                StatusCode::BAD_GATEWAY,
                reason,
                "the payment provider failed; nothing was recorded, retry",
            ),
            UseCaseError::Store(s) => s.into(),
            UseCaseError::Internal(detail) => ApiError::internal(detail),
        }
    }
}

impl<E: DomainRefusal + 'static> From<CommandError<E>> for ApiError {
    fn from(e: CommandError<E>) -> Self {
        UseCaseError::from(e).into()
    }
}
