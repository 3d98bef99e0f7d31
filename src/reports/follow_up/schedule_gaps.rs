//! Shift workers with no shifts on record.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Utc};
use entities::{delivery, shift};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::people;
use crate::auth::{Access, Caller, Resource};
use crate::error::AppResult;
use crate::reports::table::{Cell, Table, names};

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
    caller: &Caller,
    days: i64,
    now: DateTime<Utc>,
) -> AppResult<ScheduleGaps> {
    caller.may(Resource::Reports, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
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
            .filter(delivery::Column::Status.eq(entities::vocab::DeliveryStatus::Scheduled))
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
            columns: names(&[
                "employee_id",
                "employee_name",
                "unit_id",
                "last_shift_ends_at",
                "held_deliveries",
            ]),
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
