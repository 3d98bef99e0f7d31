//! What becomes of a claimed row ([`Settle`]), and the recorder: a task that writes
//! outcomes as pushes finish, gathered for a few milliseconds into one short
//! transaction, each row only where the lease is still this dispatcher's. A slow push
//! holds back no other row's outcome, and a write that fails is tried again before any
//! lease can lapse, so what went out is not pushed again.
use std::{collections::HashMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use entities::{delivery, notice_recipient, tenant};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, Func},
};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{
    DeliveryConfig,
    claim::Claimed,
    outbox::{ACKED, DeliveryStatus, FairSpread, queue_at},
    retry::Next,
    stops::Stop,
};
use crate::{
    audit::{self, Actor},
    clock::Clock,
    db::begin_write,
    error::AppResult,
    push::{
        PushOutcome,
        health::{Change, State},
    },
};

/// How a claimed row ends this round.
#[derive(Debug)]
pub enum Settle {
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
    /// Claimed but not pushed (the dispatcher is stopping): back in the queue at once,
    /// for whichever dispatcher comes next.
    Release,
    /// Its credentials are refused or paused: back in the queue in the place it had,
    /// due again at `until`; an attempt only if it was `tried`.
    Hold {
        until: DateTime<Utc>,
        error: String,
        tried: bool,
    },
}

/// How a row ends that a cancel or an acknowledgement stopped before it was pushed:
/// cancelled; or, read already, a repeat of a call-in `sent` (it did its job) and a
/// first push `cancelled` (`acked`).
pub fn stopped(row: &Claimed, stop: Stop) -> Settle {
    match stop {
        Stop::Cancelled => final_status(DeliveryStatus::Cancelled, "cancelled"),
        Stop::Acked if row.pushes > 0 => Settle::Final {
            status: DeliveryStatus::Sent,
            error: None,
        },
        Stop::Acked => final_status(DeliveryStatus::Cancelled, ACKED),
    }
}

/// A row whose credentials cannot be used until `until`: held, or expired when its
/// window or expiry ends before then.
pub fn hold(row: &Claimed, until: DateTime<Utc>, reason: &str, tried: bool) -> Settle {
    if row.push_expires_at.is_some_and(|e| e <= until) {
        return final_status(DeliveryStatus::Expired, reason);
    }
    Settle::Hold {
        until,
        error: reason.to_owned(),
        tried,
    }
}

pub fn final_status(status: DeliveryStatus, error: &str) -> Settle {
    Settle::Final {
        status,
        error: Some(error.to_owned()),
    }
}

/// What the send tasks hand the recorder.
pub struct Finished {
    pub rows: Vec<(Claimed, Settle)>,
    /// A registration whose token the provider called gone, with why.
    pub gone: Option<(Uuid, String)>,
    /// Credentials whose circuit opened or healed with this push: for the audit trail.
    pub changes: Vec<Change>,
}

impl Finished {
    /// Rows ended without a push.
    pub fn rows(rows: Vec<(Claimed, Settle)>) -> Self {
        Self {
            rows,
            gone: None,
            changes: Vec::new(),
        }
    }
}

/// What a provider's answer means for one row. `jitter` (in `[0, 1)`) is drawn once per
/// push, so that the rows of a digest come back at the same moment and go again as one
/// push, not one each.
pub fn settle(
    config: &DeliveryConfig,
    row: &Claimed,
    outcome: &PushOutcome,
    repeats: bool,
    now: DateTime<Utc>,
    jitter: f64,
) -> Settle {
    match outcome {
        PushOutcome::Sent => Settle::Sent {
            repeat_at: if repeats {
                repeat_at(config, row, now)
            } else {
                None
            },
        },
        PushOutcome::Failed { error } => final_status(DeliveryStatus::Failed, error),
        // Taken in by the set's health before they come here (`health::Verdict::Hold`);
        // should one arrive, the row waits as for a retry.
        PushOutcome::Misconfigured { error } | PushOutcome::Busy { error, .. } => settle(
            config,
            row,
            &PushOutcome::Retry {
                error: error.clone(),
                retry_after: None,
            },
            repeats,
            now,
            jitter,
        ),
        PushOutcome::TokenGone { reason } => final_status(DeliveryStatus::Failed, reason),
        PushOutcome::Retry { error, retry_after } => {
            let due_since = row.deliver_at.unwrap_or(now);
            match config.retry.next(
                u32::try_from(row.attempts).unwrap_or(1),
                *retry_after,
                jitter,
                due_since,
                now,
            ) {
                Next::RetryAt(at) if row.push_expires_at.is_none_or(|e| at < e) => Settle::Retry {
                    at,
                    error: error.clone(),
                },
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
fn repeat_at(config: &DeliveryConfig, row: &Claimed, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let first = row.sent_at.unwrap_or(now);
    let next = now + chrono::Duration::seconds(config.repeat_every_seconds);
    (next <= first + chrono::Duration::minutes(config.repeat_for_minutes)).then_some(next)
}

/// Rows written in one transaction at most.
const FLUSH_ROWS: usize = 2_000;

/// Receives finished pushes until every sender is gone, writing them every
/// `record_every_ms` (or sooner, when `FLUSH_ROWS` are waiting). A write that fails is
/// tried again, backing off, for up to half the lease; then the error is returned.
pub async fn recorder(
    db: DatabaseConnection,
    owner: Uuid,
    clock: Arc<dyn Clock>,
    config: Arc<DeliveryConfig>,
    mut finished: mpsc::UnboundedReceiver<Finished>,
) -> AppResult<()> {
    let every = Duration::from_millis(Ord::max(config.record_every_ms, 1));
    let patience = Duration::from_secs(u64::from(config.lease_seconds)) / 2;
    let mut open = true;
    while open {
        let Some(first) = finished.recv().await else {
            break;
        };
        let mut batch = vec![first];
        let mut rows = batch[0].rows.len();
        let until = tokio::time::Instant::now() + every;
        while rows < FLUSH_ROWS {
            tokio::select! {
                more = finished.recv() => {
                    let Some(f) = more else {
                        open = false;
                        break;
                    };
                    rows += f.rows.len();
                    batch.push(f);
                }
                () = tokio::time::sleep_until(until) => break,
            }
        }
        let mut settled = Vec::new();
        let mut gone = Vec::new();
        let mut changes = Vec::new();
        for f in batch {
            settled.extend(f.rows);
            gone.extend(f.gone);
            changes.extend(f.changes);
        }
        let started = tokio::time::Instant::now();
        let mut wait = Duration::from_millis(50);
        loop {
            match record(&db, owner, &settled, &gone, &changes, clock.now()).await {
                Ok(()) => break,
                Err(e) if started.elapsed() + wait < patience => {
                    tracing::warn!(error = %e, rows = settled.len(), "recording push outcomes failed; trying again");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(2));
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}

/// Writes the outcomes in one transaction, each only where the lease is still `owner`'s.
async fn record(
    db: &DatabaseConnection,
    owner: Uuid,
    settled: &[(Claimed, Settle)],
    gone: &[(Uuid, String)],
    changes: &[Change],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let mine = || {
        Condition::all()
            .add(delivery::Column::LeaseOwner.eq(owner))
            .add(delivery::Column::Status.eq(DeliveryStatus::Sending))
    };
    let back_in_queue = |at: DateTime<Utc>, place: Option<DateTime<Utc>>, row: &Claimed| {
        delivery::Entity::update_many()
            .col_expr(
                delivery::Column::Status,
                Expr::value(DeliveryStatus::Scheduled),
            )
            .col_expr(delivery::Column::DueAt, Expr::value(at))
            .col_expr(
                delivery::Column::QueueAt,
                Expr::value(place.or_else(|| {
                    queue_at(Some(at), row.urgent, row.registration_id, FairSpread::NONE)
                })),
            )
            .col_expr(
                delivery::Column::LeaseOwner,
                Expr::value(Option::<Uuid>::None),
            )
            .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
            .filter(delivery::Column::Id.eq(row.id))
            .filter(mine())
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
                        back_in_queue(*at, None, row)
                            .col_expr(
                                delivery::Column::Pushes,
                                Expr::col(delivery::Column::Pushes).add(1),
                            )
                            .col_expr(
                                delivery::Column::SentAt,
                                Expr::value(row.sent_at.unwrap_or(now)),
                            )
                            .exec(&txn)
                            .await?;
                    }
                    None => sent_final.push(row.id),
                }
            }
            Settle::Retry { at, error } => {
                back_in_queue(*at, None, row)
                    .col_expr(delivery::Column::LastError, Expr::value(error))
                    .exec(&txn)
                    .await?;
            }
            Settle::Release => {
                // Due at once, in the place it had; and not an attempt: the claim
                // counted one that never happened.
                back_in_queue(now, row.queue_at, row)
                    .col_expr(
                        delivery::Column::Attempts,
                        Expr::col(delivery::Column::Attempts).sub(1),
                    )
                    .exec(&txn)
                    .await?;
            }
            Settle::Hold {
                until,
                error,
                tried,
            } => {
                let mut held = back_in_queue(*until, row.queue_at, row)
                    .col_expr(delivery::Column::LastError, Expr::value(error));
                if !tried {
                    held = held.col_expr(
                        delivery::Column::Attempts,
                        Expr::col(delivery::Column::Attempts).sub(1),
                    );
                }
                held.exec(&txn).await?;
            }
            Settle::Final { status, error } => {
                delivery::Entity::update_many()
                    .col_expr(delivery::Column::Status, Expr::value(*status))
                    .col_expr(
                        delivery::Column::DueAt,
                        Expr::value(Option::<DateTime<Utc>>::None),
                    )
                    .col_expr(delivery::Column::LastError, Expr::value(error.clone()))
                    .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
                    .filter(delivery::Column::Id.eq(row.id))
                    .filter(mine())
                    .exec(&txn)
                    .await?;
            }
        }
    }
    // The common case, one statement per thousand: pushed once and done.
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
            .filter(delivery::Column::Id.is_in(chunk.iter().copied()))
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
        crate::push::registrations::retire_gone_token(&txn, *registration_id, reason.clone(), now)
            .await?;
    }
    for change in changes {
        audit_health_change(&txn, change, now).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// A circuit that opened or healed, in the audit trail of every tenant whose pushes it
/// holds: the app's tenant, or all of them for the service's credentials.
async fn audit_health_change<C: ConnectionTrait>(
    db: &C,
    change: &Change,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let tenants: Vec<Uuid> = match &change.set.app {
        Some((tenant_id, _)) => vec![*tenant_id],
        None => {
            tenant::Entity::find()
                .select_only()
                .column(tenant::Column::Id)
                .into_tuple()
                .all(db)
                .await?
        }
    };
    let action = match change.to {
        State::Open { .. } => "push_credentials.refused",
        _ => "push_credentials.restored",
    };
    let view =
        |state: &State| serde_json::json!({"credentials": change.set.to_string(), "health": state});
    let (before, after) = (view(&change.from), view(&change.to));
    for tenant_id in tenants {
        let actor = Actor {
            tenant_id,
            token_id: None,
            name: "push dispatcher".to_owned(),
        };
        let mut event = audit::event(
            &actor,
            action,
            "push_credentials",
            change.set.id(),
            Some(&before),
            Some(&after),
        )?;
        event.at = sea_orm::ActiveValue::Set(now);
        event.insert(db).await?;
    }
    Ok(())
}
