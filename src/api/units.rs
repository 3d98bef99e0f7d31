//! `/api/v1/units`: the unit tree.
use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    org::units::{self, NewUnit, UnitFilter, UnitPatch, UnitView},
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_unit, list_units))
        .routes(routes!(get_unit, update_unit))
}

#[utoipa::path(post, path = "/units", tag = "organisation", request_body = NewUnit,
    responses((status = 201, body = UnitView)))]
async fn create_unit(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewUnit>,
) -> AppResult<(StatusCode, Json<UnitView>)> {
    let unit = units::create_unit(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(unit)))
}

/// Units the caller may see (a manager: their units and subunits).
#[utoipa::path(get, path = "/units", tag = "organisation", params(UnitFilter, PageParams),
    responses((status = 200, body = Page<UnitView>)))]
async fn list_units(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<UnitFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<UnitView>>> {
    Ok(Json(
        units::list_units(&db, &caller, &filter, page.request()?).await?,
    ))
}

#[utoipa::path(get, path = "/units/{id}", tag = "organisation", responses((status = 200, body = UnitView)))]
async fn get_unit(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<UnitView>> {
    Ok(Json(units::get_unit(&db, &caller, id).await?))
}

#[utoipa::path(patch, path = "/units/{id}", tag = "organisation", request_body = UnitPatch,
    responses((status = 200, body = UnitView)))]
async fn update_unit(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<UnitPatch>,
) -> AppResult<Json<UnitView>> {
    let unit = units::update_unit(&db, &caller, id, patch).await?;
    Ok(Json(unit))
}
