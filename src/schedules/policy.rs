//! `PUT/GET /policy`: the tenant's zone, weekly hours, holidays and release delay.
use chrono::{NaiveDate, Utc};
use entities::policy;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{DEFAULT_ZONE, parse_zone, to_json};
use crate::{
    audit::{self, Actor},
    error::{AppError, AppResult, FieldError},
    reachability::{WeeklyPattern, holidays::swedish_holidays, pattern::WorkingHours},
};

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// IANA zone, default `Europe/Stockholm`.
    pub time_zone: String,
    /// A missing weekday has no working time.
    pub working_hours: WorkingHours,
    /// Days whose weekly windows are dropped, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Minutes after a window opens before held notices go out (ward hand-over), 0–240.
    #[serde(default)]
    pub release_delay_minutes: u32,
    /// Whether managers may change their units' and people's working hours (admins
    /// always may); off when left out.
    #[serde(default)]
    pub managers_edit_hours: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            time_zone: DEFAULT_ZONE.name().to_owned(),
            working_hours: WorkingHours::default(),
            holidays: Vec::new(),
            release_delay_minutes: 0,
            managers_edit_hours: false,
        }
    }
}

impl Policy {
    fn from_model(m: policy::Model) -> Self {
        Self {
            time_zone: m.time_zone,
            working_hours: serde_json::from_value(m.working_hours).unwrap_or_default(),
            holidays: serde_json::from_value(m.holidays).unwrap_or_default(),
            release_delay_minutes: u32::try_from(m.release_delay_minutes).unwrap_or(0),
            managers_edit_hours: m.managers_edit_hours,
        }
    }

    /// Every check; holidays come back sorted without repeats.
    pub fn validate(mut self) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        parse_zone("time_zone", &self.time_zone, &mut errors);
        if let Err(pattern_errors) = WeeklyPattern::from_hours(&self.working_hours) {
            errors.extend(
                pattern_errors
                    .into_iter()
                    .map(|e| FieldError::new(format!("working_hours.{}", e.field), e.message)),
            );
        }
        if self.release_delay_minutes > 240 {
            errors.push(FieldError::new(
                "release_delay_minutes",
                "must be between 0 and 240",
            ));
        }
        self.holidays.sort();
        self.holidays.dedup();
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(errors)
        }
    }
}

/// The tenant's policy, or the default (Stockholm, no working hours) if none is stored.
pub async fn get_policy<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Policy> {
    Ok(policy::Entity::find_by_id(tenant_id)
        .one(db)
        .await?
        .map(Policy::from_model)
        .unwrap_or_default())
}

pub async fn put_policy<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: Policy,
) -> AppResult<Policy> {
    let valid = input.validate().map_err(AppError::Invalid)?;
    let existing = policy::Entity::find_by_id(actor.tenant_id).one(db).await?;
    let before = existing.clone().map(Policy::from_model);
    let model = policy::ActiveModel {
        tenant_id: Set(actor.tenant_id),
        time_zone: Set(valid.time_zone.clone()),
        working_hours: Set(to_json(&valid.working_hours)?),
        holidays: Set(to_json(&valid.holidays)?),
        release_delay_minutes: Set(valid.release_delay_minutes as i32),
        managers_edit_hours: Set(valid.managers_edit_hours),
        updated_at: Set(Utc::now()),
    };
    if existing.is_some() {
        model.update(db).await?;
    } else {
        model.insert(db).await?;
    }
    audit::record(
        db,
        actor,
        "update",
        "policy",
        actor.tenant_id,
        before.as_ref(),
        Some(&valid),
    )
    .await?;
    Ok(valid)
}

/// Adds Sweden's public holidays (and the eves treated as days off) of `year`.
pub async fn add_swedish_holidays<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    year: i32,
) -> AppResult<Policy> {
    if !(2000..=2100).contains(&year) {
        return Err(AppError::invalid("year", "must be between 2000 and 2100"));
    }
    let mut policy = get_policy(db, actor.tenant_id).await?;
    policy
        .holidays
        .extend(swedish_holidays(year).into_iter().map(|(date, _)| date));
    put_policy(db, actor, policy).await
}

/// Makes `date` a holiday (`off`: a local day off, a bridge day) or a working day again
/// (a holiday the tenant works after all, or one added by mistake).
pub async fn set_holiday<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    date: NaiveDate,
    off: bool,
) -> AppResult<Policy> {
    let mut policy = get_policy(db, actor.tenant_id).await?;
    if off {
        policy.holidays.push(date);
    } else if policy.holidays.contains(&date) {
        policy.holidays.retain(|d| *d != date);
    } else {
        return Err(AppError::invalid("date", "is not one of the holidays"));
    }
    put_policy(db, actor, policy).await
}
