//! `/api/v1/me`: what an employee's token reaches — themselves.
use axum::{Json, extract::State};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::Caller,
    error::AppResult,
    inventory::{
        devices::{self, DeviceView},
        subscriptions::{self, SubscriptionView},
    },
    org::employees::{self, EmployeeView},
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(me))
        .routes(routes!(my_devices))
        .routes(routes!(my_subscriptions))
}

/// The employee this token speaks for.
#[utoipa::path(get, path = "/me", tag = "me", responses((status = 200, body = EmployeeView)))]
async fn me(State(db): State<DatabaseConnection>, caller: Caller) -> AppResult<Json<EmployeeView>> {
    Ok(Json(employees::own(&db, &caller).await?.into()))
}

#[derive(Serialize, ToSchema)]
pub struct MyDevices {
    pub items: Vec<DeviceView>,
}

/// The devices assigned to me.
#[utoipa::path(get, path = "/me/devices", tag = "me", responses((status = 200, body = MyDevices)))]
async fn my_devices(
    State(db): State<DatabaseConnection>,
    caller: Caller,
) -> AppResult<Json<MyDevices>> {
    let items = devices::held_by_me(&db, &caller).await?;
    Ok(Json(MyDevices { items }))
}

#[derive(Serialize, ToSchema)]
pub struct MySubscriptions {
    pub items: Vec<SubscriptionView>,
}

/// My numbers: the subscriptions tied to me.
#[utoipa::path(get, path = "/me/subscriptions", tag = "me", responses((status = 200, body = MySubscriptions)))]
async fn my_subscriptions(
    State(db): State<DatabaseConnection>,
    caller: Caller,
) -> AppResult<Json<MySubscriptions>> {
    let items = subscriptions::held_by_me(&db, &caller).await?;
    Ok(Json(MySubscriptions { items }))
}
