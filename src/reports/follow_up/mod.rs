//! Follow-up after the roll-out: how well devices are used, which subscriptions cost
//! money for nothing, what must come back when people leave, and which shift workers
//! have no shifts on record.
//!
//! One file a report; a report's count for the dashboard shares its condition with its
//! rows.
mod returns_due;
mod schedule_gaps;
mod unused_subscriptions;
mod utilization;

use std::collections::HashMap;

use chrono::NaiveDate;
use entities::employee;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::error::AppResult;

pub use returns_due::{ReturnRow, ReturnsDue, returns_due, returns_due_count};
pub use schedule_gaps::{GapRow, ScheduleGaps, schedule_gaps};
pub use unused_subscriptions::{
    UnusedReason, UnusedRow, UnusedSubscriptions, UnusedTotals, unused_subscriptions,
    unused_subscriptions_count,
};
pub use utilization::{Utilization, UtilizationRow, utilization};

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
