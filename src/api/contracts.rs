//! `/contracts`: framework agreements, which devices and subscriptions are bought under.
use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    inventory::contracts::{self, ContractPatch, ContractView, NewContract},
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_contract, list_contracts))
        .routes(routes!(get_contract, update_contract, delete_contract))
}

#[utoipa::path(post, path = "/contracts", tag = "inventory", request_body = NewContract,
    responses((status = 201, body = ContractView)))]
async fn create_contract(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewContract>,
) -> AppResult<(StatusCode, Json<ContractView>)> {
    let view = contracts::create_contract(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[utoipa::path(get, path = "/contracts", tag = "inventory", params(PageParams),
    responses((status = 200, body = Page<ContractView>)))]
async fn list_contracts(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<ContractView>>> {
    Ok(Json(
        contracts::list_contracts(&db, &caller, page.request()?).await?,
    ))
}

#[utoipa::path(get, path = "/contracts/{id}", tag = "inventory", responses((status = 200, body = ContractView)))]
async fn get_contract(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<ContractView>> {
    Ok(Json(contracts::get_contract(&db, &caller, id).await?))
}

#[utoipa::path(patch, path = "/contracts/{id}", tag = "inventory", request_body = ContractPatch,
    responses((status = 200, body = ContractView)))]
async fn update_contract(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<ContractPatch>,
) -> AppResult<Json<ContractView>> {
    let view = contracts::update_contract(&db, &caller, id, patch).await?;
    Ok(Json(view))
}

/// Refused with 409 while devices or subscriptions name the agreement.
#[utoipa::path(delete, path = "/contracts/{id}", tag = "inventory", responses((status = 204, description = "Deleted")))]
async fn delete_contract(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    contracts::delete_contract(&db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
