//! Units: wards, clinics, departments, in a tree. Each has a cost centre.
use chrono::{DateTime, Utc};
use entities::unit;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Select, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::managers::{managers_of, set_managers};
use crate::validation::{optional_text, patch_field, required_text};
use crate::{
    audit::{self},
    auth::UnitScope,
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    inventory::visibility::refresh_all_device_units,
    pagination::{Page, PageRequest, fetch_page},
};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub cost_center: Option<String>,
    /// The employees who manage the unit (and its subunits).
    pub manager_ids: Option<Vec<Uuid>>,
}

/// Fields to change; a field set to null is cleared.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub parent_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<String>)]
    pub cost_center: Option<Option<String>>,
    /// The unit's managers from now on (all of them; `[]` names none).
    pub manager_ids: Option<Vec<Uuid>>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UnitView {
    pub id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub cost_center: Option<String>,
    /// The employees who manage the unit (and its subunits), set by an admin or the
    /// directory; signed in through the identity provider, they see its manager's pages.
    pub manager_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UnitView {
    fn new(m: unit::Model, manager_ids: Vec<Uuid>) -> Self {
        Self {
            id: m.id,
            name: m.name,
            parent_id: m.parent_id,
            cost_center: m.cost_center,
            manager_ids,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }

    /// Units with their managers, found in one query.
    async fn with_managers<C: ConnectionTrait>(
        db: &C,
        tenant_id: Uuid,
        units: Vec<unit::Model>,
    ) -> AppResult<Vec<Self>> {
        let ids: Vec<Uuid> = units.iter().map(|u| u.id).collect();
        let mut managers = managers_of(db, tenant_id, &ids).await?;
        Ok(units
            .into_iter()
            .map(|u| {
                let ids = managers.remove(&u.id).unwrap_or_default();
                UnitView::new(u, ids)
            })
            .collect())
    }

    async fn one<C: ConnectionTrait>(db: &C, unit: unit::Model) -> AppResult<Self> {
        let tenant_id = unit.tenant_id;
        Ok(Self::with_managers(db, tenant_id, vec![unit])
            .await?
            .remove(0))
    }
}

#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitFilter {
    /// Only the direct children of this unit.
    pub parent_id: Option<Uuid>,
}

async fn find_in_tenant<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<unit::Model> {
    unit::Entity::find_by_id(id)
        .filter(unit::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("unit"))
}

pub async fn create_unit(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewUnit,
) -> AppResult<UnitView> {
    write_as(db, caller, Resource::Units, async |db, actor| {
        let mut errors = Vec::new();
        let name = required_text("name", &input.name, 200, &mut errors);
        let cost_center =
            optional_text("cost_center", input.cost_center.as_deref(), 50, &mut errors);
        if let Some(parent) = input.parent_id
            && find_in_tenant(db, actor.tenant_id, parent).await.is_err()
        {
            errors.push(FieldError::new("parent_id", "no such unit"));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = Utc::now();
        let model = unit::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            name: Set(name),
            parent_id: Set(input.parent_id),
            cost_center: Set(cost_center),
            working_hours: Set(None),
            time_zone: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await?;
        if let Some(managers) = &input.manager_ids {
            set_managers(db, actor.tenant_id, model.id, managers).await?;
        }
        let view = UnitView::one(db, model).await?;
        audit::record(db, actor, "create", "unit", view.id, None, Some(&view)).await?;
        Ok(view)
    })
    .await
}

pub async fn get_unit<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<UnitView> {
    caller.may(Resource::Units, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let scope = &caller.unit_scope(db).await?;
    if !scope.contains(id) {
        return Err(AppError::NotFound("unit"));
    }
    UnitView::one(db, find_in_tenant(db, tenant_id, id).await?).await
}

pub async fn list_units<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    filter: &UnitFilter,
    page: PageRequest,
) -> AppResult<Page<UnitView>> {
    let tenant_id = caller.tenant_id;
    let mut select = visible(db, caller).await?;
    if let Some(parent) = filter.parent_id {
        select = select.filter(unit::Column::ParentId.eq(parent));
    }
    let page = fetch_page(db, select, unit::Column::Id, |m| m.id, page).await?;
    let Page { items, next_cursor } = page;
    Ok(Page {
        items: UnitView::with_managers(db, tenant_id, items).await?,
        next_cursor,
    })
}

/// Every unit the caller may see, in no order (a region has hundreds: its tree is
/// drawn whole).
pub async fn all_visible<C: ConnectionTrait>(db: &C, caller: &Caller) -> AppResult<Vec<UnitView>> {
    let units = visible(db, caller).await?.all(db).await?;
    UnitView::with_managers(db, caller.tenant_id, units).await
}

/// The units the caller may read: their tenant's, within their scope.
async fn visible<C: ConnectionTrait>(db: &C, caller: &Caller) -> AppResult<Select<unit::Entity>> {
    caller.may(Resource::Units, Access::Read)?;
    let scope = &caller.unit_scope(db).await?;
    let mut select = unit::Entity::find().filter(unit::Column::TenantId.eq(caller.tenant_id));
    if let UnitScope::Units(units) = scope {
        select = select.filter(unit::Column::Id.is_in(units.iter().copied()));
    }
    Ok(select)
}

pub async fn update_unit(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: UnitPatch,
) -> AppResult<UnitView> {
    write_as(db, caller, Resource::Units, async |db, actor| {
        let current = find_in_tenant(db, actor.tenant_id, id).await?;
        let before = UnitView::one(db, current.clone()).await?;
        let current_parent = current.parent_id;
        let mut errors = Vec::new();
        let mut active: unit::ActiveModel = current.into();
        if let Some(name) = &patch.name {
            active.name = Set(required_text("name", name, 200, &mut errors));
        }
        if let Some(cost_center) = &patch.cost_center {
            active.cost_center = Set(optional_text(
                "cost_center",
                cost_center.as_deref(),
                50,
                &mut errors,
            ));
        }
        let moved = patch.parent_id.is_some_and(|p| p != current_parent);
        if let Some(parent) = patch.parent_id {
            if let Some(parent) = parent {
                // Walking up from the new parent must never reach this unit, or the tree
                // would become a loop.
                let mut cursor = Some(parent);
                while let Some(ancestor) = cursor {
                    if ancestor == id {
                        errors.push(FieldError::new(
                            "parent_id",
                            "a unit cannot be placed under itself or its own subunit",
                        ));
                        break;
                    }
                    if let Ok(unit) = find_in_tenant(db, actor.tenant_id, ancestor).await {
                        cursor = unit.parent_id;
                    } else {
                        errors.push(FieldError::new("parent_id", "no such unit"));
                        break;
                    }
                }
            }
            active.parent_id = Set(parent);
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        if let Some(managers) = &patch.manager_ids {
            set_managers(db, actor.tenant_id, id, managers).await?;
        }
        active.updated_at = Set(Utc::now());
        let view = UnitView::one(db, active.update(db).await?).await?;
        if moved {
            // Every device's ancestor links may have changed: rare enough to redo them all.
            refresh_all_device_units(db, actor.tenant_id).await?;
        }
        audit::record(db, actor, "update", "unit", id, Some(&before), Some(&view)).await?;
        Ok(view)
    })
    .await
}

/// Every unit's name in the tenant, by id (units are few: a few hundred at most).
pub async fn unit_names<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    Ok(unit::Entity::find()
        .select_only()
        .columns([unit::Column::Id, unit::Column::Name])
        .filter(unit::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
