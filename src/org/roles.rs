//! Role categories (undersköterska, sjuksköterska, läkare, ...): what roll-out rules and
//! notice audiences are drawn by.
use chrono::{DateTime, Utc};
use entities::role;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::validation::required_text;
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult},
    pagination::{Page, PageRequest, fetch_page},
};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    pub name: String,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RoleView {
    pub id: Uuid,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

impl From<role::Model> for RoleView {
    fn from(m: role::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            created_at: m.created_at,
        }
    }
}

pub async fn create_role(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewRole,
) -> AppResult<RoleView> {
    write_as(db, caller, Resource::Roles, async |db, actor| {
        let mut errors = Vec::new();
        let name = required_text("name", &input.name, 200, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let model = role::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            name: Set(name),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, &[("name", "a role category with this name")]))?;
        let view = RoleView::from(model);
        audit::record(db, actor, "create", "role", view.id, None, Some(&view)).await?;
        Ok(view)
    })
    .await
}

pub async fn list_roles<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<RoleView>> {
    caller.may(Resource::Roles, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let select = role::Entity::find().filter(role::Column::TenantId.eq(tenant_id));
    Ok(fetch_page(db, select, role::Column::Id, |m| m.id, page)
        .await?
        .map(RoleView::from))
}

/// Every role's name in the tenant, by id (roles are few: a handful of categories).
pub async fn role_names<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    Ok(role::Entity::find()
        .select_only()
        .columns([role::Column::Id, role::Column::Name])
        .filter(role::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}
