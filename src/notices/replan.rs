//! Re-planning: when working time changes, the deliveries still waiting for the people
//! it touches are planned again, in the same transaction as the change — a shift
//! swapped away must not trigger a push at its old start.
use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entities::{delivery, notice, notice_recipient};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};
use uuid::Uuid;

use super::plan::{Terms, push_expiry, timing};
use crate::{
    delivery::outbox,
    error::AppResult,
    reachability::{Priority, evaluate},
    schedules::book::ScheduleBook,
};

/// Whose working time changed.
#[derive(Clone, Debug)]
pub enum Affected {
    /// The tenant's policy or a unit's hours: anyone may be touched.
    Tenant,
    Employees(Vec<Uuid>),
}

/// Plans the waiting (not yet pushed, not urgent) deliveries of the affected people
/// again from `now`. Returns how many were re-planned.
pub async fn replan<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    affected: Affected,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let mut query = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::Id)
        .column(delivery::Column::NoticeId)
        .column(delivery::Column::EmployeeId)
        .column(delivery::Column::RegistrationId)
        .filter(delivery::Column::TenantId.eq(tenant_id))
        .filter(delivery::Column::Status.eq(outbox::DeliveryStatus::Scheduled))
        .filter(delivery::Column::Pushes.eq(0));
    if let Affected::Employees(ids) = &affected {
        if ids.is_empty() {
            return Ok(0);
        }
        query = query.filter(delivery::Column::EmployeeId.is_in(ids.iter().copied()));
    }
    let waiting: Vec<(Uuid, Uuid, Uuid, Uuid)> = query.into_tuple().all(db).await?;
    if waiting.is_empty() {
        return Ok(0);
    }
    let notice_ids: BTreeSet<Uuid> = waiting.iter().map(|(_, n, _, _)| *n).collect();
    let notices: HashMap<Uuid, notice::Model> = notice::Entity::find()
        .filter(notice::Column::Id.is_in(notice_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let employees: Vec<Uuid> = waiting
        .iter()
        .map(|(_, _, e, _)| *e)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let book = ScheduleBook::load(db, tenant_id, &employees, now).await?;
    let spread = outbox::FairSpread::of_tenant(db, tenant_id).await?;

    // One decision per (notice, employee), shared by their phones.
    let mut by_recipient: HashMap<(Uuid, Uuid), Vec<(Uuid, Uuid)>> = HashMap::new();
    for (id, notice_id, employee_id, registration_id) in &waiting {
        by_recipient
            .entry((*notice_id, *employee_id))
            .or_default()
            .push((*id, *registration_id));
    }
    let mut replanned = 0;
    for ((notice_id, employee_id), delivery_ids) in by_recipient {
        let (Some(n), Some(schedule)) = (notices.get(&notice_id), book.schedule(employee_id))
        else {
            continue;
        };
        let priority = n.priority;
        if priority == Priority::Urgent {
            continue; // Urgent goes at once: nothing of it waits for working time.
        }
        let terms = Terms {
            priority,
            send_at: n.send_at.max(now),
            expires_at: n.expires_at,
        };
        let decision = evaluate(&schedule, priority, terms.send_at);
        let (outcome, expired) = timing(&decision, &terms);
        let due_at = if expired { None } else { decision.deliver_at };
        // One statement per phone: each has its own place in the queue.
        for (id, registration_id) in &delivery_ids {
            delivery::Entity::update_many()
                .col_expr(
                    delivery::Column::DeliverAt,
                    Expr::value(decision.deliver_at),
                )
                .col_expr(delivery::Column::DueAt, Expr::value(due_at))
                .col_expr(
                    delivery::Column::QueueAt,
                    Expr::value(outbox::queue_at(due_at, false, *registration_id, spread)),
                )
                .col_expr(
                    delivery::Column::PushExpiresAt,
                    Expr::value(push_expiry(&terms, &decision)),
                )
                .col_expr(
                    delivery::Column::Status,
                    Expr::value(if expired {
                        outbox::DeliveryStatus::Expired
                    } else {
                        outbox::DeliveryStatus::Scheduled
                    }),
                )
                .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                .filter(delivery::Column::Id.eq(*id))
                .filter(delivery::Column::Status.eq(outbox::DeliveryStatus::Scheduled))
                .exec(db)
                .await?;
        }
        notice_recipient::Entity::update_many()
            .col_expr(
                notice_recipient::Column::DeliverAt,
                Expr::value(decision.deliver_at),
            )
            .col_expr(
                notice_recipient::Column::Reason,
                Expr::value(decision.reason),
            )
            .col_expr(
                notice_recipient::Column::WindowEndsAt,
                Expr::value(decision.window_ends_at),
            )
            .col_expr(notice_recipient::Column::Outcome, Expr::value(outcome))
            .filter(notice_recipient::Column::NoticeId.eq(notice_id))
            .filter(notice_recipient::Column::EmployeeId.eq(employee_id))
            .exec(db)
            .await?;
        replanned += delivery_ids.len();
    }
    Ok(replanned)
}
