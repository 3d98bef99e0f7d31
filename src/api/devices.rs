//! `/api/v1/devices`: the device inventory and its lifecycle actions.
use axum::{Json, extract::State, http::StatusCode, response::Response};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{ApiJson, ApiPath, ApiQuery};
use crate::downloads::{FormatParam, csv_download, json_page};
use crate::{
    app::AppState,
    audit::HistoryItem,
    auth::Caller,
    error::AppResult,
    inventory::{
        devices::{
            self, AssignDevice, DeviceChange, DeviceCsvRow, DeviceFilter, DevicePatch, DeviceView,
            NewDevice, RepairDetails, RetireDevice,
        },
        lifecycle::DeviceAction,
    },
    pagination::{Page, PageParams},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_device, list_devices))
        .routes(routes!(get_device, update_device))
        .routes(routes!(device_history))
        .routes(routes!(receive))
        .routes(routes!(assign))
        .routes(routes!(unassign))
        .routes(routes!(send_to_repair))
        .routes(routes!(return_from_repair))
        .routes(routes!(retire))
}

#[utoipa::path(post, path = "/devices", tag = "devices", request_body = NewDevice,
    responses((status = 201, body = DeviceView)))]
async fn create_device(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiJson(input): ApiJson<NewDevice>,
) -> AppResult<(StatusCode, Json<DeviceView>)> {
    let device = devices::create_device(&db, &caller, input).await?;
    Ok((StatusCode::CREATED, Json(device)))
}

/// Devices the caller may see; `?format=csv` exports every match.
#[utoipa::path(get, path = "/devices", tag = "devices", params(DeviceFilter, PageParams, FormatParam),
    responses((status = 200, description = "A page; with `?format=csv`, every matching row as CSV",
        content((Page<DeviceView> = "application/json"), (String = "text/csv")))))]
async fn list_devices(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiQuery(filter): ApiQuery<DeviceFilter>,
    ApiQuery(page): ApiQuery<PageParams>,
    ApiQuery(format): ApiQuery<FormatParam>,
) -> AppResult<Response> {
    // Checked for an export too, which reads every page: a bad value is never ignored.
    let request = page.request()?;
    let query = devices::list_query(&db, &caller, &filter).await?;
    if format.is_csv() {
        return Ok(csv_download("devices.csv", move |page| {
            let (db, query) = (db.clone(), query.clone());
            async move {
                Ok(devices::list_devices(&db, query, page)
                    .await?
                    .map(DeviceCsvRow::from))
            }
        }));
    }
    let page = devices::list_devices(&db, query, request).await?;
    Ok(json_page(&page.map(DeviceView::from)))
}

#[utoipa::path(get, path = "/devices/{id}", tag = "devices", responses((status = 200, body = DeviceView)))]
async fn get_device(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DeviceView>> {
    Ok(Json(devices::get_device(&db, &caller, id).await?))
}

/// Corrects a device's facts; the status moves only through the lifecycle actions.
#[utoipa::path(patch, path = "/devices/{id}", tag = "devices", request_body = DevicePatch,
    responses((status = 200, body = DeviceView)))]
async fn update_device(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<DevicePatch>,
) -> AppResult<Json<DeviceView>> {
    let device = devices::update_device(&db, &caller, id, patch).await?;
    Ok(Json(device))
}

#[derive(Serialize, ToSchema)]
pub struct History {
    pub items: Vec<HistoryItem>,
}

/// Every step of the device's life, oldest first.
#[utoipa::path(get, path = "/devices/{id}/history", tag = "devices", responses((status = 200, body = History)))]
async fn device_history(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<History>> {
    let (_, items) = devices::device_history(&db, &caller, id).await?;
    Ok(Json(History { items }))
}

async fn act(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    action: DeviceAction,
    change: DeviceChange,
) -> AppResult<Json<DeviceView>> {
    Ok(Json(
        devices::apply_action(db, caller, id, action, change).await?,
    ))
}

/// `ordered -> in_stock`: the device has arrived.
#[utoipa::path(post, path = "/devices/{id}/receive", tag = "devices", responses((status = 200, body = DeviceView)))]
async fn receive(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DeviceView>> {
    act(&db, &caller, id, DeviceAction::Receive, DeviceChange::None).await
}

/// `in_stock -> assigned`: to one employee, or to one unit (a shared ward device).
#[utoipa::path(post, path = "/devices/{id}/assign", tag = "devices", request_body = AssignDevice,
    responses((status = 200, body = DeviceView)))]
async fn assign(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(target): ApiJson<AssignDevice>,
) -> AppResult<Json<DeviceView>> {
    act(
        &db,
        &caller,
        id,
        DeviceAction::Assign,
        DeviceChange::Assign(target),
    )
    .await
}

/// `assigned -> in_stock`: handed back.
#[utoipa::path(post, path = "/devices/{id}/unassign", tag = "devices", responses((status = 200, body = DeviceView)))]
async fn unassign(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DeviceView>> {
    act(&db, &caller, id, DeviceAction::Unassign, DeviceChange::None).await
}

/// `in_stock|assigned -> in_repair`, optionally with what is wrong, who repairs it and
/// their case number (shown as `repair` until the next repair).
#[utoipa::path(post, path = "/devices/{id}/send-to-repair", tag = "devices",
    request_body(content = Option<RepairDetails>, description = "optional"),
    responses((status = 200, body = DeviceView)))]
async fn send_to_repair(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    body: Option<ApiJson<RepairDetails>>,
) -> AppResult<Json<DeviceView>> {
    let details = body.map(|ApiJson(d)| d).unwrap_or_default();
    act(
        &db,
        &caller,
        id,
        DeviceAction::SendToRepair,
        DeviceChange::Repair(details),
    )
    .await
}

/// `in_repair -> in_stock`.
#[utoipa::path(post, path = "/devices/{id}/return-from-repair", tag = "devices", responses((status = 200, body = DeviceView)))]
async fn return_from_repair(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
) -> AppResult<Json<DeviceView>> {
    act(
        &db,
        &caller,
        id,
        DeviceAction::ReturnFromRepair,
        DeviceChange::None,
    )
    .await
}

/// Any status but retired `-> retired`, with a reason. Final.
#[utoipa::path(post, path = "/devices/{id}/retire", tag = "devices", request_body = RetireDevice,
    responses((status = 200, body = DeviceView)))]
async fn retire(
    State(db): State<DatabaseConnection>,
    caller: Caller,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<RetireDevice>,
) -> AppResult<Json<DeviceView>> {
    act(
        &db,
        &caller,
        id,
        DeviceAction::Retire,
        DeviceChange::Retire(body.reason),
    )
    .await
}
