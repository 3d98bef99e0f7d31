//! Roll-out rules: (role, unit or the whole tenant) -> a device profile or none, and the
//! wave it comes in. The most specific rule wins for each employee.
use chrono::{DateTime, Utc};
use entities::{device_profile, rollout_rule};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::validation::patch_field;
use crate::{
    audit::{self},
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    org::KnownIds,
    pagination::{Page, PageRequest, fetch_page},
};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRule {
    pub role_id: Uuid,
    /// Absent or null: tenant-wide.
    pub unit_id: Option<Uuid>,
    /// Absent or null: this group gets no device.
    pub profile_id: Option<Uuid>,
    /// 1, 2, 3, ...: the order of introduction.
    pub wave: i32,
}

#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulePatch {
    #[serde(default, deserialize_with = "patch_field")]
    #[schema(value_type = Option<Uuid>)]
    pub profile_id: Option<Option<Uuid>>,
    pub wave: Option<i32>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub id: Uuid,
    pub role_id: Uuid,
    pub unit_id: Option<Uuid>,
    pub profile_id: Option<Uuid>,
    pub wave: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<rollout_rule::Model> for RuleView {
    fn from(m: rollout_rule::Model) -> Self {
        Self {
            id: m.id,
            role_id: m.role_id,
            unit_id: m.unit_id,
            profile_id: m.profile_id,
            wave: m.wave,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

fn scope_key(unit_id: Option<Uuid>) -> String {
    unit_id.map_or_else(|| "tenant".to_owned(), |u| u.to_string())
}

async fn check<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    profile_id: Option<Uuid>,
    wave: i32,
    errors: &mut Vec<FieldError>,
) -> AppResult<()> {
    if let Some(profile_id) = profile_id
        && device_profile::Entity::find_by_id(profile_id)
            .filter(device_profile::Column::TenantId.eq(tenant_id))
            .one(db)
            .await?
            .is_none()
    {
        errors.push(FieldError::new("profile_id", "no such device profile"));
    }
    if !(1..=100).contains(&wave) {
        errors.push(FieldError::new("wave", "must be between 1 and 100"));
    }
    Ok(())
}

const UNIQUE: &[(&str, &str)] = &[("scope_key", "a rule for this role and unit")];

pub async fn create_rule(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewRule,
) -> AppResult<RuleView> {
    write_as(db, caller, Resource::RolloutRules, async |db, actor| {
        let known = KnownIds::load(db, actor.tenant_id).await?;
        let mut errors = Vec::new();
        if !known.roles.contains(&input.role_id) {
            errors.push(FieldError::new("role_id", "no such role"));
        }
        known.check_unit("unit_id", input.unit_id, &mut errors);
        check(
            db,
            actor.tenant_id,
            input.profile_id,
            input.wave,
            &mut errors,
        )
        .await?;
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let now = Utc::now();
        let model = rollout_rule::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            role_id: Set(input.role_id),
            unit_id: Set(input.unit_id),
            scope_key: Set(scope_key(input.unit_id)),
            profile_id: Set(input.profile_id),
            wave: Set(input.wave),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, UNIQUE))?;
        let view = RuleView::from(model);
        audit::record(
            db,
            actor,
            "create",
            "rollout_rule",
            view.id,
            None,
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

pub async fn list_rules<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    page: PageRequest,
) -> AppResult<Page<RuleView>> {
    caller.may(Resource::RolloutRules, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let select = rollout_rule::Entity::find().filter(rollout_rule::Column::TenantId.eq(tenant_id));
    Ok(
        fetch_page(db, select, rollout_rule::Column::Id, |m| m.id, page)
            .await?
            .map(RuleView::from),
    )
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<rollout_rule::Model> {
    rollout_rule::Entity::find_by_id(id)
        .filter(rollout_rule::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("roll-out rule"))
}

/// Changes a rule's profile or wave; its role and unit are what it is, so another
/// group is another rule.
pub async fn update_rule(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    patch: RulePatch,
) -> AppResult<RuleView> {
    write_as(db, caller, Resource::RolloutRules, async |db, actor| {
        let current = find(db, actor.tenant_id, id).await?;
        let before = RuleView::from(current.clone());
        let profile_id = patch.profile_id.unwrap_or(current.profile_id);
        let wave = patch.wave.unwrap_or(current.wave);
        let mut errors = Vec::new();
        check(db, actor.tenant_id, profile_id, wave, &mut errors).await?;
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let mut active: rollout_rule::ActiveModel = current.into();
        active.profile_id = Set(profile_id);
        active.wave = Set(wave);
        active.updated_at = Set(Utc::now());
        let view = RuleView::from(active.update(db).await?);
        audit::record(
            db,
            actor,
            "update",
            "rollout_rule",
            id,
            Some(&before),
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

pub async fn delete_rule(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<()> {
    write_as(db, caller, Resource::RolloutRules, async |db, actor| {
        let before = RuleView::from(find(db, actor.tenant_id, id).await?);
        rollout_rule::Entity::delete_by_id(id).exec(db).await?;
        audit::record(db, actor, "delete", "rollout_rule", id, Some(&before), None).await?;
        Ok(())
    })
    .await
}
