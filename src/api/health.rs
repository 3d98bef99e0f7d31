//! Liveness and readiness, for load balancers and orchestrators: no token needed.
use std::sync::Arc;

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{app::AppState, push::health::ProviderHealth};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "meta", security(()), responses((status = 200, description = "Up")))]
async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers and has every migration this build knows (while one is still to
/// run — another instance upgrading it, or none yet — the process is not ready: 503 with
/// the pending ones named). `push` shows the health of the service's own push
/// credentials as this process found them — `healthy`, `open` (refused; pushes held
/// until a probe succeeds) or `paused` (the provider asked to wait) — and how many of
/// the tenants' own apps are in each state (which ones is each tenant's business: its
/// audit trail says). Ready either way: a provider's fault is not this process's, and
/// restarting it would not help.
#[utoipa::path(get, path = "/readyz", tag = "meta", security(()),
    responses((status = 200, description = "Ready"), (status = 503, description = "The database does not answer, or migrations are pending")))]
async fn readyz(
    State(db): State<DatabaseConnection>,
    State(health): State<Arc<ProviderHealth>>,
) -> Response {
    let not_ready = |body: Value| (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    if db.ping().await.is_err() {
        return not_ready(json!({"status": "database unreachable"}));
    }
    match crate::db::pending_migrations(&db).await {
        Ok(pending) if pending.is_empty() => {}
        Ok(pending) => return not_ready(json!({"status": "migrating", "pending": pending})),
        Err(_) => return not_ready(json!({"status": "database unreachable"})),
    }
    let mut service = Map::new();
    let mut tenant_apps: Map<String, Value> = Map::new();
    for (set, state) in health.snapshot() {
        let state = json!(state);
        let name = state["state"].as_str().unwrap_or("unknown").to_owned();
        if set.app.is_none() {
            service.insert(set.provider.to_string(), state);
        } else {
            let count = tenant_apps.entry(name).or_insert(json!(0));
            *count = json!(count.as_u64().unwrap_or(0) + 1);
        }
    }
    Json(json!({
        "status": "ready",
        "push": {"service": service, "tenant_apps": tenant_apps},
    }))
    .into_response()
}
