//! Working hours and zones set on a unit or an employee; `DELETE` returns to inheriting.
use chrono::Utc;
use entities::{employee, unit};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{parse_zone, to_json};
use crate::{
    audit::{self, Actor},
    error::{AppError, AppResult, FieldError},
    reachability::{WeeklyPattern, pattern::WorkingHours},
};

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct OwnHours {
    pub working_hours: WorkingHours,
    /// IANA zone; absent keeps inheriting the zone.
    pub time_zone: Option<String>,
}

fn validate(input: &OwnHours) -> AppResult<()> {
    let mut errors = Vec::new();
    if let Some(zone) = &input.time_zone {
        parse_zone("time_zone", zone, &mut errors);
    }
    if let Err(pattern_errors) = WeeklyPattern::from_hours(&input.working_hours) {
        errors.extend(
            pattern_errors
                .into_iter()
                .map(|e| FieldError::new(format!("working_hours.{}", e.field), e.message)),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// What a unit or employee has of its own: hours and zone, each possibly inherited (null).
fn own(working_hours: &Option<serde_json::Value>, time_zone: &Option<String>) -> Option<OwnHours> {
    let working_hours = working_hours
        .clone()
        .and_then(|v| serde_json::from_value(v).ok())?;
    Some(OwnHours {
        working_hours,
        time_zone: time_zone.clone(),
    })
}

/// The owner's own hours, if it has any (else it inherits).
pub async fn get_hours<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    owner: Owner,
) -> AppResult<Option<OwnHours>> {
    Ok(match owner {
        Owner::Unit(id) => {
            let unit = unit::Entity::find_by_id(id)
                .filter(unit::Column::TenantId.eq(tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("unit"))?;
            own(&unit.working_hours, &unit.time_zone)
        }
        Owner::Employee(id) => {
            let employee = employee::Entity::find_by_id(id)
                .filter(employee::Column::TenantId.eq(tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("employee"))?;
            own(&employee.working_hours, &employee.time_zone)
        }
    })
}

/// Which kind of owner the hours are set on.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    Unit(Uuid),
    Employee(Uuid),
}

/// Sets (`Some`) or clears (`None`) the owner's own hours and zone.
pub async fn set_hours<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    owner: Owner,
    input: Option<OwnHours>,
) -> AppResult<Option<OwnHours>> {
    if let Some(input) = &input {
        validate(input)?;
    }
    let hours = input
        .as_ref()
        .map(|i| to_json(&i.working_hours))
        .transpose()?;
    let zone = input.as_ref().and_then(|i| i.time_zone.clone());
    let now = Utc::now();
    let (entity, id, before) = match owner {
        Owner::Unit(id) => {
            let current = unit::Entity::find_by_id(id)
                .filter(unit::Column::TenantId.eq(actor.tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("unit"))?;
            let before = own(&current.working_hours, &current.time_zone);
            let mut active: unit::ActiveModel = current.into();
            active.working_hours = Set(hours);
            active.time_zone = Set(zone);
            active.updated_at = Set(now);
            active.update(db).await?;
            ("unit", id, before)
        }
        Owner::Employee(id) => {
            let current = employee::Entity::find_by_id(id)
                .filter(employee::Column::TenantId.eq(actor.tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("employee"))?;
            let before = own(&current.working_hours, &current.time_zone);
            let mut active: employee::ActiveModel = current.into();
            active.working_hours = Set(hours);
            active.time_zone = Set(zone);
            active.updated_at = Set(now);
            active.update(db).await?;
            ("employee", id, before)
        }
    };
    audit::record(
        db,
        actor,
        "set-working-hours",
        entity,
        id,
        before.as_ref(),
        input.as_ref(),
    )
    .await?;
    Ok(input)
}
