//! Who manages which unit: employees named on the unit, by an admin or by the
//! directory. Someone signed in through the identity provider manages those units and
//! their subunits; this, not a token's list, is where their manager's pages come from.
use std::collections::HashMap;

use chrono::Utc;
use entities::{employee, unit_manager};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult, FieldError};

/// Each unit's managers, for the units asked about (units without any are left out).
pub async fn managers_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    unit_ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Uuid>>> {
    let mut managers: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    if unit_ids.is_empty() {
        return Ok(managers);
    }
    let rows: Vec<(Uuid, Uuid)> = unit_manager::Entity::find()
        .select_only()
        .columns([
            unit_manager::Column::UnitId,
            unit_manager::Column::EmployeeId,
        ])
        .filter(unit_manager::Column::TenantId.eq(tenant_id))
        .filter(unit_manager::Column::UnitId.is_in(unit_ids.iter().copied()))
        .order_by_asc(unit_manager::Column::EmployeeId)
        .into_tuple()
        .all(db)
        .await?;
    for (unit, employee) in rows {
        managers.entry(unit).or_default().push(employee);
    }
    Ok(managers)
}

/// The units an employee manages (directly; their subunits follow from the tree).
pub async fn units_managed_by<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    Ok(unit_manager::Entity::find()
        .select_only()
        .column(unit_manager::Column::UnitId)
        .filter(unit_manager::Column::TenantId.eq(tenant_id))
        .filter(unit_manager::Column::EmployeeId.eq(employee_id))
        .order_by_asc(unit_manager::Column::UnitId)
        .into_tuple()
        .all(db)
        .await?)
}

/// Makes `employee_ids` the unit's managers, no more and no fewer. Every one must be
/// an employee of the tenant; the caller has checked the unit and records the audit.
pub async fn set_managers<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    unit_id: Uuid,
    employee_ids: &[Uuid],
) -> AppResult<()> {
    let mut wanted = employee_ids.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let found = employee::Entity::find()
        .filter(employee::Column::TenantId.eq(tenant_id))
        .filter(employee::Column::Id.is_in(wanted.iter().copied()))
        .count(db)
        .await?;
    if found != wanted.len() as u64 {
        return Err(AppError::Invalid(vec![FieldError::new(
            "manager_ids",
            "names someone who is not an employee here",
        )]));
    }
    unit_manager::Entity::delete_many()
        .filter(unit_manager::Column::TenantId.eq(tenant_id))
        .filter(unit_manager::Column::UnitId.eq(unit_id))
        .exec(db)
        .await?;
    if wanted.is_empty() {
        return Ok(());
    }
    let now = Utc::now();
    unit_manager::Entity::insert_many(wanted.into_iter().map(|employee_id| {
        unit_manager::ActiveModel {
            tenant_id: Set(tenant_id),
            unit_id: Set(unit_id),
            employee_id: Set(employee_id),
            created_at: Set(now),
        }
    }))
    .exec_without_returning(db)
    .await?;
    Ok(())
}
