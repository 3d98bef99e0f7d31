use sea_orm::entity::prelude::*;

/// A browser on its way through the identity provider: what the callback must find again
/// (`state`), what the ID token must carry (`nonce`), and the PKCE verifier. Tied to
/// the browser by a cookie whose SHA-256 is `browser_hash`; used once, then deleted.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sign_in_attempts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub browser_hash: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    /// The console page to land on afterwards.
    pub next: String,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
