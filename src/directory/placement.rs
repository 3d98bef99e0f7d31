//! Where a provisioned person belongs: the unit by the directory's cost centre (units
//! carry one), department (a unit's name) or a mapped group; the role category by
//! title (a category's name) or a mapped group; a unit's managers by a mapped group.
//! A value that names nothing is refused and listed for the admin — never guessed.
//! People whom groups place wait in a unit and role of their own until a mapped group
//! has them, and are listed too.
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::{
    directory_group, directory_group_mapping, directory_group_member, directory_problem,
    directory_settings, employee, role, unit, unit_manager,
    vocab::{GroupPlaces, RoleSource, UnitSource},
};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, Set, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    audit,
    auth::{Access, Caller, Resource},
    db::{write, write_as},
    error::{AppError, AppResult, FieldError},
};

const WAITING_UNIT: &str = "Väntar på placering (katalogen)";
const WAITING_ROLE: &str = "Ej angiven (katalogen)";

/// A value the directory sent that places nobody, with the attribute it came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unplaced {
    pub attribute: &'static str,
    pub value: String,
}

impl Unplaced {
    pub fn detail(&self) -> String {
        if self.value.is_empty() {
            format!("{} is missing: Stilla places people by it", self.attribute)
        } else {
            format!(
                "no {} in Stilla is `{}`: add it (or map the directory's value) and send the user again",
                match self.attribute {
                    "costCenter" => "unit's cost centre",
                    "department" => "unit",
                    "title" => "role category",
                    _ => "user",
                },
                self.value
            )
        }
    }
}

/// A tenant's placement rules, with the defaults when it has none stored.
#[derive(Clone, Debug)]
pub struct Rules {
    pub unit_from: UnitSource,
    pub role_from: RoleSource,
    pub stored: Option<directory_settings::Model>,
}

pub async fn rules<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Rules> {
    let stored = directory_settings::Entity::find_by_id(tenant_id)
        .one(db)
        .await?;
    Ok(Rules {
        unit_from: stored
            .as_ref()
            .map_or(UnitSource::CostCenter, |s| s.unit_from),
        role_from: stored.as_ref().map_or(RoleSource::Title, |s| s.role_from),
        stored,
    })
}

/// What the directory says of a person that places them.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    pub cost_center: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

/// The unit and role category for a person, by the tenant's rules; `current` is
/// what they have now (kept where a group, not this request, places them).
pub async fn place<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    rules: &Rules,
    facts: &Facts,
    current: Option<(Uuid, Uuid)>,
) -> AppResult<Result<(Uuid, Uuid), Unplaced>> {
    let unit = match rules.unit_from {
        UnitSource::CostCenter => match &facts.cost_center {
            Some(value) => unit::Entity::find()
                .filter(unit::Column::TenantId.eq(tenant_id))
                .filter(unit::Column::CostCenter.eq(value.as_str()))
                .order_by_asc(unit::Column::Id)
                .one(db)
                .await?
                .map(|u| u.id)
                .ok_or_else(|| unplaced("costCenter", value)),
            None => current
                .map(|c| c.0)
                .ok_or_else(|| unplaced("costCenter", "")),
        },
        UnitSource::Department => match &facts.department {
            Some(value) => unit::Entity::find()
                .filter(unit::Column::TenantId.eq(tenant_id))
                .filter(crate::db::same_text(unit::Column::Name, value))
                .order_by_asc(unit::Column::Id)
                .one(db)
                .await?
                .map(|u| u.id)
                .ok_or_else(|| unplaced("department", value)),
            None => current
                .map(|c| c.0)
                .ok_or_else(|| unplaced("department", "")),
        },
        UnitSource::Group => Ok(match current {
            Some((unit, _)) => unit,
            None => waiting(db, tenant_id).await?.0,
        }),
    };
    let role = match rules.role_from {
        RoleSource::Title => match &facts.title {
            Some(value) => role::Entity::find()
                .filter(role::Column::TenantId.eq(tenant_id))
                .filter(crate::db::same_text(role::Column::Name, value))
                .one(db)
                .await?
                .map(|r| r.id)
                .ok_or_else(|| unplaced("title", value)),
            None => current.map(|c| c.1).ok_or_else(|| unplaced("title", "")),
        },
        RoleSource::Group => Ok(match current {
            Some((_, role)) => role,
            None => waiting(db, tenant_id).await?.1,
        }),
    };
    Ok(match (unit, role) {
        (Ok(unit), Ok(role)) => Ok((unit, role)),
        (Err(e), _) | (_, Err(e)) => Err(e),
    })
}

fn unplaced(attribute: &'static str, value: &str) -> Unplaced {
    Unplaced {
        attribute,
        value: value.to_owned(),
    }
}

/// The unit and role category people wait in until a mapped group places them: made
/// the first time they are needed, named so an admin sees what they are.
async fn waiting<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<(Uuid, Uuid)> {
    let now = Utc::now();
    let stored = directory_settings::Entity::find_by_id(tenant_id)
        .one(db)
        .await?;
    if let Some(s) = &stored
        && let (Some(unit), Some(role)) = (s.waiting_unit_id, s.waiting_role_id)
    {
        return Ok((unit, role));
    }
    let unit = unit::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        name: Set(WAITING_UNIT.to_owned()),
        parent_id: Set(None),
        cost_center: Set(None),
        working_hours: Set(None),
        time_zone: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let role = role::Entity::find()
        .filter(role::Column::TenantId.eq(tenant_id))
        .filter(role::Column::Name.eq(WAITING_ROLE))
        .one(db)
        .await?;
    let role = match role {
        Some(role) => role.id,
        None => {
            role::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                name: Set(WAITING_ROLE.to_owned()),
                created_at: Set(now),
            }
            .insert(db)
            .await?
            .id
        }
    };
    let is_new = stored.is_none();
    let mut row = match stored {
        Some(s) => directory_settings::ActiveModel::from(s),
        None => directory_settings::ActiveModel {
            tenant_id: Set(tenant_id),
            unit_from: Set(UnitSource::Group),
            role_from: Set(RoleSource::Group),
            ..Default::default()
        },
    };
    row.waiting_unit_id = Set(Some(unit.id));
    row.waiting_role_id = Set(Some(role));
    row.updated_at = Set(now);
    if is_new {
        row.insert(db).await?;
    } else {
        row.update(db).await?;
    }
    Ok((unit.id, role))
}

/// Notes a value that placed nobody (in its own transaction: the request that sent
/// it is refused and rolled back).
pub async fn record_problem(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    unplaced: &Unplaced,
    user_name: Option<&str>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    write(db, async |txn| {
        let found = directory_problem::Entity::find()
            .filter(directory_problem::Column::TenantId.eq(tenant_id))
            .filter(directory_problem::Column::Attribute.eq(unplaced.attribute))
            .filter(directory_problem::Column::Value.eq(unplaced.value.as_str()))
            .one(txn)
            .await?;
        match found {
            Some(p) => {
                let times = p.times + 1;
                let mut row = directory_problem::ActiveModel::from(p);
                row.times = Set(times);
                row.resolved = Set(false);
                row.user_name = Set(user_name.map(str::to_owned));
                row.last_seen_at = Set(now);
                row.update(txn).await?;
            }
            None => {
                directory_problem::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tenant_id),
                    attribute: Set(unplaced.attribute.to_owned()),
                    value: Set(unplaced.value.clone()),
                    user_name: Set(user_name.map(str::to_owned)),
                    times: Set(1),
                    resolved: Set(false),
                    first_seen_at: Set(now),
                    last_seen_at: Set(now),
                }
                .insert(txn)
                .await?;
            }
        }
        Ok(())
    })
    .await
}

/// Marks the problems these facts no longer have as resolved (the admin added the
/// unit, and the directory sent the user again).
pub async fn resolve_problems<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    facts: &Facts,
) -> AppResult<()> {
    for (attribute, value) in [
        ("costCenter", &facts.cost_center),
        ("department", &facts.department),
        ("title", &facts.title),
    ] {
        if let Some(value) = value {
            directory_problem::Entity::update_many()
                .col_expr(directory_problem::Column::Resolved, Expr::value(true))
                .filter(directory_problem::Column::TenantId.eq(tenant_id))
                .filter(directory_problem::Column::Attribute.eq(attribute))
                .filter(directory_problem::Column::Value.eq(value.as_str()))
                .exec(db)
                .await?;
        }
    }
    Ok(())
}

/// Places these employees by the mapped groups they are in: unit and role category
/// where the rules say groups place them, and the managers of every unit a group names
/// managers for.
pub async fn place_by_groups<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employees: &[Uuid],
) -> AppResult<()> {
    let rules = rules(db, tenant_id).await?;
    let mappings = directory_group_mapping::Entity::find()
        .filter(directory_group_mapping::Column::TenantId.eq(tenant_id))
        .order_by_asc(directory_group_mapping::Column::GroupName)
        .all(db)
        .await?;
    if mappings.is_empty() {
        return Ok(());
    }
    let groups: HashMap<String, Uuid> = directory_group::Entity::find()
        .filter(directory_group::Column::TenantId.eq(tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(|g| (g.display_name.to_lowercase(), g.id))
        .collect();
    let members_of = async |group: Uuid| -> AppResult<HashSet<Uuid>> {
        Ok(directory_group_member::Entity::find()
            .filter(directory_group_member::Column::GroupId.eq(group))
            .all(db)
            .await?
            .into_iter()
            .map(|m| m.employee_id)
            .collect())
    };
    let mut unit_of: HashMap<Uuid, Uuid> = HashMap::new();
    let mut role_of: HashMap<Uuid, Uuid> = HashMap::new();
    let mut managers: HashMap<Uuid, HashSet<Uuid>> = HashMap::new();
    for mapping in &mappings {
        let members = match groups.get(&mapping.group_name.to_lowercase()) {
            Some(group) => members_of(*group).await?,
            None => HashSet::new(),
        };
        match mapping.places {
            GroupPlaces::Unit => {
                for m in &members {
                    unit_of.entry(*m).or_insert(mapping.target_id);
                }
            }
            GroupPlaces::Role => {
                for m in &members {
                    role_of.entry(*m).or_insert(mapping.target_id);
                }
            }
            GroupPlaces::Manager => {
                managers
                    .entry(mapping.target_id)
                    .or_default()
                    .extend(members);
            }
        }
    }
    let now = Utc::now();
    for id in employees {
        let Some(person) = employee::Entity::find_by_id(*id)
            .filter(employee::Column::TenantId.eq(tenant_id))
            .one(db)
            .await?
        else {
            continue;
        };
        let mut row = employee::ActiveModel::from(person.clone());
        let mut changed = false;
        if rules.unit_from == UnitSource::Group {
            let unit = match unit_of.get(id) {
                Some(unit) => *unit,
                None => waiting(db, tenant_id).await?.0,
            };
            if unit != person.unit_id {
                row.unit_id = Set(unit);
                changed = true;
            }
        }
        if rules.role_from == RoleSource::Group {
            let role = match role_of.get(id) {
                Some(role) => *role,
                None => waiting(db, tenant_id).await?.1,
            };
            if role != person.role_id {
                row.role_id = Set(role);
                changed = true;
            }
        }
        if changed {
            row.updated_at = Set(now);
            row.update(db).await?;
        }
    }
    for (unit_id, members) in managers {
        let members: Vec<Uuid> = members.into_iter().collect();
        unit_manager::Entity::delete_many()
            .filter(unit_manager::Column::TenantId.eq(tenant_id))
            .filter(unit_manager::Column::UnitId.eq(unit_id))
            .exec(db)
            .await?;
        crate::org::managers::set_managers(db, tenant_id, unit_id, &members).await?;
    }
    Ok(())
}

/// A tenant's placement rules as an admin reads and writes them.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectorySettings {
    /// `cost_center` (default), `department` or `group`.
    pub unit_from: UnitSource,
    /// `title` (default) or `group`.
    pub role_from: RoleSource,
    /// Groups that place their members, by the group's display name.
    #[serde(default)]
    pub group_mappings: Vec<GroupMapping>,
}

#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupMapping {
    /// The directory group's display name.
    pub group: String,
    /// `unit`, `role` or `manager` (its members manage the unit).
    pub places: GroupPlaces,
    /// The unit (for `unit` and `manager`) or role category (for `role`).
    pub target_id: Uuid,
}

pub async fn get_settings(
    db: &DatabaseConnection,
    caller: &Caller,
) -> AppResult<DirectorySettings> {
    caller.may(Resource::SignIn, Access::Read)?;
    settings_view(db, caller.tenant_id).await
}

async fn settings_view<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
) -> AppResult<DirectorySettings> {
    let rules = rules(db, tenant_id).await?;
    let group_mappings = directory_group_mapping::Entity::find()
        .filter(directory_group_mapping::Column::TenantId.eq(tenant_id))
        .order_by_asc(directory_group_mapping::Column::GroupName)
        .all(db)
        .await?
        .into_iter()
        .map(|m| GroupMapping {
            group: m.group_name,
            places: m.places,
            target_id: m.target_id,
        })
        .collect();
    Ok(DirectorySettings {
        unit_from: rules.unit_from,
        role_from: rules.role_from,
        group_mappings,
    })
}

/// Replaces the placement rules, then places everyone the groups now place.
pub async fn put_settings(
    db: &DatabaseConnection,
    caller: &Caller,
    input: DirectorySettings,
) -> AppResult<DirectorySettings> {
    write_as(db, caller, Resource::SignIn, async |txn, actor| {
        let tenant_id = actor.tenant_id;
        let mut errors = Vec::new();
        for (i, mapping) in input.group_mappings.iter().enumerate() {
            let exists = match mapping.places {
                GroupPlaces::Unit | GroupPlaces::Manager => {
                    unit::Entity::find_by_id(mapping.target_id)
                        .filter(unit::Column::TenantId.eq(tenant_id))
                        .one(txn)
                        .await?
                        .is_some()
                }
                GroupPlaces::Role => role::Entity::find_by_id(mapping.target_id)
                    .filter(role::Column::TenantId.eq(tenant_id))
                    .one(txn)
                    .await?
                    .is_some(),
            };
            if !exists {
                errors.push(FieldError::new(
                    format!("group_mappings[{i}].target_id"),
                    "names no unit or role category here",
                ));
            }
            if mapping.group.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("group_mappings[{i}].group"),
                    "must not be empty",
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let before = settings_view(txn, tenant_id).await?;
        let now = Utc::now();
        let stored = directory_settings::Entity::find_by_id(tenant_id)
            .one(txn)
            .await?;
        let is_new = stored.is_none();
        let mut row = match stored {
            Some(s) => directory_settings::ActiveModel::from(s),
            None => directory_settings::ActiveModel {
                tenant_id: Set(tenant_id),
                waiting_unit_id: Set(None),
                waiting_role_id: Set(None),
                ..Default::default()
            },
        };
        row.unit_from = Set(input.unit_from);
        row.role_from = Set(input.role_from);
        row.updated_at = Set(now);
        if is_new {
            row.insert(txn).await?;
        } else {
            row.update(txn).await?;
        }
        directory_group_mapping::Entity::delete_many()
            .filter(directory_group_mapping::Column::TenantId.eq(tenant_id))
            .exec(txn)
            .await?;
        for mapping in &input.group_mappings {
            directory_group_mapping::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                group_name: Set(mapping.group.trim().to_owned()),
                places: Set(mapping.places),
                target_id: Set(mapping.target_id),
            }
            .insert(txn)
            .await?;
        }
        let members: Vec<Uuid> = directory_group_member::Entity::find()
            .filter(directory_group_member::Column::TenantId.eq(tenant_id))
            .all(txn)
            .await?
            .into_iter()
            .map(|m| m.employee_id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        place_by_groups(txn, tenant_id, &members).await?;
        let after = settings_view(txn, tenant_id).await?;
        audit::record(
            txn,
            actor,
            "update",
            "directory_settings",
            tenant_id,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// A value the directory sent that placed nobody.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DirectoryProblem {
    pub attribute: String,
    pub value: String,
    pub user_name: Option<String>,
    pub times: i32,
    pub first_seen_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The values still unplaced, most recent first; and the people waiting for a group.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DirectoryProblems {
    pub unplaced_values: Vec<DirectoryProblem>,
    /// Employees provisioned but not yet placed by a mapped group.
    pub waiting_employee_ids: Vec<Uuid>,
}

pub async fn problems(db: &DatabaseConnection, caller: &Caller) -> AppResult<DirectoryProblems> {
    caller.may(Resource::SignIn, Access::Read)?;
    let tenant_id = caller.tenant_id;
    let unplaced_values = directory_problem::Entity::find()
        .filter(directory_problem::Column::TenantId.eq(tenant_id))
        .filter(directory_problem::Column::Resolved.eq(false))
        .order_by_desc(directory_problem::Column::LastSeenAt)
        .all(db)
        .await?
        .into_iter()
        .map(|p| DirectoryProblem {
            attribute: p.attribute,
            value: p.value,
            user_name: p.user_name,
            times: p.times,
            first_seen_at: p.first_seen_at,
            last_seen_at: p.last_seen_at,
        })
        .collect();
    let stored = directory_settings::Entity::find_by_id(tenant_id)
        .one(db)
        .await?;
    let mut waiting_employee_ids = Vec::new();
    if let Some(s) = stored {
        let mut query = employee::Entity::find()
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::UserName.is_not_null());
        query = query.filter(
            sea_orm::Condition::any()
                .add(employee::Column::UnitId.is_in(s.waiting_unit_id))
                .add(employee::Column::RoleId.is_in(s.waiting_role_id)),
        );
        waiting_employee_ids = query.all(db).await?.into_iter().map(|e| e.id).collect();
    }
    Ok(DirectoryProblems {
        unplaced_values,
        waiting_employee_ids,
    })
}
