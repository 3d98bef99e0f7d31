//! The dispatcher: claims due deliveries, pushes them with bounded concurrency and no
//! transaction open, and records the outcomes in one short transaction — only for rows
//! whose lease is still its own.
use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use chrono::{DateTime, Utc};
use entities::{delivery, notice, notice_recipient, push_registration};
use futures_util::{StreamExt, stream};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{
    claim::{Claimed, claim},
    outbox::DeliveryStatus,
    retry::{Next, RetryPolicy},
};
use crate::{
    clock::Clock,
    db::begin_write,
    error::AppResult,
    notices::limits::MAX_BODY_CHARS,
    push::{Providers, Push, PushOutcome, PushProvider},
    reachability::Priority,
};

/// `[delivery]`
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DeliveryConfig {
    /// Run a dispatcher in `serve`. Several processes on one PostgreSQL database may.
    pub enabled: bool,
    /// How long to sleep when nothing is due.
    pub poll_interval_ms: u64,
    /// Rows claimed at a time.
    pub batch_size: u64,
    /// Pushes in flight at once.
    pub concurrency: usize,
    /// A claim lapses after this and another dispatcher takes the rows.
    pub lease_seconds: u32,
    /// Urgent notices with `repeat_until_ack` are pushed again this often...
    pub repeat_every_seconds: i64,
    /// ...for at most this long after the first push.
    pub repeat_for_minutes: i64,
    pub retry: RetryPolicy,
}

/// The defaults of `config/default.toml`.
impl Default for DeliveryConfig {
    fn default() -> Self {
        crate::config::Config::default().delivery
    }
}

/// What a notice contributes to its pushes.
struct NoticeFacts {
    title: String,
    body: String,
    priority: Priority,
    cancelled: bool,
    repeat_until_ack: bool,
}

/// Rows that become one push: same phone, same planned moment; a repeat (its own row
/// id) always alone.
type PushKey = (Uuid, Option<DateTime<Utc>>, Option<Uuid>);

/// One push to make: a single delivery, or several (a digest) to one phone.
struct Job {
    rows: Vec<Claimed>,
    provider: PushProvider,
    push: Push,
}

/// How a claimed row ends this round.
enum Settle {
    /// Pushed; the next repeat due at the given time, if any.
    Sent {
        repeat_at: Option<DateTime<Utc>>,
    },
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    Final {
        status: DeliveryStatus,
        error: Option<String>,
    },
}

pub struct Dispatcher {
    db: DatabaseConnection,
    providers: Providers,
    clock: Arc<dyn Clock>,
    config: DeliveryConfig,
    id: Uuid,
}

impl Dispatcher {
    pub fn new(
        db: DatabaseConnection,
        providers: Providers,
        clock: Arc<dyn Clock>,
        config: DeliveryConfig,
    ) -> Self {
        Self {
            db,
            providers,
            clock,
            config,
            id: Uuid::now_v7(),
        }
    }

    /// Dispatches until `shutdown`; a batch in flight is finished first.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(dispatcher = %self.id, "dispatcher started");
        let idle = Duration::from_millis(self.config.poll_interval_ms);
        while !shutdown.is_cancelled() {
            let handled = match self.tick().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "dispatching failed; trying again");
                    0
                }
            };
            if handled == 0 {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = tokio::time::sleep(idle) => {}
                }
            }
        }
        tracing::info!(dispatcher = %self.id, "dispatcher stopped");
    }

    /// Claims one batch, pushes it and records what happened. Returns the rows handled.
    pub async fn tick(&self) -> AppResult<usize> {
        let now = self.clock.now();
        let claimed = claim(
            &self.db,
            self.id,
            self.config.batch_size,
            self.config.lease_seconds,
            now,
        )
        .await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let handled = claimed.len();
        // Every push must end well inside the lease, or another dispatcher could take
        // the rows and push them again: what is not done by then waits for a retry.
        let deadline = tokio::time::Instant::now()
            + Duration::from_secs(u64::from(self.config.lease_seconds)) * 3 / 4;
        let (jobs, mut settled, repeating) = self.prepare(claimed, now).await?;
        let pushed: Vec<(Job, PushOutcome)> = stream::iter(jobs)
            .map(|job| async move {
                let outcome = match self.providers.get(job.provider) {
                    Some(provider) => tokio::time::timeout_at(deadline, provider.send(&job.push))
                        .await
                        .unwrap_or_else(|_| PushOutcome::Retry {
                            error: "not pushed before the claim ran out".to_owned(),
                            retry_after: None,
                        }),
                    None => PushOutcome::Failed {
                        error: format!(
                            "provider {} is not configured on this server",
                            job.provider
                        ),
                    },
                };
                (job, outcome)
            })
            .buffer_unordered(self.config.concurrency.max(1))
            .collect()
            .await;
        let now = self.clock.now();
        let mut gone = Vec::new();
        for (job, outcome) in pushed {
            if let PushOutcome::TokenGone { reason } = &outcome {
                gone.push((job.rows[0].registration_id, reason.clone()));
            }
            for row in job.rows {
                let repeats = repeating.contains(&row.notice_id);
                let settle = self.settle(&row, &outcome, repeats, now);
                settled.push((row, settle));
            }
        }
        self.record(settled, gone, now).await?;
        Ok(handled)
    }

    /// Loads what the claimed rows need, drops the ones with nothing to push, and
    /// groups the rest into jobs.
    async fn prepare(
        &self,
        claimed: Vec<Claimed>,
        now: DateTime<Utc>,
    ) -> AppResult<(Vec<Job>, Vec<(Claimed, Settle)>, HashSet<Uuid>)> {
        let notice_ids: HashSet<Uuid> = claimed.iter().map(|c| c.notice_id).collect();
        let notices: HashMap<Uuid, NoticeFacts> = notice::Entity::find()
            .filter(notice::Column::Id.is_in(notice_ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|n| {
                (
                    n.id,
                    NoticeFacts {
                        priority: n.priority,
                        cancelled: n.cancelled_at.is_some(),
                        repeat_until_ack: n.repeat_until_ack,
                        title: n.title,
                        body: n.body,
                    },
                )
            })
            .collect();
        let registration_ids: HashSet<Uuid> = claimed.iter().map(|c| c.registration_id).collect();
        let registrations: HashMap<Uuid, push_registration::Model> =
            push_registration::Entity::find()
                .filter(push_registration::Column::Id.is_in(registration_ids))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|r| (r.id, r))
                .collect();
        let acked = self.acknowledged(&claimed).await?;
        let repeating: HashSet<Uuid> = notices
            .iter()
            .filter(|(_, n)| n.repeat_until_ack && n.priority == Priority::Urgent)
            .map(|(id, _)| *id)
            .collect();

        let mut settled = Vec::new();
        // Rows to one phone that fell due at the same planned moment make one push.
        let mut groups: BTreeMap<PushKey, Vec<Claimed>> = BTreeMap::new();
        for row in claimed {
            let (Some(n), Some(reg)) = (
                notices.get(&row.notice_id),
                registrations.get(&row.registration_id),
            ) else {
                settled.push((
                    row,
                    final_status(DeliveryStatus::Failed, "notice or registration is gone"),
                ));
                continue;
            };
            let end = if n.cancelled {
                Some(final_status(DeliveryStatus::Cancelled, "cancelled"))
            } else if reg.disabled_at.is_some() {
                Some(final_status(
                    DeliveryStatus::Failed,
                    "registration disabled",
                ))
            } else if row.push_expires_at.is_some_and(|e| e <= now) {
                Some(final_status(
                    DeliveryStatus::Expired,
                    "expired before it could be pushed",
                ))
            } else if row.pushes > 0 && acked.contains(&(row.notice_id, row.employee_id)) {
                Some(Settle::Final {
                    status: DeliveryStatus::Sent,
                    error: None,
                })
            } else {
                None
            };
            if let Some(end) = end {
                settled.push((row, end));
                continue;
            }
            // Repeats go alone: a digest is for notices held for the same moment.
            let single = (row.pushes > 0).then_some(row.id);
            groups
                .entry((row.registration_id, row.deliver_at, single))
                .or_default()
                .push(row);
        }
        let jobs = groups
            .into_values()
            .map(|rows| {
                let reg = &registrations[&rows[0].registration_id];
                Job {
                    provider: reg.provider,
                    push: compose(&rows, &notices, reg.token.clone(), now),
                    rows,
                }
            })
            .collect();
        Ok((jobs, settled, repeating))
    }

    /// The (notice, employee) pairs among repeat rows that were acknowledged.
    async fn acknowledged(&self, claimed: &[Claimed]) -> AppResult<HashSet<(Uuid, Uuid)>> {
        let repeats: Vec<&Claimed> = claimed.iter().filter(|c| c.pushes > 0).collect();
        if repeats.is_empty() {
            return Ok(HashSet::new());
        }
        let mut any = Condition::any();
        for c in &repeats {
            any = any.add(
                Condition::all()
                    .add(notice_recipient::Column::NoticeId.eq(c.notice_id))
                    .add(notice_recipient::Column::EmployeeId.eq(c.employee_id)),
            );
        }
        let rows: Vec<(Uuid, Uuid)> = notice_recipient::Entity::find()
            .select_only()
            .column(notice_recipient::Column::NoticeId)
            .column(notice_recipient::Column::EmployeeId)
            .filter(any)
            .filter(notice_recipient::Column::AckedAt.is_not_null())
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().collect())
    }

    fn settle(
        &self,
        row: &Claimed,
        outcome: &PushOutcome,
        repeats: bool,
        now: DateTime<Utc>,
    ) -> Settle {
        match outcome {
            PushOutcome::Sent => Settle::Sent {
                repeat_at: if repeats {
                    self.repeat_at(row, now)
                } else {
                    None
                },
            },
            PushOutcome::Failed { error } => final_status(DeliveryStatus::Failed, error),
            PushOutcome::TokenGone { reason } => final_status(DeliveryStatus::Failed, reason),
            PushOutcome::Retry { error, retry_after } => {
                let due_since = row.deliver_at.unwrap_or(now);
                match self.config.retry.next(
                    u32::try_from(row.attempts).unwrap_or(1),
                    *retry_after,
                    rand::random::<f64>(),
                    due_since,
                    now,
                ) {
                    Next::RetryAt(at) if row.push_expires_at.is_none_or(|e| at < e) => {
                        Settle::Retry {
                            at,
                            error: error.clone(),
                        }
                    }
                    Next::RetryAt(_) => final_status(DeliveryStatus::Expired, error),
                    Next::GiveUp => final_status(
                        DeliveryStatus::Failed,
                        &format!("gave up after {} attempts: {error}", row.attempts),
                    ),
                }
            }
        }
    }

    /// The next repeat of an urgent call-in, while it is unacknowledged and young.
    fn repeat_at(&self, row: &Claimed, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let first = row.sent_at.unwrap_or(now);
        let next = now + chrono::Duration::seconds(self.config.repeat_every_seconds);
        (next <= first + chrono::Duration::minutes(self.config.repeat_for_minutes)).then_some(next)
    }

    /// Writes the outcomes in one transaction, each only where the lease is still ours.
    async fn record(
        &self,
        settled: Vec<(Claimed, Settle)>,
        gone: Vec<(Uuid, String)>,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let txn = begin_write(&self.db).await?;
        let mine = || {
            Condition::all()
                .add(delivery::Column::LeaseOwner.eq(self.id))
                .add(delivery::Column::Status.eq(DeliveryStatus::Sending))
        };
        let mut sent_final = Vec::new();
        let mut pushed: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (row, settle) in settled {
            match settle {
                Settle::Sent { repeat_at } => {
                    pushed
                        .entry(row.notice_id)
                        .or_default()
                        .push(row.employee_id);
                    match repeat_at {
                        Some(at) => {
                            delivery::Entity::update_many()
                                .col_expr(
                                    delivery::Column::Status,
                                    Expr::value(DeliveryStatus::Scheduled),
                                )
                                .col_expr(delivery::Column::DueAt, Expr::value(at))
                                .col_expr(
                                    delivery::Column::Pushes,
                                    Expr::col(delivery::Column::Pushes).add(1),
                                )
                                .col_expr(
                                    delivery::Column::SentAt,
                                    Expr::value(row.sent_at.unwrap_or(now)),
                                )
                                .col_expr(
                                    delivery::Column::LeaseOwner,
                                    Expr::value(Option::<Uuid>::None),
                                )
                                .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                                .filter(delivery::Column::Id.eq(row.id))
                                .filter(mine())
                                .exec(&txn)
                                .await?;
                        }
                        None => sent_final.push(row),
                    }
                }
                Settle::Retry { at, error } => {
                    delivery::Entity::update_many()
                        .col_expr(
                            delivery::Column::Status,
                            Expr::value(DeliveryStatus::Scheduled),
                        )
                        .col_expr(delivery::Column::DueAt, Expr::value(at))
                        .col_expr(delivery::Column::LastError, Expr::value(error))
                        .col_expr(
                            delivery::Column::LeaseOwner,
                            Expr::value(Option::<Uuid>::None),
                        )
                        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                        .filter(delivery::Column::Id.eq(row.id))
                        .filter(mine())
                        .exec(&txn)
                        .await?;
                }
                Settle::Final { status, error } => {
                    delivery::Entity::update_many()
                        .col_expr(delivery::Column::Status, Expr::value(status))
                        .col_expr(
                            delivery::Column::DueAt,
                            Expr::value(Option::<DateTime<Utc>>::None),
                        )
                        .col_expr(delivery::Column::LastError, Expr::value(error))
                        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                        .filter(delivery::Column::Id.eq(row.id))
                        .filter(mine())
                        .exec(&txn)
                        .await?;
                }
            }
        }
        // The common case, one statement per batch: pushed once and done.
        for chunk in sent_final.chunks(1_000) {
            delivery::Entity::update_many()
                .col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Sent))
                .col_expr(
                    delivery::Column::Pushes,
                    Expr::col(delivery::Column::Pushes).add(1),
                )
                .col_expr(
                    delivery::Column::SentAt,
                    Expr::from(Func::coalesce([
                        Expr::col(delivery::Column::SentAt),
                        Expr::value(now),
                    ])),
                )
                .col_expr(
                    delivery::Column::DueAt,
                    Expr::value(Option::<DateTime<Utc>>::None),
                )
                .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                .filter(delivery::Column::Id.is_in(chunk.iter().map(|r| r.id)))
                .filter(mine())
                .exec(&txn)
                .await?;
        }
        for (notice_id, employees) in pushed {
            for chunk in employees.chunks(1_000) {
                notice_recipient::Entity::update_many()
                    .col_expr(notice_recipient::Column::PushedAt, Expr::value(now))
                    .filter(notice_recipient::Column::NoticeId.eq(notice_id))
                    .filter(notice_recipient::Column::EmployeeId.is_in(chunk.iter().copied()))
                    .filter(notice_recipient::Column::PushedAt.is_null())
                    .exec(&txn)
                    .await?;
            }
        }
        for (registration_id, reason) in gone {
            tracing::info!(%registration_id, %reason, "push token gone; registration disabled");
            crate::push::registrations::retire_gone_token(&txn, registration_id, reason, now)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}

fn final_status(status: DeliveryStatus, error: &str) -> Settle {
    Settle::Final {
        status,
        error: Some(error.to_owned()),
    }
}

/// The push for a group of rows to one phone: the notice itself, or a digest ("3 new
/// notices") led by the important ones, badged with how many it holds.
fn compose(
    rows: &[Claimed],
    notices: &HashMap<Uuid, NoticeFacts>,
    token: String,
    now: DateTime<Utc>,
) -> Push {
    // The soonest expiry among them: a digest must not outlive any of its notices.
    let expires_at = rows.iter().filter_map(|r| r.push_expires_at).min();
    let mut items: Vec<(&Claimed, &NoticeFacts)> =
        rows.iter().map(|r| (r, &notices[&r.notice_id])).collect();
    items.sort_by(|a, b| {
        b.1.priority_rank()
            .cmp(&a.1.priority_rank())
            .then(b.0.notice_id.cmp(&a.0.notice_id))
    });
    let (lead_row, lead) = items[0];
    let priority = lead.priority;
    if items.len() == 1 {
        return Push {
            token,
            title: lead.title.clone(),
            body: lead.body.clone(),
            notice_id: lead_row.notice_id,
            count: 1,
            priority,
            expires_at,
            collapse_key: lead_row.notice_id.to_string(),
            now,
        };
    }
    let mut body = items
        .iter()
        .map(|(_, n)| n.title.as_str())
        .collect::<Vec<_>>()
        .join(" · ");
    if body.chars().count() > MAX_BODY_CHARS {
        body = body.chars().take(MAX_BODY_CHARS - 1).collect::<String>() + "…";
    }
    let newest = items
        .iter()
        .map(|(r, _)| r.notice_id)
        .max()
        .unwrap_or(lead_row.notice_id);
    Push {
        token,
        title: format!("{} new notices", items.len()),
        body,
        notice_id: newest,
        count: u32::try_from(items.len()).unwrap_or(u32::MAX),
        priority,
        expires_at,
        collapse_key: format!("digest-{newest}"),
        now,
    }
}

impl NoticeFacts {
    fn priority_rank(&self) -> u8 {
        match self.priority {
            Priority::Info => 0,
            Priority::Important => 1,
            Priority::Urgent => 2,
        }
    }
}
