//! Device profiles: what a group gets in a roll-out (a phone or a tablet) and what it
//! costs to introduce and to run.
use chrono::{DateTime, Utc};
use entities::{device_profile, rollout_rule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::validation::required_text;
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    inventory::devices::DeviceKind,
    money::Money,
    pagination::{Page, PageRequest, fetch_page},
};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProfile {
    pub name: String,
    pub device_kind: DeviceKind,
    #[schema(example = "4995.00")]
    pub device_price: Money,
    #[schema(example = "450.00")]
    pub setup_cost: Money,
    #[schema(example = "149.00")]
    pub monthly_subscription_cost: Money,
    #[schema(example = "35.00")]
    pub monthly_support_cost: Money,
    /// How many months a device is used before it is replaced (1–120).
    pub lifetime_months: i32,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    pub name: Option<String>,
    pub device_kind: Option<DeviceKind>,
    pub device_price: Option<Money>,
    pub setup_cost: Option<Money>,
    pub monthly_subscription_cost: Option<Money>,
    pub monthly_support_cost: Option<Money>,
    pub lifetime_months: Option<i32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProfileView {
    pub id: Uuid,
    pub name: String,
    pub device_kind: DeviceKind,
    pub device_price: Money,
    pub setup_cost: Money,
    pub monthly_subscription_cost: Money,
    pub monthly_support_cost: Money,
    pub lifetime_months: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<device_profile::Model> for ProfileView {
    fn from(m: device_profile::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            device_kind: m.device_kind,
            device_price: Money(m.device_price_ore),
            setup_cost: Money(m.setup_cost_ore),
            monthly_subscription_cost: Money(m.monthly_subscription_cost_ore),
            monthly_support_cost: Money(m.monthly_support_cost_ore),
            lifetime_months: m.lifetime_months,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn validate(input: &NewProfile) -> AppResult<String> {
    let mut errors = Vec::new();
    let name = required_text("name", &input.name, 200, &mut errors);
    for (field, amount) in [
        ("device_price", input.device_price),
        ("setup_cost", input.setup_cost),
        ("monthly_subscription_cost", input.monthly_subscription_cost),
        ("monthly_support_cost", input.monthly_support_cost),
    ] {
        if amount.ore() < 0 {
            errors.push(FieldError::new(field, "must not be negative"));
        }
    }
    if !(1..=120).contains(&input.lifetime_months) {
        errors.push(FieldError::new(
            "lifetime_months",
            "must be between 1 and 120",
        ));
    }
    if errors.is_empty() {
        Ok(name)
    } else {
        Err(AppError::Invalid(errors))
    }
}

const UNIQUE: &[(&str, &str)] = &[("name", "a device profile with this name")];

pub async fn create_profile(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewProfile,
) -> AppResult<ProfileView> {
    write_as(db, caller, Resource::DeviceProfiles, async |db, actor| {
        let name = validate(&input)?;
        let now = Utc::now();
        let model = device_profile::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            name: Set(name),
            device_kind: Set(input.device_kind),
            device_price_ore: Set(input.device_price.ore()),
            setup_cost_ore: Set(input.setup_cost.ore()),
            monthly_subscription_cost_ore: Set(input.monthly_subscription_cost.ore()),
            monthly_support_cost_ore: Set(input.monthly_support_cost.ore()),
            lifetime_months: Set(input.lifetime_months),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, UNIQUE))?;
        let view = ProfileView::from(model);
        audit::record(
            db,
            actor,
            "create",
            "device_profile",
            view.id,
            None,
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<device_profile::Model> {
    device_profile::Entity::find_by_id(id)
        .filter(device_profile::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("device profile"))
}

pub async fn get_profile<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<ProfileView> {
    caller.may(Resource::DeviceProfiles, Access::Read)?;
    let tenant_id = caller.tenant_id;
    Ok(find(db, tenant_id, id).await?.into())
}

pub async fn list_profiles<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<ProfileView>> {
    caller.may(Resource::DeviceProfiles, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let select =
        device_profile::Entity::find().filter(device_profile::Column::TenantId.eq(tenant_id));
    Ok(
        fetch_page(db, select, device_profile::Column::Id, |m| m.id, page)
            .await?
            .map(ProfileView::from),
    )
}

pub async fn update_profile(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: ProfilePatch,
) -> AppResult<ProfileView> {
    write_as(db, caller, Resource::DeviceProfiles, async |db, actor| {
        let current = find(db, actor.tenant_id, id).await?;
        let before = ProfileView::from(current.clone());
        let merged = NewProfile {
            name: patch.name.unwrap_or(current.name.clone()),
            device_kind: patch.device_kind.unwrap_or(current.device_kind),
            device_price: patch
                .device_price
                .unwrap_or(Money(current.device_price_ore)),
            setup_cost: patch.setup_cost.unwrap_or(Money(current.setup_cost_ore)),
            monthly_subscription_cost: patch
                .monthly_subscription_cost
                .unwrap_or(Money(current.monthly_subscription_cost_ore)),
            monthly_support_cost: patch
                .monthly_support_cost
                .unwrap_or(Money(current.monthly_support_cost_ore)),
            lifetime_months: patch.lifetime_months.unwrap_or(current.lifetime_months),
        };
        let name = validate(&merged)?;
        let mut active: device_profile::ActiveModel = current.into();
        active.name = Set(name);
        active.device_kind = Set(merged.device_kind);
        active.device_price_ore = Set(merged.device_price.ore());
        active.setup_cost_ore = Set(merged.setup_cost.ore());
        active.monthly_subscription_cost_ore = Set(merged.monthly_subscription_cost.ore());
        active.monthly_support_cost_ore = Set(merged.monthly_support_cost.ore());
        active.lifetime_months = Set(merged.lifetime_months);
        active.updated_at = Set(Utc::now());
        let view = ProfileView::from(
            active
                .update(db)
                .await
                .map_err(|e| AppError::from_db_write(e, UNIQUE))?,
        );
        audit::record(
            db,
            actor,
            "update",
            "device_profile",
            id,
            Some(&before),
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// Deletes a profile no rule uses; while one does, 409.
pub async fn delete_profile(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<()> {
    write_as(db, caller, Resource::DeviceProfiles, async |db, actor| {
        let current = find(db, actor.tenant_id, id).await?;
        let used = rollout_rule::Entity::find()
            .filter(rollout_rule::Column::ProfileId.eq(id))
            .count(db)
            .await?;
        if used > 0 {
            return Err(AppError::Conflict(format!(
                "{used} roll-out rule(s) use this profile; change or delete them first"
            )));
        }
        let before = ProfileView::from(current);
        device_profile::Entity::delete_by_id(id).exec(db).await?;
        audit::record(
            db,
            actor,
            "delete",
            "device_profile",
            id,
            Some(&before),
            None,
        )
        .await?;
        Ok(())
    })
    .await
}
