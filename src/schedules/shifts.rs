//! Shifts: work and on-call (beredskap), as absolute instants. They may not overlap.
use chrono::{DateTime, Duration, Utc};
use entities::shift;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    error::{AppError, AppResult, FieldError},
    reachability::ShiftKind,
};

/// A shift longer than this is a typing error, not a shift.
pub const LONGEST_SHIFT_HOURS: i64 = 36;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShift {
    /// RFC 3339 with offset.
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: ShiftKind,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShifts {
    pub shifts: Vec<NewShift>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShiftView {
    pub id: Uuid,
    pub employee_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub kind: ShiftKind,
}

impl From<shift::Model> for ShiftView {
    fn from(m: shift::Model) -> Self {
        Self {
            id: m.id,
            employee_id: m.employee_id,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            kind: m.kind,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ShiftRange {
    /// Shifts ending after this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Shifts starting before this instant.
    pub to: Option<DateTime<Utc>>,
}

/// Checks each shift and that none overlaps another, new or stored; names the shift.
pub async fn add_shifts<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    employee_id: Uuid,
    input: NewShifts,
) -> AppResult<Vec<ShiftView>> {
    crate::org::employees::find_in_tenant(db, actor.tenant_id, employee_id).await?;
    let mut errors = Vec::new();
    if input.shifts.is_empty() {
        errors.push(FieldError::new("shifts", "must name at least one shift"));
    }
    for (i, s) in input.shifts.iter().enumerate() {
        if s.ends_at <= s.starts_at {
            errors.push(FieldError::new(
                format!("shifts[{i}].ends_at"),
                "must be after starts_at",
            ));
        } else if s.ends_at - s.starts_at > Duration::hours(LONGEST_SHIFT_HOURS) {
            errors.push(FieldError::new(
                format!("shifts[{i}].ends_at"),
                format!("a shift may last at most {LONGEST_SHIFT_HOURS} hours"),
            ));
        }
    }
    if errors.is_empty() {
        let earliest = input
            .shifts
            .iter()
            .map(|s| s.starts_at)
            .min()
            .unwrap_or_default();
        let latest = input
            .shifts
            .iter()
            .map(|s| s.ends_at)
            .max()
            .unwrap_or_default();
        let stored = shift::Entity::find()
            .filter(shift::Column::EmployeeId.eq(employee_id))
            .filter(shift::Column::StartsAt.lt(latest))
            .filter(shift::Column::EndsAt.gt(earliest))
            .all(db)
            .await?;
        for (i, s) in input.shifts.iter().enumerate() {
            let overlaps =
                |start: DateTime<Utc>, end: DateTime<Utc>| start < s.ends_at && s.starts_at < end;
            if let Some((j, _)) = input
                .shifts
                .iter()
                .enumerate()
                .find(|(j, o)| *j != i && overlaps(o.starts_at, o.ends_at))
            {
                errors.push(FieldError::new(
                    format!("shifts[{i}]"),
                    format!("overlaps shifts[{j}]"),
                ));
            } else if let Some(o) = stored.iter().find(|o| overlaps(o.starts_at, o.ends_at)) {
                errors.push(FieldError::new(
                    format!("shifts[{i}]"),
                    format!(
                        "overlaps the stored shift {} ({} to {})",
                        o.id, o.starts_at, o.ends_at
                    ),
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let now = Utc::now();
    let mut created = Vec::with_capacity(input.shifts.len());
    for s in input.shifts {
        let model = shift::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            employee_id: Set(employee_id),
            starts_at: Set(s.starts_at),
            ends_at: Set(s.ends_at),
            kind: Set(s.kind),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        let view = ShiftView::from(model);
        audit::record(db, actor, "create", "shift", view.id, None, Some(&view)).await?;
        created.push(view);
    }
    Ok(created)
}

pub async fn list_shifts<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    range: &ShiftRange,
) -> AppResult<Vec<ShiftView>> {
    let mut select = shift::Entity::find()
        .filter(shift::Column::TenantId.eq(tenant_id))
        .filter(shift::Column::EmployeeId.eq(employee_id));
    if let Some(from) = range.from {
        select = select.filter(shift::Column::EndsAt.gt(from));
    }
    if let Some(to) = range.to {
        select = select.filter(shift::Column::StartsAt.lt(to));
    }
    Ok(select
        .order_by_asc(shift::Column::StartsAt)
        .all(db)
        .await?
        .into_iter()
        .map(ShiftView::from)
        .collect())
}

pub async fn delete_shift<C: ConnectionTrait>(db: &C, actor: &Actor, id: Uuid) -> AppResult<Uuid> {
    let found = shift::Entity::find_by_id(id)
        .filter(shift::Column::TenantId.eq(actor.tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("shift"))?;
    let before = ShiftView::from(found.clone());
    shift::Entity::delete_by_id(id).exec(db).await?;
    audit::record(db, actor, "delete", "shift", id, Some(&before), None).await?;
    Ok(found.employee_id)
}
