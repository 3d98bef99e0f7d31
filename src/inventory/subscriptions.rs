//! Mobile subscriptions: a number (E.164), optional SIM (ICCID) and switchboard
//! extension, an operator, a plan and a monthly cost, tied to a device and/or a person.
use chrono::{DateTime, Utc};
use entities::{device, subscription};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::{
    identifiers::{normalize_extension, normalize_iccid, normalize_msisdn},
    lifecycle::{Action, SubscriptionAction, SubscriptionStatus, transition},
    visibility::{subscription_visible, subscriptions_linked_to},
};
use crate::validation::{patch_field, required_text};
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    auth::{UnitScope, subtree_of},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    filters::{contains_pattern, phone_digits, planned_for_pattern, searched_ids},
    money::Money,
    org::employees,
    pagination::{
        Page, PageRequest, fetch_page,
        sorted::{SortBy, SortedRequest, fetch_sorted_page},
    },
};

pub const UNIQUE_FIELDS: &[(&str, &str)] = &[
    ("msisdn", "a live subscription with this msisdn"),
    ("iccid", "a live subscription with this iccid"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InitialSubscriptionStatus {
    Ordered,
    Active,
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    /// The number; Swedish national form is accepted and stored as E.164.
    #[schema(example = "070-123 45 67")]
    pub msisdn: String,
    /// The SIM's number: 19-20 digits with a Luhn check digit.
    pub iccid: Option<String>,
    /// Switchboard extension.
    pub extension: Option<String>,
    pub operator: String,
    pub plan: String,
    #[schema(example = "149.00")]
    pub monthly_cost: Money,
    /// Default `active`.
    pub status: Option<InitialSubscriptionStatus>,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionPatch {
    pub msisdn: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub iccid: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub extension: Option<Option<String>>,
    pub operator: Option<String>,
    pub plan: Option<String>,
    pub monthly_cost: Option<Money>,
    /// The framework agreement it runs under; null removes it.
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub contract_id: Option<Option<Uuid>>,
}

/// `assign`: a key that is present sets the link, `null` removes it, an absent key keeps it.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignSubscription {
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub device_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub employee_id: Option<Option<Uuid>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    pub id: Uuid,
    pub msisdn: String,
    pub iccid: Option<String>,
    pub extension: Option<String>,
    pub operator: String,
    pub plan: String,
    #[schema(example = "149.00")]
    pub monthly_cost: Money,
    pub status: SubscriptionStatus,
    pub device_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "crate::as_text::timestamp")]
    pub updated_at: DateTime<Utc>,
}

impl From<subscription::Model> for SubscriptionView {
    fn from(m: subscription::Model) -> Self {
        Self {
            id: m.id,
            msisdn: m.msisdn,
            iccid: m.iccid,
            extension: m.extension,
            operator: m.operator,
            plan: m.plan,
            monthly_cost: Money(m.monthly_cost_ore),
            status: m.status,
            device_id: m.device_id,
            employee_id: m.employee_id,
            contract_id: m.contract_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// Columns of a subscription export that an import accepts and ignores.
pub const EXPORT_ONLY_COLUMNS: &[&str] = &[
    "id",
    "device_id",
    "employee_id",
    "contract_id",
    "created_at",
    "updated_at",
];

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionFilter {
    pub status: Option<SubscriptionStatus>,
    /// Subscriptions linked to this unit or its subunits (through employee or device).
    pub unit_id: Option<Uuid>,
    pub employee_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
    /// Free text over number (typed any way), ICCID, extension, operator and plan.
    pub q: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ValidSubscription {
    pub msisdn: String,
    pub iccid: Option<String>,
    pub extension: Option<String>,
    pub operator: String,
    pub plan: String,
    pub monthly_cost: Money,
    pub status: SubscriptionStatus,
}

fn normalized(
    field: &str,
    value: Option<&str>,
    normalize: fn(&str) -> Result<String, String>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    normalize(value)
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .ok()
}

pub fn validate_subscription(
    input: &NewSubscription,
) -> Result<ValidSubscription, Vec<FieldError>> {
    let mut errors = Vec::new();
    let msisdn = normalize_msisdn(&input.msisdn)
        .map_err(|m| errors.push(FieldError::new("msisdn", m)))
        .unwrap_or_default();
    let iccid = normalized(
        "iccid",
        input.iccid.as_deref(),
        normalize_iccid,
        &mut errors,
    );
    let extension = normalized(
        "extension",
        input.extension.as_deref(),
        normalize_extension,
        &mut errors,
    );
    let operator = required_text("operator", &input.operator, 100, &mut errors);
    let plan = required_text("plan", &input.plan, 100, &mut errors);
    if input.monthly_cost.ore() < 0 {
        errors.push(FieldError::new("monthly_cost", "must not be negative"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ValidSubscription {
        msisdn,
        iccid,
        extension,
        operator,
        plan,
        monthly_cost: input.monthly_cost,
        status: match input.status {
            Some(InitialSubscriptionStatus::Ordered) => SubscriptionStatus::Ordered,
            Some(InitialSubscriptionStatus::Active) | None => SubscriptionStatus::Active,
        },
    })
}

pub fn new_active_model(
    tenant_id: Uuid,
    valid: ValidSubscription,
    now: DateTime<Utc>,
) -> subscription::ActiveModel {
    subscription::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        msisdn: Set(valid.msisdn),
        iccid: Set(valid.iccid),
        extension: Set(valid.extension),
        operator: Set(valid.operator),
        plan: Set(valid.plan),
        monthly_cost_ore: Set(valid.monthly_cost.ore()),
        status: Set(valid.status),
        device_id: Set(None),
        employee_id: Set(None),
        contract_id: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

async fn find_in_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<subscription::Model> {
    subscription::Entity::find_by_id(id)
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("subscription"))
}

pub async fn create_subscription(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewSubscription,
) -> AppResult<SubscriptionView> {
    write_as(db, caller, Resource::Subscriptions, async |db, actor| {
        let valid = validate_subscription(&input).map_err(AppError::Invalid)?;
        let model = new_active_model(actor.tenant_id, valid, Utc::now())
            .insert(db)
            .await
            .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?;
        let view = SubscriptionView::from(model);
        audit::record(
            db,
            actor,
            "create",
            "subscription",
            view.id,
            None,
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

pub async fn get_subscription<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<SubscriptionView> {
    caller.may(Resource::Subscriptions, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    let subscription = find_in_tenant(db, tenant_id, id).await?;
    if !subscription_visible(db, scope, &subscription).await? {
        return Err(AppError::NotFound("subscription"));
    }
    Ok(subscription.into())
}

pub async fn update_subscription(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: SubscriptionPatch,
) -> AppResult<SubscriptionView> {
    write_as(db, caller, Resource::Subscriptions, async |db, actor| {
        let current = find_in_tenant(db, actor.tenant_id, id).await?;
        let before = SubscriptionView::from(current.clone());
        let merged = NewSubscription {
            msisdn: patch.msisdn.unwrap_or(current.msisdn.clone()),
            iccid: patch.iccid.unwrap_or(current.iccid.clone()),
            extension: patch.extension.unwrap_or(current.extension.clone()),
            operator: patch.operator.unwrap_or(current.operator.clone()),
            plan: patch.plan.unwrap_or(current.plan.clone()),
            monthly_cost: patch
                .monthly_cost
                .unwrap_or(Money(current.monthly_cost_ore)),
            status: None,
        };
        let contract_id = patch.contract_id.unwrap_or(current.contract_id);
        let mut contract_errors = Vec::new();
        crate::org::KnownIds::load(db, actor.tenant_id)
            .await?
            .check_contract("contract_id", contract_id, &mut contract_errors);
        let valid = match validate_subscription(&merged) {
            Ok(valid) if contract_errors.is_empty() => valid,
            Ok(_) => return Err(AppError::Invalid(contract_errors)),
            Err(mut errors) => {
                errors.extend(contract_errors);
                return Err(AppError::Invalid(errors));
            }
        };
        let mut active: subscription::ActiveModel = current.into();
        active.contract_id = Set(contract_id);
        active.msisdn = Set(valid.msisdn);
        active.iccid = Set(valid.iccid);
        active.extension = Set(valid.extension);
        active.operator = Set(valid.operator);
        active.plan = Set(valid.plan);
        active.monthly_cost_ore = Set(valid.monthly_cost.ore());
        active.updated_at = Set(Utc::now());
        let view = SubscriptionView::from(
            active
                .update(db)
                .await
                .map_err(|e| AppError::from_db_write(e, UNIQUE_FIELDS))?,
        );
        audit::record(
            db,
            actor,
            "update",
            "subscription",
            id,
            Some(&before),
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// Applies one lifecycle action (for `assign`, with its links) and records it.
pub async fn apply_action(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    action: SubscriptionAction,
    links: Option<AssignSubscription>,
) -> AppResult<SubscriptionView> {
    write_as(db, caller, Resource::Subscriptions, async |db, actor| {
        let current = find_in_tenant(db, actor.tenant_id, id).await?;
        let from = current.status;
        let to = transition(from, action)?;
        let before = SubscriptionView::from(current.clone());
        let mut active: subscription::ActiveModel = current.into();
        active.status = Set(to);
        if let Some(links) = links {
            if links.device_id.is_none() && links.employee_id.is_none() {
                return Err(AppError::invalid(
                    "device_id",
                    "give device_id and/or employee_id (null removes a link)",
                ));
            }
            let mut errors = Vec::new();
            if let Some(device_id) = links.device_id {
                if let Some(device_id) = device_id {
                    let device = device::Entity::find_by_id(device_id)
                        .filter(device::Column::TenantId.eq(actor.tenant_id))
                        .one(db)
                        .await?;
                    match device {
                        None => errors.push(FieldError::new("device_id", "no such device")),
                        Some(d) if d.status == super::lifecycle::DeviceStatus::Retired => {
                            errors.push(FieldError::new("device_id", "the device is retired"));
                        }
                        Some(_) => {}
                    }
                }
                active.device_id = Set(device_id);
            }
            if let Some(employee_id) = links.employee_id {
                if let Some(employee_id) = employee_id
                    && employees::find_in_tenant(db, actor.tenant_id, employee_id)
                        .await
                        .is_err()
                {
                    errors.push(FieldError::new("employee_id", "no such employee"));
                }
                active.employee_id = Set(employee_id);
            }
            if !errors.is_empty() {
                return Err(AppError::Invalid(errors));
            }
        }
        active.updated_at = Set(Utc::now());
        let view = SubscriptionView::from(active.update(db).await?);
        audit::record(
            db,
            actor,
            action.name(),
            "subscription",
            id,
            Some(&before),
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// A subscription list's filters, and whether free text is searched (which
/// [`list_subscriptions`] plans for its pattern on PostgreSQL).
#[derive(Clone, Debug)]
pub struct SubscriptionQuery {
    pub cond: Condition,
    pub searched: bool,
}

pub async fn list_condition<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    filter: &SubscriptionFilter,
) -> AppResult<SubscriptionQuery> {
    caller.may(Resource::Subscriptions, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    let mut cond = Condition::all().add(subscription::Column::TenantId.eq(tenant_id));
    if let UnitScope::Units(units) = scope {
        cond = cond.add(subscriptions_linked_to(db, tenant_id, units).await?);
    }
    if let Some(unit_id) = filter.unit_id {
        let subtree = subtree_of(db, tenant_id, &[unit_id]).await?;
        cond = cond.add(subscriptions_linked_to(db, tenant_id, &subtree).await?);
    }
    if let Some(status) = filter.status {
        cond = cond.add(subscription::Column::Status.eq(status));
    }
    if let Some(employee_id) = filter.employee_id {
        cond = cond.add(subscription::Column::EmployeeId.eq(employee_id));
    }
    if let Some(device_id) = filter.device_id {
        cond = cond.add(subscription::Column::DeviceId.eq(device_id));
    }
    let q = filter.q.as_deref().filter(|q| !q.trim().is_empty());
    if let Some(q) = q {
        // Number, ICCID, extension, operator or plan (migration 000009); a number typed
        // in national form also as the digits of its E.164 form.
        cond = cond.add(subscription::Column::Id.in_subquery(searched_ids(
            subscription::Entity,
            subscription::Column::Id,
            subscription::Column::TenantId.eq(tenant_id),
            q,
            phone_digits(q).map(|digits| (subscription::Column::Msisdn, contains_pattern(&digits))),
        )));
    }
    Ok(SubscriptionQuery {
        cond,
        searched: q.is_some(),
    })
}

pub async fn list_subscriptions(
    db: &sea_orm::DatabaseConnection,
    query: SubscriptionQuery,
    page: PageRequest,
) -> AppResult<Page<SubscriptionView>> {
    let select = subscription::Entity::find().filter(query.cond);
    let page = match planned_for_pattern(db, query.searched).await? {
        Some(txn) => {
            let page = fetch_page(&txn, select, subscription::Column::Id, |m| m.id, page).await?;
            txn.commit().await?;
            page
        }
        None => fetch_page(db, select, subscription::Column::Id, |m| m.id, page).await?,
    };
    Ok(page.map(SubscriptionView::from))
}

/// A page of the list's subscriptions in `sort`'s order (a column the console sorts by).
pub async fn list_subscriptions_sorted(
    db: &sea_orm::DatabaseConnection,
    query: SubscriptionQuery,
    sort: &SortBy<subscription::Column>,
    page: &SortedRequest,
) -> AppResult<Page<SubscriptionView>> {
    let select = subscription::Entity::find().filter(query.cond);
    let id = subscription::Column::Id;
    let page = match planned_for_pattern(db, query.searched).await? {
        Some(txn) => {
            let page = fetch_sorted_page(&txn, select, sort, id, page).await?;
            txn.commit().await?;
            page
        }
        None => fetch_sorted_page(db, select, sort, id, page).await?,
    };
    Ok(page.map(SubscriptionView::from))
}

/// How many subscriptions the list's query matches (the list's total).
pub async fn count_subscriptions(
    db: &sea_orm::DatabaseConnection,
    query: SubscriptionQuery,
) -> AppResult<u64> {
    use sea_orm::PaginatorTrait;
    let select = subscription::Entity::find().filter(query.cond);
    if let Some(txn) = planned_for_pattern(db, query.searched).await? {
        let n = select.count(&txn).await?;
        txn.commit().await?;
        return Ok(n);
    }
    Ok(select.count(db).await?)
}

/// A subscription and every step of its life, oldest first, for those who may see it.
pub async fn subscription_history<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<(SubscriptionView, Vec<crate::audit::HistoryItem>)> {
    let subscription = get_subscription(db, caller, id).await?;
    let history = crate::audit::entity_history(db, caller.tenant_id, "subscription", id).await?;
    Ok((subscription, history))
}

/// The subscriptions tied to the employee the caller speaks for.
pub async fn held_by_me<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> AppResult<Vec<SubscriptionView>> {
    held_by(db, caller.tenant_id, caller.own_employee(Access::Read)?).await
}

/// The subscriptions an employee holds (not terminated ones), for their own page.
pub async fn held_by<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
) -> AppResult<Vec<SubscriptionView>> {
    let items = subscription::Entity::find()
        .filter(subscription::Column::TenantId.eq(tenant_id))
        .filter(subscription::Column::EmployeeId.eq(employee_id))
        .filter(subscription::Column::Status.ne(SubscriptionStatus::Terminated))
        .order_by_asc(subscription::Column::Id)
        .all(db)
        .await?;
    Ok(items.into_iter().map(SubscriptionView::from).collect())
}
