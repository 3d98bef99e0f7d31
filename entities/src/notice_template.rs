use sea_orm::entity::prelude::*;

/// A message a manager starts a notice from.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice_templates")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub title: String,
    pub body: String,
    pub priority: crate::vocab::Priority,
    pub created_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
