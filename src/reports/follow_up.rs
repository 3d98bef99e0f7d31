//! Follow-up after the roll-out: how well devices are used, which subscriptions cost
//! money for nothing, what must come back when people leave, and which shift workers
//! have no shifts on record.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{delivery, device, employee, push_registration, shift, subscription};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::table::{Cell, Table};
use crate::{
    auth::UnitScope,
    error::AppResult,
    money::{Money, div_round_half_up},
};

/// The tenant's unit names by id.
pub(super) use crate::org::units::unit_names;

struct Person {
    name: String,
    unit_id: Uuid,
    employment_type: String,
    ends_on: Option<NaiveDate>,
    shifts: bool,
}

async fn people<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<HashMap<Uuid, Person>> {
    Ok(employee::Entity::find()
        .select_only()
        .columns([
            employee::Column::Id,
            employee::Column::Name,
            employee::Column::UnitId,
            employee::Column::EmploymentType,
            employee::Column::EmploymentEndsOn,
            employee::Column::ScheduleMode,
        ])
        .filter(employee::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, String, Uuid, String, Option<NaiveDate>, String)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, name, unit_id, employment_type, ends_on, mode)| {
            (
                id,
                Person {
                    name,
                    unit_id,
                    employment_type,
                    ends_on,
                    shifts: mode == "shifts",
                },
            )
        })
        .collect())
}

// ---- utilization -----------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UtilizationRow {
    pub unit_id: Uuid,
    pub unit_name: String,
    /// Organization devices assigned to the unit's employees or to the unit.
    pub assigned_devices: u64,
    /// Of those, the ones a push registration was created or refreshed from in `days`.
    pub active_devices: u64,
    pub utilization_percent: f64,
    /// 12 x the monthly cost of active subscriptions linked to the assigned devices.
    pub annual_cost: Money,
    /// Null when no device is active.
    pub cost_per_active_device: Option<Money>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Utilization {
    pub days: i64,
    pub rows: Vec<UtilizationRow>,
}

pub async fn utilization<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<Utilization> {
    // Five independent reads of the whole tenant, run side by side: each takes its own
    // pooled connection, so the report waits for the slowest, not for their sum.
    let since = now - Duration::days(days);
    let devices = device::Entity::find()
        .select_only()
        .columns([
            device::Column::Id,
            device::Column::AssignedEmployeeId,
            device::Column::AssignedUnitId,
        ])
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::Ownership.eq("organization"))
        .filter(device::Column::Status.eq("assigned"))
        .into_tuple::<(Uuid, Option<Uuid>, Option<Uuid>)>()
        .all(db);
    let active = push_registration::Entity::find()
        .select_only()
        .column(push_registration::Column::DeviceId)
        .filter(push_registration::Column::TenantId.eq(tenant_id))
        .filter(push_registration::Column::DeviceId.is_not_null())
        .filter(push_registration::Column::LastSeenAt.gte(since))
        .into_tuple::<Uuid>()
        .all(db);
    let costs = subscription::Entity::find()
        .select_only()
        .columns([
            subscription::Column::DeviceId,
            subscription::Column::MonthlyCostOre,
        ])
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .filter(subscription::Column::Status.eq("active"))
        .filter(subscription::Column::DeviceId.is_not_null())
        .into_tuple::<(Uuid, i64)>()
        .all(db);
    let (unit_of, names, devices, active, costs) = tokio::try_join!(
        crate::org::employees::home_units(db, tenant_id),
        unit_names(db, tenant_id),
        async { Ok(devices.await?) },
        async { Ok(active.await?) },
        async { Ok(costs.await?) },
    )?;
    let active: HashSet<Uuid> = active.into_iter().collect();
    let mut monthly: HashMap<Uuid, i64> = HashMap::new();
    for (device_id, cost) in costs {
        *monthly.entry(device_id).or_default() += cost;
    }
    // unit -> (assigned, active, monthly cost)
    let mut by_unit: HashMap<Uuid, (u64, u64, i64)> = HashMap::new();
    for (id, holder, shared) in devices {
        let unit = holder.and_then(|e| unit_of.get(&e).copied()).or(shared);
        let Some(unit) = unit.filter(|u| scope.contains(*u)) else {
            continue;
        };
        let entry = by_unit.entry(unit).or_default();
        entry.0 += 1;
        entry.1 += u64::from(active.contains(&id));
        entry.2 += monthly.get(&id).copied().unwrap_or(0);
    }
    let mut rows: Vec<UtilizationRow> = by_unit
        .into_iter()
        .map(|(unit_id, (assigned, active, monthly))| {
            let annual = 12 * monthly;
            UtilizationRow {
                unit_id,
                unit_name: names.get(&unit_id).cloned().unwrap_or_default(),
                assigned_devices: assigned,
                active_devices: active,
                utilization_percent: (active as f64 * 1000.0 / assigned as f64).round() / 10.0,
                annual_cost: Money(annual),
                cost_per_active_device: (active > 0)
                    .then(|| Money(div_round_half_up(annual.into(), active.into()))),
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.unit_name, a.unit_id).cmp(&(&b.unit_name, b.unit_id)));
    Ok(Utilization { days, rows })
}

impl Utilization {
    pub fn table(&self) -> Table {
        Table {
            sheet: "Användning",
            columns: vec![
                "unit_id",
                "unit_name",
                "assigned_devices",
                "active_devices",
                "utilization_percent",
                "annual_cost",
                "cost_per_active_device",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Id(Some(r.unit_id)),
                        Cell::Text(r.unit_name.clone()),
                        Cell::Int(r.assigned_devices as i64),
                        Cell::Int(r.active_devices as i64),
                        Cell::Number(Some(r.utilization_percent)),
                        Cell::Money(Some(r.annual_cost.ore())),
                        Cell::Money(r.cost_per_active_device.map(Money::ore)),
                    ]
                })
                .collect(),
        }
    }
}

// ---- unused subscriptions ----------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnusedReason {
    /// Tied to no device and no employee.
    Unassigned,
    /// Its device is retired, in stock or in repair.
    DeviceNotInUse,
    /// Its employee's employment has ended.
    EmploymentEnded,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnusedRow {
    pub subscription_id: Uuid,
    pub msisdn: String,
    pub monthly_cost: Money,
    pub reason: UnusedReason,
    pub device_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnusedTotals {
    pub subscriptions: u64,
    pub monthly_cost: Money,
    /// 12 x their monthly costs.
    pub annual_saving: Money,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnusedSubscriptions {
    pub rows: Vec<UnusedRow>,
    pub totals: UnusedTotals,
}

/// Device statuses in which a subscription's device is not in use.
const IDLE_DEVICE: [&str; 3] = ["retired", "in_stock", "in_repair"];

/// Active subscriptions that cost money for nothing. Managers see those tied to their
/// units' people or devices; unassigned ones belong to no unit and only admins see them.
///
/// One query joins each active subscription to its device and person and keeps the
/// unused ones, so only they leave the database (loading the tenant's devices and people
/// to decide here took six times as long).
pub async fn unused_subscriptions<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    today: NaiveDate,
) -> AppResult<UnusedSubscriptions> {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query};
    let (s, d, e, h) = (
        Alias::new("s"),
        Alias::new("d"),
        Alias::new("e"),
        Alias::new("h"),
    );
    let col = |table: &Alias, column: &str| Expr::col((table.clone(), Alias::new(column)));
    let mut query = Query::select();
    query
        .expr_as(col(&s, "id"), "id")
        .expr_as(col(&s, "msisdn"), "msisdn")
        .expr_as(col(&s, "monthly_cost_ore"), "monthly_cost_ore")
        .expr_as(col(&s, "device_id"), "device_id")
        .expr_as(col(&s, "employee_id"), "employee_id")
        .expr_as(col(&d, "status"), "device_status")
        .from_as(subscription::Entity, s.clone())
        .join_as(
            JoinType::LeftJoin,
            device::Entity,
            d.clone(),
            col(&d, "id").equals((s.clone(), Alias::new("device_id"))),
        )
        .join_as(
            JoinType::LeftJoin,
            employee::Entity,
            e.clone(),
            col(&e, "id").equals((s.clone(), Alias::new("employee_id"))),
        )
        .order_by((s.clone(), Alias::new("id")), Order::Asc);
    let mut cond = Condition::all()
        .add(col(&s, "tenant_id").eq(tenant_id))
        .add(col(&s, "status").eq("active"))
        .add(
            Condition::any()
                .add(
                    Condition::all()
                        .add(col(&s, "device_id").is_null())
                        .add(col(&s, "employee_id").is_null()),
                )
                .add(col(&d, "status").is_in(IDLE_DEVICE))
                .add(col(&e, "employment_ends_on").lt(today)),
        );
    if let UnitScope::Units(units) = scope {
        // The device's holder's unit counts too: one more join, for managers only.
        query.join_as(
            JoinType::LeftJoin,
            employee::Entity,
            h.clone(),
            col(&h, "id").equals((d.clone(), Alias::new("assigned_employee_id"))),
        );
        let units = || units.iter().copied();
        cond = cond.add(
            Condition::any()
                .add(col(&e, "unit_id").is_in(units()))
                .add(col(&d, "unit_id").is_in(units()))
                .add(col(&d, "assigned_unit_id").is_in(units()))
                .add(col(&h, "unit_id").is_in(units())),
        );
    }
    query.cond_where(cond);
    let mut rows = Vec::new();
    for row in db.query_all(&query).await? {
        let device_id: Option<Uuid> = row.try_get("", "device_id")?;
        let employee_id: Option<Uuid> = row.try_get("", "employee_id")?;
        let device_status: Option<String> = row.try_get("", "device_status")?;
        // The same order of reasons as the query's condition; the last is all that is
        // left when the first two do not hold.
        let reason = if device_id.is_none() && employee_id.is_none() {
            UnusedReason::Unassigned
        } else if device_status.is_some_and(|status| IDLE_DEVICE.contains(&status.as_str())) {
            UnusedReason::DeviceNotInUse
        } else {
            UnusedReason::EmploymentEnded
        };
        rows.push(UnusedRow {
            subscription_id: row.try_get("", "id")?,
            msisdn: row.try_get("", "msisdn")?,
            monthly_cost: Money(row.try_get("", "monthly_cost_ore")?),
            reason,
            device_id,
            employee_id,
        });
    }
    let monthly: i64 = rows.iter().map(|r| r.monthly_cost.ore()).sum();
    Ok(UnusedSubscriptions {
        totals: UnusedTotals {
            subscriptions: rows.len() as u64,
            monthly_cost: Money(monthly),
            annual_saving: Money(12 * monthly),
        },
        rows,
    })
}

impl UnusedSubscriptions {
    pub fn table(&self) -> Table {
        let mut rows: Vec<Vec<Cell>> = self
            .rows
            .iter()
            .map(|r| {
                vec![
                    Cell::Id(Some(r.subscription_id)),
                    Cell::Text(r.msisdn.clone()),
                    Cell::Money(Some(r.monthly_cost.ore())),
                    Cell::Text(
                        serde_json::to_value(r.reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                    ),
                    Cell::Id(r.device_id),
                    Cell::Id(r.employee_id),
                    Cell::Money(Some(12 * r.monthly_cost.ore())),
                ]
            })
            .collect();
        rows.push(vec![
            Cell::Id(None),
            Cell::Text("Totalt".to_owned()),
            Cell::Money(Some(self.totals.monthly_cost.ore())),
            Cell::Text(String::new()),
            Cell::Id(None),
            Cell::Id(None),
            Cell::Money(Some(self.totals.annual_saving.ore())),
        ]);
        Table {
            sheet: "Oanvända abonnemang",
            columns: vec![
                "subscription_id",
                "msisdn",
                "monthly_cost",
                "reason",
                "device_id",
                "employee_id",
                "annual_cost",
            ],
            rows,
        }
    }
}

// ---- returns due -------------------------------------------------------------------------

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
            .filter(device::Column::TenantId.eq(tenant_id))
            .filter(device::Column::Status.eq("assigned"))
            .filter(device::Column::Ownership.eq("organization"))
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
            .filter(subscription::Column::TenantId.eq(tenant_id))
            .filter(subscription::Column::Status.ne("terminated"))
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
            columns: vec![
                "employee_id",
                "employee_name",
                "employment_type",
                "employment_ends_on",
                "overdue",
                "device_id",
                "serial_number",
                "subscription_id",
                "msisdn",
            ],
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

// ---- schedule gaps -----------------------------------------------------------------------

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GapRow {
    pub employee_id: Uuid,
    pub employee_name: String,
    pub unit_id: Uuid,
    /// When their last work shift on record ended.
    pub last_shift_ends_at: Option<DateTime<Utc>>,
    /// Non-urgent deliveries waiting for working time to be known.
    pub held_deliveries: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ScheduleGaps {
    pub days: i64,
    pub rows: Vec<GapRow>,
}

/// Shift workers with no work shift in the next `days`: their non-urgent notices are
/// held for lack of data, not because they are off.
pub async fn schedule_gaps<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<ScheduleGaps> {
    let people = people(db, tenant_id).await?;
    let today = now.date_naive();
    let candidates: Vec<Uuid> = people
        .iter()
        .filter(|(_, p)| {
            p.shifts && scope.contains(p.unit_id) && p.ends_on.is_none_or(|e| e >= today)
        })
        .map(|(id, _)| *id)
        .collect();
    let until = now + Duration::days(days);
    let mut rows = Vec::new();
    for chunk in candidates.chunks(1_000) {
        let covered: HashSet<Uuid> = shift::Entity::find()
            .select_only()
            .column(shift::Column::EmployeeId)
            .filter(shift::Column::EmployeeId.is_in(chunk.iter().copied()))
            .filter(shift::Column::Kind.eq("work"))
            .filter(shift::Column::EndsAt.gt(now))
            .filter(shift::Column::StartsAt.lt(until))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect();
        let gaps: Vec<Uuid> = chunk
            .iter()
            .copied()
            .filter(|id| !covered.contains(id))
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let mut last: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
        for (id, ends) in shift::Entity::find()
            .select_only()
            .columns([shift::Column::EmployeeId, shift::Column::EndsAt])
            .filter(shift::Column::EmployeeId.is_in(gaps.iter().copied()))
            .filter(shift::Column::Kind.eq("work"))
            .filter(shift::Column::EndsAt.lte(now))
            .into_tuple::<(Uuid, DateTime<Utc>)>()
            .all(db)
            .await?
        {
            let entry = last.entry(id).or_insert(ends);
            *entry = (*entry).max(ends);
        }
        let mut held: HashMap<Uuid, u64> = HashMap::new();
        for id in delivery::Entity::find()
            .select_only()
            .column(delivery::Column::EmployeeId)
            .filter(delivery::Column::EmployeeId.is_in(gaps.iter().copied()))
            .filter(delivery::Column::Status.eq("scheduled"))
            .filter(delivery::Column::DueAt.is_null())
            .into_tuple::<Uuid>()
            .all(db)
            .await?
        {
            *held.entry(id).or_default() += 1;
        }
        for id in gaps {
            let p = &people[&id];
            rows.push(GapRow {
                employee_id: id,
                employee_name: p.name.clone(),
                unit_id: p.unit_id,
                last_shift_ends_at: last.get(&id).copied(),
                held_deliveries: held.get(&id).copied().unwrap_or(0),
            });
        }
    }
    rows.sort_by(|a, b| (&a.employee_name, a.employee_id).cmp(&(&b.employee_name, b.employee_id)));
    Ok(ScheduleGaps { days, rows })
}

impl ScheduleGaps {
    pub fn table(&self) -> Table {
        Table {
            sheet: "Schemaluckor",
            columns: vec![
                "employee_id",
                "employee_name",
                "unit_id",
                "last_shift_ends_at",
                "held_deliveries",
            ],
            rows: self
                .rows
                .iter()
                .map(|r| {
                    vec![
                        Cell::Id(Some(r.employee_id)),
                        Cell::Text(r.employee_name.clone()),
                        Cell::Id(Some(r.unit_id)),
                        Cell::Text(
                            r.last_shift_ends_at
                                .map(|t| t.to_rfc3339())
                                .unwrap_or_default(),
                        ),
                        Cell::Int(r.held_deliveries as i64),
                    ]
                })
                .collect(),
        }
    }
}

/// The employees of the tenant matching `cond`, as a subquery.
fn employees_where(tenant_id: Uuid, cond: Condition) -> sea_orm::sea_query::SelectStatement {
    sea_orm::sea_query::Query::select()
        .column(employee::Column::Id)
        .from(employee::Entity)
        .cond_where(
            Condition::all()
                .add(employee::Column::TenantId.eq(tenant_id))
                .add(cond),
        )
        .to_owned()
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
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::Status.eq("assigned"))
        .filter(device::Column::Ownership.eq("organization"))
        .filter(device::Column::AssignedEmployeeId.in_subquery(leaving()))
        .count(db)
        .await?;
    let subscriptions = subscription::Entity::find()
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .filter(subscription::Column::Status.ne("terminated"))
        .filter(subscription::Column::EmployeeId.in_subquery(leaving()))
        .count(db)
        .await?;
    Ok(devices + subscriptions)
}

/// How many rows [`unused_subscriptions`] has for the whole tenant, counted in the
/// database (for the dashboard): active and tied to nothing, in a device not in use, or
/// held by someone whose employment has ended.
pub async fn unused_subscriptions_count<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    today: NaiveDate,
) -> AppResult<u64> {
    let idle_devices = sea_orm::sea_query::Query::select()
        .column(device::Column::Id)
        .from(device::Entity)
        .cond_where(
            Condition::all()
                .add(device::Column::TenantId.eq(tenant_id))
                .add(device::Column::Status.is_in(IDLE_DEVICE)),
        )
        .to_owned();
    let ended = employees_where(
        tenant_id,
        Condition::all().add(employee::Column::EmploymentEndsOn.lt(today)),
    );
    Ok(subscription::Entity::find()
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .filter(subscription::Column::Status.eq("active"))
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(subscription::Column::DeviceId.is_null())
                        .add(subscription::Column::EmployeeId.is_null()),
                )
                .add(subscription::Column::DeviceId.in_subquery(idle_devices))
                .add(subscription::Column::EmployeeId.in_subquery(ended)),
        )
        .count(db)
        .await?)
}
