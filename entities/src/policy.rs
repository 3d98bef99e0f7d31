use sea_orm::entity::prelude::*;

/// A tenant's working-time policy: default zone and weekly hours, holidays, and the delay
/// after a window opens before held notices go out.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    /// An IANA zone, e.g. `Europe/Stockholm`.
    pub time_zone: String,
    /// `{"mon": [{"start": "08:00", "end": "17:00"}], ...}`.
    pub working_hours: Json,
    /// `["2026-12-24", ...]`.
    pub holidays: Json,
    pub release_delay_minutes: i32,
    /// Whether managers may change their units' and people's working hours.
    pub managers_edit_hours: bool,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
