use sea_orm::entity::prelude::*;

/// A role category (undersköterska, sjuksköterska, ...), not an access role.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "roles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub created_at: DateTimeUtc,
    #[sea_orm(has_many)]
    pub employees: HasMany<super::employee::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
