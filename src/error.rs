//! One error type for the whole service, rendered as RFC 9457 `application/problem+json`.
//!
//! Domain code returns the semantic variants (not found, conflict, invalid fields); only
//! [`IntoResponse`] knows their HTTP status. 5xx errors are logged with their whole chain
//! and answered with a generic detail, so internals never leak.
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use utoipa::ToSchema;

pub use crate::validation::FieldError;

/// One bad field of one line of an imported file (the header is line 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LineError {
    pub line: u64,
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("missing or invalid token")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The named kind of thing does not exist, or lies outside the caller's reach.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    /// A lifecycle action that the current status does not allow.
    #[error("invalid transition: {detail}")]
    InvalidTransition {
        detail: String,
        status: String,
        allowed_actions: Vec<&'static str>,
    },
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("import rejected")]
    ImportRejected(Vec<LineError>),
    /// The body is larger than the route takes.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// A limit on how often: failed sign-ins, a token's request budget, urgent notices.
    /// The caller may try again after `retry_after` seconds.
    #[error("too many requests: {detail}")]
    TooManyRequests { detail: String, retry_after: u64 },
    /// The request was not done within this many seconds (its body came too slowly, or
    /// the work took too long); nothing of it was kept.
    #[error("request timed out after {0} s")]
    Timeout(u64),
    /// Every request slot is busy: try again in a moment.
    #[error("overloaded")]
    Overloaded,
    #[error("database error")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, message)])
    }

    /// Maps a unique-constraint violation to 409 and a foreign-key violation to 422, and
    /// leaves every other database error as it is (a 500). `uniques` pairs a column name
    /// with what a duplicate of it is called: both stores name the column (SQLite) or our
    /// index, which carries the column's name (PostgreSQL), in their message.
    pub fn from_db_write(err: DbErr, uniques: &[(&str, &str)]) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(message)) => {
                let what = uniques
                    .iter()
                    .find(|(column, _)| message.contains(column))
                    .map_or("a record with the same unique value", |(_, what)| what);
                AppError::Conflict(format!("{what} already exists"))
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => {
                AppError::invalid("reference", "refers to something that does not exist")
            }
            _ => AppError::Database(err),
        }
    }

    /// Seconds after which the same request may succeed (`Retry-After`), for refusals
    /// that pass.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            AppError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            AppError::Overloaded => Some(1),
            _ => None,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::InvalidTransition { .. } => StatusCode::CONFLICT,
            AppError::Invalid(_) | AppError::ImportRejected(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            AppError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Database(_) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The problem+json body. `errors` lists bad fields (422); `status_now` and
/// `allowed_actions` explain a refused lifecycle action (409).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<&'static str>>,
    /// This occurrence: `urn:stilla:request:<id>`, the request's `x-request-id`, to quote
    /// to operations (set on the way out, `request_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

impl AppError {
    /// The problem this error is, for any renderer (the API's JSON, the console's page).
    /// A server error is logged here, with its whole chain, and told only generically.
    pub fn into_problem(self) -> Problem {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut problem = Problem {
            kind: "about:blank".to_owned(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: String::new(),
            errors: None,
            current_status: None,
            allowed_actions: None,
            instance: None,
        };
        match self {
            AppError::BadRequest(detail)
            | AppError::Forbidden(detail)
            | AppError::Conflict(detail)
            | AppError::PayloadTooLarge(detail)
            | AppError::TooManyRequests { detail, .. } => {
                problem.detail = detail;
            }
            AppError::Timeout(seconds) => {
                problem.detail = format!(
                    "the request was not completed within {seconds} s; nothing of it was kept"
                );
            }
            AppError::Overloaded => {
                problem.detail = "the service is busy; try again in a moment".to_owned();
            }
            AppError::Unauthorized => {
                problem.detail = "send a valid token as `Authorization: Bearer <token>`".to_owned();
            }
            AppError::NotFound(what) => problem.detail = format!("{what} not found"),
            AppError::InvalidTransition {
                detail,
                status,
                allowed_actions,
            } => {
                problem.kind = "urn:stilla:problem:invalid-transition".to_owned();
                problem.detail = detail;
                problem.current_status = Some(status);
                problem.allowed_actions = Some(allowed_actions);
            }
            AppError::Invalid(errors) => {
                problem.kind = "urn:stilla:problem:validation".to_owned();
                problem.detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                problem.errors = Some(serde_json::to_value(errors).unwrap_or_default());
            }
            AppError::ImportRejected(errors) => {
                problem.kind = "urn:stilla:problem:import-rejected".to_owned();
                problem.detail = format!("{} error(s) found; nothing was imported", errors.len());
                problem.errors = Some(serde_json::to_value(errors).unwrap_or_default());
            }
            AppError::Database(_) | AppError::Internal(_) => {
                problem.detail = "an internal error occurred; it has been logged".to_owned();
            }
        }
        problem
    }
}

/// `Retry-After` on a response whose refusal passes with time.
pub fn set_retry_after(response: &mut Response, seconds: Option<u64>) {
    if let Some(seconds) = seconds {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after();
        let problem = self.into_problem();
        let mut response = (status, axum::Json(problem)).into_response();
        set_retry_after(&mut response, retry_after);
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
