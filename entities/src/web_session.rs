use sea_orm::entity::prelude::*;

/// A console sign-in: standing for the API token it was opened with, or for the person
/// the identity provider vouched for. Only the SHA-256 of the cookie's secret is kept.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "web_sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// How the browser signed in: `token` (then `token_id`) or `identity_provider`
    /// (then `employee_id`, with what the provider's groups granted).
    pub signed_in_with: crate::vocab::SignInMethod,
    pub token_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    /// The provider's groups made this person an admin (at sign-in).
    pub is_admin: bool,
    /// The provider's groups let this person send urgent notices (at sign-in).
    pub can_send_urgent: bool,
    /// The ID token the provider signed, handed back when signing out there
    /// (RP-initiated logout), so that it need not ask who is leaving.
    pub id_token_hint: Option<String>,
    pub secret_hash: String,
    /// Every console form carries it back; a form without it changes nothing.
    pub csrf_token: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
    /// When the session was last used (to the minute); null: not since sign-in.
    pub last_seen_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
