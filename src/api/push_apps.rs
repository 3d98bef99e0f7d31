//! `/api/v1/push-apps`: a tenant's own mobile apps and the credentials their pushes go
//! out with (admin).
use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{ApiJson, ApiPath};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    push::apps::{self, PushAppInput, PushAppView, PushApps},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_push_apps))
        .routes(routes!(get_push_app, put_push_app, delete_push_app))
}

/// The tenant's own apps; never their keys.
#[utoipa::path(get, path = "/push-apps", tag = "push-apps",
    responses((status = 200, body = PushApps)))]
async fn list_push_apps(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<PushApps>> {
    Ok(Json(apps::list(&state.db, &caller).await?))
}

/// One of the tenant's own apps.
#[utoipa::path(get, path = "/push-apps/{app_id}", tag = "push-apps",
    params(("app_id" = String, Path, description = "What the app sends as `app_id` when it registers")),
    responses((status = 200, body = PushAppView)))]
async fn get_push_app(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(app_id): ApiPath<String>,
) -> AppResult<Json<PushAppView>> {
    Ok(Json(apps::get(&state.db, &caller, &app_id).await?))
}

/// Sets up or changes an app: its Apple key, its Firebase service account, or both.
/// Phones registered with this `app_id` are pushed with them from the next push on;
/// the key and the account are checked, sealed at rest and never returned.
#[utoipa::path(put, path = "/push-apps/{app_id}", tag = "push-apps",
    params(("app_id" = String, Path, description = "What the app sends as `app_id` when it registers")),
    request_body = PushAppInput,
    responses((status = 200, body = PushAppView, description = "Changed"),
        (status = 201, body = PushAppView, description = "Set up")))]
async fn put_push_app(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(app_id): ApiPath<String>,
    ApiJson(input): ApiJson<PushAppInput>,
) -> AppResult<(StatusCode, Json<PushAppView>)> {
    let (view, created) =
        apps::put(&state.db, &caller, &state.identity.secrets, &app_id, input).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(view)))
}

/// Removes an app: its phones are pushed with the service's own credentials again.
#[utoipa::path(delete, path = "/push-apps/{app_id}", tag = "push-apps",
    params(("app_id" = String, Path, description = "What the app sends as `app_id` when it registers")),
    responses((status = 204, description = "Removed")))]
async fn delete_push_app(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(app_id): ApiPath<String>,
) -> AppResult<StatusCode> {
    apps::delete(&state.db, &caller, &app_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
