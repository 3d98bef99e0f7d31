use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscriptions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// E.164, e.g. `+46701234567`.
    pub msisdn: String,
    pub iccid: Option<String>,
    /// Switchboard extension.
    pub extension: Option<String>,
    pub operator: String,
    pub plan: String,
    pub monthly_cost_ore: i64,
    pub status: crate::vocab::SubscriptionStatus,
    pub device_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    /// The framework agreement it was bought under.
    pub contract_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
