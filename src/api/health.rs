//! Liveness and readiness, for load balancers and orchestrators: no token needed.
use axum::{Json, extract::State};
use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{app::AppState, error::AppResult};

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

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "meta", security(()),
    responses((status = 200, description = "Ready"), (status = 500, description = "The database does not answer")))]
async fn readyz(State(db): State<DatabaseConnection>) -> AppResult<Json<Value>> {
    db.ping().await?;
    Ok(Json(json!({"status": "ready"})))
}
