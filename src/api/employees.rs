//! `/api/v1/employees`.
use axum::{Json, extract::State, http::StatusCode, response::Response};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::downloads::{FormatParam, csv_download, json_page};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    org::employees::{self, EmployeeFilter, EmployeePatch, EmployeeView, NewEmployee},
    pagination::{Page, PageParams},
    schedules::changes,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_employee, list_employees))
        .routes(routes!(get_employee, update_employee))
}

#[utoipa::path(post, path = "/employees", tag = "organisation", request_body = NewEmployee,
    responses((status = 201, body = EmployeeView)))]
async fn create_employee(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewEmployee>,
) -> AppResult<(StatusCode, Json<EmployeeView>)> {
    let employee = employees::create_employee(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(employee)))
}

/// Employees the caller may see; `?format=csv` exports every match.
#[utoipa::path(get, path = "/employees", tag = "organisation", params(EmployeeFilter, PageParams, FormatParam),
    responses((status = 200, description = "A page; with `?format=csv`, every matching row as CSV",
        content((Page<EmployeeView> = "application/json"), (String = "text/csv")))))]
async fn list_employees(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<EmployeeFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> AppResult<Response> {
    // Checked for an export too, which reads every page: a bad value is never ignored.
    let request = page.request()?;
    let cond = employees::list_condition(&db, &caller, &filter).await?;
    if format.is_csv() {
        return Ok(csv_download("employees.csv", move |page| {
            let (db, cond) = (db.clone(), cond.clone());
            async move { employees::list_employees(&db, cond, page).await }
        }));
    }
    Ok(json_page(
        &employees::list_employees(&db, cond, request).await?,
    ))
}

#[utoipa::path(get, path = "/employees/{id}", tag = "organisation", responses((status = 200, body = EmployeeView)))]
async fn get_employee(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<EmployeeView>> {
    Ok(Json(employees::get_employee(&db, &caller, id).await?))
}

#[utoipa::path(patch, path = "/employees/{id}", tag = "organisation", request_body = EmployeePatch,
    responses((status = 200, body = EmployeeView)))]
async fn update_employee(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<EmployeePatch>,
) -> AppResult<Json<EmployeeView>> {
    let employee =
        changes::update_employee(&state.db, &caller, id, patch, state.clock.now()).await?;
    state.tokens.evict_employee(id);
    Ok(Json(employee))
}
