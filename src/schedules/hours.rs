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

/// A unit's or an employee's own hours and zone, as stored.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema, PartialEq)]
pub struct OwnHours {
    pub working_hours: WorkingHours,
    /// IANA zone; null inherits the zone.
    pub time_zone: Option<String>,
}

/// New hours, and the zone only if named: a stay abroad set with `PATCH` survives new
/// hours that say nothing of it.
#[derive(Clone, Debug, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HoursInput {
    pub working_hours: WorkingHours,
    /// IANA zone. Absent keeps the zone as it is; `null` clears it (inherit again).
    #[serde(default, deserialize_with = "crate::validation::patch_field")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
}

fn validate(input: &HoursInput) -> AppResult<()> {
    let mut errors = Vec::new();
    if let Some(Some(zone)) = &input.time_zone {
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
fn own(working_hours: Option<&serde_json::Value>, time_zone: Option<&str>) -> Option<OwnHours> {
    let working_hours = working_hours.and_then(|v| serde_json::from_value(v.clone()).ok())?;
    Some(OwnHours {
        working_hours,
        time_zone: time_zone.map(str::to_owned),
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
            own(unit.working_hours.as_ref(), unit.time_zone.as_deref())
        }
        Owner::Employee(id) => {
            let employee = employee::Entity::find_by_id(id)
                .filter(employee::Column::TenantId.eq(tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("employee"))?;
            own(
                employee.working_hours.as_ref(),
                employee.time_zone.as_deref(),
            )
        }
    })
}

/// Which kind of owner the hours are set on.
#[derive(Clone, Copy, Debug)]
pub enum Owner {
    Unit(Uuid),
    Employee(Uuid),
}

/// Sets (`Some`) or clears (`None`) the owner's own hours, and its zone where the input
/// names one; answers what is stored now.
pub async fn set_hours<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    owner: Owner,
    input: Option<HoursInput>,
) -> AppResult<Option<OwnHours>> {
    if let Some(input) = &input {
        validate(input)?;
    }
    let hours = input
        .as_ref()
        .map(|i| to_json(&i.working_hours))
        .transpose()?;
    // Clearing the hours returns the owner to inheriting both; new hours keep a zone
    // they do not name.
    let zone = |current: &Option<String>| match &input {
        None => None,
        Some(HoursInput {
            time_zone: None, ..
        }) => current.clone(),
        Some(HoursInput {
            time_zone: Some(zone),
            ..
        }) => zone.clone(),
    };
    let now = Utc::now();
    let (entity, id, before, after) = match owner {
        Owner::Unit(id) => {
            let current = unit::Entity::find_by_id(id)
                .filter(unit::Column::TenantId.eq(actor.tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("unit"))?;
            let before = own(current.working_hours.as_ref(), current.time_zone.as_deref());
            let zone = zone(&current.time_zone);
            let mut active: unit::ActiveModel = current.into();
            active.working_hours = Set(hours);
            active.time_zone = Set(zone);
            active.updated_at = Set(now);
            let stored = active.update(db).await?;
            (
                "unit",
                id,
                before,
                own(stored.working_hours.as_ref(), stored.time_zone.as_deref()),
            )
        }
        Owner::Employee(id) => {
            let current = employee::Entity::find_by_id(id)
                .filter(employee::Column::TenantId.eq(actor.tenant_id))
                .one(db)
                .await?
                .ok_or(AppError::NotFound("employee"))?;
            let before = own(current.working_hours.as_ref(), current.time_zone.as_deref());
            let zone = zone(&current.time_zone);
            let mut active: employee::ActiveModel = current.into();
            active.working_hours = Set(hours);
            active.time_zone = Set(zone);
            active.updated_at = Set(now);
            let stored = active.update(db).await?;
            (
                "employee",
                id,
                before,
                own(stored.working_hours.as_ref(), stored.time_zone.as_deref()),
            )
        }
    };
    audit::record(
        db,
        actor,
        "set-working-hours",
        entity,
        id,
        before.as_ref(),
        after.as_ref(),
    )
    .await?;
    Ok(after)
}
