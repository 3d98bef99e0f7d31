//! The middleware in front of every route: a body larger than the route takes is a 413
//! before a byte of it is read, a request waits for one of a bounded number of slots,
//! and it must be done within its route family's time.
use std::time::Duration;

use axum::{
    body::{Body, HttpBody},
    extract::{Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use http_body_util::Limited;

use super::Limits;
use crate::error::AppError;

/// Routes alike in what they take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    /// Liveness and readiness: never queued behind the work they report on.
    Probe,
    /// File uploads: larger bodies, more time.
    Import,
    Ordinary,
}

impl Family {
    fn of(path: &str) -> Family {
        match path {
            "/healthz" | "/readyz" => Family::Probe,
            "/console/import" | "/console/working-time/shifts" => Family::Import,
            p if p.starts_with("/api/v1/import/") => Family::Import,
            _ => Family::Ordinary,
        }
    }
}

fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

pub async fn guard(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    let family = Family::of(request.uri().path());
    if family == Family::Probe {
        return next.run(request).await;
    }
    let config = limits.config();
    let (max_body, seconds) = match family {
        Family::Import => (config.import_body_bytes, config.import_timeout_seconds),
        _ => (config.body_bytes, config.request_timeout_seconds),
    };
    if declared_length(&request).is_some_and(|n| n > max_body as u64) {
        return too_large(max_body).into_response();
    }
    // A body that announces nothing (chunked) is cut off at the same size as it streams;
    // a request without a body (most reads) is left as it is.
    let request = if request.body().is_end_stream() {
        request
    } else {
        request.map(|body| Body::new(Limited::new(body, max_body)))
    };
    let Some(_slot) = limits.slot().await else {
        tracing::warn!("every request slot busy: refused with 503");
        return AppError::Overloaded.into_response();
    };
    // Dropping the handler on time-out rolls back a transaction it had open: a request
    // that ran out of time leaves nothing half-written.
    match tokio::time::timeout(Duration::from_secs(seconds), next.run(request)).await {
        Ok(response) => response,
        Err(_) => AppError::Timeout(seconds).into_response(),
    }
}

/// The 413 of a body over `max_body` bytes.
pub fn too_large(max_body: usize) -> AppError {
    AppError::PayloadTooLarge(format!(
        "the body is larger than this route takes ({max_body} bytes)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_are_imports_and_probes_are_apart() {
        assert_eq!(Family::of("/api/v1/import/devices"), Family::Import);
        assert_eq!(Family::of("/console/import"), Family::Import);
        assert_eq!(Family::of("/console/working-time/shifts"), Family::Import);
        assert_eq!(Family::of("/api/v1/devices"), Family::Ordinary);
        assert_eq!(Family::of("/console/importx"), Family::Ordinary);
        assert_eq!(Family::of("/healthz"), Family::Probe);
    }
}
