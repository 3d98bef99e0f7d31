use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    pub body: String,
    pub priority: crate::vocab::Priority,
    /// The audience as given: `{all, unit_ids, role_ids, employee_ids}`.
    pub audience: Json,
    pub send_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub requires_ack: bool,
    pub repeat_until_ack: bool,
    pub urgent_reason: Option<String>,
    pub sender_token_id: Uuid,
    pub sender_name: String,
    pub idempotency_key: Option<String>,
    /// SHA-256 of the request body, to tell a retry from a reused key.
    pub request_hash: Option<String>,
    /// `{now, held, expired, no_device}` as planned at creation.
    pub summary: Json,
    pub created_at: DateTimeUtc,
    pub cancelled_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
