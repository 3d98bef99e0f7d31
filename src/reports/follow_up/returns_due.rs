//! What must come back when people leave.
use std::collections::HashMap;

use chrono::{Duration, NaiveDate};
use entities::{device, employee, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Person, employees_where, people};
use crate::reports::table::{Cell, Table, names};
use crate::{auth::UnitScope, error::AppResult};

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnRow {
    pub employee_id: Uuid,
    pub employee_name: String,
    /// `temporary` or `hired` (from a staffing agency), or `permanent`.
    pub employment_type: String,
    pub employment_ends_on: NaiveDate,
    /// The end has passed and this is still out.
    pub overdue: bool,
    pub device_id: Option<Uuid>,
    pub serial_number: Option<String>,
    pub subscription_id: Option<Uuid>,
    pub msisdn: Option<String>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReturnsDue {
    pub days: i64,
    pub rows: Vec<ReturnRow>,
}

/// What a person who leaves hands back, besides who holds it: the organisation's
/// devices assigned to them (their own phones stay theirs)...
fn devices_to_return(tenant_id: Uuid) -> Condition {
    Condition::all()
        .add(device::Column::TenantId.eq(tenant_id))
        .add(device::Column::Status.eq(entities::vocab::DeviceStatus::Assigned))
        .add(device::Column::Ownership.eq(entities::vocab::Ownership::Organization))
}

/// ...and their subscriptions not yet terminated. The rows and the dashboard's count
/// both use these.
fn subscriptions_to_return(tenant_id: Uuid) -> Condition {
    Condition::all()
        .add(subscription::Column::TenantId.eq(tenant_id))
        .add(subscription::Column::Status.ne(entities::vocab::SubscriptionStatus::Terminated))
}

type Held = (Uuid, Option<(Uuid, String)>, Option<(Uuid, String)>);

/// Devices and subscriptions held by people whose employment ends within `days` (or
/// has ended), soonest first: one row per thing to take back.
pub async fn returns_due<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    days: i64,
    today: NaiveDate,
) -> AppResult<ReturnsDue> {
    let people = people(db, tenant_id).await?;
    let until = today + Duration::days(days);
    let leaving: HashMap<Uuid, &Person> = people
        .iter()
        .filter(|(_, p)| p.ends_on.is_some_and(|e| e <= until) && scope.contains(p.unit_id))
        .map(|(id, p)| (*id, p))
        .collect();
    let mut rows = Vec::new();
    if leaving.is_empty() {
        return Ok(ReturnsDue { days, rows });
    }
    let ids: Vec<Uuid> = leaving.keys().copied().collect();
    // (holder, device id and serial, subscription id and number)
    let mut held: Vec<Held> = Vec::new();
    for chunk in ids.chunks(1_000) {
        for (id, serial, holder) in device::Entity::find()
            .select_only()
            .columns([
                device::Column::Id,
                device::Column::SerialNumber,
                device::Column::AssignedEmployeeId,
            ])
            .filter(devices_to_return(tenant_id))
            .filter(device::Column::AssignedEmployeeId.is_in(chunk.iter().copied()))
            .into_tuple::<(Uuid, String, Uuid)>()
            .all(db)
            .await?
        {
            held.push((holder, Some((id, serial)), None));
        }
        for (id, msisdn, holder) in subscription::Entity::find()
            .select_only()
            .columns([
                subscription::Column::Id,
                subscription::Column::Msisdn,
                subscription::Column::EmployeeId,
            ])
            .filter(subscriptions_to_return(tenant_id))
            .filter(subscription::Column::EmployeeId.is_in(chunk.iter().copied()))
            .into_tuple::<(Uuid, String, Uuid)>()
            .all(db)
            .await?
        {
            held.push((holder, None, Some((id, msisdn))));
        }
    }
    for (holder, device, subscription) in held {
        let p = leaving[&holder];
        let ends = p.ends_on.expect("leaving people have an end date");
        rows.push(ReturnRow {
            employee_id: holder,
            employee_name: p.name.clone(),
            employment_type: p.employment_type.clone(),
            employment_ends_on: ends,
            overdue: ends < today,
            device_id: device.as_ref().map(|d| d.0),
            serial_number: device.map(|d| d.1),
            subscription_id: subscription.as_ref().map(|s| s.0),
            msisdn: subscription.map(|s| s.1),
        });
    }
    rows.sort_by(|a, b| {
        (
            a.employment_ends_on,
            &a.employee_name,
            a.employee_id,
            a.device_id.is_none(),
        )
            .cmp(&(
                b.employment_ends_on,
                &b.employee_name,
                b.employee_id,
                b.device_id.is_none(),
            ))
    });
    Ok(ReturnsDue { days, rows })
}

impl ReturnsDue {
    pub fn table(&self) -> Table {
        Table {
            sheet: "Återlämning",
            columns: names(&[
                "employee_id",
                "employee_name",
                "employment_type",
                "employment_ends_on",
                "overdue",
                "device_id",
                "serial_number",
                "subscription_id",
                "msisdn",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Id(Some(r.employee_id)),
                        Cell::Text(r.employee_name.clone()),
                        Cell::Text(r.employment_type.clone()),
                        Cell::Date(Some(r.employment_ends_on)),
                        Cell::Text(if r.overdue { "ja" } else { "nej" }.to_owned()),
                        Cell::Id(r.device_id),
                        Cell::Text(r.serial_number.clone().unwrap_or_default()),
                        Cell::Id(r.subscription_id),
                        Cell::Text(r.msisdn.clone().unwrap_or_default()),
                    ]
                })
                .collect(),
        }
    }
}

/// How many rows [`returns_due`] has for the whole tenant, counted in the database (for
/// the dashboard): organisation devices assigned to, and subscriptions not terminated
/// of, people whose employment ends within `days` or has ended.
pub async fn returns_due_count<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    days: i64,
    today: NaiveDate,
) -> AppResult<u64> {
    let until = today + Duration::days(days);
    let leaving = || {
        employees_where(
            tenant_id,
            Condition::all().add(employee::Column::EmploymentEndsOn.lte(until)),
        )
    };
    let devices = device::Entity::find()
        .filter(devices_to_return(tenant_id))
        .filter(device::Column::AssignedEmployeeId.in_subquery(leaving()))
        .count(db)
        .await?;
    let subscriptions = subscription::Entity::find()
        .filter(subscriptions_to_return(tenant_id))
        .filter(subscription::Column::EmployeeId.in_subquery(leaving()))
        .count(db)
        .await?;
    Ok(devices + subscriptions)
}
