use sea_orm::entity::prelude::*;

/// A tenant's OpenID Connect provider: where its people sign in to the console, and how
/// what the provider says about them maps to Stilla's people and rights.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// The issuer URL; its `/.well-known/openid-configuration` is read for the rest.
    pub issuer: String,
    pub client_id: String,
    /// The client secret, sealed with the configured secrets key (AES-256-GCM); never
    /// returned or logged.
    pub client_secret_sealed: String,
    /// The ID token claim that names the person (`email`, `preferred_username`, `sub`,
    /// `oid`, or another).
    pub identity_claim: String,
    /// What that claim's value is matched with: the employee's `email` or `external_id`.
    pub identity_matches: crate::vocab::IdentityField,
    /// The claim that lists the person's groups (Entra ID: `groups`, or `roles`).
    pub groups_claim: String,
    /// Group values that make a person an admin, as a JSON array of strings.
    pub admin_groups: Json,
    /// Group values that allow sending urgent notices, as a JSON array of strings.
    pub urgent_groups: Json,
    /// An `acr` value the ID token must carry (e.g. a SITHS assurance level); null: any.
    pub required_acr: Option<String>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
