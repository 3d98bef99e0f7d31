use sea_orm::entity::prelude::*;

/// A tenant's own mobile app: the Apple key and Firebase service account its pushes are
/// sent with, instead of the service's. A registration whose `app_id` names it is pushed
/// through it.
#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "push_apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// What the app sends as `app_id` when it registers (its bundle id, say).
    pub app_id: String,
    pub name: String,
    /// APNs: the key's id, the team, the bundle id pushes are for, which environment.
    pub apns_key_id: Option<String>,
    pub apns_team_id: Option<String>,
    pub apns_topic: Option<String>,
    pub apns_sandbox: bool,
    /// The .p8 signing key, sealed with the configured secrets key; never returned.
    pub apns_key_sealed: Option<String>,
    pub fcm_project_id: Option<String>,
    pub fcm_client_email: Option<String>,
    /// The service account JSON, sealed; never returned.
    pub fcm_account_sealed: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

impl ActiveModelBehavior for ActiveModel {}
