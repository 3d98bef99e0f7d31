use sea_orm::entity::prelude::*;

/// The outbox: one push of one notice to one registration.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deliveries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub notice_id: Uuid,
    pub employee_id: Uuid,
    pub registration_id: Uuid,
    /// As planned by the reachability engine; null: no working time within the horizon.
    pub deliver_at: Option<DateTimeUtc>,
    /// Apple and Google drop the push after this (end of window, or the notice's expiry).
    pub push_expires_at: Option<DateTimeUtc>,
    /// `scheduled`, `sending`, `sent`, `failed`, `expired`, `cancelled` or `dead`.
    pub status: crate::vocab::DeliveryStatus,
    pub attempts: i32,
    /// Successful pushes (more than one when repeated until acknowledged).
    pub pushes: i32,
    pub last_error: Option<String>,
    /// Next attempt; null while held without a window.
    pub due_at: Option<DateTimeUtc>,
    /// Claimed before every delivery that is not urgent.
    pub urgent: bool,
    /// The order among due deliveries (see the queue migration); never a wait.
    pub queue_at: Option<DateTimeUtc>,
    pub lease_owner: Option<Uuid>,
    /// A claim lapses then (database clock) and another dispatcher may take the row.
    pub lease_until: Option<DateTimeUtc>,
    pub sent_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// Claims that lapsed without an outcome: the dispatcher holding it died.
    pub lost_claims: i32,
}

impl ActiveModelBehavior for ActiveModel {}
