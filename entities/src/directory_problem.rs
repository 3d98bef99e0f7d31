use sea_orm::entity::prelude::*;

/// A value the directory sent that Stilla could not place (a cost centre no unit has,
/// a title no role category has), refused and kept here for an admin to act on.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "directory_problems")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// The SCIM attribute (`costCenter`, `department`, `title`, `manager`).
    pub attribute: String,
    pub value: String,
    /// The last user it came with.
    pub user_name: Option<String>,
    pub times: i32,
    /// A later request with the same value was placed (the admin added the unit).
    pub resolved: bool,
    pub first_seen_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
