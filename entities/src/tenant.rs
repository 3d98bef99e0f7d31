use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    /// The short name people type at the console's sign-in to reach their
    /// organisation's identity provider (`vgr`, `region-skane`); unique.
    pub slug: String,
    /// Whether the console still takes a pasted API token. An admin turns it off once
    /// everyone signs in through the identity provider (the API keeps its tokens).
    pub console_token_sign_in: bool,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
