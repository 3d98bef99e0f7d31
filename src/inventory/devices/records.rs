//! One device read, created or edited; the devices a person holds.
use chrono::Utc;
use entities::{contract, device, subscription};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use super::{DevicePatch, DeviceView, NewDevice, UNIQUE_FIELDS, new_active_model, validate_device};
use crate::inventory::visibility::{device_visible, refresh_device_units};
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult},
    money::Money,
    org::KnownIds,
};

pub(super) async fn find_in_tenant<C: ConnectionTrait>(
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

pub async fn create_device(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewDevice,
) -> AppResult<DeviceView> {
    write_as(db, caller, Resource::Devices, async |db, actor| {
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
    })
    .await
}

pub async fn get_device<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<DeviceView> {
    caller.may(Resource::Devices, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    let device = find_in_tenant(db, tenant_id, id).await?;
    if !device_visible(db, scope, &device).await? {
        return Err(AppError::NotFound("device"));
    }
    Ok(device.into())
}

pub async fn update_device(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: DevicePatch,
) -> AppResult<DeviceView> {
    write_as(db, caller, Resource::Devices, async |db, actor| {
        let current = find_in_tenant(db, actor.tenant_id, id).await?;
        let before = DeviceView::from(current.clone());
        let merged = NewDevice {
            kind: patch.kind.unwrap_or(current.kind),
            manufacturer: patch.manufacturer.unwrap_or(current.manufacturer.clone()),
            model: patch.model.unwrap_or(current.model.clone()),
            serial_number: patch.serial_number.unwrap_or(current.serial_number.clone()),
            imei: patch.imei.unwrap_or(current.imei.clone()),
            ownership: patch.ownership.unwrap_or(current.ownership),
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
        active.kind = Set(valid.kind);
        active.manufacturer = Set(valid.manufacturer);
        active.model = Set(valid.model);
        active.serial_number = Set(valid.serial_number);
        active.imei = Set(valid.imei);
        active.ownership = Set(valid.ownership);
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
    })
    .await
}

/// A device and every step of its life, oldest first, for those who may see it.
pub async fn device_history<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(DeviceView, Vec<crate::audit::HistoryItem>)> {
    let device = get_device(db, caller, id).await?;
    let history = crate::audit::entity_history(db, caller.tenant_id, "device", id).await?;
    Ok((device, history))
}

/// What a device page shows beside the device: the subscriptions (numbers) in it and
/// the framework agreement it was bought under.
#[derive(Clone, Debug, Default)]
pub struct DeviceLinks {
    pub subscriptions: Vec<subscription::Model>,
    pub contract: Option<contract::Model>,
}

/// [`DeviceLinks`] of a device the caller has already been shown (see
/// [`device_history`]); each part only for a caller who may read that kind of record.
pub async fn device_links<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    device: &DeviceView,
) -> AppResult<DeviceLinks> {
    let mut links = DeviceLinks::default();
    if caller.may(Resource::Subscriptions, Access::Read).is_ok() {
        links.subscriptions = subscription::Entity::find()
            .filter(subscription::Column::TenantId.eq(caller.tenant_id))
            .filter(subscription::Column::DeviceId.eq(device.id))
            .order_by_asc(subscription::Column::Msisdn)
            .all(db)
            .await?;
    }
    if let Some(contract_id) = device.contract_id
        && caller.may(Resource::Contracts, Access::Read).is_ok()
    {
        links.contract = contract::Entity::find_by_id(contract_id)
            .filter(contract::Column::TenantId.eq(caller.tenant_id))
            .one(db)
            .await?;
    }
    Ok(links)
}

/// The devices assigned to the employee the caller speaks for.
pub async fn held_by_me<C: ConnectionTrait>(db: &C, caller: &Caller) -> AppResult<Vec<DeviceView>> {
    held_by(db, caller.tenant_id, caller.own_employee(Access::Read)?).await
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
/// The device with this serial number, or this IMEI however it was typed (in groups,
/// with spaces or dashes); a refusal naming `field` when there is none.
pub async fn find_by_serial_or_imei<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    field: &str,
    which: &str,
) -> AppResult<Uuid> {
    if let Some(device) = find_by_serial(db, tenant_id, which).await? {
        return Ok(device.id);
    }
    let digits: String = which.chars().filter(char::is_ascii_digit).collect();
    let imei_like = !digits.is_empty()
        && which
            .trim()
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '/'));
    let by_imei = if imei_like {
        device::Entity::find()
            .filter(device::Column::TenantId.eq(tenant_id))
            .filter(device::Column::Imei.eq(digits))
            .one(db)
            .await?
    } else {
        None
    };
    by_imei
        .map(|d| d.id)
        .ok_or_else(|| AppError::invalid(field, "no device has this serial number or IMEI"))
}

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
