//! Absences: vacation, sick leave, parental leave — whole days off, inclusive.
use chrono::{DateTime, NaiveDate, Utc};
use entities::absence;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    error::{AppError, AppResult},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AbsenceKind {
    Vacation,
    Sick,
    Parental,
    Other,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAbsence {
    pub starts_on: NaiveDate,
    /// Inclusive.
    pub ends_on: NaiveDate,
    pub kind: AbsenceKind,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AbsenceView {
    pub id: Uuid,
    pub employee_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub kind: String,
    pub created_at: DateTime<Utc>,
}

impl From<absence::Model> for AbsenceView {
    fn from(m: absence::Model) -> Self {
        Self {
            id: m.id,
            employee_id: m.employee_id,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            kind: m.kind,
            created_at: m.created_at,
        }
    }
}

pub async fn add_absence<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    employee_id: Uuid,
    input: NewAbsence,
) -> AppResult<AbsenceView> {
    crate::org::employees::find_in_tenant(db, actor.tenant_id, employee_id).await?;
    if input.ends_on < input.starts_on {
        return Err(AppError::invalid("ends_on", "must not be before starts_on"));
    }
    if (input.ends_on - input.starts_on).num_days() > 3 * 366 {
        return Err(AppError::invalid(
            "ends_on",
            "an absence may last at most three years",
        ));
    }
    let kind = serde_json::to_value(input.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let model = absence::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(actor.tenant_id),
        employee_id: Set(employee_id),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        kind: Set(kind),
        created_at: Set(Utc::now()),
    }
    .insert(db)
    .await?;
    let view = AbsenceView::from(model);
    audit::record(db, actor, "create", "absence", view.id, None, Some(&view)).await?;
    Ok(view)
}

pub async fn list_absences<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<Vec<AbsenceView>> {
    Ok(absence::Entity::find()
        .filter(absence::Column::TenantId.eq(tenant_id))
        .filter(absence::Column::EmployeeId.eq(employee_id))
        .order_by_asc(absence::Column::StartsOn)
        .all(db)
        .await?
        .into_iter()
        .map(AbsenceView::from)
        .collect())
}

/// Deletes an absence; returns whose it was.
pub async fn delete_absence<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Uuid> {
    let found = absence::Entity::find_by_id(id)
        .filter(absence::Column::TenantId.eq(actor.tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("absence"))?;
    let before = AbsenceView::from(found.clone());
    absence::Entity::delete_by_id(id).exec(db).await?;
    audit::record(db, actor, "delete", "absence", id, Some(&before), None).await?;
    Ok(found.employee_id)
}
