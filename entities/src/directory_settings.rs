use sea_orm::entity::prelude::*;

/// How a tenant places the people its directory provisions.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// Which of the directory's facts names the unit.
    pub unit_from: crate::vocab::UnitSource,
    /// Which names the role category.
    pub role_from: crate::vocab::RoleSource,
    /// Where people wait whom groups place, until a mapped group has them (made on
    /// first need, listed for the admin).
    pub waiting_unit_id: Option<Uuid>,
    pub waiting_role_id: Option<Uuid>,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
