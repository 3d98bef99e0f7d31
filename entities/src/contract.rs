use sea_orm::entity::prelude::*;

/// A framework agreement (ramavtal) for devices, subscriptions or support.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "contracts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub supplier: String,
    /// `devices`, `subscriptions` or `support`.
    pub kind: crate::vocab::ContractKind,
    pub reference: Option<String>,
    pub starts_on: Date,
    pub ends_on: Date,
    pub notice_period_days: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
