//! Security events in the audit trail, beside the writes: a refused write (403) and a
//! download of personal data (a CSV or XLSX export, the after-hours report), each with
//! the caller and the client's address. Sign-ins are recorded where they happen.
//!
//! The caller is known only inside the handler's extractor, and the outcome only once the
//! response is made, so the middleware hands each request an empty [`CallerSlot`] that
//! the extractors fill, and reads it when the response comes back.
use std::{
    net::IpAddr,
    sync::{Arc, OnceLock},
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{Method, StatusCode},
    middleware::Next,
    response::Response,
};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::{
    app::AppState,
    audit::{self, Actor},
    auth::Caller,
    error::AppResult,
};

/// Where the extractors leave the authenticated caller for the middleware.
#[derive(Clone, Debug, Default)]
pub struct CallerSlot(Arc<OnceLock<Caller>>);

impl CallerSlot {
    pub fn fill(extensions: &axum::http::Extensions, caller: &Caller) {
        if let Some(slot) = extensions.get::<CallerSlot>() {
            let _ = slot.0.set(caller.clone());
        }
    }
}

/// Records a security event of `actor` in its tenant's audit trail. The entity is the
/// token that acted; `details` says what happened and from where.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    action: &str,
    details: serde_json::Value,
) -> AppResult<()> {
    let token_id = actor.token_id.unwrap_or_default();
    audit::record(db, actor, action, "token", token_id, None, Some(&details)).await
}

fn is_write(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A read that hands out personal data as a file or a report of people's contacts.
fn is_personal_download(method: &Method, path: &str, query: &str) -> bool {
    let file = query
        .split('&')
        .any(|pair| pair == "format=csv" || pair == "format=xlsx");
    *method == Method::GET
        && (file || path.ends_with("/export") || path.ends_with("/reports/after-hours"))
}

/// What kind of security event a finished request is, if any.
fn event_of(method: &Method, path: &str, query: &str, status: StatusCode) -> Option<&'static str> {
    if is_write(method) && status == StatusCode::FORBIDDEN {
        return Some("access.refused");
    }
    (status.is_success() && is_personal_download(method, path, query))
        .then_some("personal-data.download")
}

pub async fn record_security_events(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // Most requests are reads of a page: they can be no event, and cost nothing here.
    let (method, uri) = (request.method(), request.uri());
    if !is_write(method) && !is_personal_download(method, uri.path(), uri.query().unwrap_or("")) {
        return next.run(request).await;
    }
    let slot = CallerSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let address: Option<IpAddr> =
        crate::limits::client_address(request.headers(), request.extensions(), &state.limits);
    let response = next.run(request).await;
    let (Some(action), Some(caller)) = (
        event_of(&method, &path, &query, response.status()),
        slot.0.get(),
    ) else {
        return response;
    };
    let details = json!({
        "method": method.as_str(),
        "path": path,
        "route": route,
        "query": query,
        "status": response.status().as_u16(),
        "source_address": address.map(|a| a.to_string()),
    });
    // The answer stands whatever happens here; a failed record is logged, not hidden.
    if let Err(e) = record(&state.db, &caller.actor(), action, details).await {
        tracing::error!(error = ?e, action, "could not record a security event");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_writes_and_personal_data_downloads_are_events() {
        let event = |m: Method, path: &str, query: &str, status: u16| {
            event_of(&m, path, query, StatusCode::from_u16(status).unwrap())
        };
        assert_eq!(
            event(Method::POST, "/api/v1/units", "", 403),
            Some("access.refused")
        );
        assert_eq!(event(Method::GET, "/api/v1/units", "", 403), None);
        assert_eq!(event(Method::POST, "/api/v1/units", "", 201), None);
        assert_eq!(
            event(
                Method::GET,
                "/api/v1/devices",
                "status=assigned&format=csv",
                200
            ),
            Some("personal-data.download")
        );
        assert_eq!(
            event(Method::GET, "/console/devices/export", "format=xlsx", 200),
            Some("personal-data.download")
        );
        assert_eq!(
            event(Method::GET, "/api/v1/reports/after-hours", "", 200),
            Some("personal-data.download")
        );
        assert_eq!(event(Method::GET, "/api/v1/devices", "", 200), None);
        assert_eq!(
            event(Method::GET, "/api/v1/devices", "format=csv", 403),
            None
        );
    }
}
