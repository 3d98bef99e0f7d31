use sea_orm::entity::prelude::*;

/// (role, unit or the whole tenant) -> device profile (or none) and wave.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollout_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub role_id: Uuid,
    /// Null: tenant-wide.
    pub unit_id: Option<Uuid>,
    /// The unit id as text, or `tenant`: what the uniqueness of (role, unit) is kept on.
    pub scope_key: String,
    /// Null: this group gets no device.
    pub profile_id: Option<Uuid>,
    pub wave: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
