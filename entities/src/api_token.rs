use sea_orm::entity::prelude::*;

/// An API token. Only the SHA-256 of the secret is kept; the secret is shown once.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_tokens")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub role: crate::vocab::AccessRole,
    pub employee_id: Option<Uuid>,
    /// The units (with their subtrees) a manager token covers, as a JSON array of ids.
    pub unit_ids: Json,
    pub can_send_urgent: bool,
    pub secret_hash: String,
    pub created_at: DateTimeUtc,
    pub revoked_at: Option<DateTimeUtc>,
    /// After this the token no longer works; null: until revoked.
    pub expires_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
