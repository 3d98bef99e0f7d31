//! Sending a notice: plan every recipient with the reachability engine, then write the
//! notice, its inbox rows and its outbox rows in one transaction. And the preview: the
//! same plan, written nowhere.
use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use entities::{notice, notice_recipient};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    audience,
    input::{NoticeInput, ValidNotice, validate},
    plan::{RecipientPlan, Summary, Terms, load_registrations, plan_recipient},
    read,
    view::{NoticeView, Preview, PreviewRecipient},
};
use crate::{
    audit,
    auth::Caller,
    auth::{Access, Resource},
    db::begin_write,
    delivery::outbox,
    error::{AppError, AppResult},
    limits::LimitsConfig,
    reachability::Priority,
    schedules::book::ScheduleBook,
};

/// How long an `Idempotency-Key` answers with the first notice.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;

/// A client's `Idempotency-Key`, checked.
#[derive(Clone, Debug)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let key = raw.trim();
        if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(AppError::invalid(
                "Idempotency-Key",
                "must be 1 to 255 visible ASCII characters",
            ));
        }
        Ok(Self(key.to_owned()))
    }
}

struct Planned {
    recipients: Vec<(Uuid, RecipientPlan, Option<Tz>)>,
    summary: Summary,
}

async fn plan_notice<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    notice: &ValidNotice,
) -> AppResult<Planned> {
    let scope = caller.unit_scope(db).await?;
    let employees = audience::resolve(
        db,
        caller.tenant_id,
        &notice.audience,
        &scope,
        notice.send_at.date_naive(),
    )
    .await?;
    if employees.is_empty() {
        return Err(AppError::invalid(
            "audience",
            "reaches nobody (no current employees match)",
        ));
    }
    let book = ScheduleBook::load(db, caller.tenant_id, &employees, notice.send_at).await?;
    let registrations = load_registrations(db, &employees).await?;

    let terms = Terms {
        priority: notice.priority,
        send_at: notice.send_at,
        expires_at: notice.expires_at,
    };
    let mut summary = Summary::default();
    let mut recipients = Vec::with_capacity(employees.len());
    for employee_id in employees {
        let Some(schedule) = book.schedule(employee_id) else {
            continue;
        };
        let phones = registrations
            .get(&employee_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let plan = plan_recipient(&schedule, phones, &terms);
        summary.count(plan.outcome);
        recipients.push((employee_id, plan, book.zone(employee_id)));
    }
    Ok(Planned {
        recipients,
        summary,
    })
}

/// What sending would do, person by person; writes nothing.
pub async fn preview(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NoticeInput,
    now: DateTime<Utc>,
) -> AppResult<Preview> {
    caller.may(Resource::Notices, Access::Write)?;
    let notice = validate(input, caller, now)?;
    let planned = plan_notice(db, caller, &notice).await?;
    Ok(Preview {
        summary: planned.summary,
        recipients: planned
            .recipients
            .into_iter()
            .map(|(employee_id, plan, zone)| PreviewRecipient {
                employee_id,
                deliver_at: plan.decision.deliver_at,
                reason: plan.decision.reason,
                outcome: plan.outcome,
                utc_offset: match (plan.decision.deliver_at, zone) {
                    (Some(at), Some(zone)) => {
                        Some(at.with_timezone(&zone).format("%:z").to_string())
                    }
                    _ => None,
                },
            })
            .collect(),
    })
}

/// The result of a create: the notice, and whether it is the first answer replayed.
pub struct Created {
    pub notice: NoticeView,
    pub replayed: bool,
}

fn request_hash(input: &NoticeInput) -> AppResult<String> {
    let bytes = serde_json::to_vec(input).map_err(anyhow::Error::from)?;
    Ok(format!("{:x}", Sha256::digest(bytes)))
}

/// The notice a key already made, if it is still within the window. A key reused with
/// a different request is refused rather than answered with the wrong notice.
async fn earlier<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    key: &IdempotencyKey,
    hash: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<notice::Model>> {
    let Some(found) = notice::Entity::find()
        .filter(notice::Column::TenantId.eq(caller.tenant_id))
        .filter(notice::Column::SenderTokenId.eq(caller.principal_id))
        .filter(notice::Column::IdempotencyKey.eq(key.0.as_str()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    if found.created_at < now - Duration::hours(IDEMPOTENCY_WINDOW_HOURS) {
        // Expired: free the key for this new request.
        notice::Entity::update_many()
            .col_expr(
                notice::Column::IdempotencyKey,
                Expr::value(Option::<String>::None),
            )
            .filter(notice::Column::Id.eq(found.id))
            .exec(db)
            .await?;
        return Ok(None);
    }
    if found.request_hash.as_deref() != Some(hash) {
        return Err(AppError::invalid(
            "Idempotency-Key",
            "was used for a different notice in the last 24 hours",
        ));
    }
    Ok(Some(found))
}

/// Who a notice is from, as its readers know them: the person behind the caller
/// (signed in, or a token issued to them), else the token's name (a system's).
async fn sender_name<C: ConnectionTrait>(db: &C, caller: &Caller) -> AppResult<String> {
    let Some(employee_id) = caller.employee_id else {
        return Ok(caller.name.clone());
    };
    Ok(
        crate::org::employees::find_in_tenant(db, caller.tenant_id, employee_id)
            .await
            .map_or_else(|_| caller.name.clone(), |e| e.name),
    )
}

/// Refuses (429) an urgent notice from a sender who has sent `per_hour` of them in the
/// last hour. Urgent notices break through everyone's quiet hours: a bound keeps one
/// sender (or one stolen token) from waking a ward again and again. Counted from the
/// notices themselves, so every instance on one database agrees; two sent at the very
/// same moment may both pass.
async fn check_urgent_budget<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    per_hour: u32,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let since = now - Duration::hours(1);
    let recent: Vec<DateTime<Utc>> = notice::Entity::find()
        .filter(notice::Column::TenantId.eq(caller.tenant_id))
        .filter(notice::Column::SenderTokenId.eq(caller.principal_id))
        .filter(notice::Column::Priority.eq(Priority::Urgent))
        .filter(notice::Column::CreatedAt.gt(since))
        .select_only()
        .column(notice::Column::CreatedAt)
        .order_by_asc(notice::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?;
    if recent.len() < per_hour as usize {
        return Ok(());
    }
    // Free again when the oldest of the hour's last `per_hour` leaves the window.
    let frees_at = recent[recent.len() - per_hour as usize] + Duration::hours(1);
    Err(AppError::TooManyRequests {
        detail: format!(
            "at most {per_hour} urgent notices an hour from one sender; send this one as important, or wait"
        ),
        retry_after: (frees_at - now).num_seconds().max(1) as u64,
    })
}

/// Sends a notice: plans it and writes notice, inbox and outbox in one transaction.
/// An urgent one counts against the sender's `urgent_notices_per_hour`, and without an
/// expiry of its own expires `urgent_expires_after_minutes` after its send time.
pub async fn create(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NoticeInput,
    key: Option<IdempotencyKey>,
    limits: &LimitsConfig,
    now: DateTime<Utc>,
) -> AppResult<Created> {
    caller.may(Resource::Notices, Access::Write)?;
    let hash = request_hash(&input)?;
    let mut valid = validate(input, caller, now)?;
    if valid.priority == Priority::Urgent && valid.expires_at.is_none() {
        valid.expires_at = Some(
            valid.send_at
                + Duration::minutes(i64::from(limits.urgent_expires_after_minutes.max(1))),
        );
    }
    let urgent_per_hour = limits.urgent_notices_per_hour;
    let txn = begin_write(db).await?;
    if let Some(key) = &key
        && let Some(found) = earlier(&txn, caller, key, &hash, now).await?
    {
        txn.rollback().await?;
        return Ok(Created {
            notice: read::view(db, found).await?,
            replayed: true,
        });
    }
    if valid.priority == Priority::Urgent {
        check_urgent_budget(&txn, caller, urgent_per_hour, now).await?;
    }
    let started = std::time::Instant::now();
    let planned = plan_notice(&txn, caller, &valid).await?;
    let planning = started.elapsed();
    let sender_name = sender_name(&txn, caller).await?;
    let id = Uuid::now_v7();
    let model = notice::ActiveModel {
        id: Set(id),
        tenant_id: Set(caller.tenant_id),
        title: Set(valid.title.clone()),
        body: Set(valid.body.clone()),
        priority: Set(valid.priority),
        audience: Set(crate::schedules::to_json(&valid.audience)?),
        send_at: Set(valid.send_at),
        expires_at: Set(valid.expires_at),
        requires_ack: Set(valid.requires_ack),
        repeat_until_ack: Set(valid.repeat_until_ack),
        urgent_reason: Set(valid.urgent_reason.clone()),
        sender_token_id: Set(caller.principal_id),
        sender_name: Set(sender_name),
        idempotency_key: Set(key.as_ref().map(|k| k.0.clone())),
        request_hash: Set(Some(hash.clone())),
        summary: Set(crate::schedules::to_json(&planned.summary)?),
        created_at: Set(now),
        cancelled_at: Set(None),
    };
    let inserted = match model.insert(&txn).await {
        Ok(inserted) => inserted,
        // The same key from a request racing this one, on PostgreSQL: it won.
        Err(e) if key.is_some() && is_unique_violation(&e) => {
            txn.rollback().await?;
            let found = earlier(db, caller, key.as_ref().expect("checked"), &hash, now)
                .await?
                .ok_or(AppError::Database(e))?;
            return Ok(Created {
                notice: read::view(db, found).await?,
                replayed: true,
            });
        }
        Err(e) => return Err(e.into()),
    };
    let urgent = valid.priority == Priority::Urgent;
    let spread = outbox::FairSpread::of_tenant(&txn, caller.tenant_id).await?;
    write_plan(&txn, caller.tenant_id, id, (urgent, spread), &planned, now).await?;
    audit::record(
        &txn,
        &caller.actor(),
        "notice.sent",
        "notice",
        id,
        None,
        Some(&json!({
            "title": valid.title,
            "priority": valid.priority,
            "urgent_reason": valid.urgent_reason,
            "send_at": valid.send_at,
            "summary": planned.summary,
            "after_hours": planned.recipients.iter()
                .filter(|(_, p, _)| p.decision.reason.is_after_hours())
                .count(),
        })),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        notice_id = %id,
        recipients = planned.recipients.len(),
        planning_ms = planning.as_millis() as u64,
        writing_ms = started.elapsed().checked_sub(planning).unwrap().as_millis() as u64,
        "notice planned and written"
    );
    Ok(Created {
        notice: read::view(db, inserted).await?,
        replayed: false,
    })
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

async fn write_plan<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    notice_id: Uuid,
    (urgent, spread): (bool, outbox::FairSpread),
    planned: &Planned,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let rows: Vec<_> = planned
        .recipients
        .iter()
        .flat_map(|(employee_id, plan, _)| {
            plan.deliveries.iter().map(move |d| {
                outbox::new_row(tenant_id, notice_id, *employee_id, urgent, spread, d, now)
            })
        })
        .collect();
    // The inbox rows go in the order their first pushes are claimed, for the same
    // reason as the outbox's (`outbox::insert_rows`): each push's outcome marks its
    // recipient pushed, and a group of outcomes then rewrites neighbouring rows.
    let mut first_place = HashMap::new();
    for row in &rows {
        let place = outbox::queue_place(row);
        first_place
            .entry(*row.employee_id.as_ref())
            .and_modify(|p| *p = Ord::min(*p, place))
            .or_insert(place);
    }
    let mut inbox: Vec<notice_recipient::ActiveModel> = planned
        .recipients
        .iter()
        .map(|(employee_id, plan, _)| notice_recipient::ActiveModel {
            notice_id: Set(notice_id),
            employee_id: Set(*employee_id),
            tenant_id: Set(tenant_id),
            deliver_at: Set(plan.decision.deliver_at),
            reason: Set(plan.decision.reason),
            window_ends_at: Set(plan.decision.window_ends_at),
            outcome: Set(plan.outcome),
            ..Default::default()
        })
        .collect();
    inbox.sort_by_cached_key(|r| first_place.get(r.employee_id.as_ref()).copied());
    for chunk in inbox.chunks(outbox::INSERT_CHUNK) {
        notice_recipient::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    outbox::insert_rows(db, rows).await
}
