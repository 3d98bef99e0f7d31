//! Planning: for each recipient, when (and whether) the notice may reach each of their
//! registered phones — the reachability engine's answer turned into outbox rows.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::push_registration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::AppResult,
    reachability::{Decision, Priority, Reason, Schedule, evaluate},
};

/// Ids per `IN (...)` list.
const CHUNK: usize = 1_000;

/// A phone a notice may be pushed to.
#[derive(Clone, Copy, Debug)]
pub struct Registration {
    pub id: Uuid,
    /// No organization device behind it.
    pub private: bool,
    /// The private phone's owner lets urgent notices through off hours.
    pub urgent_off_hours: bool,
}

/// The live (not disabled) registrations of `employees` (already resolved within one
/// tenant), by employee. Filtering on the tenant as well would lead SQLite to the
/// (tenant, provider, token) index and a scan per chunk instead of the employee index.
pub async fn load_registrations<C: ConnectionTrait>(
    db: &C,
    employees: &[Uuid],
) -> AppResult<HashMap<Uuid, Vec<Registration>>> {
    let mut by_employee: HashMap<Uuid, Vec<Registration>> = HashMap::new();
    for chunk in employees.chunks(CHUNK) {
        let rows: Vec<(Uuid, Uuid, Option<Uuid>, bool)> = push_registration::Entity::find()
            .select_only()
            .column(push_registration::Column::Id)
            .column(push_registration::Column::EmployeeId)
            .column(push_registration::Column::DeviceId)
            .column(push_registration::Column::UrgentOffHours)
            .filter(push_registration::Column::EmployeeId.is_in(chunk.iter().copied()))
            .filter(push_registration::Column::DisabledAt.is_null())
            .into_tuple()
            .all(db)
            .await?;
        for (id, employee_id, device_id, urgent_off_hours) in rows {
            by_employee
                .entry(employee_id)
                .or_default()
                .push(Registration {
                    id,
                    private: device_id.is_none(),
                    urgent_off_hours,
                });
        }
    }
    Ok(by_employee)
}

pub use entities::vocab::Outcome;

/// What a sender sees before and after pressing send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Summary {
    pub now: u32,
    pub held: u32,
    pub expired: u32,
    pub no_device: u32,
}

impl Summary {
    pub fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Now => self.now += 1,
            Outcome::Held => self.held += 1,
            Outcome::Expired => self.expired += 1,
            Outcome::NoDevice => self.no_device += 1,
        }
    }
}

/// The notice's terms that planning depends on.
#[derive(Clone, Copy, Debug)]
pub struct Terms {
    pub priority: Priority,
    pub send_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// One outbox row to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedDelivery {
    pub registration_id: Uuid,
    /// `scheduled`, or `expired` when it could only arrive after the notice expires.
    pub expired: bool,
    /// When it falls due; `None` while no working time is known.
    pub due_at: Option<DateTime<Utc>>,
    pub push_expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct RecipientPlan {
    pub decision: Decision,
    pub outcome: Outcome,
    pub deliveries: Vec<PlannedDelivery>,
}

/// Urgent pushes outside working time reach organization phones, and private phones
/// only when their owner opted in.
fn may_push(registration: &Registration, priority: Priority, reason: Reason) -> bool {
    let off_hours =
        priority == Priority::Urgent && matches!(reason, Reason::Urgent | Reason::OnCall);
    !off_hours || !registration.private || registration.urgent_off_hours
}

/// The end of a push's life at Apple and Google: the end of the window it lands in
/// (non-urgent) or the notice's own expiry, whichever comes first.
pub fn push_expiry(terms: &Terms, decision: &Decision) -> Option<DateTime<Utc>> {
    let window_end = match terms.priority {
        Priority::Urgent => None,
        Priority::Info | Priority::Important => decision.window_ends_at,
    };
    match (window_end, terms.expires_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What a decision means for someone with a phone: now, held or expired; and whether it
/// comes too late to be pushed at all.
pub fn timing(decision: &Decision, terms: &Terms) -> (Outcome, bool) {
    let expired = matches!(
        (decision.deliver_at, terms.expires_at),
        (Some(at), Some(expires)) if at >= expires
    );
    let outcome = if expired {
        Outcome::Expired
    } else if decision.deliver_at == Some(terms.send_at) {
        Outcome::Now
    } else {
        Outcome::Held
    };
    (outcome, expired)
}

/// Plans one recipient: the engine's decision at `send_at`, and a row per phone.
pub fn plan_recipient(
    schedule: &Schedule<'_>,
    registrations: &[Registration],
    terms: &Terms,
) -> RecipientPlan {
    let decision = evaluate(schedule, terms.priority, terms.send_at);
    plan_with(decision, registrations, terms)
}

/// [`plan_recipient`] for a decision already made (re-planning reuses it).
pub fn plan_with(
    decision: Decision,
    registrations: &[Registration],
    terms: &Terms,
) -> RecipientPlan {
    let usable: Vec<&Registration> = registrations
        .iter()
        .filter(|r| may_push(r, terms.priority, decision.reason))
        .collect();
    let (timed, expired) = timing(&decision, terms);
    let outcome = if usable.is_empty() {
        Outcome::NoDevice
    } else {
        timed
    };
    let push_expires_at = push_expiry(terms, &decision);
    let deliveries = usable
        .into_iter()
        .map(|r| PlannedDelivery {
            registration_id: r.id,
            expired,
            due_at: decision.deliver_at,
            push_expires_at,
        })
        .collect();
    RecipientPlan {
        decision,
        outcome,
        deliveries,
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0).unwrap()
    }

    fn decision(deliver_at: Option<DateTime<Utc>>, reason: Reason) -> Decision {
        Decision {
            deliver_at,
            reason,
            window_ends_at: deliver_at.map(|d| d + Duration::hours(2)),
        }
    }

    fn phone(private: bool, urgent_off_hours: bool) -> Registration {
        Registration {
            id: Uuid::now_v7(),
            private,
            urgent_off_hours,
        }
    }

    fn terms(priority: Priority, expires_at: Option<DateTime<Utc>>) -> Terms {
        Terms {
            priority,
            send_at: at(8, 0),
            expires_at,
        }
    }

    #[test]
    fn in_working_time_it_goes_now_and_expires_with_the_window() {
        let plan = plan_with(
            decision(Some(at(8, 0)), Reason::WorkingHours),
            &[phone(false, false)],
            &terms(Priority::Info, None),
        );
        assert_eq!(plan.outcome, Outcome::Now);
        assert_eq!(plan.deliveries[0].due_at, Some(at(8, 0)));
        assert_eq!(plan.deliveries[0].push_expires_at, Some(at(10, 0)));
        assert!(!plan.deliveries[0].expired);
    }

    #[test]
    fn off_duty_it_is_held_and_the_sooner_expiry_wins() {
        let plan = plan_with(
            decision(Some(at(12, 0)), Reason::OffDuty),
            &[phone(true, false), phone(false, false)],
            &terms(Priority::Important, Some(at(13, 0))),
        );
        assert_eq!(plan.outcome, Outcome::Held);
        assert_eq!(plan.deliveries.len(), 2);
        assert_eq!(plan.deliveries[0].push_expires_at, Some(at(13, 0)));
    }

    #[test]
    fn arriving_after_expiry_is_expired_and_never_due_to_push() {
        let plan = plan_with(
            decision(Some(at(12, 0)), Reason::OffDuty),
            &[phone(false, false)],
            &terms(Priority::Info, Some(at(12, 0))),
        );
        assert_eq!(plan.outcome, Outcome::Expired);
        assert!(plan.deliveries[0].expired);
    }

    #[test]
    fn nobody_with_a_phone_is_no_device() {
        let plan = plan_with(
            decision(Some(at(8, 0)), Reason::WorkingHours),
            &[],
            &terms(Priority::Info, None),
        );
        assert_eq!(plan.outcome, Outcome::NoDevice);
        assert!(plan.deliveries.is_empty());
    }

    #[test]
    fn urgent_off_hours_skips_private_phones_unless_their_owner_opted_in() {
        let work = phone(false, false);
        let private = phone(true, false);
        let opted_in = phone(true, true);
        let plan = plan_with(
            decision(Some(at(8, 0)), Reason::Urgent),
            &[work, private, opted_in],
            &terms(Priority::Urgent, None),
        );
        let ids: Vec<Uuid> = plan.deliveries.iter().map(|d| d.registration_id).collect();
        assert_eq!(ids, vec![work.id, opted_in.id]);
        assert_eq!(plan.outcome, Outcome::Now);
        assert_eq!(
            plan.deliveries[0].push_expires_at, None,
            "urgent has no window expiry"
        );
        // In working time a private phone gets urgent notices like any other.
        let plan = plan_with(
            decision(Some(at(8, 0)), Reason::WorkingHours),
            &[private],
            &terms(Priority::Urgent, None),
        );
        assert_eq!(plan.deliveries.len(), 1);
        // Only a private phone, not opted in, off hours: no device to reach.
        let plan = plan_with(
            decision(Some(at(8, 0)), Reason::OnCall),
            &[private],
            &terms(Priority::Urgent, None),
        );
        assert_eq!(plan.outcome, Outcome::NoDevice);
    }

    #[test]
    fn without_working_time_it_is_held_with_no_due_time() {
        let plan = plan_with(
            decision(None, Reason::NoWorkingTime),
            &[phone(false, false)],
            &terms(Priority::Info, None),
        );
        assert_eq!(plan.outcome, Outcome::Held);
        assert_eq!(plan.deliveries[0].due_at, None);
    }
}
