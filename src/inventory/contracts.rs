//! Framework agreements (ramavtal) for devices, subscriptions and support, and when
//! notice must be given on them.
use chrono::{DateTime, Duration, NaiveDate, Utc};
use entities::{contract, device, subscription};
use std::collections::HashMap;

use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::validation::{optional_text, patch_field, required_text};
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    pagination::{Page, PageRequest, fetch_page},
    reports::table::{Cell, Table, names},
};

pub use entities::vocab::ContractKind;

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContract {
    pub supplier: String,
    pub kind: ContractKind,
    /// The procurement's or the agreement's reference.
    pub reference: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Days before `ends_on` by which notice must be given (0–730).
    pub notice_period_days: i32,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractPatch {
    pub supplier: Option<String>,
    pub kind: Option<ContractKind>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub reference: Option<Option<String>>,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub notice_period_days: Option<i32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ContractView {
    pub id: Uuid,
    pub supplier: String,
    pub kind: ContractKind,
    pub reference: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub notice_period_days: i32,
    /// `ends_on - notice_period_days`: the last day to give notice.
    pub notice_date: NaiveDate,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<contract::Model> for ContractView {
    fn from(m: contract::Model) -> Self {
        Self {
            id: m.id,
            supplier: m.supplier,
            kind: m.kind,
            reference: m.reference,
            starts_on: m.starts_on,
            notice_date: m.ends_on - Duration::days(i64::from(m.notice_period_days)),
            ends_on: m.ends_on,
            notice_period_days: m.notice_period_days,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn validate(input: &NewContract) -> AppResult<(String, Option<String>)> {
    let mut errors = Vec::new();
    let supplier = required_text("supplier", &input.supplier, 200, &mut errors);
    let reference = optional_text("reference", input.reference.as_deref(), 200, &mut errors);
    if input.ends_on < input.starts_on {
        errors.push(FieldError::new("ends_on", "must not be before starts_on"));
    }
    if !(0..=730).contains(&input.notice_period_days) {
        errors.push(FieldError::new(
            "notice_period_days",
            "must be between 0 and 730",
        ));
    }
    if errors.is_empty() {
        Ok((supplier, reference))
    } else {
        Err(AppError::Invalid(errors))
    }
}

pub async fn create_contract(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewContract,
) -> AppResult<ContractView> {
    write_as(db, caller, Resource::Contracts, async |db, actor| {
        let (supplier, reference) = validate(&input)?;
        let now = Utc::now();
        let model = contract::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            supplier: Set(supplier),
            kind: Set(input.kind),
            reference: Set(reference),
            starts_on: Set(input.starts_on),
            ends_on: Set(input.ends_on),
            notice_period_days: Set(input.notice_period_days),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        let view = ContractView::from(model);
        audit::record(db, actor, "create", "contract", view.id, None, Some(&view)).await?;
        Ok(view)
    })
    .await
}

async fn find<C: ConnectionTrait>(db: &C, tenant_id: Uuid, id: Uuid) -> AppResult<contract::Model> {
    contract::Entity::find_by_id(id)
        .filter(contract::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("contract"))
}

pub async fn get_contract<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<ContractView> {
    caller.may(Resource::Contracts, Access::Read)?;
    let tenant_id = caller.tenant_id;
    Ok(find(db, tenant_id, id).await?.into())
}

pub async fn list_contracts<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<ContractView>> {
    caller.may(Resource::Contracts, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let select = contract::Entity::find().filter(contract::Column::TenantId.eq(tenant_id));
    Ok(fetch_page(db, select, contract::Column::Id, |m| m.id, page)
        .await?
        .map(ContractView::from))
}

/// Every agreement of the caller's tenant, for a form's choice (a region has tens).
pub async fn all_of<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> AppResult<Vec<contract::Model>> {
    caller.may(Resource::Contracts, Access::Read)?;
    Ok(contract::Entity::find()
        .filter(contract::Column::TenantId.eq(caller.tenant_id))
        .all(db)
        .await?)
}

pub async fn update_contract(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: ContractPatch,
) -> AppResult<ContractView> {
    write_as(db, caller, Resource::Contracts, async |db, actor| {
        let current = find(db, actor.tenant_id, id).await?;
        let before = ContractView::from(current.clone());
        let merged = NewContract {
            supplier: patch.supplier.unwrap_or(current.supplier.clone()),
            kind: patch.kind.unwrap_or(current.kind),
            reference: patch.reference.unwrap_or(current.reference.clone()),
            starts_on: patch.starts_on.unwrap_or(current.starts_on),
            ends_on: patch.ends_on.unwrap_or(current.ends_on),
            notice_period_days: patch
                .notice_period_days
                .unwrap_or(current.notice_period_days),
        };
        let (supplier, reference) = validate(&merged)?;
        let mut active: contract::ActiveModel = current.into();
        active.supplier = Set(supplier);
        active.kind = Set(merged.kind);
        active.reference = Set(reference);
        active.starts_on = Set(merged.starts_on);
        active.ends_on = Set(merged.ends_on);
        active.notice_period_days = Set(merged.notice_period_days);
        active.updated_at = Set(Utc::now());
        let view = ContractView::from(active.update(db).await?);
        audit::record(
            db,
            actor,
            "update",
            "contract",
            id,
            Some(&before),
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// Deletes an agreement nothing names; while devices or subscriptions do, 409.
pub async fn delete_contract(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<()> {
    write_as(db, caller, Resource::Contracts, async |db, actor| {
        let before = ContractView::from(find(db, actor.tenant_id, id).await?);
        let devices = device::Entity::find()
            .filter(device::Column::ContractId.eq(id))
            .count(db)
            .await?;
        let subscriptions = subscription::Entity::find()
            .filter(subscription::Column::ContractId.eq(id))
            .count(db)
            .await?;
        if devices + subscriptions > 0 {
            return Err(AppError::Conflict(format!(
                "{devices} device(s) and {subscriptions} subscription(s) name this contract"
            )));
        }
        contract::Entity::delete_by_id(id).exec(db).await?;
        audit::record(db, actor, "delete", "contract", id, Some(&before), None).await?;
        Ok(())
    })
    .await
}

/// How many rows of `E` in the tenant name each of `contracts`: one grouped query over
/// the contract index.
async fn named_by<C: ConnectionTrait, E: EntityTrait>(
    db: &C,
    in_tenant: sea_orm::sea_query::SimpleExpr,
    contract_id: E::Column,
    contracts: &[Uuid],
) -> AppResult<HashMap<Uuid, u64>> {
    if contracts.is_empty() {
        return Ok(HashMap::new());
    }
    let counts: Vec<(Uuid, i64)> = E::find()
        .select_only()
        .column(contract_id)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(in_tenant)
        .filter(contract_id.is_in(contracts.iter().copied()))
        .group_by(contract_id)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts.into_iter().map(|(id, n)| (id, n as u64)).collect())
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExpiringContract {
    #[serde(flatten)]
    pub contract: ContractView,
    /// Days from today to the notice date; negative when it has passed.
    pub days_to_notice: i64,
    pub devices: u64,
    pub subscriptions: u64,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExpiringContracts {
    pub days: i64,
    pub rows: Vec<ExpiringContract>,
}

/// Whether an agreement still running must be given notice by `until`.
fn notice_due(view: &ContractView, until: NaiveDate) -> bool {
    view.notice_date <= until
}

/// How many agreements [`contracts_expiring`] lists, without counting what names them
/// (for the dashboard).
pub async fn contracts_expiring_count<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    days: i64,
    today: NaiveDate,
) -> AppResult<u64> {
    let until = today + Duration::days(days);
    Ok(contract::Entity::find()
        .filter(contract::Column::TenantId.eq(tenant_id))
        .filter(contract::Column::EndsOn.gte(today))
        .all(db)
        .await?
        .into_iter()
        .map(ContractView::from)
        .filter(|view| notice_due(view, until))
        .count() as u64)
}

/// Agreements whose notice date falls within `days` — or has passed while the agreement
/// still runs — soonest first.
pub async fn contracts_expiring<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    days: i64,
    today: NaiveDate,
) -> AppResult<ExpiringContracts> {
    caller.may(Resource::Contracts, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let until = today + Duration::days(days);
    let due: Vec<ContractView> = contract::Entity::find()
        .filter(contract::Column::TenantId.eq(tenant_id))
        .filter(contract::Column::EndsOn.gte(today))
        .order_by_asc(contract::Column::EndsOn)
        .all(db)
        .await?
        .into_iter()
        .map(ContractView::from)
        .filter(|view| notice_due(view, until))
        .collect();
    let ids: Vec<Uuid> = due.iter().map(|view| view.id).collect();
    let devices = named_by::<_, device::Entity>(
        db,
        device::Column::TenantId.eq(tenant_id),
        device::Column::ContractId,
        &ids,
    )
    .await?;
    let subscriptions = named_by::<_, subscription::Entity>(
        db,
        subscription::Column::TenantId.eq(tenant_id),
        subscription::Column::ContractId,
        &ids,
    )
    .await?;
    let mut rows = Vec::new();
    for view in due {
        rows.push(ExpiringContract {
            days_to_notice: (view.notice_date - today).num_days(),
            devices: devices.get(&view.id).copied().unwrap_or(0),
            subscriptions: subscriptions.get(&view.id).copied().unwrap_or(0),
            contract: view,
        });
    }
    rows.sort_by_key(|r| (r.contract.notice_date, r.contract.id));
    Ok(ExpiringContracts { days, rows })
}

impl ExpiringContracts {
    pub fn table(&self) -> Table {
        Table {
            sheet: "Avtal",
            columns: names(&[
                "contract_id",
                "supplier",
                "kind",
                "reference",
                "starts_on",
                "ends_on",
                "notice_period_days",
                "notice_date",
                "days_to_notice",
                "devices",
                "subscriptions",
            ]),
            rows: self
                .rows
                .iter()
                .map(|r| {
                    let c = &r.contract;
                    vec![
                        Cell::Id(Some(c.id)),
                        Cell::Text(c.supplier.clone()),
                        Cell::Text(c.kind.to_value()),
                        Cell::Text(c.reference.clone().unwrap_or_default()),
                        Cell::Date(Some(c.starts_on)),
                        Cell::Date(Some(c.ends_on)),
                        Cell::Int(i64::from(c.notice_period_days)),
                        Cell::Date(Some(c.notice_date)),
                        Cell::Int(r.days_to_notice),
                        Cell::Int(r.devices as i64),
                        Cell::Int(r.subscriptions as i64),
                    ]
                })
                .collect(),
        }
    }
}
