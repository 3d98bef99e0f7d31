//! `/api/v1/notice-templates`: what senders start a notice from.
use axum::{Json, extract::State, http::StatusCode};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    notices::templates::{self, NewTemplate, TemplateView},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_template, list_templates))
        .routes(routes!(get_template, delete_template))
}

#[derive(Serialize, ToSchema)]
pub struct Templates {
    pub items: Vec<TemplateView>,
}

#[utoipa::path(post, path = "/notice-templates", tag = "notices", request_body = NewTemplate,
    responses((status = 201, body = TemplateView)))]
async fn create_template(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewTemplate>,
) -> AppResult<(StatusCode, Json<TemplateView>)> {
    let view = templates::create_template(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Every template of the organisation, by name (an organisation keeps tens).
#[utoipa::path(get, path = "/notice-templates", tag = "notices",
    responses((status = 200, body = Templates)))]
async fn list_templates(
    State(db): State<DatabaseConnection>,
    caller: Caller,
) -> AppResult<Json<Templates>> {
    Ok(Json(Templates {
        items: templates::list_templates(&db, &caller).await?,
    }))
}

#[utoipa::path(get, path = "/notice-templates/{id}", tag = "notices",
    responses((status = 200, body = TemplateView)))]
async fn get_template(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<TemplateView>> {
    Ok(Json(templates::get_template(&db, &caller, id).await?))
}

#[utoipa::path(delete, path = "/notice-templates/{id}", tag = "notices",
    responses((status = 204, description = "Deleted")))]
async fn delete_template(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    templates::delete_template(&db, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
