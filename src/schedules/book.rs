//! Loads the schedules of many employees at once — a fixed number of queries however
//! many people a notice reaches — and lends them to the engine.
use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use entities::{absence, employee, shift, unit};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use super::{DEFAULT_ZONE, policy::get_policy};
use crate::{
    error::AppResult,
    reachability::{
        Absence, HORIZON_DAYS, Schedule, ScheduleMode, Shift, WeeklyPattern, pattern::WorkingHours,
    },
};

/// Ids per `IN (...)` list.
const CHUNK: usize = 1_000;

fn pattern_of(json: Option<&serde_json::Value>) -> Option<WeeklyPattern> {
    let hours: WorkingHours = serde_json::from_value(json?.clone()).ok()?;
    WeeklyPattern::from_hours(&hours).ok()
}

/// Where a person's weekly pattern comes from.
enum PatternSource {
    Own(WeeklyPattern),
    Unit(Uuid),
    Tenant,
}

struct Person {
    zone: Tz,
    mode: ScheduleMode,
    pattern: PatternSource,
    shifts: Vec<Shift>,
    absences: Vec<Absence>,
    focus_until: Option<DateTime<Utc>>,
}

pub struct ScheduleBook {
    tenant_pattern: WeeklyPattern,
    holidays: Vec<NaiveDate>,
    release_delay: i64,
    unit_patterns: HashMap<Uuid, WeeklyPattern>,
    people: HashMap<Uuid, Person>,
}

struct UnitNode {
    parent: Option<Uuid>,
    pattern: Option<WeeklyPattern>,
    zone: Option<Tz>,
}

/// The nearest unit up the chain (starting at `unit`) for which `pick` gives something.
fn up_the_chain<T>(
    units: &HashMap<Uuid, UnitNode>,
    unit: Uuid,
    pick: impl Fn(Uuid, &UnitNode) -> Option<T>,
) -> Option<T> {
    let mut cursor = Some(unit);
    let mut steps = 0;
    while let Some(id) = cursor {
        let node = units.get(&id)?;
        if let Some(found) = pick(id, node) {
            return Some(found);
        }
        cursor = node.parent;
        steps += 1;
        if steps > units.len() {
            return None; // A loop cannot be stored, but never spin on one.
        }
    }
    None
}

impl ScheduleBook {
    /// Everything needed to evaluate `employee_ids` from `from` over the horizon.
    pub async fn load<C: ConnectionTrait>(
        db: &C,
        tenant_id: Uuid,
        employee_ids: &[Uuid],
        from: DateTime<Utc>,
    ) -> AppResult<Self> {
        let policy = get_policy(db, tenant_id).await?;
        let tenant_zone: Tz = policy.time_zone.parse().unwrap_or(DEFAULT_ZONE);
        let tenant_pattern = WeeklyPattern::from_hours(&policy.working_hours).unwrap_or_default();
        let units: HashMap<Uuid, UnitNode> = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(tenant_id))
            .all(db)
            .await?
            .into_iter()
            .map(|u| {
                let node = UnitNode {
                    parent: u.parent_id,
                    pattern: pattern_of(u.working_hours.as_ref()),
                    zone: u.time_zone.as_deref().and_then(|z| z.parse().ok()),
                };
                (u.id, node)
            })
            .collect();
        let window_start = from - Duration::days(2);
        let window_end = from + Duration::days(HORIZON_DAYS + 2);
        let mut people = HashMap::with_capacity(employee_ids.len());
        let mut unit_patterns = HashMap::new();
        for chunk in employee_ids.chunks(CHUNK) {
            let employees = employee::Entity::find()
                .filter(employee::Column::TenantId.eq(tenant_id))
                .filter(employee::Column::Id.is_in(chunk.iter().copied()))
                .all(db)
                .await?;
            let mut shifts: HashMap<Uuid, Vec<Shift>> = HashMap::new();
            for s in shift::Entity::find()
                .filter(shift::Column::EmployeeId.is_in(chunk.iter().copied()))
                .filter(shift::Column::EndsAt.gt(window_start))
                .filter(shift::Column::StartsAt.lt(window_end))
                .order_by_asc(shift::Column::StartsAt)
                .all(db)
                .await?
            {
                shifts.entry(s.employee_id).or_default().push(Shift {
                    starts_at: s.starts_at,
                    ends_at: s.ends_at,
                    kind: s.kind,
                });
            }
            let mut absences: HashMap<Uuid, Vec<Absence>> = HashMap::new();
            for a in absence::Entity::find()
                .filter(absence::Column::EmployeeId.is_in(chunk.iter().copied()))
                .filter(absence::Column::EndsOn.gte(window_start.date_naive()))
                .all(db)
                .await?
            {
                absences.entry(a.employee_id).or_default().push(Absence {
                    starts_on: a.starts_on,
                    ends_on: a.ends_on,
                });
            }
            for e in employees {
                let zone = e
                    .time_zone
                    .as_deref()
                    .and_then(|z| z.parse().ok())
                    .or_else(|| up_the_chain(&units, e.unit_id, |_, n| n.zone))
                    .unwrap_or(tenant_zone);
                let pattern = match pattern_of(e.working_hours.as_ref()) {
                    Some(own) => PatternSource::Own(own),
                    None => match up_the_chain(&units, e.unit_id, |id, n| {
                        n.pattern.as_ref().map(|p| (id, p.clone()))
                    }) {
                        Some((unit_id, pattern)) => {
                            unit_patterns.entry(unit_id).or_insert(pattern);
                            PatternSource::Unit(unit_id)
                        }
                        None => PatternSource::Tenant,
                    },
                };
                people.insert(
                    e.id,
                    Person {
                        zone,
                        mode: e.schedule_mode,
                        pattern,
                        shifts: shifts.remove(&e.id).unwrap_or_default(),
                        absences: absences.remove(&e.id).unwrap_or_default(),
                        focus_until: e.focus_until,
                    },
                );
            }
        }
        Ok(Self {
            tenant_pattern,
            holidays: policy.holidays,
            release_delay: i64::from(policy.release_delay_minutes) * 60,
            unit_patterns,
            people,
        })
    }

    /// The zone a loaded employee's local times are read in.
    pub fn zone(&self, employee_id: Uuid) -> Option<Tz> {
        self.people.get(&employee_id).map(|p| p.zone)
    }

    /// The schedule of one loaded employee.
    pub fn schedule(&self, employee_id: Uuid) -> Option<Schedule<'_>> {
        let person = self.people.get(&employee_id)?;
        let weekly = match &person.pattern {
            PatternSource::Own(pattern) => pattern,
            PatternSource::Unit(unit) => {
                self.unit_patterns.get(unit).unwrap_or(&self.tenant_pattern)
            }
            PatternSource::Tenant => &self.tenant_pattern,
        };
        Some(Schedule {
            zone: person.zone,
            mode: person.mode,
            weekly,
            holidays: &self.holidays,
            shifts: &person.shifts,
            absences: &person.absences,
            focus_until: person.focus_until,
            release_delay: self.release_delay,
        })
    }
}

/// When a notice of `priority` sent `at` would reach an employee the caller may see.
pub async fn employee_reachability<C: ConnectionTrait>(
    db: &C,
    caller: &crate::auth::Caller,
    employee_id: Uuid,
    priority: crate::reachability::Priority,
    at: DateTime<Utc>,
) -> crate::error::AppResult<crate::reachability::Decision> {
    use crate::auth::{Access, Resource};
    caller.may(Resource::Reachability, Access::Read)?;
    crate::org::employees::visible(db, caller, employee_id).await?;
    reachability_of(db, caller.tenant_id, employee_id, priority, at).await
}

/// When a notice would reach the employee the caller speaks for.
pub async fn my_reachability<C: ConnectionTrait>(
    db: &C,
    caller: &crate::auth::Caller,
    priority: crate::reachability::Priority,
    at: DateTime<Utc>,
) -> crate::error::AppResult<crate::reachability::Decision> {
    let id = caller.own_employee(crate::auth::Access::Read)?;
    reachability_of(db, caller.tenant_id, id, priority, at).await
}

/// When a notice of `priority` sent `at` would reach one employee, and why.
pub async fn reachability_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    priority: crate::reachability::Priority,
    at: DateTime<Utc>,
) -> crate::error::AppResult<crate::reachability::Decision> {
    let book = ScheduleBook::load(db, tenant_id, &[employee_id], at).await?;
    let schedule = book
        .schedule(employee_id)
        .ok_or(crate::error::AppError::NotFound("employee"))?;
    Ok(crate::reachability::evaluate(&schedule, priority, at))
}
