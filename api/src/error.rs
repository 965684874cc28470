//! Errors as `application/problem+json` (RFC 9457) with a stable machine `code`.
//!
//! `IntoResponse` has no side effects; server errors are logged by the tracing middleware, which
//! sees the status, and by `ApiError::internal` where the detail is known.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use skyfly_commands::{CommandError, DomainRefusal, RefusalKind, UseCaseError};
use skyfly_domain::store::StoreError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A problem document.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            errors: Vec::new(),
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
        }
    }

    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this endpoint is for staff",
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }
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

    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %detail, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "a dependency is unavailable; retry later",
        )
    }

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
            StoreError::VersionConflict { actual, .. } => ApiError::conflict(
                "version_conflict",
                format!("the resource is at version {actual}"),
            ),
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
            UseCaseError::VersionConflict { expected, actual } => ApiError::conflict(
                "version_conflict",
                format!("If-Match names version {expected}; the resource is at version {actual}"),
            ),
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
