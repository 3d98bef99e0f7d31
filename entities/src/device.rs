use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: crate::vocab::DeviceKind,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub imei: Option<String>,
    pub ownership: crate::vocab::Ownership,
    pub status: crate::vocab::DeviceStatus,
    /// The responsible unit (cost centre owner).
    pub unit_id: Option<Uuid>,
    pub assigned_employee_id: Option<Uuid>,
    pub assigned_unit_id: Option<Uuid>,
    pub purchase_price_ore: Option<i64>,
    pub purchased_on: Option<Date>,
    pub warranty_ends_on: Option<Date>,
    pub retired_reason: Option<crate::vocab::RetireReason>,
    /// The framework agreement it was bought under.
    pub contract_id: Option<Uuid>,
    /// The last repair: why, by whom, their case number.
    pub repair_reason: Option<String>,
    pub repair_vendor: Option<String>,
    pub repair_ticket: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
