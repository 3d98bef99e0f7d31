use sea_orm::entity::prelude::*;

#[sea_orm::model]
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "employees")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub email: String,
    pub unit_id: Uuid,
    pub role_id: Uuid,
    /// `permanent`, `temporary` or `hired` (from a staffing agency).
    pub employment_type: crate::vocab::EmploymentType,
    pub employment_ends_on: Option<Date>,
    pub external_id: Option<String>,
    /// Own weekly hours; null inherits from the unit chain, then the tenant.
    pub working_hours: Option<Json>,
    /// Own zone (e.g. a stay abroad); null inherits.
    pub time_zone: Option<String>,
    /// `weekly` or `shifts`.
    pub schedule_mode: crate::vocab::ScheduleMode,
    /// "In a patient meeting" until then.
    pub focus_until: Option<DateTimeUtc>,
    /// The directory's user name (Entra ID: the UPN); unique in the tenant.
    pub user_name: Option<String>,
    /// The SCIM `User` as the directory last provisioned it (without `id`, `meta`):
    /// what it says of the person beyond Stilla's own fields, given back as it came.
    pub directory_record: Option<Json>,
    /// Who the person reports to (the directory's `manager`).
    pub manager_id: Option<Uuid>,
    /// When the directory said the person left (`active: false` or deleted): every
    /// credential stops from then, whatever the last day of employment.
    pub left_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    #[sea_orm(belongs_to, from = "unit_id", to = "id")]
    pub unit: BelongsTo<super::unit::Entity>,
    #[sea_orm(belongs_to, from = "role_id", to = "id")]
    pub role: BelongsTo<super::role::Entity>,
}

impl ActiveModelBehavior for ActiveModel {}
