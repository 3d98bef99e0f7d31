//! SCIM's error answer (RFC 7644 §3.12): an HTTP status, a `scimType` where the RFC
//! names one, and a `detail` a directory's administrator can act on.
use crate::error::AppError;

#[derive(Debug)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Seconds to wait before trying again (a 429 or 503).
    pub retry_after: Option<u64>,
}

pub type ScimResult<T> = Result<T, ScimError>;

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&'static str>, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 400 `invalidValue`: a value Stilla cannot take (or place).
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidValue"), detail)
    }

    /// 400 `invalidSyntax`: a request that is not the document it should be.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::new(400, Some("invalidSyntax"), detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(404, None, format!("no such {what}"))
    }

    /// 409 `uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(409, Some("uniqueness"), detail)
    }

    /// 412: the resource changed since the `If-Match` version.
    pub fn changed_since() -> Self {
        Self::new(
            412,
            None,
            "the resource has changed since that version (If-Match)",
        )
    }
}

impl From<AppError> for ScimError {
    fn from(err: AppError) -> Self {
        let status = err.status().as_u16();
        match err {
            AppError::Invalid(fields) => Self::invalid_value(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            AppError::Conflict(detail) => Self::uniqueness(detail),
            AppError::NotFound(what) => Self::not_found(what),
            AppError::Forbidden(detail) => Self::new(403, None, detail),
            AppError::Unauthorized => Self::new(401, None, "no valid token"),
            other if status < 500 => {
                let retry_after = other.retry_after();
                let mut refused = Self::new(status, None, other.to_string());
                refused.retry_after = retry_after;
                refused
            }
            other => {
                tracing::error!(error = ?other, "a SCIM request failed");
                let retry_after = other.retry_after();
                let mut failed = Self::new(status, None, "the request failed on Stilla's side");
                failed.retry_after = retry_after;
                failed
            }
        }
    }
}

impl From<sea_orm::DbErr> for ScimError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::from(err).into()
    }
}
