use sea_orm::entity::prelude::*;

/// What a group gets in a roll-out, and what it costs.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_profiles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    /// `phone` or `tablet`.
    pub device_kind: crate::vocab::DeviceKind,
    pub device_price_ore: i64,
    pub setup_cost_ore: i64,
    pub monthly_subscription_cost_ore: i64,
    pub monthly_support_cost_ore: i64,
    pub lifetime_months: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
