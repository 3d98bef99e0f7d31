//! What the API shows of notices, their deliveries and an employee's inbox.
use chrono::{DateTime, Utc};
use entities::{delivery, notice};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{input::Audience, plan::Summary};
use crate::reachability::{Priority, Reason};

/// How a notice is doing. Delivery counts are per phone; `recipients`, `acked` and
/// `awaiting_ack` are per person. Only people a push reached in their working time
/// (or on call) can be awaiting acknowledgement: nobody "did not read" off duty.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Stats {
    pub recipients: u64,
    /// People a push has reached on at least one of their phones.
    pub reached: u64,
    /// People with no app registered: the notice reaches them only in their inbox.
    pub without_app: u64,
    pub sent: u64,
    /// Waiting for the person's working time, or being pushed right now.
    pub scheduled: u64,
    pub failed: u64,
    pub expired: u64,
    pub cancelled: u64,
    /// Given up after their claim lapsed `max_lost_claims` times (each dispatcher
    /// holding them died).
    pub dead: u64,
    /// Pushed after a claim of theirs lapsed: the dispatcher that died may have pushed
    /// them already, so the phone may have had them twice (collapsed into one).
    pub maybe_twice: u64,
    pub acked: u64,
    pub awaiting_ack: u64,
    /// Urgent deliveries outside any working window and not on call: after-hours contacts.
    pub after_hours: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub audience: Audience,
    pub send_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub requires_ack: bool,
    pub repeat_until_ack: bool,
    pub urgent_reason: Option<String>,
    /// The name of the token that sent it.
    pub sender: String,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
    /// As planned when it was created.
    pub summary: Summary,
    pub stats: Stats,
}

impl NoticeView {
    pub fn new(m: notice::Model, stats: Stats) -> Self {
        Self {
            id: m.id,
            title: m.title,
            body: m.body,
            priority: m.priority,
            audience: serde_json::from_value(m.audience).unwrap_or_default(),
            send_at: m.send_at,
            expires_at: m.expires_at,
            requires_ack: m.requires_ack,
            repeat_until_ack: m.repeat_until_ack,
            urgent_reason: m.urgent_reason,
            sender: m.sender_name,
            created_at: m.created_at,
            cancelled_at: m.cancelled_at,
            summary: serde_json::from_value(m.summary).unwrap_or_default(),
            stats,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub employee_id: Uuid,
    pub registration_id: Uuid,
    /// As planned by the reachability engine; null while no working time is known.
    pub deliver_at: Option<DateTime<Utc>>,
    pub status: crate::delivery::outbox::DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Apple and Google drop the push after this.
    pub push_expires_at: Option<DateTime<Utc>>,
}

impl From<delivery::Model> for DeliveryView {
    fn from(m: delivery::Model) -> Self {
        Self {
            id: m.id,
            employee_id: m.employee_id,
            registration_id: m.registration_id,
            deliver_at: m.deliver_at,
            status: m.status,
            attempts: m.attempts,
            last_error: m.last_error,
            sent_at: m.sent_at,
            push_expires_at: m.push_expires_at,
        }
    }
}

/// One planned recipient, as the preview shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewRecipient {
    pub employee_id: Uuid,
    pub deliver_at: Option<DateTime<Utc>>,
    pub reason: Reason,
    pub outcome: super::plan::Outcome,
    /// The person's UTC offset at `deliver_at`, e.g. `+02:00`, so a day the clocks
    /// change reads right.
    pub utc_offset: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub summary: Summary,
    pub recipients: Vec<PreviewRecipient>,
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use entities::notice;
    use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
    use uuid::Uuid;

    use crate::reachability::Priority;

    #[tokio::test]
    async fn an_unknown_stored_priority_is_an_error_naming_its_vocabulary_and_value() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        // Only the decoding is under test: the notice's tenant and sender do not exist.
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        let now = Utc::now();
        let id = Uuid::now_v7();
        notice::ActiveModel {
            id: Set(id),
            tenant_id: Set(Uuid::now_v7()),
            title: Set("Rond".to_owned()),
            body: Set("Ronden börjar".to_owned()),
            priority: Set(Priority::Important),
            audience: Set(serde_json::json!({"all": true})),
            send_at: Set(now),
            expires_at: Set(None),
            requires_ack: Set(false),
            repeat_until_ack: Set(false),
            urgent_reason: Set(None),
            sender_token_id: Set(Uuid::now_v7()),
            sender_name: Set("test".to_owned()),
            idempotency_key: Set(None),
            request_hash: Set(None),
            summary: Set(serde_json::json!({})),
            created_at: Set(now),
            cancelled_at: Set(None),
        }
        .insert(&db)
        .await
        .unwrap();
        let stored = notice::Entity::find_by_id(id).one(&db).await.unwrap();
        assert_eq!(
            stored.unwrap().priority,
            Priority::Important,
            "stored as before"
        );
        db.execute_unprepared("UPDATE notices SET priority = 'loud'")
            .await
            .unwrap();
        let error = notice::Entity::find_by_id(id)
            .one(&db)
            .await
            .expect_err("an unknown priority is never read as another")
            .to_string();
        assert!(error.contains("Priority"), "{error}");
        assert!(error.contains("loud"), "{error}");
    }
}
