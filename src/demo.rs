//! `stilla demo`: fills a tenant with a realistic made-up region — units, role
//! categories, employees, devices and subscriptions — to try the product or load-test it.
use chrono::Utc;
use entities::{
    device, employee, role, subscription, unit,
    vocab::{EmploymentType, RetireReason, ScheduleMode},
};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set, TransactionTrait};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    error::AppResult,
    inventory::{
        devices, identifiers::luhn_check_digit, lifecycle::DeviceStatus,
        visibility::refresh_device_units,
    },
    money::Money,
};

/// Rows per INSERT while seeding.
const CHUNK: usize = 1_000;

#[derive(Clone, Copy, Debug)]
pub struct DemoSize {
    pub units: usize,
    pub employees: usize,
    pub devices: usize,
}

#[derive(Clone, Debug, Serialize)]
pub struct DemoSummary {
    pub units: usize,
    pub roles: usize,
    pub employees: usize,
    pub devices: usize,
    pub subscriptions: usize,
}

const ROLES: [&str; 6] = [
    "Undersköterska",
    "Sjuksköterska",
    "Läkare",
    "Fysioterapeut",
    "Administratör",
    "Vårdbiträde",
];

/// A valid IMEI made from `n` (TAC 35, Luhn check digit last).
pub fn demo_imei(n: u64) -> String {
    let body = format!("35{n:012}");
    let check = luhn_check_digit(&body);
    format!("{body}{check}")
}

/// Seeds `tenant_id` in one transaction. Rows are written directly, not through the
/// audit trail: this is made-up data, not history.
pub async fn seed(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    size: DemoSize,
) -> AppResult<DemoSummary> {
    let txn = db.begin().await?;
    let now = Utc::now();
    let mut unit_ids = Vec::with_capacity(size.units);
    for n in 0..size.units {
        // Clinics at the top, wards below them: every tenth unit is a clinic.
        let parent = if n % 10 == 0 {
            None
        } else {
            unit_ids.get(n - n % 10).copied()
        };
        let id = Uuid::now_v7();
        unit::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            name: Set(if parent.is_none() {
                format!("Klinik {}", n / 10 + 1)
            } else {
                format!("Avdelning {}", n + 1)
            }),
            parent_id: Set(parent),
            cost_center: Set(Some(format!("K{:04}", 1000 + n))),
            working_hours: Set(None),
            time_zone: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        unit_ids.push(id);
    }
    let mut role_ids = Vec::new();
    for name in ROLES {
        let id = Uuid::now_v7();
        role::ActiveModel {
            id: Set(id),
            tenant_id: Set(tenant_id),
            name: Set(name.to_owned()),
            created_at: Set(now),
        }
        .insert(&txn)
        .await?;
        role_ids.push(id);
    }
    let employee_ids: Vec<Uuid> = (0..size.employees).map(|_| Uuid::now_v7()).collect();
    for chunk in employee_ids.chunks(CHUNK).enumerate() {
        let (c, ids) = chunk;
        let rows = ids.iter().enumerate().map(|(i, id)| {
            let n = c * CHUNK + i;
            let kind = match n % 20 {
                0 => EmploymentType::Hired,
                1 | 2 => EmploymentType::Temporary,
                _ => EmploymentType::Permanent,
            };
            employee::ActiveModel {
                id: Set(*id),
                tenant_id: Set(tenant_id),
                name: Set(format!("Person {n}")),
                email: Set(format!("person{n}@demo.example")),
                unit_id: Set(unit_ids[n % unit_ids.len()]),
                role_id: Set(role_ids[n % role_ids.len()]),
                employment_type: Set(kind),
                employment_ends_on: Set((kind != EmploymentType::Permanent)
                    .then(|| now.date_naive() + chrono::Duration::days((n % 120) as i64))),
                external_id: Set(Some(format!("HR-{n:06}"))),
                working_hours: Set(None),
                time_zone: Set(None),
                schedule_mode: Set(ScheduleMode::Weekly),
                focus_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        });
        employee::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
    }
    let mut subscriptions = 0;
    for start in (0..size.devices).step_by(CHUNK) {
        let end = (start + CHUNK).min(size.devices);
        let mut devices_rows = Vec::with_capacity(end - start);
        let mut subscription_rows = Vec::new();
        for n in start..end {
            // Most devices in use, some in stock, a few in repair or retired; statuses
            // spread independently of kind so every combination exists.
            let status = match (n / 4) % 10 {
                0..=5 => DeviceStatus::Assigned,
                6 | 7 => DeviceStatus::InStock,
                8 => DeviceStatus::InRepair,
                _ => DeviceStatus::Retired,
            };
            let unit = unit_ids[n % unit_ids.len()];
            let holder =
                (status == DeviceStatus::Assigned && !employee_ids.is_empty() && n % 5 != 0)
                    .then(|| employee_ids[n % employee_ids.len()]);
            let shared = (status == DeviceStatus::Assigned && holder.is_none()).then_some(unit);
            let id = Uuid::now_v7();
            let valid = devices::ValidDevice {
                kind: if n % 4 == 0 {
                    devices::DeviceKind::Tablet
                } else {
                    devices::DeviceKind::Phone
                },
                manufacturer: if n % 3 == 0 { "Samsung" } else { "Apple" }.to_owned(),
                model: format!("Model {}", n % 17),
                serial_number: format!("DEMO-{n:07}"),
                imei: Some(demo_imei(n as u64)),
                ownership: devices::Ownership::Organization,
                status,
                unit_id: Some(unit),
                purchase_price: Some(Money(499_500)),
                purchased_on: Some(now.date_naive() - chrono::Duration::days((n % 900) as i64)),
                warranty_ends_on: None,
                contract_id: None,
            };
            let mut row = devices::new_active_model(tenant_id, valid, now);
            row.id = Set(id);
            row.assigned_employee_id = Set(holder);
            row.assigned_unit_id = Set(shared);
            if status == DeviceStatus::Retired {
                row.retired_reason = Set(Some(RetireReason::Recycled));
            }
            devices_rows.push(row);
            if n % 2 == 0 {
                subscriptions += 1;
                subscription_rows.push(subscription::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant_id),
                    msisdn: Set(format!("+4670{n:07}")),
                    iccid: Set(None),
                    extension: Set(Some(format!("{:05}", 10_000 + n % 90_000))),
                    operator: Set("Telia".to_owned()),
                    plan: Set("Jobbmobil 10 GB".to_owned()),
                    monthly_cost_ore: Set(14_900),
                    status: Set(entities::vocab::SubscriptionStatus::Active),
                    device_id: Set(Some(id)),
                    employee_id: Set(holder),
                    contract_id: Set(None),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
            }
        }
        let ids: Vec<Uuid> = devices_rows.iter().map(|d| *d.id.as_ref()).collect();
        device::Entity::insert_many(devices_rows)
            .exec_without_returning(&txn)
            .await?;
        refresh_device_units(&txn, tenant_id, &ids).await?;
        if !subscription_rows.is_empty() {
            subscription::Entity::insert_many(subscription_rows)
                .exec_without_returning(&txn)
                .await?;
        }
    }
    txn.commit().await?;
    // Fresh statistics after a bulk load, so the planner knows the tables' sizes. On
    // PostgreSQL also the visibility map autovacuum would set soon after a load (and
    // never, where it is switched off): without it an index-only scan still reads
    // every row's table page.
    let settle = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    sea_orm::ConnectionTrait::execute_unprepared(db, settle).await?;
    Ok(DemoSummary {
        units: size.units,
        roles: ROLES.len(),
        employees: size.employees,
        devices: size.devices,
        subscriptions,
    })
}
