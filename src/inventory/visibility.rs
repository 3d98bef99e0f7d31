//! Which inventory a manager sees: what belongs to, or is held in, their units.
//!
//! A device is linked to a unit when the unit is responsible for it, when it is assigned
//! to the unit (a shared ward phone), or when it is assigned to one of the unit's
//! employees. A subscription is linked through its employee or its device.
use std::collections::{HashMap, HashSet};

use entities::{device, device_unit, employee, subscription, unit};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set,
    sea_query::Query,
};
use uuid::Uuid;

use crate::{auth::UnitScope, error::AppResult};

/// The ids of the employees of `units`.
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

/// The devices linked to any of `units` (or their subunits), from `device_units`.
fn device_ids_linked(
    tenant_id: Uuid,
    units: &HashSet<Uuid>,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(device_unit::Column::DeviceId)
        .from(device_unit::Entity)
        .and_where(device_unit::Column::TenantId.eq(tenant_id))
        .and_where(device_unit::Column::UnitId.is_in(units.iter().copied()))
        .to_owned()
}

/// Devices linked to any of `units`.
pub fn devices_linked_to(tenant_id: Uuid, units: &HashSet<Uuid>) -> Condition {
    Condition::all().add(device::Column::Id.in_subquery(device_ids_linked(tenant_id, units)))
}

/// Subscriptions linked to any of `units`: through their employee or their device.
pub async fn subscriptions_linked_to<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    units: &HashSet<Uuid>,
) -> AppResult<Condition> {
    let employees = employees_of(db, tenant_id, units).await?;
    Ok(Condition::any()
        .add(subscription::Column::EmployeeId.is_in(employees))
        .add(subscription::Column::DeviceId.in_subquery(device_ids_linked(tenant_id, units))))
}

/// Rewrites the `device_units` rows of these devices: each is linked to its responsible
/// unit, the unit it is assigned to, and its holder's unit, and to all their ancestors.
/// Call it in the transaction of every write that can change one of those.
pub async fn refresh_device_units<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    device_ids: &[Uuid],
) -> AppResult<()> {
    if device_ids.is_empty() {
        return Ok(());
    }
    let parents: HashMap<Uuid, Option<Uuid>> = unit::Entity::find()
        .select_only()
        .column(unit::Column::Id)
        .column(unit::Column::ParentId)
        .filter(unit::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, Option<Uuid>)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for chunk in device_ids.chunks(500) {
        // (device, responsible unit, assigned unit, holder)
        type Links = (Uuid, Option<Uuid>, Option<Uuid>, Option<Uuid>);
        let devices: Vec<Links> = device::Entity::find()
            .select_only()
            .column(device::Column::Id)
            .column(device::Column::UnitId)
            .column(device::Column::AssignedUnitId)
            .column(device::Column::AssignedEmployeeId)
            .filter(device::Column::TenantId.eq(tenant_id))
            .filter(device::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        let holders: Vec<Uuid> = devices.iter().filter_map(|d| d.3).collect();
        let holder_units: HashMap<Uuid, Uuid> = employee::Entity::find()
            .select_only()
            .column(employee::Column::Id)
            .column(employee::Column::UnitId)
            .filter(employee::Column::Id.is_in(holders))
            .into_tuple::<(Uuid, Uuid)>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        device_unit::Entity::delete_many()
            .filter(device_unit::Column::DeviceId.is_in(chunk.iter().copied()))
            .exec(db)
            .await?;
        let mut rows = Vec::new();
        for (id, responsible, assigned_unit, holder) in devices {
            let mut linked = HashSet::new();
            let starts = [
                responsible,
                assigned_unit,
                holder.and_then(|h| holder_units.get(&h).copied()),
            ];
            for start in starts.into_iter().flatten() {
                let mut cursor = Some(start);
                // The tree has no loops (updates refuse them); the bound only guards.
                while let Some(unit) = cursor.filter(|_| linked.len() <= parents.len()) {
                    if !linked.insert(unit) {
                        break;
                    }
                    cursor = parents.get(&unit).copied().flatten();
                }
            }
            rows.extend(linked.into_iter().map(|unit_id| device_unit::ActiveModel {
                tenant_id: Set(tenant_id),
                unit_id: Set(unit_id),
                device_id: Set(id),
            }));
        }
        for rows in rows.chunks(1_000) {
            device_unit::Entity::insert_many(rows.to_vec())
                .exec_without_returning(db)
                .await?;
        }
    }
    Ok(())
}

/// Refreshes every device of the tenant (after a unit moves in the tree: rare).
pub async fn refresh_all_device_units<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<()> {
    let ids: Vec<Uuid> = device::Entity::find()
        .select_only()
        .column(device::Column::Id)
        .filter(device::Column::TenantId.eq(tenant_id))
        .into_tuple()
        .all(db)
        .await?;
    refresh_device_units(db, tenant_id, &ids).await
}

/// Refreshes the devices an employee holds (after they move to another unit).
pub async fn refresh_held_by<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<()> {
    let ids: Vec<Uuid> = device::Entity::find()
        .select_only()
        .column(device::Column::Id)
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::AssignedEmployeeId.eq(employee_id))
        .into_tuple()
        .all(db)
        .await?;
    refresh_device_units(db, tenant_id, &ids).await
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
