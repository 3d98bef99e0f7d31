//! Who a notice reaches: the audience as written, resolved to a set of employees.
use std::collections::{BTreeSet, HashSet};

use chrono::NaiveDate;
use entities::employee;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::input::Audience;
use crate::{
    auth::{UnitScope, expand_subtree},
    error::{AppError, AppResult, FieldError},
};

/// What is known of one employee when resolving an audience.
struct Member {
    id: Uuid,
    unit_id: Uuid,
    role_id: Uuid,
    ends_on: Option<NaiveDate>,
}

/// The employees `audience` names, in id order; people whose employment ended before
/// `on` are left out. Unknown ids are a 422 naming each; a manager naming anyone
/// outside their units is a 403 — a notice never silently loses part of its audience.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    audience: &Audience,
    scope: &UnitScope,
    on: NaiveDate,
) -> AppResult<Vec<Uuid>> {
    let edges: Vec<(Uuid, Option<Uuid>)> = entities::unit::Entity::find()
        .select_only()
        .column(entities::unit::Column::Id)
        .column(entities::unit::Column::ParentId)
        .filter(entities::unit::Column::TenantId.eq(tenant_id))
        .into_tuple()
        .all(db)
        .await?;
    let roles: HashSet<Uuid> = entities::role::Entity::find()
        .select_only()
        .column(entities::role::Column::Id)
        .filter(entities::role::Column::TenantId.eq(tenant_id))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let members: Vec<Member> = employee::Entity::find()
        .select_only()
        .column(employee::Column::Id)
        .column(employee::Column::UnitId)
        .column(employee::Column::RoleId)
        .column(employee::Column::EmploymentEndsOn)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .into_tuple::<(Uuid, Uuid, Uuid, Option<NaiveDate>)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, unit_id, role_id, ends_on)| Member {
            id,
            unit_id,
            role_id,
            ends_on,
        })
        .collect();

    // A manager is told of units and people outside their scope exactly what they are
    // told of ids that do not exist: answering otherwise (a 403 for one, a 422 for the
    // other) would let them find out which ids exist elsewhere in the tenant.
    let units: HashSet<Uuid> = edges
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| scope.contains(*id))
        .collect();
    let people: HashSet<Uuid> = members
        .iter()
        .filter(|m| scope.contains(m.unit_id))
        .map(|m| m.id)
        .collect();
    let mut errors = Vec::new();
    let mut check = |field: &str, ids: &[Uuid], known: &HashSet<Uuid>, what: &str| {
        for (i, id) in ids.iter().enumerate() {
            if !known.contains(id) {
                errors.push(FieldError::new(
                    format!("{field}[{i}]"),
                    format!("no such {what}"),
                ));
            }
        }
    };
    check("audience.unit_ids", &audience.unit_ids, &units, "unit");
    check("audience.role_ids", &audience.role_ids, &roles, "role");
    check(
        "audience.employee_ids",
        &audience.employee_ids,
        &people,
        "employee",
    );
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }

    if matches!(scope, UnitScope::Units(_)) && audience.all {
        return Err(AppError::Forbidden(
            "`all` addresses the whole organisation; name your units instead".to_owned(),
        ));
    }

    let subtree = expand_subtree(&edges, &audience.unit_ids);
    let wanted_roles: HashSet<Uuid> = audience.role_ids.iter().copied().collect();
    let named: HashSet<Uuid> = audience.employee_ids.iter().copied().collect();
    let by_group = !audience.unit_ids.is_empty() || !audience.role_ids.is_empty();
    let mut chosen = BTreeSet::new();
    for m in &members {
        let in_group = audience.all
            || (by_group
                && (audience.unit_ids.is_empty() || subtree.contains(&m.unit_id))
                && (wanted_roles.is_empty() || wanted_roles.contains(&m.role_id)));
        if !(in_group || named.contains(&m.id)) {
            continue;
        }
        if !scope.contains(m.unit_id) {
            return Err(AppError::Forbidden(
                "the audience includes employees outside your units".to_owned(),
            ));
        }
        if m.ends_on.is_some_and(|end| end < on) {
            continue;
        }
        chosen.insert(m.id);
    }
    Ok(chosen.into_iter().collect())
}
