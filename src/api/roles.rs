//! `/api/v1/roles`: role categories.
use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiJson, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    org::roles::{self, NewRole, RoleView},
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(create_role, list_roles))
}

#[utoipa::path(post, path = "/roles", tag = "organisation", request_body = NewRole,
    responses((status = 201, body = RoleView)))]
async fn create_role(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewRole>,
) -> AppResult<(StatusCode, Json<RoleView>)> {
    let role = roles::create_role(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(role)))
}

#[utoipa::path(get, path = "/roles", tag = "organisation", params(PageParams),
    responses((status = 200, body = Page<RoleView>)))]
async fn list_roles(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<RoleView>>> {
    Ok(Json(
        roles::list_roles(&db, &caller, page.request()?).await?,
    ))
}
