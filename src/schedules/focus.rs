//! Focus time: "in a patient meeting until 14:30". Holds ordinary notices, never urgent.
use chrono::{DateTime, Duration, Utc};
use entities::employee;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    error::{AppError, AppResult},
    org::employees::find_in_tenant,
};

/// How far ahead focus time may be set: a long meeting, not a way to switch off.
pub const LONGEST_FOCUS_HOURS: i64 = 12;

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Focus {
    /// RFC 3339; in the future and at most 12 hours ahead.
    pub until: DateTime<Utc>,
}

/// Sets (`Some`) or ends (`None`) the employee's focus time, checked against `now`.
pub async fn set_focus<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    employee_id: Uuid,
    focus: Option<Focus>,
    now: DateTime<Utc>,
) -> AppResult<Option<Focus>> {
    if let Some(focus) = &focus {
        if focus.until <= now {
            return Err(AppError::invalid("until", "must be in the future"));
        }
        if focus.until > now + Duration::hours(LONGEST_FOCUS_HOURS) {
            return Err(AppError::invalid(
                "until",
                format!("may be at most {LONGEST_FOCUS_HOURS} hours ahead"),
            ));
        }
    }
    let current = find_in_tenant(db, actor.tenant_id, employee_id).await?;
    let before = current.focus_until.map(|until| Focus { until });
    let mut active: employee::ActiveModel = current.into();
    active.focus_until = Set(focus.as_ref().map(|f| f.until));
    active.update(db).await?;
    audit::record(
        db,
        actor,
        // Ending it early is its own step in the trail, not a focus set to nothing.
        if focus.is_some() {
            "set-focus"
        } else {
            "end-focus"
        },
        "employee",
        employee_id,
        before.as_ref(),
        focus.as_ref(),
    )
    .await?;
    Ok(focus)
}
