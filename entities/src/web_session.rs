use sea_orm::entity::prelude::*;

/// A console sign-in, standing for the API token it was opened with. Only the SHA-256
/// of the cookie's secret is kept.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub token_id: Uuid,
    pub secret_hash: String,
    /// Every console form carries it back; a form without it changes nothing.
    pub csrf_token: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When the session was last used (to the minute); null: not since sign-in.
    pub last_seen_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
