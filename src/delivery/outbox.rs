//! The outbox table's vocabulary and the writes other modules make to it: inserting a
//! notice's rows, cancelling, retiring a registration.
use chrono::{DateTime, Utc};
use entities::{delivery, push_registration};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    sea_query::Expr,
};
use uuid::Uuid;

use crate::{error::AppResult, notices::plan::PlannedDelivery};

pub use entities::vocab::DeliveryStatus;

/// Rows per multi-row INSERT: at 19 values a row (a delivery's columns), under
/// SQLite's (32,766) and PostgreSQL's (65,535) bound-parameter limits.
pub const INSERT_CHUNK: usize = 1_700;

/// The slowest rate the dispatcher is expected to keep: a tenant's deliveries that fall
/// due at one moment are spread in the queue as if pushed at this rate.
const FAIR_RATE_PER_SECOND: u64 = 1_000;

/// How far a tenant's deliveries that fall due together are spread in the queue (not
/// in time): the time its phones would take at [`FAIR_RATE_PER_SECOND`], rounded up to
/// a power of two of phones so it rarely changes. Another tenant's notice due half a
/// second later then goes ahead of all but the first 500 of a 50,000-person notice,
/// instead of waiting for all of it; a small tenant's span is a few milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FairSpread(u64);

impl FairSpread {
    pub const NONE: Self = Self(0);

    pub fn for_phones(phones: u64) -> Self {
        Self(phones.max(1).next_power_of_two() * 1_000 / FAIR_RATE_PER_SECOND)
    }

    pub async fn of_tenant<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Self> {
        let phones = push_registration::Entity::find()
            .filter(push_registration::Column::TenantId.eq(tenant_id))
            .filter(push_registration::Column::DisabledAt.is_null())
            .count(db)
            .await?;
        Ok(Self::for_phones(phones))
    }
}

/// Where a delivery stands in the dispatcher's queue. Urgent ones keep the moment they
/// fell due (they are claimed first anyway); the others are spread over their tenant's
/// span by phone — the same offset for every delivery to one phone, so the rows of a
/// digest stay side by side.
pub fn queue_at(
    due_at: Option<DateTime<Utc>>,
    urgent: bool,
    registration_id: Uuid,
    spread: FairSpread,
) -> Option<DateTime<Utc>> {
    if urgent || spread.0 == 0 {
        return due_at;
    }
    let offset = chrono::Duration::milliseconds((mix(registration_id) % spread.0) as i64);
    due_at.map(|at| at + offset)
}

/// An even, stable spread of ids over `u64`: v7 ids made in one millisecond differ
/// only in a counter and a few random bits, so the bits are mixed (`SplitMix64`'s
/// finaliser) before they are cut down to a span.
fn mix(id: Uuid) -> u64 {
    let (hi, lo) = id.as_u64_pair();
    let mut z = hi ^ lo.rotate_left(32);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A planned delivery, ready for the outbox but for its id, which [`insert_rows`] gives.
pub fn new_row(
    tenant_id: Uuid,
    notice_id: Uuid,
    employee_id: Uuid,
    urgent: bool,
    spread: FairSpread,
    planned: &PlannedDelivery,
    now: DateTime<Utc>,
) -> delivery::ActiveModel {
    let due_at = if planned.expired {
        None
    } else {
        planned.due_at
    };
    delivery::ActiveModel {
        id: NotSet,
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
        due_at: Set(due_at),
        urgent: Set(urgent),
        queue_at: Set(queue_at(due_at, urgent, planned.registration_id, spread)),
        lease_owner: Set(None),
        lease_until: Set(None),
        sent_at: Set(None),
        updated_at: Set(now),
        lost_claims: Set(0),
    }
}

/// Inserts a notice's rows in queue order, each given its id in that order. Claims take
/// rows in queue order, so the rows one claim takes, and its outcomes then rewrite, sit
/// side by side in the table and its id index instead of one to a page across the whole
/// notice: on SQLite, most of what a fan-out wrote to the WAL.
pub async fn insert_rows<C: ConnectionTrait>(
    db: &C,
    mut rows: Vec<delivery::ActiveModel>,
) -> AppResult<()> {
    rows.sort_by_key(queue_place);
    for row in &mut rows {
        row.id = Set(Uuid::now_v7());
    }
    for chunk in rows.chunks(INSERT_CHUNK) {
        delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// A row's place in the claim's order (`ORDER BY urgent DESC, queue_at, registration_id`).
pub fn queue_place(row: &delivery::ActiveModel) -> (bool, Option<DateTime<Utc>>, Uuid) {
    (
        !*row.urgent.as_ref(),
        *row.queue_at.as_ref(),
        *row.registration_id.as_ref(),
    )
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

/// The `last_error` of a first push that did not go because its notice was read.
pub const ACKED: &str = "acked";

/// Ends what was still to be pushed to a person of a notice they acknowledged: a first
/// push `cancelled` (`acked`), a repeat of a call-in `sent` (it did its job).
pub async fn end_acknowledged<C: ConnectionTrait>(
    db: &C,
    notice_id: Uuid,
    employee_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let waiting = || {
        delivery::Entity::update_many()
            .col_expr(
                delivery::Column::DueAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(delivery::Column::UpdatedAt, Expr::value(now))
            .filter(delivery::Column::NoticeId.eq(notice_id))
            .filter(delivery::Column::EmployeeId.eq(employee_id))
            .filter(delivery::Column::Status.eq(DeliveryStatus::Scheduled))
    };
    waiting()
        .col_expr(
            delivery::Column::Status,
            Expr::value(DeliveryStatus::Cancelled),
        )
        .col_expr(delivery::Column::LastError, Expr::value(ACKED))
        .filter(delivery::Column::Pushes.eq(0))
        .exec(db)
        .await?;
    waiting()
        .col_expr(delivery::Column::Status, Expr::value(DeliveryStatus::Sent))
        .filter(delivery::Column::Pushes.gt(0))
        .exec(db)
        .await?;
    Ok(())
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn an_insert_chunk_stays_under_sqlites_bound_value_limit() {
        use sea_orm::Iterable;
        let per_row = delivery::Column::iter().count();
        assert!(per_row * INSERT_CHUNK <= 32_766, "{per_row} values a row");
    }

    #[test]
    fn urgent_deliveries_keep_the_moment_they_fell_due() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap();
        let wide = FairSpread::for_phones(50_000);
        assert_eq!(queue_at(Some(at), true, Uuid::now_v7(), wide), Some(at));
        assert_eq!(queue_at(None, false, Uuid::now_v7(), wide), None);
    }

    #[test]
    fn a_tenants_spread_follows_its_phones_in_powers_of_two() {
        assert_eq!(FairSpread::for_phones(0), FairSpread(1));
        assert_eq!(FairSpread::for_phones(300), FairSpread(512));
        assert_eq!(FairSpread::for_phones(50_000), FairSpread(65_536));
        assert_eq!(
            FairSpread::for_phones(40_000),
            FairSpread::for_phones(60_000)
        );
    }

    #[test]
    fn others_spread_evenly_the_same_for_each_phone() {
        let at = Utc.with_ymd_and_hms(2026, 12, 7, 7, 0, 0).unwrap();
        let spread = FairSpread::for_phones(30_000);
        let offsets: Vec<i64> = (0..2_000)
            .map(|_| {
                let key = queue_at(Some(at), false, Uuid::now_v7(), spread).unwrap();
                (key - at).num_milliseconds()
            })
            .collect();
        assert!(offsets.iter().all(|ms| (0..32_768).contains(ms)));
        // Spread, not bunched: each tenth of the span holds some.
        for tenth in 0..10 {
            let range = tenth * 3_276..(tenth + 1) * 3_276;
            assert!(offsets.iter().any(|ms| range.contains(ms)), "{tenth}");
        }
        let phone = Uuid::now_v7();
        assert_eq!(
            queue_at(Some(at), false, phone, spread),
            queue_at(Some(at), false, phone, spread),
        );
    }
}
