//! The outbox table's vocabulary and the writes other modules make to it: inserting a
//! notice's rows, cancelling, retiring a registration.
use chrono::{DateTime, Utc};
use entities::delivery;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Expr,
};
use uuid::Uuid;

use crate::{error::AppResult, notices::plan::PlannedDelivery};

pub use entities::vocab::DeliveryStatus;

/// Rows per multi-row INSERT: at 16 values a row, under SQLite's (32,766) and
/// PostgreSQL's (65,535) bound-parameter limits.
pub const INSERT_CHUNK: usize = 2_000;

/// A planned delivery, ready for the outbox.
pub fn new_row(
    tenant_id: Uuid,
    notice_id: Uuid,
    employee_id: Uuid,
    planned: &PlannedDelivery,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        notice_id: Set(notice_id),
        employee_id: Set(employee_id),
        registration_id: Set(planned.registration_id),
        deliver_at: Set(planned.due_at),
        push_expires_at: Set(planned.push_expires_at),
        status: Set(if planned.expired {
            DeliveryStatus::Expired
        } else {
            DeliveryStatus::Scheduled
        }),
        attempts: Set(0),
        pushes: Set(0),
        last_error: Set(None),
        due_at: Set(if planned.expired {
            None
        } else {
            planned.due_at
        }),
        lease_owner: Set(None),
        lease_until: Set(None),
        sent_at: Set(None),
        updated_at: Set(now),
    }
}

pub async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    rows: Vec<delivery::ActiveModel>,
) -> AppResult<()> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Cancels what has not gone yet: waiting rows, and repeats still to come.
pub async fn cancel_notice<C: ConnectionTrait>(
    db: &C,
    notice_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<u64> {
    let result = delivery::Entity::update_many()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Cancelled),
        )
        .col_expr(
            delivery::Column::DueAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::NoticeId.eq(notice_id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Scheduled))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Ends the deliveries still waiting for a registration (`status`, with `why`): what
/// was planned for its phone is not pushed to it any more.
pub async fn end_waiting<C: ConnectionTrait>(
    db: &C,
    registration_id: Uuid,
    status: DeliveryStatus,
    why: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    delivery::Entity::update_many()
        .col_expr(delivery::Column::Status, Expr::value(status))
        .col_expr(delivery::Column::LastError, Expr::value(why))
        .col_expr(
            delivery::Column::DueAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
        .filter(delivery::Column::RegistrationId.eq(registration_id))
        .filter(delivery::Column::Status.eq(DeliveryStatus::Scheduled))
        .exec(db)
        .await?;
    Ok(())
}
