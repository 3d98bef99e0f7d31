use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_registrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub employee_id: Uuid,
    /// `apns`, `fcm` or `log`.
    pub provider: crate::vocab::PushProvider,
    /// The provider's device token.
    pub token: String,
    /// `ios`, `android` or `web`; null on registrations made before it was asked:
    /// APNs ones are iOS, FCM ones Android.
    pub platform: Option<crate::vocab::PushPlatform>,
    /// The organization device this app runs on; null for a private device.
    pub device_id: Option<Uuid>,
    pub app_id: Option<String>,
    /// A private device's owner lets urgent notices through outside working time.
    pub urgent_off_hours: bool,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
    pub disabled_reason: Option<String>,
}

impl ActiveModelBehavior for ActiveModel {}
