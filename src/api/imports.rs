//! `/api/v1/import/...`: CSV imports, all rows or none (admin).
use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, header},
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::ApiQuery;
use crate::{
    app::AppState,
    auth::Caller,
    error::{AppError, AppResult},
    import::{ImportOutcome, Importable, import_csv},
    inventory::{devices::NewDevice, subscriptions::NewSubscription},
    org::employees::NewEmployee,
};

/// Imports are larger than JSON bodies: 10,000 rows of devices are about 2 MB.
const IMPORT_BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_devices))
        .routes(routes!(import_employees))
        .routes(routes!(import_subscriptions))
        .layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT))
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every row and report, but write nothing.
    pub dry_run: Option<bool>,
}

async fn run<T: Importable>(
    db: &DatabaseConnection,
    caller: &Caller,
    headers: &HeaderMap,
    params: &ImportParams,
    body: &[u8],
) -> AppResult<Json<ImportOutcome>> {
    caller.require_admin()?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !content_type.starts_with("text/csv") {
        return Err(AppError::BadRequest(
            "send the file as Content-Type: text/csv".to_owned(),
        ));
    }
    Ok(Json(
        import_csv::<T>(db, &caller.actor(), body, params.dry_run.unwrap_or(false)).await?,
    ))
}

/// Imports devices. Columns: the fields of `POST /devices`.
#[utoipa::path(post, path = "/import/devices", tag = "import", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportOutcome)))]
async fn import_devices(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewDevice>(&db, &caller, &headers, &params, &body).await
}

/// Imports employees. Columns: the fields of `POST /employees`.
#[utoipa::path(post, path = "/import/employees", tag = "import", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportOutcome)))]
async fn import_employees(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewEmployee>(&db, &caller, &headers, &params, &body).await
}

/// Imports subscriptions. Columns: the fields of `POST /subscriptions`.
#[utoipa::path(post, path = "/import/subscriptions", tag = "import", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportOutcome)))]
async fn import_subscriptions(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Bytes,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewSubscription>(&db, &caller, &headers, &params, &body).await
}
