//! `/api/v1/me`: what an employee's token reaches — themselves.
use axum::{Json, extract::State};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    app::AppState,
    auth::{Caller, UnitScope},
    error::AppResult,
    inventory::{devices::DeviceView, subscriptions::SubscriptionView},
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
    let id = caller.own_employee_id()?;
    Ok(Json(
        employees::get_employee(&db, caller.tenant_id, &UnitScope::Tenant, id).await?,
    ))
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
    use entities::device;
    let id = caller.own_employee_id()?;
    let items = device::Entity::find()
        .filter(device::Column::TenantId.eq(caller.tenant_id))
        .filter(device::Column::AssignedEmployeeId.eq(id))
        .order_by_asc(device::Column::Id)
        .all(&db)
        .await?;
    Ok(Json(MyDevices {
        items: items.into_iter().map(DeviceView::from).collect(),
    }))
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
    use entities::subscription;
    let id = caller.own_employee_id()?;
    let items = subscription::Entity::find()
        .filter(subscription::Column::TenantId.eq(caller.tenant_id))
        .filter(subscription::Column::EmployeeId.eq(id))
        .filter(subscription::Column::Status.ne("terminated"))
        .order_by_asc(subscription::Column::Id)
        .all(&db)
        .await?;
    Ok(Json(MySubscriptions {
        items: items.into_iter().map(SubscriptionView::from).collect(),
    }))
}
