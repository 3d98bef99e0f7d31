//! Following notices up: lists, one notice with its stats, its deliveries; cancelling.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{delivery, notice, notice_recipient};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable,
    QueryFilter, QuerySelect,
    sea_query::{Alias, Expr, Func, SimpleExpr},
};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    plan::Outcome,
    view::{DeliveryView, NoticeView, Stats},
};
use crate::{
    audit,
    auth::{Access, Resource},
    auth::{AccessRole, Caller},
    db::write,
    delivery::outbox::DeliveryStatus,
    delivery::{
        Stops,
        broadcast::{self, Announced},
        outbox,
    },
    error::{AppError, AppResult},
    pagination::{Page, PageRequest, fetch_page, fetch_page_newest_first},
    reachability::Reason,
};

/// `CAST(SUM(CASE WHEN cond THEN 1 ELSE 0 END) AS BIGINT)`: how many rows of a group
/// meet `cond`, as the same integer type on both stores.
fn count_where(cond: Condition) -> SimpleExpr {
    Func::cast_as(
        Func::sum(Expr::case(cond, 1).finally(0)),
        Alias::new("BIGINT"),
    )
    .into()
}

/// Stats of each of `ids`, in two grouped queries.
pub async fn stats_for<C: ConnectionTrait>(
    db: &C,
    ids: &[Uuid],
) -> AppResult<HashMap<Uuid, Stats>> {
    let mut stats: HashMap<Uuid, Stats> = ids.iter().map(|id| (*id, Stats::default())).collect();
    if ids.is_empty() {
        return Ok(stats);
    }
    let by_status: Vec<(Uuid, DeliveryStatus, i64, i64)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::NoticeId)
        .column(delivery::Column::Status)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(
            count_where(Condition::all().add(delivery::Column::LostClaims.gt(0))),
            "taken_over",
        )
        .filter(delivery::Column::NoticeId.is_in(ids.iter().copied()))
        .group_by(delivery::Column::NoticeId)
        .group_by(delivery::Column::Status)
        .into_tuple()
        .all(db)
        .await?;
    for (id, status, n, taken_over) in by_status {
        let s = stats.entry(id).or_default();
        let n = n as u64;
        match status {
            DeliveryStatus::Sent => {
                s.sent += n;
                s.maybe_twice += taken_over as u64;
            }
            DeliveryStatus::Dead => s.dead += n,
            DeliveryStatus::Scheduled | DeliveryStatus::Sending => s.scheduled += n,
            DeliveryStatus::Failed => s.failed += n,
            DeliveryStatus::Expired => s.expired += n,
            DeliveryStatus::Cancelled => s.cancelled += n,
        }
    }
    let people: Vec<(Uuid, i64, i64, i64, i64, i64, i64)> = notice_recipient::Entity::find()
        .select_only()
        .column(notice_recipient::Column::NoticeId)
        .column_as(Expr::cust("COUNT(*)"), "recipients")
        .column_as(Expr::cust("COUNT(acked_at)"), "acked")
        .column_as(Expr::cust("COUNT(pushed_at)"), "reached")
        .column_as(
            count_where(
                Condition::all().add(notice_recipient::Column::Outcome.eq(Outcome::NoDevice)),
            ),
            "without_app",
        )
        // Reached at work (or on call), pushed, not yet acknowledged.
        .column_as(
            count_where(
                Condition::all()
                    .add(notice_recipient::Column::PushedAt.is_not_null())
                    .add(notice_recipient::Column::AckedAt.is_null())
                    .add(notice_recipient::Column::Reason.is_in(Reason::AT_WORK)),
            ),
            "unacked",
        )
        .column_as(
            count_where(
                Condition::all().add(
                    notice_recipient::Column::Reason
                        .is_in(Reason::iter().filter(|reason| reason.is_after_hours())),
                ),
            ),
            "after_hours",
        )
        .filter(notice_recipient::Column::NoticeId.is_in(ids.iter().copied()))
        .group_by(notice_recipient::Column::NoticeId)
        .into_tuple()
        .all(db)
        .await?;
    let asks_ack: HashMap<Uuid, bool> = notice::Entity::find()
        .select_only()
        .column(notice::Column::Id)
        .column(notice::Column::RequiresAck)
        .filter(notice::Column::Id.is_in(ids.iter().copied()))
        .into_tuple::<(Uuid, bool)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    for (id, recipients, acked, reached, without_app, unacked, after_hours) in people {
        let s = stats.entry(id).or_default();
        s.recipients = recipients as u64;
        s.acked = acked as u64;
        s.reached = reached as u64;
        s.without_app = without_app as u64;
        s.awaiting_ack = if asks_ack.get(&id).copied().unwrap_or(false) {
            unacked as u64
        } else {
            0
        };
        s.after_hours = after_hours as u64;
    }
    Ok(stats)
}

/// Admins follow every notice of their tenant; managers the ones they sent.
async fn find_visible<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<notice::Model> {
    caller.may(Resource::Notices, Access::Read)?;
    let mut query =
        notice::Entity::find_by_id(id).filter(notice::Column::TenantId.eq(caller.tenant_id));
    if caller.role != AccessRole::Admin {
        query = query.filter(notice::Column::SenderTokenId.eq(caller.principal_id));
    }
    query.one(db).await?.ok_or(AppError::NotFound("notice"))
}

/// A notice with its current stats.
pub async fn view<C: ConnectionTrait>(db: &C, model: notice::Model) -> AppResult<NoticeView> {
    let id = model.id;
    let stats = stats_for(db, &[id]).await?.remove(&id).unwrap_or_default();
    Ok(NoticeView::new(model, stats))
}

pub async fn get_notice<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<NoticeView> {
    view(db, find_visible(db, caller, id).await?).await
}

/// Newest first.
pub async fn list_notices<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<NoticeView>> {
    caller.may(Resource::Notices, Access::Read)?;
    let mut query = notice::Entity::find().filter(notice::Column::TenantId.eq(caller.tenant_id));
    if caller.role != AccessRole::Admin {
        query = query.filter(notice::Column::SenderTokenId.eq(caller.principal_id));
    }
    let page = fetch_page_newest_first(db, query, notice::Column::Id, |m| m.id, page).await?;
    let ids: Vec<Uuid> = page.items.iter().map(|m| m.id).collect();
    let mut stats = stats_for(db, &ids).await?;
    Ok(page.map(|m| {
        let s = stats.remove(&m.id).unwrap_or_default();
        NoticeView::new(m, s)
    }))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilter {
    /// Only deliveries in this status.
    pub status: Option<DeliveryStatus>,
    pub employee_id: Option<Uuid>,
}

pub async fn list_deliveries<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
    filter: &DeliveryFilter,
    page: PageRequest,
) -> AppResult<Page<DeliveryView>> {
    find_visible(db, caller, id).await?;
    let mut query = delivery::Entity::find().filter(delivery::Column::NoticeId.eq(id));
    if let Some(status) = filter.status {
        query = query.filter(delivery::Column::Status.eq(status));
    }
    if let Some(employee_id) = filter.employee_id {
        query = query.filter(delivery::Column::EmployeeId.eq(employee_id));
    }
    Ok(fetch_page(db, query, delivery::Column::Id, |m| m.id, page)
        .await?
        .map(DeliveryView::from))
}

/// Cancels what has not gone yet: the waiting rows in the transaction, and through
/// `stops` the ones this process has claimed but not pushed; other processes hear of it
/// as the transaction commits (`broadcast`). Cancelling twice changes nothing more.
pub async fn cancel(
    db: &DatabaseConnection,
    stops: &Stops,
    caller: &Caller,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<NoticeView> {
    caller.may(Resource::Notices, Access::Write)?;
    let view = write(db, async |txn| cancel_in(txn, caller, id, now).await).await?;
    stops.cancel(id);
    Ok(view)
}

async fn cancel_in<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<NoticeView> {
    let model = find_visible(db, caller, id).await?;
    if model.cancelled_at.is_none() {
        let cancelled = outbox::cancel_notice(db, id, now).await?;
        let mut active: notice::ActiveModel = model.into();
        active.cancelled_at = Set(Some(now));
        active.update(db).await?;
        audit::record(
            db,
            &caller.actor(),
            "notice.cancelled",
            "notice",
            id,
            None,
            Some(&serde_json::json!({ "deliveries_cancelled": cancelled })),
        )
        .await?;
        broadcast::announce(db, Announced::Cancelled { notice_id: id }).await?;
    }
    get_notice(db, caller, id).await
}

/// One unit's share of a notice: how many it was for, how many a push has reached, how
/// many acknowledged. Counts only: nobody's reading is shown person by person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitProgress {
    pub unit_id: Uuid,
    pub recipients: u64,
    pub reached: u64,
    pub acked: u64,
}

/// A recipient: who, when a push reached them, when they acknowledged.
type RecipientState = (Uuid, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A notice's progress per unit of its recipients, largest unit first.
pub async fn progress_by_unit<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Vec<UnitProgress>> {
    find_visible(db, caller, id).await?;
    let rows: Vec<RecipientState> = notice_recipient::Entity::find()
        .select_only()
        .columns([
            notice_recipient::Column::EmployeeId,
            notice_recipient::Column::PushedAt,
            notice_recipient::Column::AckedAt,
        ])
        .filter(notice_recipient::Column::NoticeId.eq(id))
        .into_tuple()
        .all(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|(e, _, _)| *e).collect();
    let people = crate::org::employees::people_of(db, caller.tenant_id, &ids).await?;
    let mut units: HashMap<Uuid, UnitProgress> = HashMap::new();
    for (employee, pushed, acked) in rows {
        let Some((_, unit_id)) = people.get(&employee) else {
            continue;
        };
        let p = units.entry(*unit_id).or_insert_with(|| UnitProgress {
            unit_id: *unit_id,
            ..Default::default()
        });
        p.recipients += 1;
        p.reached += u64::from(pushed.is_some());
        p.acked += u64::from(acked.is_some());
    }
    let mut units: Vec<UnitProgress> = units.into_values().collect();
    units.sort_by(|a, b| {
        b.recipients
            .cmp(&a.recipients)
            .then(a.unit_id.cmp(&b.unit_id))
    });
    Ok(units)
}

/// Where one recipient of a notice stands, for following it up person by person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// They have read (acknowledged) it.
    Read,
    /// A push reached a phone of theirs; not read yet.
    Reached,
    /// Waiting for their working time (or being pushed right now).
    Waiting,
    /// No app registered: only in their inbox.
    NoApp,
    /// Would have reached them only after it expired.
    Expired,
}

impl Standing {
    pub const ALL: [Standing; 5] = [
        Standing::Read,
        Standing::Reached,
        Standing::Waiting,
        Standing::NoApp,
        Standing::Expired,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Standing::Read => "read",
            Standing::Reached => "reached",
            Standing::Waiting => "waiting",
            Standing::NoApp => "no-app",
            Standing::Expired => "expired",
        }
    }

    pub fn by_name(name: &str) -> Option<Standing> {
        Standing::ALL.into_iter().find(|s| s.name() == name)
    }

    fn of(r: &notice_recipient::Model) -> Standing {
        if r.acked_at.is_some() {
            Standing::Read
        } else if r.pushed_at.is_some() {
            Standing::Reached
        } else if r.outcome == Outcome::NoDevice {
            Standing::NoApp
        } else if r.outcome == Outcome::Expired {
            Standing::Expired
        } else {
            Standing::Waiting
        }
    }
}

/// One recipient's line: who, where they stand, when it reached them (or is planned
/// to), when they read it.
#[derive(Clone, Debug)]
pub struct RecipientLine {
    pub employee_id: Uuid,
    pub standing: Standing,
    pub pushed_at: Option<DateTime<Utc>>,
    pub deliver_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
}

/// Every recipient of a notice the caller follows, each with where they stand.
pub async fn recipients<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Vec<RecipientLine>> {
    find_visible(db, caller, id).await?;
    Ok(notice_recipient::Entity::find()
        .filter(notice_recipient::Column::NoticeId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|r| RecipientLine {
            employee_id: r.employee_id,
            standing: Standing::of(&r),
            pushed_at: r.pushed_at,
            deliver_at: r.deliver_at,
            acked_at: r.acked_at,
        })
        .collect())
}
