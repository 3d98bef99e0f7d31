//! Which inventory a manager sees: what belongs to, or is held in, their units.
//!
//! A device is linked to a unit when the unit is responsible for it, when it is assigned
//! to the unit (a shared ward phone), or when it is assigned to one of the unit's
//! employees. A subscription is linked through its employee or its device.
use std::collections::HashSet;

use entities::{device, employee, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QuerySelect,
    sea_query::{Query, SelectStatement},
};
use uuid::Uuid;

use crate::{auth::UnitScope, error::AppResult};

fn employees_of(units: &HashSet<Uuid>) -> SelectStatement {
    Query::select()
        .column(employee::Column::Id)
        .from(employee::Entity)
        .and_where(employee::Column::UnitId.is_in(units.iter().copied()))
        .to_owned()
}

/// Devices linked to any of `units`.
pub fn devices_linked_to(units: &HashSet<Uuid>) -> Condition {
    Condition::any()
        .add(device::Column::UnitId.is_in(units.iter().copied()))
        .add(device::Column::AssignedUnitId.is_in(units.iter().copied()))
        .add(device::Column::AssignedEmployeeId.in_subquery(employees_of(units)))
}

/// Subscriptions linked to any of `units`.
pub fn subscriptions_linked_to(units: &HashSet<Uuid>) -> Condition {
    let devices = Query::select()
        .column(device::Column::Id)
        .from(device::Entity)
        .cond_where(devices_linked_to(units))
        .to_owned();
    Condition::any()
        .add(subscription::Column::EmployeeId.in_subquery(employees_of(units)))
        .add(subscription::Column::DeviceId.in_subquery(devices))
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
