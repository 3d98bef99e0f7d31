use sea_orm::entity::prelude::*;

/// A directory group that places its members: in a unit, in a role category, or as
/// managers of a unit.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_group_mappings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The group's display name, as the directory sends it.
    pub group_name: String,
    pub places: crate::vocab::GroupPlaces,
    /// The unit or role category.
    pub target_id: Uuid,
}

impl ActiveModelBehavior for ActiveModel {}
