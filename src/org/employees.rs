//! Employees: permanent, temporary, or hired from a staffing agency. Temporary and hired
//! staff carry an end date, which is when their devices are due back.
use chrono::{DateTime, NaiveDate, Utc};
use entities::employee;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::KnownIds;
use crate::validation::{optional_text, patch_field, required_text};
use crate::{
    audit::{self, Actor},
    auth::{Access, Caller, Resource},
    auth::{UnitScope, subtree_of},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    filters::text_matches,
    inventory::visibility::refresh_held_by,
    pagination::{
        Page, PageRequest, fetch_page,
        sorted::{SortBy, SortedRequest, fetch_sorted_page},
    },
    reachability::ScheduleMode,
    schedules::parse_zone,
};

/// What an employee's unique fields are called when a duplicate is refused.
pub const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("email", "an employee with this email"),
    ("external_id", "an employee with this external_id"),
];

pub use entities::vocab::EmploymentType;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEmployee {
    pub name: String,
    pub email: String,
    pub unit_id: Uuid,
    pub role_id: Uuid,
    pub employment_type: EmploymentType,
    /// Required for temporary and hired staff.
    pub employment_ends_on: Option<NaiveDate>,
    /// The id in the HR or scheduling system.
    pub external_id: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmployeePatch {
    pub name: Option<String>,
    pub email: Option<String>,
    pub unit_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub employment_type: Option<EmploymentType>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<NaiveDate>)]
    pub employment_ends_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub external_id: Option<Option<String>>,
    pub schedule_mode: Option<ScheduleMode>,
    /// An IANA zone such as `Europe/Stockholm`, or null to inherit.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub time_zone: Option<Option<String>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EmployeeView {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub unit_id: Uuid,
    pub role_id: Uuid,
    pub employment_type: EmploymentType,
    #[serde(serialize_with = "crate::as_text::optional_date")]
    pub employment_ends_on: Option<NaiveDate>,
    pub external_id: Option<String>,
    /// `weekly` (working hours) or `shifts`.
    pub schedule_mode: ScheduleMode,
    /// The employee's own zone, when set (else the unit's or the tenant's applies).
    pub time_zone: Option<String>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub updated_at: DateTime<Utc>,
}

impl From<employee::Model> for EmployeeView {
    fn from(m: employee::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            email: m.email,
            unit_id: m.unit_id,
            role_id: m.role_id,
            employment_type: m.employment_type,
            employment_ends_on: m.employment_ends_on,
            external_id: m.external_id,
            schedule_mode: m.schedule_mode,
            time_zone: m.time_zone,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EmployeeFilter {
    /// This unit and its subunits.
    pub unit_id: Option<Uuid>,
    pub role_id: Option<Uuid>,
    pub employment_type: Option<EmploymentType>,
    /// Free text over name, email and external id.
    pub q: Option<String>,
}

/// An employee whose fields have passed every check, normalised for storage.
#[derive(Clone, Debug)]
pub struct ValidEmployee {
    pub name: String,
    pub email: String,
    pub unit_id: Uuid,
    pub role_id: Uuid,
    pub employment_type: EmploymentType,
    pub employment_ends_on: Option<NaiveDate>,
    pub external_id: Option<String>,
}

fn is_plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
}

/// Every check on an employee's fields, collecting all errors.
pub fn validate_employee(
    input: &NewEmployee,
    known: &KnownIds,
) -> Result<ValidEmployee, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = required_text("name", &input.name, 200, &mut errors);
    let email = input.email.trim().to_lowercase();
    if email.len() > 254 || !is_plausible_email(&email) {
        errors.push(FieldError::new("email", "is not an email address"));
    }
    known.check_unit("unit_id", Some(input.unit_id), &mut errors);
    if !known.roles.contains(&input.role_id) {
        errors.push(FieldError::new("role_id", "no such role category"));
    }
    if input.employment_type != EmploymentType::Permanent && input.employment_ends_on.is_none() {
        errors.push(FieldError::new(
            "employment_ends_on",
            "is required for temporary and hired staff",
        ));
    }
    let external_id = optional_text(
        "external_id",
        input.external_id.as_deref(),
        100,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidEmployee {
        name,
        email,
        unit_id: input.unit_id,
        role_id: input.role_id,
        employment_type: input.employment_type,
        employment_ends_on: input.employment_ends_on,
        external_id,
    })
}

pub fn new_active_model(
    tenant_id: Uuid,
    valid: ValidEmployee,
    now: DateTime<Utc>,
) -> employee::ActiveModel {
    employee::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        name: Set(valid.name),
        email: Set(valid.email),
        unit_id: Set(valid.unit_id),
        role_id: Set(valid.role_id),
        employment_type: Set(valid.employment_type),
        employment_ends_on: Set(valid.employment_ends_on),
        external_id: Set(valid.external_id),
        working_hours: Set(None),
        time_zone: Set(None),
        schedule_mode: Set(ScheduleMode::Weekly),
        focus_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        // Not the directory's (yet): provisioning fills these.
        user_name: Set(None),
        directory_record: Set(None),
        manager_id: Set(None),
        left_at: Set(None),
    }
}

pub async fn find_in_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<employee::Model> {
    employee::Entity::find_by_id(id)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("employee"))
}

pub async fn create_employee(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewEmployee,
) -> AppResult<EmployeeView> {
    write_as(db, caller, Resource::Employees, async |db, actor| {
        let known = KnownIds::load(db, actor.tenant_id).await?;
        let valid = validate_employee(&input, &known).map_err(AppError::Invalid)?;
        let model = new_active_model(actor.tenant_id, valid, Utc::now())
            .insert(db)
            .await
            .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?;
        let view = EmployeeView::from(model);
        audit::record(db, actor, "create", "employee", view.id, None, Some(&view)).await?;
        Ok(view)
    })
    .await
}

pub async fn get_employee<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<EmployeeView> {
    caller.may(Resource::Employees, Access::Read)?;
    Ok(visible(db, caller, id).await?.into())
}

/// The employee the caller speaks for (`/me`).
pub async fn own<C: ConnectionTrait>(db: &C, caller: &Caller) -> AppResult<employee::Model> {
    let id = caller.own_employee(Access::Read)?;
    find_in_tenant(db, caller.tenant_id, id).await
}

/// The employee, when the caller's units hold them: what an operation on something of
/// theirs (shifts, absences, reachability) checks after its own permission. Outside the
/// caller's scope the employee does not exist (404), as in another tenant.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<employee::Model> {
    let employee = find_in_tenant(db, caller.tenant_id, id).await?;
    if !caller.unit_scope(db).await?.contains(employee.unit_id) {
        return Err(AppError::NotFound("employee"));
    }
    Ok(employee)
}

pub async fn update_employee<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    patch: EmployeePatch,
) -> AppResult<EmployeeView> {
    let current = find_in_tenant(db, actor.tenant_id, id).await?;
    let before = EmployeeView::from(current.clone());
    let merged = NewEmployee {
        name: patch.name.unwrap_or(current.name.clone()),
        email: patch.email.unwrap_or(current.email.clone()),
        unit_id: patch.unit_id.unwrap_or(current.unit_id),
        role_id: patch.role_id.unwrap_or(current.role_id),
        employment_type: patch.employment_type.unwrap_or(current.employment_type),
        employment_ends_on: patch
            .employment_ends_on
            .unwrap_or(current.employment_ends_on),
        external_id: patch.external_id.unwrap_or(current.external_id.clone()),
    };
    let known = KnownIds::load(db, actor.tenant_id).await?;
    let validated = validate_employee(&merged, &known);
    let mut errors = validated.as_ref().err().cloned().unwrap_or_default();
    let time_zone = match patch.time_zone {
        Some(Some(zone)) => parse_zone("time_zone", &zone, &mut errors).map(|_| Some(zone)),
        other => other,
    };
    let valid = match validated {
        Ok(valid) if errors.is_empty() => valid,
        _ => return Err(AppError::Invalid(errors)),
    };
    let moved = valid.unit_id != current.unit_id;
    let mut active: employee::ActiveModel = current.into();
    if let Some(mode) = patch.schedule_mode {
        active.schedule_mode = Set(mode);
    }
    if let Some(zone) = time_zone {
        active.time_zone = Set(zone);
    }
    active.name = Set(valid.name);
    active.email = Set(valid.email);
    active.unit_id = Set(valid.unit_id);
    active.role_id = Set(valid.role_id);
    active.employment_type = Set(valid.employment_type);
    active.employment_ends_on = Set(valid.employment_ends_on);
    active.external_id = Set(valid.external_id);
    active.updated_at = Set(Utc::now());
    let view = EmployeeView::from(
        active
            .update(db)
            .await
            .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?,
    );
    if moved {
        // The devices they hold now belong to their new unit's managers.
        refresh_held_by(db, actor.tenant_id, id).await?;
    }
    audit::record(
        db,
        actor,
        "update",
        "employee",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// The filters of an employee list, as one condition (shared by pages and CSV export).
pub async fn list_condition<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    filter: &EmployeeFilter,
) -> AppResult<Condition> {
    caller.may(Resource::Employees, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    let mut cond = Condition::all().add(employee::Column::TenantId.eq(tenant_id));
    if let UnitScope::Units(units) = scope {
        cond = cond.add(employee::Column::UnitId.is_in(units.iter().copied()));
    }
    if let Some(unit_id) = filter.unit_id {
        let subtree = subtree_of(db, tenant_id, &[unit_id]).await?;
        cond = cond.add(employee::Column::UnitId.is_in(subtree));
    }
    if let Some(role_id) = filter.role_id {
        cond = cond.add(employee::Column::RoleId.eq(role_id));
    }
    if let Some(kind) = filter.employment_type {
        cond = cond.add(employee::Column::EmploymentType.eq(kind));
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        cond = cond.add(text_matches(
            db.get_database_backend(),
            &[
                employee::Column::Name,
                employee::Column::Email,
                employee::Column::ExternalId,
            ],
            q,
        ));
    }
    Ok(cond)
}

pub async fn list_employees<C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    page: PageRequest,
) -> AppResult<Page<EmployeeView>> {
    let select = employee::Entity::find().filter(cond);
    Ok(fetch_page(db, select, employee::Column::Id, |m| m.id, page)
        .await?
        .map(EmployeeView::from))
}

/// A page of the list's people in `sort`'s order (a column the console sorts by).
pub async fn list_employees_sorted<C: ConnectionTrait>(
    db: &C,
    cond: Condition,
    sort: &SortBy<employee::Column>,
    page: &SortedRequest,
) -> AppResult<Page<EmployeeView>> {
    let select = employee::Entity::find().filter(cond);
    Ok(
        fetch_sorted_page(db, select, sort, employee::Column::Id, page)
            .await?
            .map(EmployeeView::from),
    )
}

/// How many people the list's condition matches (the list's total).
pub async fn count_employees<C: ConnectionTrait>(db: &C, cond: Condition) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    Ok(employee::Entity::find().filter(cond).count(db).await?)
}

/// Each person's unit, by person: what reports that sort people into units need
/// (a few bytes each, where whole rows of 20,000 people would carry names for nothing).
pub async fn home_units<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<std::collections::HashMap<Uuid, Uuid>> {
    Ok(employee::Entity::find()
        .select_only()
        .columns([employee::Column::Id, employee::Column::UnitId])
        .filter(employee::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, Uuid)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// The name and unit of the given employees of the tenant, by id (for lists that show
/// people).
pub async fn people_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> AppResult<std::collections::HashMap<Uuid, (String, Uuid)>> {
    if ids.is_empty() {
        return Ok(std::collections::HashMap::default());
    }
    let mut found = std::collections::HashMap::with_capacity(ids.len());
    // In lists of 1,000 ids: a large audience stays under every store's parameter limit.
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(Uuid, String, Uuid)> = employee::Entity::find()
            .select_only()
            .columns([
                employee::Column::Id,
                employee::Column::Name,
                employee::Column::UnitId,
            ])
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|(id, name, unit)| (id, (name, unit))));
    }
    Ok(found)
}

/// The tenant's employee with this e-mail address (compared without regard to case).
pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    email: &str,
) -> AppResult<Option<employee::Model>> {
    Ok(employee::Entity::find()
        .filter(employee::Column::TenantId.eq(tenant_id))
        .filter(crate::db::same_text(employee::Column::Email, email))
        .one(db)
        .await?)
}

/// People a picker offers for what has been typed (`who`: part of a name, e-mail
/// address or employee number), among those the caller may see and still employed:
/// at most `limit`, by name.
pub async fn suggest<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    who: &str,
    limit: u64,
) -> AppResult<Vec<employee::Model>> {
    let filter = EmployeeFilter {
        q: Some(who.to_owned()),
        ..EmployeeFilter::default()
    };
    let cond = list_condition(db, caller, &filter)
        .await?
        .add(employee::Column::LeftAt.is_null());
    Ok(employee::Entity::find()
        .filter(cond)
        .order_by_asc(employee::Column::Name)
        .limit(limit)
        .all(db)
        .await?)
}

/// The one person `who` names: their e-mail address or employee number (external id)
/// exactly, else a name or part of one that only one person has. `field` names the form
/// field in a refusal.
pub async fn pick<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    field: &str,
    who: &str,
) -> AppResult<Uuid> {
    let who = who.trim();
    if who.is_empty() {
        return Err(AppError::invalid(field, "choose a person"));
    }
    let exactly = Condition::any()
        .add(crate::db::same_text(employee::Column::Email, who))
        .add(employee::Column::ExternalId.eq(who));
    let scope = list_condition(db, caller, &EmployeeFilter::default()).await?;
    let exact = employee::Entity::find()
        .filter(scope.add(exactly))
        .limit(2)
        .all(db)
        .await?;
    if let [one] = exact.as_slice() {
        return Ok(one.id);
    }
    match suggest(db, caller, who, 2).await?.as_slice() {
        [one] => Ok(one.id),
        [] => Err(AppError::invalid(
            field,
            "nobody has this name, e-mail address or employee number",
        )),
        _ => Err(AppError::invalid(
            field,
            "several people match; give their e-mail address or employee number",
        )),
    }
}
