//! `/api/v1/import/...`: CSV imports, all rows or none (admin).
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, header},
};
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiQuery, read_body};
use crate::{
    app::AppState,
    auth::Caller,
    auth::Resource,
    error::{AppError, AppResult},
    import::{ImportOutcome, Importable, import_csv, may_import},
    inventory::{devices::NewDevice, subscriptions::NewSubscription},
    org::employees::NewEmployee,
    schedules::shift_import::{self, ShiftImportOutcome},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_devices))
        .routes(routes!(import_employees))
        .routes(routes!(import_subscriptions))
        .routes(routes!(import_shifts))
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check every row and report, but write nothing.
    pub dry_run: Option<bool>,
    /// For `text/calendar` shift imports: whose calendar it is.
    pub employee_id: Option<uuid::Uuid>,
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The body is read only once the caller may import and the type is right: an upload
/// (up to the import limit) is never buffered for a caller who will be refused.
async fn run<T: Importable>(
    db: &DatabaseConnection,
    caller: &Caller,
    headers: &HeaderMap,
    params: &ImportParams,
    body: Body,
) -> AppResult<Json<ImportOutcome>> {
    may_import(caller, T::RESOURCE)?;
    if !content_type(headers).starts_with("text/csv") {
        return Err(AppError::BadRequest(
            "send the file as Content-Type: text/csv".to_owned(),
        ));
    }
    let body = read_body(body).await?;
    Ok(Json(
        import_csv::<T>(db, caller, &body, params.dry_run.unwrap_or(false)).await?,
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
    body: Body,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewDevice>(&db, &caller, &headers, &params, body).await
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
    body: Body,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewEmployee>(&db, &caller, &headers, &params, body).await
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
    body: Body,
) -> AppResult<Json<ImportOutcome>> {
    run::<NewSubscription>(&db, &caller, &headers, &params, body).await
}

/// Imports shifts: CSV (`employee` as email or external id, `starts_at`, `ends_at` as
/// local time in the employee's zone or RFC 3339, `kind`) or iCalendar (`text/calendar`,
/// one employee's calendar, `?employee_id=`). All or nothing; DST-shifted local times
/// are resolved and reported as warnings.
#[utoipa::path(post, path = "/import/shifts", tag = "import", params(ImportParams),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ShiftImportOutcome)))]
async fn import_shifts(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<ImportParams>,
    body: Body,
) -> AppResult<Json<ShiftImportOutcome>> {
    may_import(&caller, Resource::Shifts)?;
    let dry_run = params.dry_run.unwrap_or(false);
    let kind = content_type(&headers);
    let outcome = if kind.starts_with("text/csv") {
        let body = read_body(body).await?;
        shift_import::import_csv(&db, &caller, &body, dry_run).await?
    } else if kind.starts_with("text/calendar") {
        let employee_id = params.employee_id.ok_or_else(|| {
            AppError::invalid("employee_id", "an iCalendar import needs ?employee_id=")
        })?;
        let body = read_body(body).await?;
        shift_import::import_ical(&db, &caller, employee_id, &body, dry_run).await?
    } else {
        return Err(AppError::BadRequest(
            "send text/csv or text/calendar".to_owned(),
        ));
    };
    Ok(Json(outcome))
}
