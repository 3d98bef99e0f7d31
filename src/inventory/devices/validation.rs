//! The checks on a device's fields, and the row a valid device becomes.
use chrono::{DateTime, NaiveDate, Utc};
use entities::device;
use sea_orm::Set;
use uuid::Uuid;

use super::{DeviceKind, InitialDeviceStatus, NewDevice, Ownership};
use crate::inventory::{identifiers::normalize_imei, lifecycle::DeviceStatus};
use crate::validation::{optional_text, required_text};
use crate::{error::FieldError, money::Money, org::KnownIds};

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
        kind: Set(valid.kind),
        manufacturer: Set(valid.manufacturer),
        model: Set(valid.model),
        serial_number: Set(valid.serial_number),
        imei: Set(valid.imei),
        ownership: Set(valid.ownership),
        status: Set(valid.status),
        unit_id: Set(valid.unit_id),
        assigned_employee_id: Set(None),
        assigned_unit_id: Set(None),
        purchase_price_ore: Set(valid.purchase_price.map(Money::ore)),
        purchased_on: Set(valid.purchased_on),
        warranty_ends_on: Set(valid.warranty_ends_on),
        contract_id: Set(valid.contract_id),
        retired_reason: Set(None),
        repair_reason: Set(None),
        repair_vendor: Set(None),
        repair_ticket: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}
