//! Claiming due deliveries: a short transaction that marks a batch `sending` under a
//! lease, urgent ones first, then in queue order (`outbox::queue_at`). On PostgreSQL `FOR UPDATE SKIP LOCKED` lets several dispatchers claim side by
//! side without ever taking the same row, and lease times come from the database clock;
//! SQLite has a single writer, so its claim is one UPDATE.
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveEnum, ConnectionTrait, DatabaseBackend, DatabaseConnection, FromQueryResult, Statement,
    Value,
};
use uuid::Uuid;

use super::outbox::DeliveryStatus;
use crate::{db::begin_write, error::AppResult};

/// A claimed row: what the dispatcher needs to push it.
#[derive(Clone, Debug, FromQueryResult)]
pub struct Claimed {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub employee_id: Uuid,
    pub registration_id: Uuid,
    pub deliver_at: Option<DateTime<Utc>>,
    pub push_expires_at: Option<DateTime<Utc>>,
    pub attempts: i32,
    pub pushes: i32,
    pub sent_at: Option<DateTime<Utc>>,
    pub urgent: bool,
    pub queue_at: Option<DateTime<Utc>>,
}

const RETURNING: &str = "id, notice_id, employee_id, registration_id, deliver_at, \
    push_expires_at, attempts, pushes, sent_at, urgent, queue_at";

fn postgres_claim(due: bool) -> String {
    let (scheduled, sending) = statuses();
    let pick = if due {
        format!(
            "SELECT id FROM deliveries WHERE status = '{scheduled}' AND due_at <= $3 \
             ORDER BY urgent DESC, queue_at, registration_id LIMIT $4 FOR UPDATE SKIP LOCKED"
        )
    } else {
        format!(
            "SELECT id FROM deliveries WHERE status = '{sending}' AND lease_until < now() \
             ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED"
        )
    };
    // A lapsed claim counts against the row: its dispatcher died holding it.
    let lost = if due {
        ""
    } else {
        ", lost_claims = lost_claims + 1"
    };
    // The picked ids become an array first, so the UPDATE finds each by its primary
    // key whatever the statistics say: a table just filled by a 50,000-person notice
    // still counts as empty to the planner until autovacuum analyses it, and a join
    // planned for an empty table scanned all of it once per picked row (1.3 s a claim).
    format!(
        "UPDATE deliveries SET status = '{sending}', lease_owner = $1, \
           lease_until = now() + make_interval(secs => $2), attempts = attempts + 1, \
           updated_at = $3{lost} \
         WHERE id = ANY(ARRAY({pick})) RETURNING {RETURNING}"
    )
}

fn sqlite_claim(due: bool) -> String {
    let (scheduled, sending) = statuses();
    let pick = if due {
        format!(
            "SELECT id FROM deliveries WHERE status = '{scheduled}' AND due_at <= ?3 \
             ORDER BY urgent DESC, queue_at, registration_id LIMIT ?4"
        )
    } else {
        format!(
            "SELECT id FROM deliveries WHERE status = '{sending}' AND lease_until < ?3 \
             ORDER BY lease_until LIMIT ?4"
        )
    };
    let lost = if due {
        ""
    } else {
        ", lost_claims = lost_claims + 1"
    };
    format!(
        "UPDATE deliveries SET status = '{sending}', lease_owner = ?1, lease_until = ?2, \
           attempts = attempts + 1, updated_at = ?3{lost} \
         WHERE id IN ({pick}) RETURNING {RETURNING}"
    )
}

/// Ends as `dead` the lapsed claims that would be the `max_lost_claims`-th: a row whose
/// every dispatcher died holding it (a push that crashes the process, say) is given up
/// instead of being taken over, and crashing the next one, without end.
fn bury_statement(backend: DatabaseBackend, max_lost_claims: u32, now: DateTime<Utc>) -> Statement {
    let sending = DeliveryStatus::Sending.to_value();
    let dead = DeliveryStatus::Dead.to_value();
    let why = format!(
        "claimed {max_lost_claims} times by dispatchers that stopped before writing an outcome"
    );
    let values = [
        Value::from(i64::from(max_lost_claims)),
        Value::from(now),
        Value::from(why),
    ];
    let sql = match backend {
        DatabaseBackend::Postgres => format!(
            "UPDATE deliveries SET status = '{dead}', lost_claims = lost_claims + 1, \
               due_at = NULL, lease_owner = NULL, lease_until = NULL, last_error = $3, \
               updated_at = $2 \
             WHERE status = '{sending}' AND lease_until < now() AND lost_claims + 1 >= $1"
        ),
        _ => format!(
            "UPDATE deliveries SET status = '{dead}', lost_claims = lost_claims + 1, \
               due_at = NULL, lease_owner = NULL, lease_until = NULL, last_error = ?3, \
               updated_at = ?2 \
             WHERE status = '{sending}' AND lease_until < ?2 AND lost_claims + 1 >= ?1"
        ),
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// The stored words for `scheduled` and `sending`, written into the claim's SQL (they
/// are the vocabulary's own, never a caller's input).
fn statuses() -> (String, String) {
    (
        DeliveryStatus::Scheduled.to_value(),
        DeliveryStatus::Sending.to_value(),
    )
}

/// How a dispatcher claims.
#[derive(Clone, Copy, Debug)]
pub struct ClaimTerms {
    pub limit: u64,
    pub lease_seconds: u32,
    /// Lapsed claims after which a row ends `dead` instead of being taken over.
    pub max_lost_claims: u32,
}

/// Claims up to `limit` rows for `owner`: lapsed claims of a dispatcher that died
/// first (or ends them `dead` when too many have lapsed), then rows due at `now`.
pub async fn claim(
    db: &DatabaseConnection,
    owner: Uuid,
    terms: ClaimTerms,
    now: DateTime<Utc>,
) -> AppResult<Vec<Claimed>> {
    let ClaimTerms {
        limit,
        lease_seconds,
        max_lost_claims,
    } = terms;
    let backend = db.get_database_backend();
    let txn = begin_write(db).await?;
    txn.execute_raw(bury_statement(backend, max_lost_claims.max(1), now))
        .await?;
    let mut claimed = Vec::new();
    for due in [false, true] {
        let left = limit.saturating_sub(claimed.len() as u64);
        if left == 0 {
            break;
        }
        let statement = match backend {
            DatabaseBackend::Postgres => Statement::from_sql_and_values(
                backend,
                postgres_claim(due),
                [
                    Value::from(owner),
                    Value::from(f64::from(lease_seconds)),
                    Value::from(now),
                    Value::from(left as i64),
                ],
            ),
            _ => Statement::from_sql_and_values(
                backend,
                sqlite_claim(due),
                [
                    Value::from(owner),
                    Value::from(now + chrono::Duration::seconds(i64::from(lease_seconds))),
                    Value::from(now),
                    Value::from(left as i64),
                ],
            ),
        };
        claimed.extend(Claimed::find_by_statement(statement).all(&txn).await?);
    }
    txn.commit().await?;
    Ok(claimed)
}
