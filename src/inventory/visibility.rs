//! Which inventory a manager sees: what belongs to, or is held in, their units.
//!
//! A device is linked to a unit when the unit is responsible for it, when it is assigned
//! to the unit (a shared ward phone), or when it is assigned to one of the unit's
//! employees. A subscription is linked through its employee or its device.
use std::collections::HashSet;

use entities::{device, employee, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::Query,
};
use uuid::Uuid;

use crate::{auth::UnitScope, error::AppResult};

/// The ids of the employees of `units`, read first so that the device query below is a
/// union of three indexed `IN` lists. A subquery in its place made the planner scan every
/// device of the tenant for each page (BENCHMARKS.md).
async fn employees_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    units: &HashSet<Uuid>,
) -> AppResult<Vec<Uuid>> {
    Ok(employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .filter(employee::Column::UnitId.is_in(units.iter().copied()))
        .into_tuple()
        .all(db)
        .await?)
}

fn devices_linked(units: &HashSet<Uuid>, employees: &[Uuid]) -> Condition {
    Condition::any()
        .add(device::Column::UnitId.is_in(units.iter().copied()))
        .add(device::Column::AssignedUnitId.is_in(units.iter().copied()))
        .add(device::Column::AssignedEmployeeId.is_in(employees.iter().copied()))
}

/// Devices linked to any of `units`.
pub async fn devices_linked_to<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    units: &HashSet<Uuid>,
) -> AppResult<Condition> {
    let employees = employees_of(db, tenant_id, units).await?;
    Ok(devices_linked(units, &employees))
}

/// Subscriptions linked to any of `units`.
pub async fn subscriptions_linked_to<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    units: &HashSet<Uuid>,
) -> AppResult<Condition> {
    let employees = employees_of(db, tenant_id, units).await?;
    let devices = Query::select()
        .column(device::Column::Id)
        .from(device::Entity)
        .and_where(device::Column::TenantId.eq(tenant_id))
        .cond_where(devices_linked(units, &employees))
        .to_owned();
    Ok(Condition::any()
        .add(subscription::Column::EmployeeId.is_in(employees))
        .add(subscription::Column::DeviceId.in_subquery(devices)))
}

async fn employee_unit<C: ConnectionTrait>(db: &C, employee_id: Uuid) -> AppResult<Option<Uuid>> {
    Ok(employee::Entity::find_by_id(employee_id)
        .select_only()
        .column(employee::Column::UnitId)
        .into_tuple()
        .one(db)
        .await?)
}

/// Whether the caller's scope reaches this device.
pub async fn device_visible<C: ConnectionTrait>(
    db: &C,
    scope: &UnitScope,
    device: &device::Model,
) -> AppResult<bool> {
    let UnitScope::Units(units) = scope else {
        return Ok(true);
    };
    let direct = [device.unit_id, device.assigned_unit_id]
        .into_iter()
        .flatten()
        .any(|u| units.contains(&u));
    if direct {
        return Ok(true);
    }
    match device.assigned_employee_id {
        Some(employee_id) => Ok(employee_unit(db, employee_id)
            .await?
            .is_some_and(|u| units.contains(&u))),
        None => Ok(false),
    }
}

/// Whether the caller's scope reaches this subscription.
pub async fn subscription_visible<C: ConnectionTrait>(
    db: &C,
    scope: &UnitScope,
    subscription: &subscription::Model,
) -> AppResult<bool> {
    let UnitScope::Units(units) = scope else {
        return Ok(true);
    };
    if let Some(employee_id) = subscription.employee_id
        && employee_unit(db, employee_id)
            .await?
            .is_some_and(|u| units.contains(&u))
    {
        return Ok(true);
    }
    if let Some(device_id) = subscription.device_id
        && let Some(device) = device::Entity::find_by_id(device_id).one(db).await?
    {
        return device_visible(db, scope, &device).await;
    }
    Ok(false)
}
