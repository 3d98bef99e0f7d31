//! `/notices`: preview, send, follow and cancel staff notices.
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    notices::{
        create::{self, IdempotencyKey},
        input::NoticeInput,
        read::{self, DeliveryFilter},
        view::{DeliveryView, NoticeView, Preview},
    },
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_notice, list_notices))
        .routes(routes!(preview_notice))
        .routes(routes!(get_notice, cancel_notice))
        .routes(routes!(list_deliveries))
}

/// Sends a notice: each recipient gets it now or when their working time allows.
/// With `Idempotency-Key`, a repeat of the same request within 24 hours answers with
/// the first notice (header `Idempotent-Replayed: true`) and pushes nothing new.
#[utoipa::path(post, path = "/notices", tag = "notices", request_body = NoticeInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried send safe")),
    responses((status = 201, body = NoticeView)))]
async fn send_notice(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NoticeInput>,
) -> AppResult<Response> {
    let key = headers
        .get("idempotency-key")
        .map(|v| IdempotencyKey::parse(v.to_str().unwrap_or("")))
        .transpose()?;
    let created = create::create(
        &state.db,
        &caller,
        input,
        key,
        state.limits.config(),
        state.clock.now(),
    )
    .await?;
    state.due_now.nudge();
    let mut response = (StatusCode::CREATED, Json(created.notice)).into_response();
    if created.replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            axum::http::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// What sending would do, person by person, without sending.
#[utoipa::path(post, path = "/notices/preview", tag = "notices", request_body = NoticeInput,
    responses((status = 200, body = Preview)))]
async fn preview_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(input): ApiJson<NoticeInput>,
) -> AppResult<Json<Preview>> {
    Ok(Json(
        create::preview(&state.db, &caller, input, state.clock.now()).await?,
    ))
}

/// Newest first: every notice of the tenant for admins, their own for managers.
#[utoipa::path(get, path = "/notices", tag = "notices", params(PageParams),
    responses((status = 200, body = Page<NoticeView>)))]
async fn list_notices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<NoticeView>>> {
    Ok(Json(
        read::list_notices(&state.db, &caller, page.request()?).await?,
    ))
}

#[utoipa::path(get, path = "/notices/{id}", tag = "notices", responses((status = 200, body = NoticeView)))]
async fn get_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<NoticeView>> {
    Ok(Json(read::get_notice(&state.db, &caller, id).await?))
}

/// Cancels every delivery that has not gone yet; pushes already made stay made.
#[utoipa::path(delete, path = "/notices/{id}", tag = "notices", responses((status = 200, body = NoticeView)))]
async fn cancel_notice(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<NoticeView>> {
    Ok(Json(
        read::cancel(&state.db, &state.stops, &caller, id, state.clock.now()).await?,
    ))
}

#[utoipa::path(get, path = "/notices/{id}/deliveries", tag = "notices", params(DeliveryFilter, PageParams),
    responses((status = 200, body = Page<DeliveryView>)))]
async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(filter): ApiQuery<DeliveryFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> AppResult<Json<Page<DeliveryView>>> {
    Ok(Json(
        read::list_deliveries(&state.db, &caller, id, &filter, page.request()?).await?,
    ))
}
