//! How well the devices are used: per unit, devices in use against devices held.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::{device, push_registration, subscription};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::unit_names;
use crate::reports::table::{Cell, Table, names};
use crate::{
    auth::UnitScope,
    error::AppResult,
    money::{Money, div_round_half_up},
};

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
        .filter(device::Column::Ownership.eq(entities::vocab::Ownership::Organization))
        .filter(device::Column::Status.eq(entities::vocab::DeviceStatus::Assigned))
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
        .filter(subscription::Column::Status.eq(entities::vocab::SubscriptionStatus::Active))
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
            columns: names(&[
                "unit_id",
                "unit_name",
                "assigned_devices",
                "active_devices",
                "utilization_percent",
                "annual_cost",
                "cost_per_active_device",
            ]),
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
