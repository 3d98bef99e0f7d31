//! `/api/v1/subscriptions`: mobile subscriptions and their lifecycle actions.
use axum::{Json, extract::State, http::StatusCode, response::Response};
use sea_orm::DatabaseConnection;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery, devices::History};
use crate::downloads::{FormatParam, csv_download, json_page};
use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    inventory::{
        lifecycle::SubscriptionAction,
        subscriptions::{
            self, AssignSubscription, NewSubscription, SubscriptionFilter, SubscriptionPatch,
            SubscriptionView,
        },
    },
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_subscription, list_subscriptions))
        .routes(routes!(get_subscription, update_subscription))
        .routes(routes!(subscription_history))
        .routes(routes!(activate))
        .routes(routes!(suspend))
        .routes(routes!(resume))
        .routes(routes!(terminate))
        .routes(routes!(assign))
}

#[utoipa::path(post, path = "/subscriptions", tag = "subscriptions", request_body = NewSubscription,
    responses((status = 201, body = SubscriptionView)))]
async fn create_subscription(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewSubscription>,
) -> AppResult<(StatusCode, Json<SubscriptionView>)> {
    let subscription = subscriptions::create_subscription(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(subscription)))
}

/// Subscriptions the caller may see; `?format=csv` exports every match.
#[utoipa::path(get, path = "/subscriptions", tag = "subscriptions", params(SubscriptionFilter, PageParams, FormatParam),
    responses((status = 200, description = "A page; with `?format=csv`, every matching row as CSV",
        content((Page<SubscriptionView> = "application/json"), (String = "text/csv")))))]
async fn list_subscriptions(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<SubscriptionFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> AppResult<Response> {
    // Checked for an export too, which reads every page: a bad value is never ignored.
    let request = page.request()?;
    let cond = subscriptions::list_condition(&db, &caller, &filter).await?;
    if format.is_csv() {
        return Ok(csv_download("subscriptions.csv", move |page| {
            let (db, cond) = (db.clone(), cond.clone());
            async move { subscriptions::list_subscriptions(&db, cond, page).await }
        }));
    }
    Ok(json_page(
        &subscriptions::list_subscriptions(&db, cond, request).await?,
    ))
}

#[utoipa::path(get, path = "/subscriptions/{id}", tag = "subscriptions", responses((status = 200, body = SubscriptionView)))]
async fn get_subscription(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SubscriptionView>> {
    Ok(Json(
        subscriptions::get_subscription(&db, &caller, id).await?,
    ))
}

#[utoipa::path(patch, path = "/subscriptions/{id}", tag = "subscriptions", request_body = SubscriptionPatch,
    responses((status = 200, body = SubscriptionView)))]
async fn update_subscription(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<SubscriptionPatch>,
) -> AppResult<Json<SubscriptionView>> {
    let subscription = subscriptions::update_subscription(&db, &caller, id, patch).await?;
    Ok(Json(subscription))
}

/// Every step of the subscription's life, oldest first.
#[utoipa::path(get, path = "/subscriptions/{id}/history", tag = "subscriptions", responses((status = 200, body = History)))]
async fn subscription_history(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<History>> {
    let (_, items) = subscriptions::subscription_history(&db, &caller, id).await?;
    Ok(Json(History { items }))
}

async fn act(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    action: SubscriptionAction,
    links: Option<AssignSubscription>,
) -> AppResult<Json<SubscriptionView>> {
    Ok(Json(
        subscriptions::apply_action(db, caller, id, action, links).await?,
    ))
}

/// `ordered -> active`.
#[utoipa::path(post, path = "/subscriptions/{id}/activate", tag = "subscriptions", responses((status = 200, body = SubscriptionView)))]
async fn activate(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SubscriptionView>> {
    act(&db, &caller, id, SubscriptionAction::Activate, None).await
}

/// `active -> suspended`.
#[utoipa::path(post, path = "/subscriptions/{id}/suspend", tag = "subscriptions", responses((status = 200, body = SubscriptionView)))]
async fn suspend(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SubscriptionView>> {
    act(&db, &caller, id, SubscriptionAction::Suspend, None).await
}

/// `suspended -> active`.
#[utoipa::path(post, path = "/subscriptions/{id}/resume", tag = "subscriptions", responses((status = 200, body = SubscriptionView)))]
async fn resume(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SubscriptionView>> {
    act(&db, &caller, id, SubscriptionAction::Resume, None).await
}

/// Any status but terminated `-> terminated`. Final; the number may be reused.
#[utoipa::path(post, path = "/subscriptions/{id}/terminate", tag = "subscriptions", responses((status = 200, body = SubscriptionView)))]
async fn terminate(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<SubscriptionView>> {
    act(&db, &caller, id, SubscriptionAction::Terminate, None).await
}

/// Ties the subscription to a device and/or an employee (`null` removes a link).
#[utoipa::path(post, path = "/subscriptions/{id}/assign", tag = "subscriptions", request_body = AssignSubscription,
    responses((status = 200, body = SubscriptionView)))]
async fn assign(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(links): ApiJson<AssignSubscription>,
) -> AppResult<Json<SubscriptionView>> {
    act(&db, &caller, id, SubscriptionAction::Assign, Some(links)).await
}
