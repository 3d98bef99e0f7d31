//! Changes of working time, as domain operations: each checks that its caller may make
//! it, writes it, and plans again — in the same transaction — the deliveries still
//! waiting for the people it touches (a shift swapped away must not trigger a push at
//! its old start). The API and the console both call these.
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use super::{
    absences::{self, AbsenceView, NewAbsence},
    focus::{self, Focus},
    hours::{self, HoursInput, OwnHours, Owner},
    policy::{self, Policy},
    shifts::{self, NewShifts, ShiftView},
};
use crate::{
    audit::Actor,
    auth::{Access, AccessRole, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult},
    notices::replan::{Affected, replan},
    org::employees::{self, EmployeePatch, EmployeeView},
};

/// The one shape of every change here: checks that the caller may change `resource`,
/// makes the change, and re-plans whom it says it touched, in one transaction.
async fn change_and_replan<T>(
    db: &DatabaseConnection,
    caller: &Caller,
    resource: Resource,
    now: DateTime<Utc>,
    change: impl AsyncFnOnce(&DatabaseTransaction, &Actor) -> AppResult<(T, Affected)>,
) -> AppResult<T> {
    write_as(db, caller, resource, async |txn, actor| {
        let (changed, affected) = change(txn, actor).await?;
        replan(txn, caller.tenant_id, affected, now).await?;
        Ok(changed)
    })
    .await
}

/// Replaces the tenant's policy and re-plans everyone's waiting deliveries.
pub async fn put_policy(
    db: &DatabaseConnection,
    caller: &Caller,
    input: Policy,
    now: DateTime<Utc>,
) -> AppResult<Policy> {
    change_and_replan(db, caller, Resource::Policy, now, async |txn, actor| {
        Ok((
            policy::put_policy(txn, actor, input).await?,
            Affected::Tenant,
        ))
    })
    .await
}

/// Adds Sweden's public holidays of `year` and re-plans.
pub async fn add_swedish_holidays(
    db: &DatabaseConnection,
    caller: &Caller,
    year: i32,
    now: DateTime<Utc>,
) -> AppResult<Policy> {
    change_and_replan(db, caller, Resource::Policy, now, async |txn, actor| {
        let policy = policy::add_swedish_holidays(txn, actor, year).await?;
        Ok((policy, Affected::Tenant))
    })
    .await
}

/// Adds (`off`) or removes one holiday and re-plans.
pub async fn set_holiday(
    db: &DatabaseConnection,
    caller: &Caller,
    date: NaiveDate,
    off: bool,
    now: DateTime<Utc>,
) -> AppResult<Policy> {
    change_and_replan(db, caller, Resource::Policy, now, async |txn, actor| {
        let policy = policy::set_holiday(txn, actor, date, off).await?;
        Ok((policy, Affected::Tenant))
    })
    .await
}

/// The tenant's policy, for those who keep it.
pub async fn get_policy(db: &DatabaseConnection, caller: &Caller) -> AppResult<Policy> {
    caller.may(Resource::Policy, Access::Read)?;
    policy::get_policy(db, caller.tenant_id).await
}

/// A unit's or an employee's own hours (`None`: inherited).
pub async fn get_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    owner: Owner,
) -> AppResult<Option<OwnHours>> {
    caller.may(Resource::WorkingHours, Access::Read)?;
    // Only a unit or a person the caller may see (a manager: their own units').
    match owner {
        Owner::Unit(id) => {
            crate::org::units::get_unit(db, caller, id).await?;
        }
        Owner::Employee(id) => {
            employees::visible(db, caller, id).await?;
        }
    }
    hours::get_hours(db, caller.tenant_id, owner).await
}

/// Sets (`Some`) or clears a unit's or an employee's own hours and re-plans whom it
/// touches: a unit's hours reach everyone below it, so the whole tenant is planned again.
pub async fn set_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    owner: Owner,
    input: Option<HoursInput>,
    now: DateTime<Utc>,
) -> AppResult<Option<OwnHours>> {
    may_set_hours(db, caller, owner).await?;
    let affected = match owner {
        Owner::Unit(_) => Affected::Tenant,
        Owner::Employee(id) => Affected::Employees(vec![id]),
    };
    let actor = caller.actor();
    crate::db::write(db, async |txn| {
        let set = hours::set_hours(txn, &actor, owner, input).await?;
        replan(txn, caller.tenant_id, affected, now).await?;
        Ok(set)
    })
    .await
}

/// Whether the caller may set `owner`'s hours: an admin anyone's; a manager those of
/// their units and their people, when the organisation's policy lets managers
/// (`managers_edit_hours`); no one else.
pub async fn may_set_hours(
    db: &DatabaseConnection,
    caller: &Caller,
    owner: Owner,
) -> AppResult<()> {
    let Err(refused) = caller.may(Resource::WorkingHours, Access::Write) else {
        return Ok(());
    };
    if caller.role != AccessRole::Manager {
        return Err(refused);
    }
    if !policy::get_policy(db, caller.tenant_id)
        .await?
        .managers_edit_hours
    {
        return Err(AppError::Forbidden(
            "only admins change working hours in this organisation".to_owned(),
        ));
    }
    // Only their own units (with subtrees) and people: others are not found.
    match owner {
        Owner::Unit(id) => {
            crate::org::units::get_unit(db, caller, id).await?;
        }
        Owner::Employee(id) => {
            employees::visible(db, caller, id).await?;
        }
    }
    Ok(())
}

/// Changes an employee and re-plans what waits for them: a move to another unit, a new
/// zone or schedule mode changes their working time.
pub async fn update_employee(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: EmployeePatch,
    now: DateTime<Utc>,
) -> AppResult<EmployeeView> {
    change_and_replan(db, caller, Resource::Employees, now, async |txn, actor| {
        let employee = employees::update_employee(txn, actor, id, patch).await?;
        Ok((employee, Affected::Employees(vec![id])))
    })
    .await
}

/// Adds an employee's shifts; an overlapping or reversed one is refused and none added.
pub async fn add_shifts(
    db: &DatabaseConnection,
    caller: &Caller,
    employee_id: Uuid,
    input: NewShifts,
    now: DateTime<Utc>,
) -> AppResult<Vec<ShiftView>> {
    change_and_replan(db, caller, Resource::Shifts, now, async |txn, actor| {
        let added = shifts::add_shifts(txn, actor, employee_id, input).await?;
        Ok((added, Affected::Employees(vec![employee_id])))
    })
    .await
}

pub async fn delete_shift(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    change_and_replan(db, caller, Resource::Shifts, now, async |txn, actor| {
        let employee_id = shifts::delete_shift(txn, actor, id).await?;
        Ok(((), Affected::Employees(vec![employee_id])))
    })
    .await
}

/// An employee's shifts in `range`, for those who may see the employee.
pub async fn list_shifts(
    db: &DatabaseConnection,
    caller: &Caller,
    employee_id: Uuid,
    range: &shifts::ShiftRange,
) -> AppResult<Vec<ShiftView>> {
    caller.may(Resource::Shifts, Access::Read)?;
    employees::visible(db, caller, employee_id).await?;
    shifts::list_shifts(db, caller.tenant_id, employee_id, range).await
}

pub async fn add_absence(
    db: &DatabaseConnection,
    caller: &Caller,
    employee_id: Uuid,
    input: NewAbsence,
    now: DateTime<Utc>,
) -> AppResult<AbsenceView> {
    change_and_replan(db, caller, Resource::Absences, now, async |txn, actor| {
        let absence = absences::add_absence(txn, actor, employee_id, input).await?;
        Ok((absence, Affected::Employees(vec![employee_id])))
    })
    .await
}

pub async fn delete_absence(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    change_and_replan(db, caller, Resource::Absences, now, async |txn, actor| {
        let employee_id = absences::delete_absence(txn, actor, id).await?;
        Ok(((), Affected::Employees(vec![employee_id])))
    })
    .await
}

/// An employee's absences, for those who may see the employee.
pub async fn list_absences(
    db: &DatabaseConnection,
    caller: &Caller,
    employee_id: Uuid,
) -> AppResult<Vec<AbsenceView>> {
    caller.may(Resource::Absences, Access::Read)?;
    employees::visible(db, caller, employee_id).await?;
    absences::list_absences(db, caller.tenant_id, employee_id).await
}

/// Sets (`Some`) or ends (`None`) the caller's own focus time ("in a patient meeting")
/// and re-plans what waits for them.
pub async fn change_focus(
    db: &DatabaseConnection,
    caller: &Caller,
    focus: Option<Focus>,
    now: DateTime<Utc>,
) -> AppResult<Option<Focus>> {
    let employee_id = caller.own_employee(Access::Write)?;
    change_and_replan(db, caller, Resource::OwnWorkday, now, async |txn, actor| {
        let focus = focus::set_focus(txn, actor, employee_id, focus, now).await?;
        Ok((focus, Affected::Employees(vec![employee_id])))
    })
    .await
}
