//! Following notices up: lists, one notice with its stats, its deliveries; cancelling.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{delivery, employee, notice, notice_recipient};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Iterable, JoinType,
    QueryFilter, QueryOrder, QuerySelect,
    sea_query::{Alias, Expr, ExprTrait, Func, SimpleExpr},
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

/// A notice's progress per unit of its recipients, largest unit first: one grouped
/// query, however many people the notice reached.
pub async fn progress_by_unit<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Vec<UnitProgress>> {
    find_visible(db, caller, id).await?;
    let rows: Vec<(Uuid, i64, i64, i64)> = notice_recipient::Entity::find()
        .select_only()
        .column(employee::Column::UnitId)
        .column_as(Expr::cust("COUNT(*)"), "recipients")
        .column_as(
            Expr::cust(r#"COUNT("notice_recipients"."pushed_at")"#),
            "reached",
        )
        .column_as(
            Expr::cust(r#"COUNT("notice_recipients"."acked_at")"#),
            "acked",
        )
        .join(JoinType::InnerJoin, to_employee())
        .filter(notice_recipient::Column::NoticeId.eq(id))
        .filter(employee::Column::TenantId.eq(caller.tenant_id))
        .group_by(employee::Column::UnitId)
        .into_tuple()
        .all(db)
        .await?;
    let mut units: Vec<UnitProgress> = rows
        .into_iter()
        .map(|(unit_id, recipients, reached, acked)| UnitProgress {
            unit_id,
            recipients: recipients as u64,
            reached: reached as u64,
            acked: acked as u64,
        })
        .collect();
    units.sort_by(|a, b| {
        b.recipients
            .cmp(&a.recipients)
            .then(a.unit_id.cmp(&b.unit_id))
    });
    Ok(units)
}

/// A recipient's row joined to the person it is.
fn to_employee() -> sea_orm::RelationDef {
    notice_recipient::Entity::belongs_to(employee::Entity)
        .from(notice_recipient::Column::EmployeeId)
        .to(employee::Column::Id)
        .into()
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

    /// The recipients who stand here, as a condition on their rows (each recipient
    /// meets exactly one standing's).
    fn condition(self) -> Condition {
        use notice_recipient::Column as R;
        let unread = Condition::all().add(R::AckedAt.is_null());
        let not_pushed = unread.clone().add(R::PushedAt.is_null());
        match self {
            Standing::Read => Condition::all().add(R::AckedAt.is_not_null()),
            Standing::Reached => unread.add(R::PushedAt.is_not_null()),
            Standing::NoApp => not_pushed.add(R::Outcome.eq(Outcome::NoDevice)),
            Standing::Expired => not_pushed.add(R::Outcome.eq(Outcome::Expired)),
            Standing::Waiting => {
                not_pushed.add(R::Outcome.is_not_in([Outcome::NoDevice, Outcome::Expired]))
            }
        }
    }
}

/// Whom a follow-up lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    All,
    /// Everyone who has not read it.
    Unread,
    Only(Standing),
}

impl Shown {
    /// `all`, `unread` or a standing's name.
    pub fn by_name(name: &str) -> Option<Shown> {
        match name {
            "" | "all" => Some(Shown::All),
            "unread" => Some(Shown::Unread),
            other => Standing::by_name(other).map(Shown::Only),
        }
    }

    fn condition(self) -> Condition {
        match self {
            Shown::All => Condition::all(),
            Shown::Unread => Condition::all().add(notice_recipient::Column::AckedAt.is_null()),
            Shown::Only(standing) => standing.condition(),
        }
    }
}

/// How many of a notice's recipients stand where, in [`Standing::ALL`]'s order: one
/// query, counted by the database.
pub async fn standing_counts<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<Vec<(Standing, u64)>> {
    find_visible(db, caller, id).await?;
    let mut select = notice_recipient::Entity::find().select_only();
    for standing in Standing::ALL {
        select = select.column_as(count_where(standing.condition()), standing.name());
    }
    // SUM over no rows is NULL.
    type Count = Option<i64>;
    let counts: Option<(Count, Count, Count, Count, Count)> = select
        .filter(notice_recipient::Column::NoticeId.eq(id))
        .into_tuple()
        .one(db)
        .await?;
    let (read, reached, waiting, no_app, expired) = counts.unwrap_or_default();
    let n = |count: Option<i64>| count.unwrap_or(0).unsigned_abs();
    Ok(vec![
        (Standing::Read, n(read)),
        (Standing::Reached, n(reached)),
        (Standing::Waiting, n(waiting)),
        (Standing::NoApp, n(no_app)),
        (Standing::Expired, n(expired)),
    ])
}

/// One recipient in a follow-up: who, where they stand, when it reached them (or is
/// planned to), when they read it.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct FollowUpRow {
    pub employee_id: Uuid,
    pub name: String,
    pub unit_id: Uuid,
    pub pushed_at: Option<DateTime<Utc>>,
    pub deliver_at: Option<DateTime<Utc>>,
    pub acked_at: Option<DateTime<Utc>>,
    pub outcome: Outcome,
}

impl FollowUpRow {
    pub fn standing(&self) -> Standing {
        if self.acked_at.is_some() {
            Standing::Read
        } else if self.pushed_at.is_some() {
            Standing::Reached
        } else if self.outcome == Outcome::NoDevice {
            Standing::NoApp
        } else if self.outcome == Outcome::Expired {
            Standing::Expired
        } else {
            Standing::Waiting
        }
    }
}

/// The `page`th (from 0) `per_page` recipients `shown` picks, by name: the page is
/// read by the database, so a notice to a whole region costs what one to a ward does.
/// Names compare byte by byte on both stores, as the sorted lists do.
pub async fn follow_up_page<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
    shown: Shown,
    page: u64,
    per_page: u64,
) -> AppResult<Vec<FollowUpRow>> {
    use notice_recipient::Column as R;
    find_visible(db, caller, id).await?;
    let postgres = db.get_database_backend() == sea_orm::DbBackend::Postgres;
    let by_name = if postgres {
        r#""employees"."name" COLLATE "C""#
    } else {
        r#""employees"."name""#
    };
    // The people in name order (migration 19's index), each looked up among the
    // notice's recipients: a page costs its place in the list, not a sort of everyone
    // the notice reached (SQLite sorted all 20,000 for each page: 26 ms against 6).
    // SQLite keeps the order of a CROSS JOIN; PostgreSQL plans the join itself (and has
    // no CROSS JOIN with a condition).
    let join = if postgres {
        JoinType::InnerJoin
    } else {
        JoinType::CrossJoin
    };
    Ok(employee::Entity::find()
        .select_only()
        .column(employee::Column::Name)
        .column(employee::Column::UnitId)
        .columns([
            R::EmployeeId,
            R::PushedAt,
            R::DeliverAt,
            R::AckedAt,
            R::Outcome,
        ])
        .join(join, to_employee().rev())
        // The join's condition once more: SeaORM writes a CROSS JOIN without its ON.
        .filter(
            Expr::col((notice_recipient::Entity, R::EmployeeId))
                .equals((employee::Entity, employee::Column::Id)),
        )
        .filter(R::NoticeId.eq(id))
        .filter(employee::Column::TenantId.eq(caller.tenant_id))
        .filter(shown.condition())
        .order_by(Expr::cust(by_name), sea_orm::Order::Asc)
        .order_by(employee::Column::Id, sea_orm::Order::Asc)
        .offset(page * per_page)
        .limit(per_page)
        .into_model::<FollowUpRow>()
        .all(db)
        .await?)
}
