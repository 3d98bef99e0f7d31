//! `/me/notices` and `/me/push-registrations`: an employee's inbox and phones.
use axum::{Json, extract::State, http::StatusCode};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    notices::inbox::{self, InboxItem},
    pagination::{Page, PageParams},
    push::registrations::{self, NewRegistration, RegistrationView},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(my_notices))
        .routes(routes!(acknowledge))
        .routes(routes!(register_push, list_push_registrations))
        .routes(routes!(remove_push_registration))
}

/// My notices, newest first — those held for my working time and expired ones too.
#[utoipa::path(get, path = "/me/notices", tag = "me", params(PageParams),
    responses((status = 200, body = Page<InboxItem>)))]
async fn my_notices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<InboxItem>>> {
    Ok(Json(
        inbox::my_notices(&state.db, &caller, state.clock.now(), page.request()?).await?,
    ))
}

/// "Read and understood." Acknowledging again changes nothing.
#[utoipa::path(post, path = "/me/notices/{id}/ack", tag = "me", responses((status = 200, body = InboxItem)))]
async fn acknowledge(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<InboxItem>> {
    Ok(Json(
        inbox::acknowledge(&state.db, &state.stops, &caller, id, state.clock.now()).await?,
    ))
}

/// Registers this phone's push token, or refreshes it (`last_seen_at`) when it is known
/// already; 201 either way, as apps call this at every start.
#[utoipa::path(post, path = "/me/push-registrations", tag = "me", request_body = NewRegistration,
    responses((status = 201, body = RegistrationView)))]
async fn register_push(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NewRegistration>,
) -> AppResult<(StatusCode, Json<RegistrationView>)> {
    let view = registrations::register(&state.db, &caller, input, state.clock.now()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Registrations {
    pub items: Vec<RegistrationView>,
}

#[utoipa::path(get, path = "/me/push-registrations", tag = "me", responses((status = 200, body = Registrations)))]
async fn list_push_registrations(
    State(state): State<AppState>,
    caller: Caller,
) -> AppResult<Json<Registrations>> {
    Ok(Json(Registrations {
        items: registrations::list_registrations(&state.db, &caller).await?,
    }))
}

/// Stops pushes to this phone; what was waiting for it is cancelled.
#[utoipa::path(delete, path = "/me/push-registrations/{id}", tag = "me",
    responses((status = 204, description = "Removed")))]
async fn remove_push_registration(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<StatusCode> {
    registrations::remove_registration(&state.db, &caller, id, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}
