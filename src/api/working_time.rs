//! Working time: `/policy`, unit and employee `/working-hours`, `/shifts`, `/absences`.
use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    clock::Clock,
    error::AppResult,
    schedules::{
        absences::{AbsenceView, NewAbsence},
        changes,
        hours::{HoursInput, OwnHours, Owner},
        policy::Policy,
        shifts::{NewShifts, ShiftRange, ShiftView},
    },
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_policy, put_policy))
        .routes(routes!(add_swedish_holidays))
        .routes(routes!(put_unit_hours, delete_unit_hours))
        .routes(routes!(put_employee_hours, delete_employee_hours))
        .routes(routes!(add_shifts, list_shifts))
        .routes(routes!(delete_shift))
        .routes(routes!(add_absence, list_absences))
        .routes(routes!(delete_absence))
}

#[utoipa::path(get, path = "/policy", tag = "working time", responses((status = 200, body = Policy)))]
async fn get_policy(
    State(db): State<DatabaseConnection>,
    caller: Caller,
) -> AppResult<Json<Policy>> {
    Ok(Json(changes::get_policy(&db, &caller).await?))
}

/// The tenant's zone, weekly hours (a missing weekday has none), holidays and release delay.
#[utoipa::path(put, path = "/policy", tag = "working time", request_body = Policy, responses((status = 200, body = Policy)))]
async fn put_policy(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiJson(input): ApiJson<Policy>,
) -> AppResult<Json<Policy>> {
    Ok(Json(
        changes::put_policy(&db, &caller, input, clock.now()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct Year {
    year: i32,
}

/// Adds Sweden's public holidays of `year`, computed (Easter, midsommar, the eves).
#[utoipa::path(post, path = "/policy/holidays/swedish", tag = "working time", params(Year), responses((status = 200, body = Policy)))]
async fn add_swedish_holidays(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiQuery(year): ApiQuery<Year>,
) -> AppResult<Json<Policy>> {
    Ok(Json(
        changes::add_swedish_holidays(&db, &caller, year.year, clock.now()).await?,
    ))
}

async fn set_hours(
    state: &AppState,
    caller: &Caller,
    owner: Owner,
    input: Option<HoursInput>,
) -> AppResult<Option<OwnHours>> {
    changes::set_hours(&state.db, caller, owner, input, state.clock.now()).await
}

#[utoipa::path(put, path = "/units/{id}/working-hours", tag = "working time", request_body = HoursInput, responses((status = 200, body = OwnHours)))]
async fn put_unit_hours(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<HoursInput>,
) -> AppResult<Json<Option<OwnHours>>> {
    Ok(Json(
        set_hours(&state, &caller, Owner::Unit(id), Some(input)).await?,
    ))
}

/// Back to inheriting from the parent unit, then the tenant.
#[utoipa::path(delete, path = "/units/{id}/working-hours", tag = "working time", responses((status = 204, description = "Inheriting again")))]
async fn delete_unit_hours(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    set_hours(&state, &caller, Owner::Unit(id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(put, path = "/employees/{id}/working-hours", tag = "working time", request_body = HoursInput, responses((status = 200, body = OwnHours)))]
async fn put_employee_hours(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<HoursInput>,
) -> AppResult<Json<Option<OwnHours>>> {
    Ok(Json(
        set_hours(&state, &caller, Owner::Employee(id), Some(input)).await?,
    ))
}

/// Back to inheriting from the unit chain, then the tenant.
#[utoipa::path(delete, path = "/employees/{id}/working-hours", tag = "working time", responses((status = 204, description = "Inheriting again")))]
async fn delete_employee_hours(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    set_hours(&state, &caller, Owner::Employee(id), None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Shifts {
    pub items: Vec<ShiftView>,
}

/// Adds shifts; an overlapping or reversed one is refused, naming it, and none is added.
#[utoipa::path(post, path = "/employees/{id}/shifts", tag = "working time", request_body = NewShifts, responses((status = 201, body = Shifts)))]
async fn add_shifts(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewShifts>,
) -> AppResult<(StatusCode, Json<Shifts>)> {
    let items = changes::add_shifts(&db, &caller, id, input, clock.now()).await?;
    Ok((StatusCode::CREATED, Json(Shifts { items })))
}

#[utoipa::path(get, path = "/employees/{id}/shifts", tag = "working time", params(ShiftRange), responses((status = 200, body = Shifts)))]
async fn list_shifts(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(range): ApiQuery<ShiftRange>,
) -> AppResult<Json<Shifts>> {
    Ok(Json(Shifts {
        items: changes::list_shifts(&db, &caller, id, &range).await?,
    }))
}

#[utoipa::path(delete, path = "/shifts/{id}", tag = "working time", responses((status = 204, description = "Deleted")))]
async fn delete_shift(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    changes::delete_shift(&db, &caller, id, clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct Absences {
    pub items: Vec<AbsenceView>,
}

#[utoipa::path(post, path = "/employees/{id}/absences", tag = "working time", request_body = NewAbsence, responses((status = 201, body = AbsenceView)))]
async fn add_absence(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewAbsence>,
) -> AppResult<(StatusCode, Json<AbsenceView>)> {
    let absence = changes::add_absence(&db, &caller, id, input, clock.now()).await?;
    Ok((StatusCode::CREATED, Json(absence)))
}

#[utoipa::path(get, path = "/employees/{id}/absences", tag = "working time", responses((status = 200, body = Absences)))]
async fn list_absences(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<Absences>> {
    Ok(Json(Absences {
        items: changes::list_absences(&db, &caller, id).await?,
    }))
}

#[utoipa::path(delete, path = "/absences/{id}", tag = "working time", responses((status = 204, description = "Deleted")))]
async fn delete_absence(
    State(db): State<DatabaseConnection>,
    State(clock): State<Arc<dyn Clock>>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    changes::delete_absence(&db, &caller, id, clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
