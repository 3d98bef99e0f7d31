//! Active subscriptions that cost money for nothing.
use chrono::NaiveDate;
use entities::{
    device, employee, subscription,
    vocab::{DeviceStatus, SubscriptionStatus},
};
use sea_orm::{
    Condition, ConnectionTrait,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Order, Query, SelectStatement},
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::UnitScope,
    error::AppResult,
    money::Money,
    reports::table::{Cell, Table, names},
};

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
const IDLE_DEVICE: [DeviceStatus; 3] = [
    DeviceStatus::Retired,
    DeviceStatus::InStock,
    DeviceStatus::InRepair,
];

/// The rule, once: the tenant's active subscriptions tied to nothing, in a device not in
/// use, or held by someone whose employment has ended (`s` joined to its device `d` and
/// person `e`), within `scope`. The rows and the dashboard's count both select from it.
fn unused_query(tenant_id: Uuid, scope: &UnitScope, today: NaiveDate) -> SelectStatement {
    let (s, d, e, h) = (
        Alias::new("s"),
        Alias::new("d"),
        Alias::new("e"),
        Alias::new("h"),
    );
    let mut query = Query::select();
    query
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
        );
    let mut cond = Condition::all()
        .add(col(&s, "tenant_id").eq(tenant_id))
        .add(col(&s, "status").eq(SubscriptionStatus::Active))
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
    query
}

fn col(table: &Alias, column: &str) -> Expr {
    Expr::col((table.clone(), Alias::new(column)))
}

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
    let (s, d) = (Alias::new("s"), Alias::new("d"));
    let mut query = unused_query(tenant_id, scope, today);
    query
        .expr_as(col(&s, "id"), "id")
        .expr_as(col(&s, "msisdn"), "msisdn")
        .expr_as(col(&s, "monthly_cost_ore"), "monthly_cost_ore")
        .expr_as(col(&s, "device_id"), "device_id")
        .expr_as(col(&s, "employee_id"), "employee_id")
        .expr_as(col(&d, "status"), "device_status")
        .order_by((s, Alias::new("id")), Order::Asc);
    let mut rows = Vec::new();
    for row in db.query_all(&query).await? {
        let device_id: Option<Uuid> = row.try_get("", "device_id")?;
        let employee_id: Option<Uuid> = row.try_get("", "employee_id")?;
        let device_status: Option<DeviceStatus> = row.try_get("", "device_status")?;
        // The same order of reasons as the query's condition; the last is all that is
        // left when the first two do not hold.
        let reason = if device_id.is_none() && employee_id.is_none() {
            UnusedReason::Unassigned
        } else if device_status.is_some_and(|status| IDLE_DEVICE.contains(&status)) {
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

/// How many rows [`unused_subscriptions`] has for the whole tenant, counted in the
/// database (for the dashboard) from the same query.
pub async fn unused_subscriptions_count<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    today: NaiveDate,
) -> AppResult<u64> {
    let mut query = unused_query(tenant_id, &UnitScope::Tenant, today);
    query.expr_as(Expr::cust("COUNT(*)"), "n");
    let row = db
        .query_one(&query)
        .await?
        .ok_or_else(|| anyhow::anyhow!("a count has a row"))?;
    let n: i64 = row.try_get("", "n")?;
    Ok(n as u64)
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
            columns: names(&[
                "subscription_id",
                "msisdn",
                "monthly_cost",
                "reason",
                "device_id",
                "employee_id",
                "annual_cost",
            ]),
            rows,
        }
    }
}
