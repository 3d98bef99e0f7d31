//! SCIM `Groups`: the directory's groups and their members (provisioned employees).
//! Membership of a group the tenant maps places people in a unit or role category or
//! makes them a unit's managers (see [`super::placement`]); every change of members
//! places those it touches again.
use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entities::{directory_group, directory_group_member};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    ScimError, ScimResult,
    attributes::{get, text},
    filter::{self, Equality},
    patch, placement, urn,
    users::{Base, Window, check_version, list_response, provisioned, version},
};
use crate::{
    audit,
    auth::{Access, Caller, Resource},
    db::write,
};

struct GroupInput {
    display_name: String,
    external_id: Option<String>,
    members: Vec<Uuid>,
}

fn read_group(doc: &Map<String, Value>) -> ScimResult<GroupInput> {
    let display_name = text(doc, "displayName")?
        .ok_or_else(|| ScimError::invalid_value("displayName is required"))?;
    let mut members = Vec::new();
    match get(doc, "members") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items {
                let value = item
                    .as_object()
                    .and_then(|m| text(m, "value").ok().flatten())
                    .ok_or_else(|| ScimError::invalid_value("each member names a user by value"))?;
                let id = Uuid::parse_str(&value).map_err(|_| {
                    ScimError::invalid_value(format!("members: no user has the id {value}"))
                })?;
                if !members.contains(&id) {
                    members.push(id);
                }
            }
        }
        Some(_) => return Err(ScimError::invalid_value("members must be a list")),
    }
    Ok(GroupInput {
        display_name,
        external_id: text(doc, "externalId")?,
        members,
    })
}

async fn member_rows<C: ConnectionTrait>(
    db: &C,
    group: Uuid,
) -> crate::error::AppResult<Vec<Uuid>> {
    Ok(directory_group_member::Entity::find()
        .select_only()
        .column(directory_group_member::Column::EmployeeId)
        .filter(directory_group_member::Column::GroupId.eq(group))
        .order_by_asc(directory_group_member::Column::EmployeeId)
        .into_tuple()
        .all(db)
        .await?)
}

async fn resource<C: ConnectionTrait>(
    db: &C,
    group: &directory_group::Model,
    base: &Base,
    with_members: bool,
) -> crate::error::AppResult<Value> {
    let mut doc = json!({
        "schemas": [urn::GROUP],
        "id": group.id.to_string(),
        "displayName": group.display_name,
        "meta": {
            "resourceType": "Group",
            "created": group.created_at.to_rfc3339(),
            "lastModified": group.updated_at.to_rfc3339(),
            "location": base.group(group.id),
            "version": version(group.updated_at),
        },
    });
    if let Some(external) = &group.external_id {
        doc["externalId"] = json!(external);
    }
    if with_members {
        // Members are provisioned employees (a deleted user leaves every group).
        let ids = member_rows(db, group.id).await?;
        if !ids.is_empty() {
            doc["members"] = Value::Array(
                ids.into_iter()
                    .map(|id| json!({"value": id.to_string(), "$ref": base.user(id), "type": "User"}))
                    .collect(),
            );
        }
    }
    Ok(doc)
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: &str,
) -> ScimResult<directory_group::Model> {
    let id = Uuid::parse_str(id).map_err(|_| ScimError::not_found("group"))?;
    directory_group::Entity::find_by_id(id)
        .filter(directory_group::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or_else(|| ScimError::not_found("group"))
}

pub async fn get_group(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    with_members: bool,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Read)?;
    let group = find(db, caller.tenant_id, id).await?;
    Ok((
        resource(db, &group, base, with_members).await?,
        version(group.updated_at),
    ))
}

pub async fn list_groups(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    filter: Option<&str>,
    window: Window,
    with_members: bool,
) -> ScimResult<Value> {
    caller.may(Resource::Provisioning, Access::Read)?;
    let mut query = directory_group::Entity::find()
        .filter(directory_group::Column::TenantId.eq(caller.tenant_id));
    if let Some(Equality { attribute, value }) =
        filter::parse(filter, &["displayname", "externalid"])?
    {
        query = match attribute.as_str() {
            "displayname" => query.filter(crate::db::same_text(
                directory_group::Column::DisplayName,
                &value,
            )),
            _ => query.filter(directory_group::Column::ExternalId.eq(value)),
        };
    }
    let total = query.clone().count(db).await?;
    let groups = query
        .order_by_asc(directory_group::Column::Id)
        .offset(window.start_index - 1)
        .limit(window.count)
        .all(db)
        .await?;
    let mut resources = Vec::with_capacity(groups.len());
    for group in &groups {
        resources.push(resource(db, group, base, with_members).await?);
    }
    Ok(list_response(total, window, resources))
}

pub async fn create_group(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    body: &Value,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let doc = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a group is a JSON object"))?;
    let input = read_group(doc)?;
    save(db, caller, base, None, input, None, now).await
}

pub async fn replace_group(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let doc = body
        .as_object()
        .ok_or_else(|| ScimError::invalid_syntax("a group is a JSON object"))?;
    let input = read_group(doc)?;
    save(db, caller, base, Some(id), input, if_match, now).await
}

pub async fn patch_group(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let group = find(db, caller.tenant_id, id).await?;
    check_version(if_match, group.updated_at)?;
    let Value::Object(mut doc) = resource(db, &group, base, true).await? else {
        unreachable!("a resource is an object");
    };
    patch::apply(&mut doc, body, &[])?;
    let input = read_group(&doc)?;
    save(db, caller, base, Some(id), input, None, now).await
}

async fn save(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: Option<&str>,
    input: GroupInput,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    let tenant_id = caller.tenant_id;
    let actor = caller.actor();
    let outcome = write(db, async |txn| {
        let existing = match id {
            Some(id) => match find(txn, tenant_id, id).await {
                Ok(group) => Some(group),
                Err(e) => return Ok(Err(e)),
            },
            None => None,
        };
        if let Some(group) = &existing
            && let Err(e) = check_version(if_match, group.updated_at)
        {
            return Ok(Err(e));
        }
        let clash = directory_group::Entity::find()
            .filter(directory_group::Column::TenantId.eq(tenant_id))
            .filter(directory_group::Column::Id.ne(existing.as_ref().map_or(Uuid::nil(), |g| g.id)))
            .filter(crate::db::same_text(
                directory_group::Column::DisplayName,
                &input.display_name,
            ))
            .count(txn)
            .await?;
        if clash > 0 {
            return Ok(Err(ScimError::uniqueness(format!(
                "a group named {} exists",
                input.display_name
            ))));
        }
        let before_members: HashSet<Uuid> = match &existing {
            Some(group) => member_rows(txn, group.id).await?.into_iter().collect(),
            None => HashSet::new(),
        };
        let newcomers: Vec<Uuid> = input
            .members
            .iter()
            .filter(|m| !before_members.contains(m))
            .copied()
            .collect();
        if provisioned(txn, tenant_id, &newcomers).await?.len() != newcomers.len() {
            return Ok(Err(ScimError::invalid_value(
                "members: names a user this directory has not provisioned",
            )));
        }
        let mut row = match existing.clone() {
            Some(g) => directory_group::ActiveModel::from(g),
            None => directory_group::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                created_at: Set(now),
                ..Default::default()
            },
        };
        row.display_name = Set(input.display_name.clone());
        row.external_id = Set(input.external_id.clone());
        let updated = existing.as_ref().map_or(now, |g| {
            now.max(g.updated_at + chrono::Duration::microseconds(1))
        });
        row.updated_at = Set(updated);
        let group = if existing.is_some() {
            row.update(txn).await?
        } else {
            row.insert(txn).await?
        };
        // Only the change is written: adding a hundred members to a group of twenty
        // thousand touches a hundred rows (and stays within SQLite's bound values).
        let after_members: HashSet<Uuid> = input.members.iter().copied().collect();
        let gone: Vec<Uuid> = before_members.difference(&after_members).copied().collect();
        let added: Vec<Uuid> = input
            .members
            .iter()
            .filter(|m| !before_members.contains(m))
            .copied()
            .collect();
        for chunk in gone.chunks(500) {
            directory_group_member::Entity::delete_many()
                .filter(directory_group_member::Column::GroupId.eq(group.id))
                .filter(directory_group_member::Column::EmployeeId.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        for chunk in added.chunks(500) {
            directory_group_member::Entity::insert_many(chunk.iter().map(|m| {
                directory_group_member::ActiveModel {
                    tenant_id: Set(tenant_id),
                    group_id: Set(group.id),
                    employee_id: Set(*m),
                }
            }))
            .exec_without_returning(txn)
            .await?;
        }
        let touched: Vec<Uuid> = gone.into_iter().chain(added).collect();
        placement::place_by_groups(txn, tenant_id, &touched).await?;
        let view = json!({"display_name": group.display_name, "members": input.members.len()});
        let action = if existing.is_some() {
            "update"
        } else {
            "create"
        };
        audit::record(
            txn,
            &actor,
            action,
            "directory_group",
            group.id,
            None::<&Value>,
            Some(&view),
        )
        .await?;
        Ok(Ok(group))
    })
    .await?;
    let group = outcome?;
    Ok((
        resource(db, &group, base, true).await?,
        version(group.updated_at),
    ))
}

pub async fn delete_group(
    db: &DatabaseConnection,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
) -> ScimResult<()> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let tenant_id = caller.tenant_id;
    let actor = caller.actor();
    write(db, async |txn| {
        let group = match find(txn, tenant_id, id).await {
            Ok(group) => group,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = check_version(if_match, group.updated_at) {
            return Ok(Err(e));
        }
        let members = member_rows(txn, group.id).await?;
        directory_group_member::Entity::delete_many()
            .filter(directory_group_member::Column::GroupId.eq(group.id))
            .exec(txn)
            .await?;
        directory_group::Entity::delete_by_id(group.id)
            .exec(txn)
            .await?;
        placement::place_by_groups(txn, tenant_id, &members).await?;
        audit::record(
            txn,
            &actor,
            "delete",
            "directory_group",
            group.id,
            Some(&json!({"display_name": group.display_name})),
            None,
        )
        .await?;
        Ok(Ok(()))
    })
    .await?
}

/// Whether a group's listing should carry its members (`excludedAttributes=members`, as
/// Entra ID asks when it only checks a group exists).
pub fn wants_members(attributes: Option<&str>, excluded: Option<&str>) -> bool {
    let named = |list: Option<&str>| {
        list.is_some_and(|l| {
            l.split(',')
                .any(|a| a.trim().eq_ignore_ascii_case("members"))
        })
    };
    !named(excluded) && (attributes.is_none() || named(attributes))
}
