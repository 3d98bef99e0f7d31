//! Devices: phones and tablets, organisation-owned or an employee's own phone registered
//! for notices, through their lifecycle.
use chrono::{DateTime, NaiveDate, Utc};
use entities::{device, device_unit};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, JoinType,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    identifiers::normalize_imei,
    lifecycle::{Action, DeviceAction, DeviceStatus, StoredStatus, transition},
    visibility::{device_visible, devices_linked_to, refresh_device_units},
};
use crate::{
    audit::{self, Actor},
    auth::UnitScope,
    error::{AppError, AppResult, FieldError},
    filters::{planned_for_pattern, searched_ids},
    money::Money,
    org::{KnownIds, employees, optional_text, patch_field, required_text},
    pagination::{Page, PageRequest, Planning, fetch_page_as},
};

pub const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("serial_number", "a device with this serial_number"),
    ("imei", "a device with this imei"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    Phone,
    Tablet,
}

impl DeviceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceKind::Phone => "phone",
            DeviceKind::Tablet => "tablet",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ownership {
    Organization,
    /// An employee's own phone, registered only to receive notices.
    Private,
}

impl Ownership {
    pub fn as_str(self) -> &'static str {
        match self {
            Ownership::Organization => "organization",
            Ownership::Private => "private",
        }
    }
}

/// The status a device may be registered in: still on order, or already in stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialDeviceStatus {
    Ordered,
    InStock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetireReason {
    Recycled,
    Sold,
    Lost,
    Stolen,
    Broken,
}

impl RetireReason {
    pub const ALL: [RetireReason; 5] = [
        RetireReason::Recycled,
        RetireReason::Sold,
        RetireReason::Lost,
        RetireReason::Stolen,
        RetireReason::Broken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RetireReason::Recycled => "recycled",
            RetireReason::Sold => "sold",
            RetireReason::Lost => "lost",
            RetireReason::Stolen => "stolen",
            RetireReason::Broken => "broken",
        }
    }
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    pub kind: DeviceKind,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    /// 15 digits with a valid Luhn check digit.
    pub imei: Option<String>,
    pub ownership: Ownership,
    /// Default `in_stock`.
    pub status: Option<InitialDeviceStatus>,
    /// The responsible unit.
    pub unit_id: Option<Uuid>,
    #[schema(example = "4995.00")]
    pub purchase_price: Option<Money>,
    pub purchased_on: Option<NaiveDate>,
    pub warranty_ends_on: Option<NaiveDate>,
    /// The framework agreement it was bought under.
    pub contract_id: Option<Uuid>,
}

/// Fields to change (not the status: that moves through the lifecycle actions).
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DevicePatch {
    pub kind: Option<DeviceKind>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub serial_number: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub imei: Option<Option<String>>,
    pub ownership: Option<Ownership>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Money>)]
    pub purchase_price: Option<Option<Money>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<NaiveDate>)]
    pub purchased_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<NaiveDate>)]
    pub warranty_ends_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub contract_id: Option<Option<Uuid>>,
}

/// `assign`: to one employee or to one unit (a shared ward device).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignDevice {
    pub employee_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetireDevice {
    pub reason: RetireReason,
}

/// Who holds a device: exactly one of the two is set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Assignee {
    pub employee_id: Option<Uuid>,
    pub unit_id: Option<Uuid>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DeviceView {
    pub id: Uuid,
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub imei: Option<String>,
    pub ownership: String,
    pub status: String,
    pub unit_id: Option<Uuid>,
    /// Null unless the status is `assigned`.
    pub assigned_to: Option<Assignee>,
    #[schema(example = "4995.00")]
    pub purchase_price: Option<Money>,
    #[serde(serialize_with = "crate::as_text::optional_date")]
    pub purchased_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::as_text::optional_date")]
    pub warranty_ends_on: Option<NaiveDate>,
    pub contract_id: Option<Uuid>,
    pub retired_reason: Option<String>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub updated_at: DateTime<Utc>,
}

impl From<device::Model> for DeviceView {
    fn from(m: device::Model) -> Self {
        let assigned_to = (m.assigned_employee_id.is_some() || m.assigned_unit_id.is_some())
            .then_some(Assignee {
                employee_id: m.assigned_employee_id,
                unit_id: m.assigned_unit_id,
            });
        Self {
            id: m.id,
            kind: m.kind,
            manufacturer: m.manufacturer,
            model: m.model,
            serial_number: m.serial_number,
            imei: m.imei,
            ownership: m.ownership,
            status: m.status,
            unit_id: m.unit_id,
            assigned_to,
            purchase_price: m.purchase_price_ore.map(Money),
            purchased_on: m.purchased_on,
            warranty_ends_on: m.warranty_ends_on,
            contract_id: m.contract_id,
            retired_reason: m.retired_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A device as one flat CSV row. Its first columns are [`NewDevice`]'s fields, so an
/// export can be imported again.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceCsvRow {
    pub kind: String,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub imei: Option<String>,
    pub ownership: String,
    pub status: String,
    pub unit_id: Option<Uuid>,
    pub purchase_price: Option<Money>,
    pub purchased_on: Option<NaiveDate>,
    pub warranty_ends_on: Option<NaiveDate>,
    pub id: Uuid,
    pub assigned_employee_id: Option<Uuid>,
    pub assigned_unit_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub retired_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Columns of [`DeviceCsvRow`] that an import accepts and ignores.
pub const EXPORT_ONLY_COLUMNS: &[&str] = &[
    "id",
    "assigned_employee_id",
    "assigned_unit_id",
    "contract_id",
    "retired_reason",
    "created_at",
    "updated_at",
];

impl From<device::Model> for DeviceCsvRow {
    fn from(m: device::Model) -> Self {
        Self {
            kind: m.kind,
            manufacturer: m.manufacturer,
            model: m.model,
            serial_number: m.serial_number,
            imei: m.imei,
            ownership: m.ownership,
            status: m.status,
            unit_id: m.unit_id,
            purchase_price: m.purchase_price_ore.map(Money),
            purchased_on: m.purchased_on,
            warranty_ends_on: m.warranty_ends_on,
            id: m.id,
            assigned_employee_id: m.assigned_employee_id,
            assigned_unit_id: m.assigned_unit_id,
            contract_id: m.contract_id,
            retired_reason: m.retired_reason,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeviceFilter {
    pub status: Option<DeviceStatus>,
    pub kind: Option<DeviceKind>,
    pub ownership: Option<Ownership>,
    /// Devices linked to this unit or its subunits (responsible, assigned to the unit, or
    /// assigned to one of its employees).
    pub unit_id: Option<Uuid>,
    /// Devices assigned to this employee.
    pub employee_id: Option<Uuid>,
    /// Free text over serial number, IMEI, manufacturer and model.
    pub q: Option<String>,
}

/// A device whose fields passed every check, normalised for storage.
#[derive(Clone, Debug)]
pub struct ValidDevice {
    pub kind: DeviceKind,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub imei: Option<String>,
    pub ownership: Ownership,
    pub status: DeviceStatus,
    pub unit_id: Option<Uuid>,
    pub purchase_price: Option<Money>,
    pub purchased_on: Option<NaiveDate>,
    pub warranty_ends_on: Option<NaiveDate>,
    pub contract_id: Option<Uuid>,
}

/// Every check on a device's fields, collecting all errors.
pub fn validate_device(
    input: &NewDevice,
    known: &KnownIds,
) -> Result<ValidDevice, Vec<FieldError>> {
    let mut errors = Vec::new();
    let manufacturer = required_text("manufacturer", &input.manufacturer, 100, &mut errors);
    let model = required_text("model", &input.model, 100, &mut errors);
    let serial_number = required_text("serial_number", &input.serial_number, 100, &mut errors);
    let imei = optional_text("imei", input.imei.as_deref(), 40, &mut errors).and_then(|imei| {
        normalize_imei(&imei)
            .map_err(|message| errors.push(FieldError::new("imei", message)))
            .ok()
    });
    known.check_unit("unit_id", input.unit_id, &mut errors);
    known.check_contract("contract_id", input.contract_id, &mut errors);
    if input.purchase_price.is_some_and(|p| p.ore() < 0) {
        errors.push(FieldError::new("purchase_price", "must not be negative"));
    }
    if let (Some(bought), Some(warranty)) = (input.purchased_on, input.warranty_ends_on)
        && warranty < bought
    {
        errors.push(FieldError::new(
            "warranty_ends_on",
            "must not be before purchased_on",
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidDevice {
        kind: input.kind,
        manufacturer,
        model,
        serial_number,
        imei,
        ownership: input.ownership,
        status: match input.status {
            Some(InitialDeviceStatus::Ordered) => DeviceStatus::Ordered,
            Some(InitialDeviceStatus::InStock) | None => DeviceStatus::InStock,
        },
        unit_id: input.unit_id,
        purchase_price: input.purchase_price,
        purchased_on: input.purchased_on,
        warranty_ends_on: input.warranty_ends_on,
        contract_id: input.contract_id,
    })
}

pub fn new_active_model(
    tenant_id: Uuid,
    valid: ValidDevice,
    now: DateTime<Utc>,
) -> device::ActiveModel {
    device::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        kind: Set(valid.kind.as_str().to_owned()),
        manufacturer: Set(valid.manufacturer),
        model: Set(valid.model),
        serial_number: Set(valid.serial_number),
        imei: Set(valid.imei),
        ownership: Set(valid.ownership.as_str().to_owned()),
        status: Set(valid.status.as_str().to_owned()),
        unit_id: Set(valid.unit_id),
        assigned_employee_id: Set(None),
        assigned_unit_id: Set(None),
        purchase_price_ore: Set(valid.purchase_price.map(Money::ore)),
        purchased_on: Set(valid.purchased_on),
        warranty_ends_on: Set(valid.warranty_ends_on),
        contract_id: Set(valid.contract_id),
        retired_reason: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn find_in_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<device::Model> {
    device::Entity::find_by_id(id)
        .filter(device::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("device"))
}

pub async fn create_device<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    input: NewDevice,
) -> AppResult<DeviceView> {
    let known = KnownIds::load(db, actor.tenant_id).await?;
    let valid = validate_device(&input, &known).map_err(AppError::Invalid)?;
    let model = new_active_model(actor.tenant_id, valid, Utc::now())
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?;
    refresh_device_units(db, actor.tenant_id, &[model.id]).await?;
    let view = DeviceView::from(model);
    audit::record(db, actor, "create", "device", view.id, None, Some(&view)).await?;
    Ok(view)
}

pub async fn get_device<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    scope: &UnitScope,
    id: Uuid,
) -> AppResult<DeviceView> {
    let device = find_in_tenant(db, tenant_id, id).await?;
    if !device_visible(db, scope, &device).await? {
        return Err(AppError::NotFound("device"));
    }
    Ok(device.into())
}

pub async fn update_device<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    patch: DevicePatch,
) -> AppResult<DeviceView> {
    let current = find_in_tenant(db, actor.tenant_id, id).await?;
    let before = DeviceView::from(current.clone());
    let merged = NewDevice {
        kind: patch.kind.unwrap_or(if current.kind == "tablet" {
            DeviceKind::Tablet
        } else {
            DeviceKind::Phone
        }),
        manufacturer: patch.manufacturer.unwrap_or(current.manufacturer.clone()),
        model: patch.model.unwrap_or(current.model.clone()),
        serial_number: patch.serial_number.unwrap_or(current.serial_number.clone()),
        imei: patch.imei.unwrap_or(current.imei.clone()),
        ownership: patch
            .ownership
            .unwrap_or(if current.ownership == "private" {
                Ownership::Private
            } else {
                Ownership::Organization
            }),
        status: None,
        unit_id: patch.unit_id.unwrap_or(current.unit_id),
        purchase_price: patch
            .purchase_price
            .unwrap_or(current.purchase_price_ore.map(Money)),
        purchased_on: patch.purchased_on.unwrap_or(current.purchased_on),
        warranty_ends_on: patch.warranty_ends_on.unwrap_or(current.warranty_ends_on),
        contract_id: patch.contract_id.unwrap_or(current.contract_id),
    };
    let known = KnownIds::load(db, actor.tenant_id).await?;
    let valid = validate_device(&merged, &known).map_err(AppError::Invalid)?;
    let mut active: device::ActiveModel = current.into();
    active.kind = Set(valid.kind.as_str().to_owned());
    active.manufacturer = Set(valid.manufacturer);
    active.model = Set(valid.model);
    active.serial_number = Set(valid.serial_number);
    active.imei = Set(valid.imei);
    active.ownership = Set(valid.ownership.as_str().to_owned());
    active.unit_id = Set(valid.unit_id);
    active.purchase_price_ore = Set(valid.purchase_price.map(Money::ore));
    active.purchased_on = Set(valid.purchased_on);
    active.warranty_ends_on = Set(valid.warranty_ends_on);
    active.contract_id = Set(valid.contract_id);
    active.updated_at = Set(Utc::now());
    let view = DeviceView::from(
        active
            .update(db)
            .await
            .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?,
    );
    refresh_device_units(db, actor.tenant_id, &[id]).await?;
    audit::record(
        db,
        actor,
        "update",
        "device",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// What a lifecycle action carries besides its name.
#[derive(Clone, Debug)]
pub enum DeviceChange {
    None,
    Assign(AssignDevice),
    Retire(RetireReason),
}

/// Applies one lifecycle action: checks the transition, then updates the device and
/// records the step in the audit trail (which is the device's history).
pub async fn apply_action<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: Uuid,
    action: DeviceAction,
    change: DeviceChange,
) -> AppResult<DeviceView> {
    let current = find_in_tenant(db, actor.tenant_id, id).await?;
    let from = DeviceStatus::parse(&current.status)
        .ok_or_else(|| anyhow::anyhow!("device {id} has unknown status {}", current.status))?;
    let to = transition(from, action)?;
    let before = DeviceView::from(current.clone());
    let mut active: device::ActiveModel = current.into();
    active.status = Set(to.as_str().to_owned());
    if to != DeviceStatus::Assigned {
        // Stock, repair and retirement all end an assignment; the history keeps who had it.
        active.assigned_employee_id = Set(None);
        active.assigned_unit_id = Set(None);
    }
    match change {
        DeviceChange::Assign(target) => {
            let (employee_id, unit_id) = check_assignee(db, actor.tenant_id, target).await?;
            active.assigned_employee_id = Set(employee_id);
            active.assigned_unit_id = Set(unit_id);
        }
        DeviceChange::Retire(reason) => {
            active.retired_reason = Set(Some(reason.as_str().to_owned()));
        }
        DeviceChange::None => {}
    }
    active.updated_at = Set(Utc::now());
    let view = DeviceView::from(active.update(db).await?);
    refresh_device_units(db, actor.tenant_id, &[id]).await?;
    unlink_registrations(
        db,
        id,
        view.assigned_to.as_ref().and_then(|a| a.employee_id),
    )
    .await?;
    audit::record(
        db,
        actor,
        action.name(),
        "device",
        id,
        Some(&before),
        Some(&view),
    )
    .await?;
    Ok(view)
}

/// A phone app registered on this device by someone who no longer holds it counts as
/// their private phone from now on (it gets urgent pushes off hours only if they opted
/// in), and no longer as the device being in use.
async fn unlink_registrations<C: ConnectionTrait>(
    db: &C,
    device_id: Uuid,
    holder: Option<Uuid>,
) -> AppResult<()> {
    use entities::push_registration;
    let mut others = push_registration::Entity::update_many()
        .col_expr(
            push_registration::Column::DeviceId,
            sea_orm::sea_query::Expr::value(Option::<Uuid>::None),
        )
        .filter(push_registration::Column::DeviceId.eq(device_id));
    if let Some(holder) = holder {
        others = others.filter(push_registration::Column::EmployeeId.ne(holder));
    }
    others.exec(db).await?;
    Ok(())
}

async fn check_assignee<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    target: AssignDevice,
) -> AppResult<(Option<Uuid>, Option<Uuid>)> {
    match (target.employee_id, target.unit_id) {
        (Some(employee_id), None) => {
            employees::find_in_tenant(db, tenant_id, employee_id)
                .await
                .map_err(|_| AppError::invalid("employee_id", "no such employee"))?;
            Ok((Some(employee_id), None))
        }
        (None, Some(unit_id)) => {
            let known = KnownIds::load(db, tenant_id).await?;
            let mut errors = Vec::new();
            known.check_unit("unit_id", Some(unit_id), &mut errors);
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
            Ok((None, Some(unit_id)))
        }
        _ => Err(AppError::invalid(
            "employee_id",
            "give exactly one of employee_id and unit_id",
        )),
    }
}

/// A device list's filters: a condition, and the unit whose `device_units` rows drive
/// the query when one unit (with its subtree) is asked for.
#[derive(Clone, Debug)]
pub struct DeviceQuery {
    pub tenant_id: Uuid,
    pub cond: Condition,
    pub via_unit: Option<Uuid>,
    /// Whether free text is searched (see [`list_devices`]).
    pub searched: bool,
    /// [`Planning::Once`] when the query's best plan is the same for every value of its
    /// filters, so PostgreSQL may plan its pages once per connection. Not when a
    /// manager's scope or a search adds a subquery, when a unit is combined with filters
    /// on the devices themselves (which side to read first depends on the values), or
    /// for a status without a kind: the status index yields id order only with both,
    /// so a rare status is best read through it and sorted, a common one by walking
    /// the devices in id order.
    pub planning: Planning,
}

/// The filters of a device list (shared by pages and CSV export). `home_unit` is the
/// caller's one managed unit, if it has exactly one: its lists are driven by it.
pub fn list_query(
    tenant_id: Uuid,
    scope: &UnitScope,
    filter: &DeviceFilter,
    home_unit: Option<Uuid>,
) -> DeviceQuery {
    let mut cond = Condition::all().add(device::Column::TenantId.eq(tenant_id));
    let via_unit = filter.unit_id.or(home_unit);
    let mut scoped = false;
    if let UnitScope::Units(units) = scope {
        // Everything linked below a unit in scope is in scope; otherwise check.
        if !via_unit.is_some_and(|u| units.contains(&u)) {
            cond = cond.add(devices_linked_to(tenant_id, units));
            scoped = true;
        }
    }
    let on_columns = filter.status.is_some()
        || filter.kind.is_some()
        || filter.ownership.is_some()
        || filter.employee_id.is_some();
    let status_unordered = filter.status.is_some() && filter.kind.is_none();
    if let Some(status) = filter.status {
        cond = cond.add(device::Column::Status.eq(status.as_str()));
    }
    if let Some(kind) = filter.kind {
        cond = cond.add(device::Column::Kind.eq(kind.as_str()));
    }
    if let Some(ownership) = filter.ownership {
        cond = cond.add(device::Column::Ownership.eq(ownership.as_str()));
    }
    if let Some(employee_id) = filter.employee_id {
        cond = cond.add(device::Column::AssignedEmployeeId.eq(employee_id));
    }
    let q = filter.q.as_deref().filter(|q| !q.trim().is_empty());
    if let Some(q) = q {
        // Serial number, IMEI, manufacturer or model (migration 000008).
        cond = cond.add(device::Column::Id.in_subquery(searched_ids(
            device::Entity,
            device::Column::Id,
            device::Column::TenantId.eq(tenant_id),
            q,
            None,
        )));
    }
    let plan_depends_on_values =
        scoped || q.is_some() || status_unordered || (via_unit.is_some() && on_columns);
    DeviceQuery {
        tenant_id,
        cond,
        via_unit,
        searched: q.is_some(),
        planning: if plan_depends_on_values {
            Planning::EachRun
        } else {
            Planning::Once
        },
    }
}

/// The devices a list's query matches, as one select (a unit's through `device_units`).
fn select_of(query: DeviceQuery) -> sea_orm::Select<device::Entity> {
    let select = device::Entity::find().filter(query.cond);
    match query.via_unit {
        // Walk the unit's `device_units` range in device order: a page reads ~51 rows
        // however large the unit's subtree is. The range is read from the primary-key
        // index alone; the tenant is checked on the devices themselves (`query.cond`),
        // as a filter on `device_units.tenant_id` would cost a table visit per row.
        Some(unit_id) => select
            .join(
                JoinType::InnerJoin,
                device_unit::Relation::Device.def().rev(),
            )
            .filter(device_unit::Column::UnitId.eq(unit_id)),
        None => select,
    }
}

pub async fn list_devices(
    db: &sea_orm::DatabaseConnection,
    query: DeviceQuery,
    page: PageRequest,
) -> AppResult<Page<device::Model>> {
    if let Some(txn) = planned_for_pattern(db, query.searched).await? {
        let page = page_of(&txn, query, page).await?;
        txn.commit().await?;
        return Ok(page);
    }
    page_of(db, query, page).await
}

async fn page_of<C: ConnectionTrait>(
    db: &C,
    query: DeviceQuery,
    page: PageRequest,
) -> AppResult<Page<device::Model>> {
    let plan = query.planning;
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    // Ordered by the column the page walks: a unit's `device_units` range, or devices.
    let page = match query.via_unit {
        Some(unit_id) if plan == Planning::Once && postgres => {
            unit_range_page(db, query, unit_id, page).await?
        }
        Some(_) => {
            let by = device_unit::Column::DeviceId;
            fetch_page_as(db, select_of(query), by, DeviceRow::id, page, plan).await?
        }
        None => {
            let by = device::Column::Id;
            fetch_page_as(db, select_of(query), by, DeviceRow::id, page, plan).await?
        }
    };
    Ok(page.map(|row| row.0))
}

/// A page of one unit's devices (subtree included) and no other filter, on PostgreSQL:
/// the page's ids first, from the unit's `device_units` range, then those devices. The
/// join's generic plan merges the unit's range with every device in id order (2.3 ms
/// instead of 0.3 ms for a unit of 1,000), so the join is planned for every run; this
/// has one best plan whatever the unit, and with the page size written into the SQL it
/// is planned once per connection ([`Planning::Once`]). As an array the ids are walked through the primary
/// key in order; an `IN` list would be hashed and the rows sorted (a fifth slower).
/// SQLite keeps the join, which it always runs as this loop.
///
/// A unit's `device_units` rows are its own tenant's devices; the query's condition (the
/// tenant, as nothing else is filtered) is applied to the devices all the same.
async fn unit_range_page<C: ConnectionTrait>(
    db: &C,
    query: DeviceQuery,
    unit_id: Uuid,
    page: PageRequest,
) -> AppResult<Page<DeviceRow>> {
    let (after, values) = match page.after {
        Some(after) => (r#" AND "device_id" > $2"#, vec![unit_id, after]),
        None => ("", vec![unit_id]),
    };
    let among_page_ids = Expr::cust_with_values(
        format!(
            r#""devices"."id" = ANY(ARRAY(SELECT "device_id" FROM "device_units" WHERE "unit_id" = $1{after} ORDER BY "device_id" LIMIT {rows}))"#,
            rows = page.rows_to_fetch(),
        ),
        values,
    );
    let rows = device::Entity::find()
        .filter(query.cond)
        .filter(among_page_ids)
        .order_by_asc(device::Column::Id)
        .into_model::<DeviceRow>()
        .all(db)
        .await?;
    Ok(Page::of_fetched(rows, page, DeviceRow::id))
}

/// A device decoded by the position of its columns, straight from the driver's row.
/// A list page decodes a thousand values. SeaORM reads each by name (a map lookup),
/// checks its type against the column's, and for each empty one writes the column's
/// name into an error it then throws away: that was a fifth of a page's CPU
/// (BENCHMARKS.md). The positions are the entity's column order, which
/// `Entity::find()` selects, and the types are the migrations'; a test holds this
/// decoding equal to SeaORM's.
struct DeviceRow(device::Model);

impl DeviceRow {
    fn id(&self) -> Uuid {
        self.0.id
    }
}

impl sea_orm::FromQueryResult for DeviceRow {
    fn from_query_result(row: &sea_orm::QueryResult, pre: &str) -> Result<Self, sea_orm::DbErr> {
        debug_assert!(pre.is_empty(), "a device row is never nested");
        let decoded = if let Some(row) = row.try_as_pg_row() {
            decode_device(row)
        } else if let Some(row) = row.try_as_sqlite_row() {
            decode_device(row)
        } else {
            return device::Model::from_query_result(row, pre).map(DeviceRow);
        };
        decoded
            .map(DeviceRow)
            .map_err(|error| sea_orm::DbErr::Type(format!("a device row: {error}")))
    }
}

fn decode_device<'r, R>(row: &'r R) -> Result<device::Model, sea_orm::sqlx::Error>
where
    R: sea_orm::sqlx::Row,
    usize: sea_orm::sqlx::ColumnIndex<R>,
    Uuid: sea_orm::sqlx::Decode<'r, R::Database>,
    String: sea_orm::sqlx::Decode<'r, R::Database>,
    i64: sea_orm::sqlx::Decode<'r, R::Database>,
    NaiveDate: sea_orm::sqlx::Decode<'r, R::Database>,
    DateTime<Utc>: sea_orm::sqlx::Decode<'r, R::Database>,
{
    Ok(device::Model {
        id: row.try_get_unchecked(0)?,
        tenant_id: row.try_get_unchecked(1)?,
        kind: row.try_get_unchecked(2)?,
        manufacturer: row.try_get_unchecked(3)?,
        model: row.try_get_unchecked(4)?,
        serial_number: row.try_get_unchecked(5)?,
        imei: row.try_get_unchecked(6)?,
        ownership: row.try_get_unchecked(7)?,
        status: row.try_get_unchecked(8)?,
        unit_id: row.try_get_unchecked(9)?,
        assigned_employee_id: row.try_get_unchecked(10)?,
        assigned_unit_id: row.try_get_unchecked(11)?,
        purchase_price_ore: row.try_get_unchecked(12)?,
        purchased_on: row.try_get_unchecked(13)?,
        warranty_ends_on: row.try_get_unchecked(14)?,
        retired_reason: row.try_get_unchecked(15)?,
        contract_id: row.try_get_unchecked(16)?,
        created_at: row.try_get_unchecked(17)?,
        updated_at: row.try_get_unchecked(18)?,
    })
}

/// Most devices one bulk action may change at once; a larger list is narrowed first.
pub const MAX_BULK: u64 = 10_000;

/// What a bulk action over a list's query would do: how many devices the query matches
/// and how many of them the action is allowed for (the others are left as they are).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BulkPlan {
    pub matching: u64,
    pub allowed: u64,
}

/// The stored statuses an action may start from.
fn statuses_allowing(action: DeviceAction) -> Vec<&'static str> {
    [
        DeviceStatus::Ordered,
        DeviceStatus::InStock,
        DeviceStatus::Assigned,
        DeviceStatus::InRepair,
        DeviceStatus::Retired,
    ]
    .into_iter()
    .filter(|s| action.next(*s).is_some())
    .map(|s| s.as_str())
    .collect()
}

pub async fn bulk_plan<C: ConnectionTrait>(
    db: &C,
    query: DeviceQuery,
    action: DeviceAction,
) -> AppResult<BulkPlan> {
    use sea_orm::PaginatorTrait;
    let matching = select_of(query.clone()).count(db).await?;
    let allowed = select_of(query)
        .filter(device::Column::Status.is_in(statuses_allowing(action)))
        .count(db)
        .await?;
    Ok(BulkPlan { matching, allowed })
}

/// Applies one lifecycle action to every device the query matches whose status allows
/// it, each step audited as if done one by one. Returns how many changed.
pub async fn apply_bulk<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: DeviceQuery,
    action: DeviceAction,
    change: DeviceChange,
) -> AppResult<u64> {
    let ids: Vec<Uuid> = select_of(query)
        .filter(device::Column::Status.is_in(statuses_allowing(action)))
        .select_only()
        .column(device::Column::Id)
        .limit(MAX_BULK + 1)
        .into_tuple()
        .all(db)
        .await?;
    if ids.len() as u64 > MAX_BULK {
        return Err(AppError::invalid(
            "query",
            format!("matches more than {MAX_BULK} devices; narrow the list first"),
        ));
    }
    for id in &ids {
        apply_action(db, actor, *id, action, change.clone()).await?;
    }
    Ok(ids.len() as u64)
}

/// The devices an employee holds, for their own page.
pub async fn held_by<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<Vec<DeviceView>> {
    let items = device::Entity::find()
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::AssignedEmployeeId.eq(employee_id))
        .order_by_asc(device::Column::Id)
        .all(db)
        .await?;
    Ok(items.into_iter().map(DeviceView::from).collect())
}

/// The tenant's device with this serial number (serial numbers are unique per tenant).
pub async fn find_by_serial<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    serial_number: &str,
) -> AppResult<Option<device::Model>> {
    Ok(device::Entity::find()
        .filter(device::Column::TenantId.eq(tenant_id))
        .filter(device::Column::SerialNumber.eq(serial_number.trim()))
        .one(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};
    use entities::device;
    use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, IntoActiveModel};
    use uuid::Uuid;

    use super::DeviceRow;

    fn device_with(every_field: bool) -> device::Model {
        let now = Utc::now();
        device::Model {
            id: Uuid::now_v7(),
            tenant_id: Uuid::now_v7(),
            kind: "phone".to_owned(),
            manufacturer: "Apple".to_owned(),
            model: "iPhone 15".to_owned(),
            serial_number: format!("SN-{}", Uuid::now_v7()),
            imei: every_field.then_some("356938035643809".to_owned()),
            ownership: "organization".to_owned(),
            status: "assigned".to_owned(),
            unit_id: every_field.then_some(Uuid::now_v7()),
            assigned_employee_id: every_field.then_some(Uuid::now_v7()),
            assigned_unit_id: every_field.then_some(Uuid::now_v7()),
            purchase_price_ore: every_field.then_some(499_500),
            purchased_on: every_field.then_some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()),
            warranty_ends_on: every_field.then_some(NaiveDate::from_ymd_opt(2028, 10, 31).unwrap()),
            retired_reason: every_field.then_some("broken".to_owned()),
            contract_id: every_field.then_some(Uuid::now_v7()),
            created_at: now,
            updated_at: now + chrono::Duration::milliseconds(1500),
        }
    }

    #[tokio::test]
    async fn a_device_decoded_by_position_equals_one_decoded_by_name() {
        let db = crate::db::connect("sqlite::memory:", 1).await.unwrap();
        crate::db::migrate(&db).await.unwrap();
        // The rows point at units, people and agreements that do not exist: only their
        // decoding is under test.
        db.execute_unprepared("PRAGMA foreign_keys = OFF")
            .await
            .unwrap();
        let full = device_with(true);
        let empty = device_with(false);
        for model in [&full, &empty] {
            model
                .clone()
                .into_active_model()
                .reset_all()
                .insert(&db)
                .await
                .unwrap();
        }
        let by_name = device::Entity::find().all(&db).await.unwrap();
        let by_position: Vec<device::Model> = device::Entity::find()
            .into_model::<DeviceRow>()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.0)
            .collect();
        assert_eq!(by_position, by_name);
        assert!(by_position.contains(&full) && by_position.contains(&empty));
    }

    #[test]
    fn only_queries_with_one_best_plan_are_planned_once() {
        use super::{DeviceFilter, DeviceKind, DeviceStatus, list_query};
        use crate::{auth::UnitScope, pagination::Planning};

        let tenant = Uuid::now_v7();
        let unit = Uuid::now_v7();
        let other_unit = Uuid::now_v7();
        let manager_of = |units: &[Uuid]| UnitScope::Units(units.iter().copied().collect());
        let fixed = |scope: &UnitScope, filter: DeviceFilter, home: Option<Uuid>| {
            list_query(tenant, scope, &filter, home).planning == Planning::Once
        };
        let unit_only = || DeviceFilter {
            unit_id: Some(unit),
            ..DeviceFilter::default()
        };
        let by_status = || DeviceFilter {
            status: Some(DeviceStatus::InStock),
            kind: Some(DeviceKind::Phone),
            ..DeviceFilter::default()
        };
        // Column filters alone, or a unit alone, plan the same for every value.
        assert!(fixed(&UnitScope::Tenant, DeviceFilter::default(), None));
        assert!(fixed(&UnitScope::Tenant, by_status(), None));
        assert!(fixed(&UnitScope::Tenant, unit_only(), None));
        assert!(fixed(&manager_of(&[unit]), unit_only(), None));
        assert!(fixed(
            &manager_of(&[unit]),
            DeviceFilter::default(),
            Some(unit)
        ));
        // A unit with column filters: which side to read first depends on the values.
        let unit_and_status = DeviceFilter {
            unit_id: Some(unit),
            ..by_status()
        };
        assert!(!fixed(&UnitScope::Tenant, unit_and_status, None));
        // A status without a kind: a rare one is best read through its index, a common
        // one by walking the devices in id order.
        let status_alone = DeviceFilter {
            status: Some(DeviceStatus::InRepair),
            ..DeviceFilter::default()
        };
        assert!(!fixed(&UnitScope::Tenant, status_alone, None));
        let kind_alone = DeviceFilter {
            kind: Some(DeviceKind::Tablet),
            ..DeviceFilter::default()
        };
        assert!(fixed(&UnitScope::Tenant, kind_alone, None));
        assert!(!fixed(&manager_of(&[unit]), by_status(), Some(unit)));
        // A manager's scope or a search adds a subquery planned for its values.
        let two_units = manager_of(&[unit, other_unit]);
        assert!(!fixed(&two_units, DeviceFilter::default(), None));
        assert!(!fixed(&manager_of(&[unit]), DeviceFilter::default(), None));
        let searched = DeviceFilter {
            q: Some("iphone".to_owned()),
            ..DeviceFilter::default()
        };
        assert!(!fixed(&UnitScope::Tenant, searched, None));
    }
}
