//! Devices: phones and tablets, organisation-owned or an employee's own phone registered
//! for notices, through their lifecycle.
//!
//! One file a job: the shapes a device takes (here), the checks on its fields
//! (`validation`), reading and writing one device (`records`), its lifecycle steps
//! (`actions`), list pages with their per-store query planning (`list`) and actions
//! over a whole list (`bulk`).
mod actions;
mod bulk;
mod list;
mod records;
mod validation;

use chrono::{DateTime, NaiveDate, Utc};
use entities::device;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    error::{AppError, AppResult},
    money::Money,
    validation::{optional_text, patch_field},
};

pub use actions::{DeviceChange, apply_action};
pub use bulk::{BulkPlan, MAX_BULK, apply_bulk, bulk_plan};
pub use list::{
    DeviceFilter, DeviceQuery, count_devices, list_devices, list_devices_sorted, list_query,
    plan_query,
};
pub use records::{
    DeviceLinks, create_device, device_history, device_links, find_by_serial,
    find_by_serial_or_imei, get_device, held_by, held_by_me, update_device,
};
pub use validation::{ValidDevice, new_active_model, validate_device};

pub const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("serial_number", "a device with this serial_number"),
    ("imei", "a device with this imei"),
];

pub use entities::vocab::{DeviceKind, Ownership};

use super::lifecycle::DeviceStatus;

/// The status a device may be registered in: still on order, or already in stock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialDeviceStatus {
    Ordered,
    InStock,
}

pub use entities::vocab::RetireReason;

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

/// `send-to-repair`: why, to whom, and the repairer's case number — each optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepairDetails {
    /// What is wrong ("cracked screen").
    #[schema(example = "Spricka i skärmen")]
    pub reason: Option<String>,
    /// Who repairs it.
    #[schema(example = "Atea Service")]
    pub vendor: Option<String>,
    /// The repairer's case or ticket number.
    #[schema(example = "RMA-20931")]
    pub ticket: Option<String>,
}

impl RepairDetails {
    /// Trimmed, blanks absent, each within its length; the field names are the body's.
    pub fn checked(&self) -> AppResult<RepairDetails> {
        let mut errors = Vec::new();
        let details = RepairDetails {
            reason: optional_text("reason", self.reason.as_deref(), 500, &mut errors),
            vendor: optional_text("vendor", self.vendor.as_deref(), 200, &mut errors),
            ticket: optional_text("ticket", self.ticket.as_deref(), 100, &mut errors),
        };
        if errors.is_empty() {
            Ok(details)
        } else {
            Err(AppError::Invalid(errors))
        }
    }

    fn is_empty(&self) -> bool {
        self.reason.is_none() && self.vendor.is_none() && self.ticket.is_none()
    }
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
    pub kind: DeviceKind,
    pub manufacturer: String,
    pub model: String,
    pub serial_number: String,
    pub imei: Option<String>,
    pub ownership: Ownership,
    pub status: DeviceStatus,
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
    pub retired_reason: Option<RetireReason>,
    /// The last repair's details, when any were given (kept after it came back).
    pub repair: Option<RepairDetails>,
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
            repair: Some(RepairDetails {
                reason: m.repair_reason,
                vendor: m.repair_vendor,
                ticket: m.repair_ticket,
            })
            .filter(|r| !r.is_empty()),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A device as one flat CSV row. Its first columns are [`NewDevice`]'s fields, so an
/// export can be imported again.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceCsvRow {
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
    pub id: Uuid,
    pub assigned_employee_id: Option<Uuid>,
    pub assigned_unit_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub retired_reason: Option<RetireReason>,
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
