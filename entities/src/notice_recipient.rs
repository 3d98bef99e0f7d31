use sea_orm::entity::prelude::*;

/// One person a notice reaches: their inbox entry.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notice_recipients")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub notice_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub employee_id: Uuid,
    pub tenant_id: Uuid,
    /// When the engine lets it reach them; null when not within the horizon.
    pub deliver_at: Option<DateTimeUtc>,
    /// The engine's reason (`working_hours`, `off_duty`, `urgent`, ...).
    pub reason: crate::vocab::Reason,
    pub window_ends_at: Option<DateTimeUtc>,
    /// `now`, `held`, `expired` or `no_device`.
    pub outcome: crate::vocab::Outcome,
    /// First successful push to any of their registrations.
    pub pushed_at: Option<DateTimeUtc>,
    pub acked_at: Option<DateTimeUtc>,
}

impl ActiveModelBehavior for ActiveModel {}
