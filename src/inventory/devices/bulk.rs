//! One lifecycle action over every device a list's query matches.
use entities::device;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{DeviceChange, DeviceQuery, actions::act, list::select_of};
use crate::error::{AppError, AppResult};
use crate::inventory::lifecycle::{Action, DeviceAction, DeviceStatus};
use crate::{
    auth::{Access, Caller, Resource},
    db::write_as,
};

/// Most devices one bulk action may change at once; a larger list is narrowed first.
pub const MAX_BULK: u64 = 10_000;

/// What a bulk action over a list's query would do: how many devices the query matches
/// and how many of them the action is allowed for (the others are left as they are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkPlan {
    pub matching: u64,
    pub allowed: u64,
}

/// The stored statuses an action may start from.
fn statuses_allowing(action: DeviceAction) -> Vec<DeviceStatus> {
    [
        DeviceStatus::Ordered,
        DeviceStatus::InStock,
        DeviceStatus::Assigned,
        DeviceStatus::InRepair,
        DeviceStatus::Retired,
    ]
    .into_iter()
    .filter(|s| action.next(*s).is_some())
    .collect()
}

/// How many devices a bulk action would touch, shown to those who may apply it before
/// they do.
pub async fn bulk_plan<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    query: DeviceQuery,
    action: DeviceAction,
) -> AppResult<BulkPlan> {
    use sea_orm::PaginatorTrait;
    caller.may(Resource::Devices, Access::Write)?;
    let matching = select_of(query.clone()).count(db).await?;
    let allowed = select_of(query)
        .filter(device::Column::Status.is_in(statuses_allowing(action)))
        .count(db)
        .await?;
    Ok(BulkPlan { matching, allowed })
}

/// Applies one lifecycle action to every device the query matches whose status allows
/// it, each step audited as if done one by one, when that is still the `expected` count
/// the caller confirmed (if the list changed since, nothing is done). Returns how many
/// changed.
pub async fn apply_bulk(
    db: &DatabaseConnection,
    caller: &Caller,
    query: DeviceQuery,
    action: DeviceAction,
    change: DeviceChange,
    expected: u64,
) -> AppResult<u64> {
    write_as(db, caller, Resource::Devices, async |db, actor| {
    let ids: Vec<Uuid> = select_of(query)
        .filter(device::Column::Status.is_in(statuses_allowing(action)))
        .select_only()
        .column(device::Column::Id)
        .limit(MAX_BULK + 1)
        .into_tuple()
        .all(db)
        .await?;
    if ids.len() as u64 > MAX_BULK {
        return Err(AppError::invalid(
            "query",
            format!("matches more than {MAX_BULK} devices; narrow the list first"),
        ));
    }
    if ids.len() as u64 != expected {
        return Err(AppError::Conflict(format!(
            "the list changed: {} devices would now change, not the {expected} confirmed; look again",
            ids.len()
        )));
    }
    for id in &ids {
        act(db, actor, *id, action, change.clone()).await?;
    }
    Ok(ids.len() as u64)
    })
    .await
}
