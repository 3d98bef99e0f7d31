use sea_orm::entity::prelude::*;

/// A unit a device is linked to, directly or as an ancestor of a linked unit.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "device_units")]
pub struct Model {
    pub tenant_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub device_id: Uuid,
    #[sea_orm(belongs_to, from = "device_id", to = "id")]
    pub device: BelongsTo<super::device::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
