//! An employee's inbox: every notice sent to them, held and expired ones included, and
//! acknowledging. Nothing here is shown to anyone else but as counts.
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{notice, notice_recipient};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::Expr,
};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    auth::{Access, Caller},
    db::write,
    delivery::{
        Stops,
        broadcast::{self, Announced},
        outbox,
    },
    error::{AppError, AppResult},
    pagination::{Page, PageRequest, fetch_page_newest_first},
    reachability::Priority,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItem {
    /// The notice's id.
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub sender: String,
    pub sent_at: DateTime<Utc>,
    /// When it may reach my phone; null while no working time of mine is known.
    pub deliver_at: Option<DateTime<Utc>>,
    /// `available` (its time has come), `held` (waits for my working time), `read` (I
    /// acknowledged it), `expired` or `cancelled`.
    pub status: &'static str,
    /// When a push first reached one of my phones.
    pub pushed_at: Option<DateTime<Utc>>,
    pub requires_ack: bool,
    pub acked_at: Option<DateTime<Utc>>,
}

/// What a notice is to one of its recipients: `cancelled`, `read`, `expired`,
/// `available` (its time has come) or `held`. The inbox shows it; the iOS badge counts
/// the `available` ones.
fn status_of(
    cancelled: bool,
    expires_at: Option<DateTime<Utc>>,
    r: &notice_recipient::Model,
    now: DateTime<Utc>,
) -> &'static str {
    if cancelled {
        "cancelled"
    } else if r.acked_at.is_some() {
        "read"
    } else if r.outcome == crate::notices::plan::Outcome::Expired
        || expires_at.is_some_and(|e| e <= now && r.pushed_at.is_none())
    {
        "expired"
    } else if r.pushed_at.is_some() || r.deliver_at.is_some_and(|d| d <= now) {
        "available"
    } else {
        "held"
    }
}

fn item(n: notice::Model, r: notice_recipient::Model, now: DateTime<Utc>) -> InboxItem {
    let status = status_of(n.cancelled_at.is_some(), n.expires_at, &r, now);
    InboxItem {
        id: n.id,
        title: n.title,
        body: n.body,
        priority: n.priority,
        sender: n.sender_name,
        sent_at: n.send_at,
        deliver_at: r.deliver_at,
        status,
        pushed_at: r.pushed_at,
        requires_ack: n.requires_ack,
        acked_at: r.acked_at,
    }
}

/// Newest first. Notices planned for later appear once their send time has come; one
/// cancelled before it reached me is not shown.
pub async fn my_notices<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    now: DateTime<Utc>,
    page: PageRequest,
) -> AppResult<Page<InboxItem>> {
    let employee_id = caller.own_employee(Access::Read)?;
    let tenant_id = caller.tenant_id;
    let query = notice_recipient::Entity::find()
        .filter(notice_recipient::Column::TenantId.eq(tenant_id))
        .filter(notice_recipient::Column::EmployeeId.eq(employee_id))
        .filter(
            notice_recipient::Column::NoticeId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(notice::Column::Id)
                    .from(notice::Entity)
                    .and_where(notice::Column::TenantId.eq(tenant_id))
                    .and_where(notice::Column::SendAt.lte(now))
                    .to_owned(),
            ),
        );
    let page = fetch_page_newest_first(
        db,
        query,
        notice_recipient::Column::NoticeId,
        |r| r.notice_id,
        page,
    )
    .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|r| r.notice_id).collect();
    let mut notices: HashMap<Uuid, notice::Model> = notice::Entity::find()
        .filter(notice::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|n| (n.id, n))
        .collect();
    let items = page
        .items
        .into_iter()
        .filter_map(|r| {
            let n = notices.remove(&r.notice_id)?;
            let hidden = n.cancelled_at.is_some() && r.pushed_at.is_none();
            (!hidden).then(|| item(n, r, now))
        })
        .collect();
    Ok(Page {
        items,
        next_cursor: page.next_cursor,
    })
}

type At = DateTime<Utc>;

/// How far back the badge counts: a notice older than this no longer asks to be read.
pub const UNREAD_DAYS: i64 = 30;

/// How many notices each of `people` has available and not read (the iOS badge), among
/// those made in the last [`UNREAD_DAYS`] — a range of the (person, notice) index, as
/// notice ids grow with time (UUIDv7). One query for the people, one for their notices.
pub async fn unread_counts<C: ConnectionTrait>(
    db: &C,
    people: &[Uuid],
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, u32>> {
    let since_ms =
        u64::try_from((now - chrono::Duration::days(UNREAD_DAYS)).timestamp_millis()).unwrap_or(0);
    let oldest = uuid::Builder::from_unix_timestamp_millis(since_ms, &[0; 10]).into_uuid();
    let mut waiting = Vec::new();
    for chunk in people.chunks(1_000) {
        waiting.extend(
            notice_recipient::Entity::find()
                .filter(notice_recipient::Column::EmployeeId.is_in(chunk.iter().copied()))
                .filter(notice_recipient::Column::NoticeId.gte(oldest))
                .filter(notice_recipient::Column::AckedAt.is_null())
                .all(db)
                .await?,
        );
    }
    let notice_ids: std::collections::HashSet<Uuid> = waiting.iter().map(|r| r.notice_id).collect();
    let mut notices: HashMap<Uuid, (bool, Option<DateTime<Utc>>)> = HashMap::new();
    let ids: Vec<Uuid> = notice_ids.into_iter().collect();
    for chunk in ids.chunks(1_000) {
        let found: Vec<(Uuid, Option<At>, Option<At>)> = notice::Entity::find()
            .select_only()
            .column(notice::Column::Id)
            .column(notice::Column::CancelledAt)
            .column(notice::Column::ExpiresAt)
            .filter(notice::Column::Id.is_in(chunk.iter().copied()))
            .filter(notice::Column::SendAt.lte(now))
            .into_tuple()
            .all(db)
            .await?;
        notices.extend(
            found
                .into_iter()
                .map(|(id, cancelled_at, expires_at)| (id, (cancelled_at.is_some(), expires_at))),
        );
    }
    let mut counts = HashMap::new();
    for r in &waiting {
        let Some(&(cancelled, expires_at)) = notices.get(&r.notice_id) else {
            continue;
        };
        if status_of(cancelled, expires_at, r, now) == "available" {
            *counts.entry(r.employee_id).or_default() += 1;
        }
    }
    Ok(counts)
}

/// Acknowledges a notice; again changes nothing. Whatever was still to be pushed to me
/// of it stops: a first push waiting for my working time ends `cancelled` (`acked`), a
/// repeat of a call-in `sent`; one already claimed is stopped before it leaves (`stops`,
/// and in other processes through `broadcast`).
pub async fn acknowledge(
    db: &DatabaseConnection,
    stops: &Stops,
    caller: &Caller,
    notice_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<InboxItem> {
    let employee_id = caller.own_employee(Access::Write)?;
    let tenant_id = caller.tenant_id;
    write(db, async |db| {
        let n = notice::Entity::find_by_id(notice_id)
            .filter(notice::Column::TenantId.eq(tenant_id))
            .filter(notice::Column::SendAt.lte(now))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("notice"))?;
        let r = notice_recipient::Entity::find_by_id((notice_id, employee_id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("notice"))?;
        if r.acked_at.is_none() {
            notice_recipient::Entity::update_many()
                .col_expr(notice_recipient::Column::AckedAt, Expr::value(now))
                .filter(notice_recipient::Column::NoticeId.eq(notice_id))
                .filter(notice_recipient::Column::EmployeeId.eq(employee_id))
                .filter(notice_recipient::Column::AckedAt.is_null())
                .exec(db)
                .await?;
            outbox::end_acknowledged(db, notice_id, employee_id, now).await?;
            let acked = Announced::Acked {
                notice_id,
                employee_id,
            };
            broadcast::announce(db, acked).await?;
        }
        let r = notice_recipient::Entity::find_by_id((notice_id, employee_id))
            .one(db)
            .await?
            .ok_or(AppError::NotFound("notice"))?;
        Ok(item(n, r, now))
    })
    .await
    .inspect(|_| stops.acknowledge(notice_id, employee_id))
}
