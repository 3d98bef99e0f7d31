//! A lifecycle step on one device: the transition checked, the assignment kept in step,
//! the phone apps on it unlinked from people who no longer hold it, the step audited.
use chrono::Utc;
use entities::device;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::{AssignDevice, DeviceView, RepairDetails, RetireReason, records::find_in_tenant};
use crate::inventory::{
    lifecycle::{Action, DeviceAction, DeviceStatus, transition},
    visibility::refresh_device_units,
};
use crate::{
    audit::{self, Actor},
    auth::{Access, Caller, Resource},
    db::write,
    error::{AppError, AppResult},
    org::{KnownIds, employees},
};

/// What a lifecycle action carries besides its name.
#[derive(Clone, Debug)]
pub enum DeviceChange {
    None,
    Assign(AssignDevice),
    Retire(RetireReason),
    /// Replaces the last repair's details (all absent: none known).
    Repair(RepairDetails),
}

/// Applies one lifecycle action: checks the transition, then updates the device and
/// records the step in the audit trail (which is the device's history).
/// Moves a device through its lifecycle, for those who may change devices.
pub async fn apply_action(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    action: DeviceAction,
    change: DeviceChange,
) -> AppResult<DeviceView> {
    caller.may(Resource::Devices, Access::Write)?;
    write(db, async |txn| {
        act(txn, &caller.actor(), id, action, change).await
    })
    .await
}

pub(super) async fn act<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    action: DeviceAction,
    change: DeviceChange,
) -> AppResult<DeviceView> {
    let current = find_in_tenant(db, actor.tenant_id, id).await?;
    let from = current.status;
    let to = transition(from, action)?;
    let before = DeviceView::from(current.clone());
    let mut active: device::ActiveModel = current.into();
    active.status = Set(to);
    if to != DeviceStatus::Assigned {
        // Stock, repair and retirement all end an assignment; the history keeps who had it.
        active.assigned_employee_id = Set(None);
        active.assigned_unit_id = Set(None);
    }
    if action == DeviceAction::SendToRepair {
        // A new repair: the last one's details no longer describe it.
        active.repair_reason = Set(None);
        active.repair_vendor = Set(None);
        active.repair_ticket = Set(None);
    }
    match change {
        DeviceChange::Assign(target) => {
            let (employee_id, unit_id) = check_assignee(db, actor.tenant_id, target).await?;
            active.assigned_employee_id = Set(employee_id);
            active.assigned_unit_id = Set(unit_id);
        }
        DeviceChange::Retire(reason) => {
            active.retired_reason = Set(Some(reason));
        }
        DeviceChange::Repair(details) => {
            let details = details.checked()?;
            active.repair_reason = Set(details.reason);
            active.repair_vendor = Set(details.vendor);
            active.repair_ticket = Set(details.ticket);
        }
        DeviceChange::None => {}
    }
    active.updated_at = Set(Utc::now());
    let view = DeviceView::from(active.update(db).await?);
    refresh_device_units(db, actor.tenant_id, &[id]).await?;
    unlink_registrations(
        db,
        id,
        view.assigned_to.as_ref().and_then(|a| a.employee_id),
    )
    .await?;
    audit::record(
        db,
        actor,
        action.name(),
        "device",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// A phone app registered on this device by someone who no longer holds it counts as
/// their private phone from now on (it gets urgent pushes off hours only if they opted
/// in), and no longer as the device being in use.
async fn unlink_registrations<C: ConnectionTrait>(
    db: &C,
    device_id: Uuid,
    holder: Option<Uuid>,
) -> AppResult<()> {
    use entities::push_registration;
    let mut others = push_registration::Entity::update_many()
        .col_expr(
            push_registration::Column::DeviceId,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .filter(push_registration::Column::DeviceId.eq(device_id));
    if let Some(holder) = holder {
        others = others.filter(push_registration::Column::EmployeeId.ne(holder));
    }
    others.exec(db).await?;
    Ok(())
}

async fn check_assignee<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    target: AssignDevice,
) -> AppResult<(Option<Uuid>, Option<Uuid>)> {
    match (target.employee_id, target.unit_id) {
        (Some(employee_id), None) => {
            employees::find_in_tenant(db, tenant_id, employee_id)
                .await
                .map_err(|_| AppError::invalid("employee_id", "no such employee"))?;
            Ok((Some(employee_id), None))
        }
        (None, Some(unit_id)) => {
            let known = KnownIds::load(db, tenant_id).await?;
            let mut errors = Vec::new();
            known.check_unit("unit_id", Some(unit_id), &mut errors);
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            Ok((None, Some(unit_id)))
        }
        _ => Err(AppError::invalid(
            "employee_id",
            "give exactly one of employee_id and unit_id",
        )),
    }
}
