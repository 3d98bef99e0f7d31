//! SCIM `Users` as employees. A provisioned employee has a `user_name`; the resource as
//! the directory sent it is kept (`directory_record`) and given back with Stilla's
//! own facts over it (id, name, e-mail, active, meta). Every write reads the whole
//! resource — a POST's, a PUT's, or the stored one with a PATCH applied — by one set of
//! rules, places the person, and is audited with the directory's token as the actor.
//!
//! Leaving (`active: false`, or DELETE) ends the employment today and at once: the
//! person's tokens are revoked, their console sessions end, their phones' registrations
//! are retired, and their devices and subscriptions fall due for return. A deleted
//! user is no longer the directory's (404 from then on) but stays an employee for
//! history and reports; `active: true` brings a deactivated one back.
use chrono::{DateTime, Utc};
use entities::{api_token, employee};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{
    ScimError, ScimResult,
    attributes::{self, get, text},
    filter::{self, Equality},
    patch,
    placement::{self, Facts, Unplaced},
    urn,
};
use crate::{
    audit::{self, Actor},
    auth::{Access, Caller, Resource, sessions::close_sessions_of_employee},
    db::write,
    org::employees::EmployeeView,
    push::registrations::retire_all_of,
};

/// Where SCIM resources live (`<public_url>/scim/v2`), for `meta.location` and `$ref`.
#[derive(Clone, Debug)]
pub struct Base(pub String);

impl Base {
    pub fn user(&self, id: Uuid) -> String {
        format!("{}/Users/{id}", self.0)
    }
    pub fn group(&self, id: Uuid) -> String {
        format!("{}/Groups/{id}", self.0)
    }
}

/// A resource's version for ETags and `If-Match`: its last change to the microsecond.
pub fn version(updated_at: DateTime<Utc>) -> String {
    format!("W/\"{}\"", updated_at.timestamp_micros())
}

/// Refuses a write whose `If-Match` names another version (`*` matches any).
pub fn check_version(if_match: Option<&str>, updated_at: DateTime<Utc>) -> ScimResult<()> {
    let current = version(updated_at);
    match if_match.map(str::trim) {
        None | Some("*") => Ok(()),
        Some(sent)
            if sent
                .split(',')
                .any(|v| v.trim() == current || v.trim() == &current[2..]) =>
        {
            Ok(())
        }
        Some(_) => Err(ScimError::changed_since()),
    }
}

/// What a SCIM `User` says, read and checked.
#[derive(Clone, Debug)]
struct UserInput {
    user_name: String,
    external_id: Option<String>,
    display_name: String,
    email: String,
    active: bool,
    manager: Option<Uuid>,
    facts: Facts,
    /// The document as sent, without what Stilla writes itself.
    record: Map<String, Value>,
}

fn read_user(mut doc: Map<String, Value>) -> ScimResult<UserInput> {
    for server_side in ["id", "meta", "schemas", "groups"] {
        attributes::remove(&mut doc, server_side);
    }
    let user_name =
        text(&doc, "userName")?.ok_or_else(|| ScimError::invalid_value("userName is required"))?;
    if user_name.chars().count() > 254 {
        return Err(ScimError::invalid_value(
            "userName is longer than 254 characters",
        ));
    }
    let name = attributes::object(&doc, "name")?;
    let given = name.map(|n| text(n, "givenName")).transpose()?.flatten();
    let family = name.map(|n| text(n, "familyName")).transpose()?.flatten();
    let display_name = text(&doc, "displayName")?
        .or_else(|| match (&given, &family) {
            (Some(g), Some(f)) => Some(format!("{g} {f}")),
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (None, None) => None,
        })
        .unwrap_or_else(|| user_name.clone());
    let email = primary_email(&doc)?
        .or_else(|| user_name.contains('@').then(|| user_name.clone()))
        .ok_or_else(|| {
            ScimError::invalid_value("emails: Stilla needs an e-mail address for each person")
        })?;
    let active = attributes::boolean(&doc, "active")?.unwrap_or(true);
    let enterprise = attributes::object(&doc, urn::ENTERPRISE)?;
    let enterprise_text = |name: &str| -> ScimResult<Option<String>> {
        enterprise
            .map(|e| text(e, name))
            .transpose()
            .map(Option::flatten)
    };
    let manager = match enterprise.and_then(|e| get(e, "manager")) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if id.trim().is_empty() => None,
        Some(Value::String(id)) => Some(id.trim().to_owned()),
        Some(Value::Object(m)) => text(m, "value")?,
        Some(_) => return Err(ScimError::invalid_value("manager must name a user")),
    };
    let manager =
        match manager {
            Some(id) => Some(Uuid::parse_str(&id).map_err(|_| {
                ScimError::invalid_value(format!("manager: no user has the id {id}"))
            })?),
            None => None,
        };
    let facts = Facts {
        cost_center: enterprise_text("costCenter")?,
        department: enterprise_text("department")?,
        title: text(&doc, "title")?,
    };
    Ok(UserInput {
        external_id: text(&doc, "externalId")?,
        user_name,
        display_name,
        email: email.to_lowercase(),
        active,
        manager,
        facts,
        record: doc,
    })
}

/// The e-mail to keep: the primary one, else the work one, else the first.
fn primary_email(doc: &Map<String, Value>) -> ScimResult<Option<String>> {
    let Some(emails) = get(doc, "emails") else {
        return Ok(None);
    };
    let list: Vec<&Map<String, Value>> = match emails {
        Value::Null => return Ok(None),
        Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
        _ => return Err(ScimError::invalid_value("emails must be a list")),
    };
    let pick = list
        .iter()
        .find(|e| attributes::boolean(e, "primary").ok().flatten() == Some(true))
        .or_else(|| {
            list.iter()
                .find(|e| text(e, "type").ok().flatten().as_deref() == Some("work"))
        })
        .or_else(|| list.first());
    pick.map(|e| text(e, "value"))
        .transpose()
        .map(Option::flatten)
}

/// The SCIM resource of a provisioned employee.
fn resource(person: &employee::Model, base: &Base) -> Value {
    let mut doc = match &person.directory_record {
        Some(Value::Object(record)) => record.clone(),
        _ => Map::new(),
    };
    attributes::set(&mut doc, "userName", json!(person.user_name));
    attributes::set(&mut doc, "displayName", json!(person.name));
    match &person.external_id {
        Some(id) => attributes::set(&mut doc, "externalId", json!(id)),
        None => {
            attributes::remove(&mut doc, "externalId");
        }
    }
    // `active` as the directory left it; unassigned means active, and someone who left
    // is shown inactive whatever the record said.
    if person.left_at.is_some() {
        attributes::set(&mut doc, "active", json!(false));
    } else if attributes::key_of(&doc, "active").is_some() {
        attributes::set(&mut doc, "active", json!(true));
    }
    // Stilla's e-mail over the one the record kept as primary, if someone changed it.
    let mut emails: Vec<Value> = match get(&doc, "emails") {
        Some(Value::Array(items)) => items.clone(),
        _ => Vec::new(),
    };
    let has_ours = emails.iter().any(|e| {
        e.as_object()
            .and_then(|e| text(e, "value").ok().flatten())
            .is_some_and(|v| v.eq_ignore_ascii_case(&person.email))
    });
    if !has_ours {
        emails.retain(|e| {
            e.as_object()
                .and_then(|e| attributes::boolean(e, "primary").ok().flatten())
                != Some(true)
        });
        emails.insert(
            0,
            json!({"value": person.email, "type": "work", "primary": true}),
        );
    }
    attributes::set(&mut doc, "emails", Value::Array(emails));
    if let Some(manager) = person.manager_id {
        let enterprise = doc
            .entry(
                attributes::key_of(&doc, urn::ENTERPRISE)
                    .unwrap_or_else(|| urn::ENTERPRISE.to_owned()),
            )
            .or_insert_with(|| json!({}));
        if let Value::Object(e) = enterprise {
            attributes::set(
                e,
                "manager",
                json!({"value": manager.to_string(), "$ref": base.user(manager)}),
            );
        }
    }
    let mut schemas = vec![json!(urn::USER)];
    if attributes::key_of(&doc, urn::ENTERPRISE).is_some() {
        schemas.push(json!(urn::ENTERPRISE));
    }
    doc.insert("schemas".to_owned(), Value::Array(schemas));
    doc.insert("id".to_owned(), json!(person.id.to_string()));
    doc.insert(
        "meta".to_owned(),
        json!({
            "resourceType": "User",
            "created": person.created_at.to_rfc3339(),
            "lastModified": person.updated_at.to_rfc3339(),
            "location": base.user(person.id),
            "version": version(person.updated_at),
        }),
    );
    Value::Object(doc)
}

/// A provisioned employee of the caller's tenant (a deleted one is gone for SCIM).
async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: &str,
) -> ScimResult<employee::Model> {
    let id = Uuid::parse_str(id).map_err(|_| ScimError::not_found("user"))?;
    employee::Entity::find_by_id(id)
        .filter(employee::Column::TenantId.eq(tenant_id))
        .filter(employee::Column::UserName.is_not_null())
        .one(db)
        .await?
        .ok_or_else(|| ScimError::not_found("user"))
}

pub async fn get_user(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Read)?;
    let person = find(db, caller.tenant_id, id).await?;
    Ok((resource(&person, base), version(person.updated_at)))
}

/// `startIndex` (1-based) and `count` of a list request.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub start_index: u64,
    pub count: u64,
}

impl Window {
    pub const MAX_COUNT: u64 = 200;

    pub fn new(start_index: Option<i64>, count: Option<i64>) -> Self {
        Window {
            start_index: start_index.unwrap_or(1).max(1) as u64,
            count: count.unwrap_or(100).clamp(0, Self::MAX_COUNT as i64) as u64,
        }
    }
}

pub fn list_response(total: u64, window: Window, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [urn::LIST],
        "totalResults": total,
        "startIndex": window.start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

pub async fn list_users(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    filter: Option<&str>,
    window: Window,
) -> ScimResult<Value> {
    caller.may(Resource::Provisioning, Access::Read)?;
    let mut query = employee::Entity::find()
        .filter(employee::Column::TenantId.eq(caller.tenant_id))
        .filter(employee::Column::UserName.is_not_null());
    if let Some(Equality { attribute, value }) =
        filter::parse(filter, &["username", "externalid", "displayname"])?
    {
        query = match attribute.as_str() {
            // userName is compared without regard to case (RFC 7643 §4.1.1).
            "username" => query.filter(crate::db::same_text(employee::Column::UserName, &value)),
            "externalid" => query.filter(employee::Column::ExternalId.eq(value)),
            _ => query.filter(employee::Column::Name.eq(value)),
        };
    }
    let total = query.clone().count(db).await?;
    let people = query
        .order_by_asc(employee::Column::Id)
        .offset(window.start_index - 1)
        .limit(window.count)
        .all(db)
        .await?;
    let resources = people.iter().map(|p| resource(p, base)).collect();
    Ok(list_response(total, window, resources))
}

/// Creates a user. An employee Stilla already has (by e-mail or external id) whom the
/// directory does not yet provision is taken over rather than made twice — the usual
/// way in, after a CSV import.
pub async fn create_user(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    body: Value,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let Value::Object(doc) = body else {
        return Err(ScimError::invalid_syntax("a user is a JSON object"));
    };
    let input = read_user(doc)?;
    let tenant_id = caller.tenant_id;
    let actor = caller.actor();
    let outcome = write(db, async |txn| {
        let taken = employee::Entity::find()
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(crate::db::same_text(
                employee::Column::UserName,
                &input.user_name,
            ))
            .count(txn)
            .await?;
        if taken > 0 {
            return Ok(Err(ScimError::uniqueness(format!(
                "a user with userName {} exists",
                input.user_name
            ))));
        }
        let mut existing = employee::Entity::find()
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::Email.eq(input.email.as_str()))
            .one(txn)
            .await?;
        if existing.is_none()
            && let Some(external) = &input.external_id
        {
            existing = employee::Entity::find()
                .filter(employee::Column::TenantId.eq(tenant_id))
                .filter(employee::Column::ExternalId.eq(external.as_str()))
                .one(txn)
                .await?;
        }
        if existing.as_ref().is_some_and(|e| e.user_name.is_some()) {
            return Ok(Err(ScimError::uniqueness(format!(
                "the e-mail address {} belongs to another provisioned user",
                input.email
            ))));
        }
        save(txn, tenant_id, &actor, existing, &input, now).await
    })
    .await?;
    finish(db, tenant_id, &input, outcome, base, now).await
}

/// Replaces a user (PUT): the resource sent is the whole of what the directory says.
pub async fn replace_user(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    body: Value,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let Value::Object(doc) = body else {
        return Err(ScimError::invalid_syntax("a user is a JSON object"));
    };
    let input = read_user(doc)?;
    update(db, caller, base, id, if_match, now, input).await
}

/// Changes a user (PATCH): the operations applied to the stored resource, which is
/// then read as a PUT would be.
pub async fn patch_user(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    body: &Value,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let person = find(db, caller.tenant_id, id).await?;
    check_version(if_match, person.updated_at)?;
    let Value::Object(mut doc) = resource(&person, base) else {
        unreachable!("a resource is an object");
    };
    patch::apply(&mut doc, body, &[urn::ENTERPRISE])?;
    let input = read_user(doc)?;
    update(db, caller, base, id, None, now, input).await
}

async fn update(
    db: &DatabaseConnection,
    caller: &Caller,
    base: &Base,
    id: &str,
    if_match: Option<&str>,
    now: DateTime<Utc>,
    input: UserInput,
) -> ScimResult<(Value, String)> {
    let tenant_id = caller.tenant_id;
    let actor = caller.actor();
    let outcome = write(db, async |txn| {
        let person = match find(txn, tenant_id, id).await {
            Ok(person) => person,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = check_version(if_match, person.updated_at) {
            return Ok(Err(e));
        }
        let clash = employee::Entity::find()
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::Id.ne(person.id))
            .filter(crate::db::same_text(
                employee::Column::UserName,
                &input.user_name,
            ))
            .count(txn)
            .await?;
        if clash > 0 {
            return Ok(Err(ScimError::uniqueness(format!(
                "a user with userName {} exists",
                input.user_name
            ))));
        }
        save(txn, tenant_id, &actor, Some(person), &input, now).await
    })
    .await?;
    finish(db, tenant_id, &input, outcome, base, now).await
}

/// What a write came to: the saved employee, an unplaced value (refused, and noted
/// for the admin once the transaction is rolled back), or another refusal.
enum Saved {
    Person(Box<employee::Model>),
    Unplaced(Unplaced),
}

async fn finish(
    db: &DatabaseConnection,
    tenant_id: Uuid,
    input: &UserInput,
    outcome: ScimResult<Saved>,
    base: &Base,
    now: DateTime<Utc>,
) -> ScimResult<(Value, String)> {
    match outcome? {
        Saved::Person(person) => Ok((resource(&person, base), version(person.updated_at))),
        Saved::Unplaced(unplaced) => {
            placement::record_problem(db, tenant_id, &unplaced, Some(&input.user_name), now)
                .await?;
            Err(ScimError::invalid_value(unplaced.detail()))
        }
    }
}

/// Writes a user onto an employee (new, taken over, or provisioned already): placed,
/// its manager checked, leaving or coming back as `active` says, audited.
async fn save<C: ConnectionTrait>(
    txn: &C,
    tenant_id: Uuid,
    actor: &Actor,
    existing: Option<employee::Model>,
    input: &UserInput,
    now: DateTime<Utc>,
) -> crate::error::AppResult<ScimResult<Saved>> {
    let rules = placement::rules(txn, tenant_id).await?;
    let current = existing.as_ref().map(|e| (e.unit_id, e.role_id));
    let (unit_id, role_id) =
        match placement::place(txn, tenant_id, &rules, &input.facts, current).await? {
            Ok(placed) => placed,
            Err(unplaced) => return Ok(Ok(Saved::Unplaced(unplaced))),
        };
    if let Some(manager) = input.manager {
        let known = employee::Entity::find_by_id(manager)
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::UserName.is_not_null())
            .count(txn)
            .await?;
        if known == 0 || existing.as_ref().is_some_and(|e| e.id == manager) {
            return Ok(Ok(Saved::Unplaced(Unplaced {
                attribute: "manager",
                value: manager.to_string(),
            })));
        }
    }
    let email_taken = employee::Entity::find()
        .filter(employee::Column::TenantId.eq(tenant_id))
        .filter(employee::Column::Email.eq(input.email.as_str()))
        .filter(employee::Column::Id.ne(existing.as_ref().map_or(Uuid::nil(), |e| e.id)))
        .count(txn)
        .await?;
    if email_taken > 0 {
        return Ok(Err(ScimError::uniqueness(format!(
            "another employee has the e-mail address {}",
            input.email
        ))));
    }
    placement::resolve_problems(txn, tenant_id, &input.facts).await?;
    let before = existing.clone().map(EmployeeView::from);
    let was_active = existing.as_ref().is_none_or(|e| e.left_at.is_none());
    let mut row = match existing.clone() {
        Some(e) => employee::ActiveModel::from(e),
        None => employee::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            employment_type: Set(entities::vocab::EmploymentType::Permanent),
            employment_ends_on: Set(None),
            working_hours: Set(None),
            time_zone: Set(None),
            schedule_mode: Set(entities::vocab::ScheduleMode::Weekly),
            focus_until: Set(None),
            left_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    row.user_name = Set(Some(input.user_name.clone()));
    row.name = Set(input.display_name.clone());
    row.email = Set(input.email.clone());
    row.external_id = Set(input.external_id.clone());
    row.unit_id = Set(unit_id);
    row.role_id = Set(role_id);
    row.manager_id = Set(input.manager);
    row.directory_record = Set(Some(Value::Object(input.record.clone())));
    // A new version on every write, even within one clock tick.
    let updated = existing.as_ref().map_or(now, |e| {
        now.max(e.updated_at + chrono::Duration::microseconds(1))
    });
    row.updated_at = Set(updated);
    let person = if existing.is_some() {
        row.update(txn).await?
    } else {
        row.insert(txn).await?
    };
    let after = EmployeeView::from(person.clone());
    let action = match (
        &before,
        existing.as_ref().is_some_and(|e| e.user_name.is_none()),
    ) {
        (None, _) => "create",
        (Some(_), true) => "link",
        (Some(_), false) => "update",
    };
    audit::record(
        txn,
        actor,
        action,
        "employee",
        person.id,
        before.as_ref(),
        Some(&after),
    )
    .await?;
    let person = match (was_active, input.active) {
        (true, false) => leave(txn, actor, person, now).await?,
        (false, true) => come_back(txn, actor, person).await?,
        _ => person,
    };
    placement::place_by_groups(txn, tenant_id, &[person.id]).await?;
    let person = employee::Entity::find_by_id(person.id)
        .one(txn)
        .await?
        .expect("just written");
    Ok(Ok(Saved::Person(Box::new(person))))
}

/// The person leaves now: employment ends today, every credential stops, their phones
/// are retired, and what they hold falls due for return.
async fn leave<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    person: employee::Model,
    now: DateTime<Utc>,
) -> crate::error::AppResult<employee::Model> {
    let today = now.date_naive();
    let before = EmployeeView::from(person.clone());
    let ends_on = person.employment_ends_on.map_or(today, |d| d.min(today));
    let id = person.id;
    let mut row = employee::ActiveModel::from(person);
    row.left_at = Set(Some(now));
    row.employment_ends_on = Set(Some(ends_on));
    let person = row.update(txn).await?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(now))
        .filter(api_token::Column::TenantId.eq(actor.tenant_id))
        .filter(api_token::Column::EmployeeId.eq(id))
        .filter(api_token::Column::RevokedAt.is_null())
        .exec(txn)
        .await?;
    close_sessions_of_employee(txn, actor.tenant_id, id).await?;
    let retired = retire_all_of(txn, actor, id, now).await?;
    let after = EmployeeView::from(person.clone());
    audit::record(
        txn,
        actor,
        "leave",
        "employee",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    tracing::info!(employee_id = %id, retired, "the directory says an employee left");
    Ok(person)
}

/// A deactivated person is active again: the leaving is undone (their tokens stay
/// revoked; new ones are issued as for anyone).
async fn come_back<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    person: employee::Model,
) -> crate::error::AppResult<employee::Model> {
    let before = EmployeeView::from(person.clone());
    let id = person.id;
    let left_on = person.left_at.map(|at| at.date_naive());
    let mut row = employee::ActiveModel::from(person.clone());
    row.left_at = Set(None);
    if person.employment_ends_on.is_some() && person.employment_ends_on <= left_on {
        row.employment_ends_on = Set(None);
    }
    let person = row.update(txn).await?;
    let after = EmployeeView::from(person.clone());
    audit::record(
        txn,
        actor,
        "return",
        "employee",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(person)
}

/// DELETE: the person leaves (if they had not) and is the directory's no more; the
/// employee stays for history and reports.
pub async fn delete_user(
    db: &DatabaseConnection,
    caller: &Caller,
    id: &str,
    if_match: Option<&str>,
    now: DateTime<Utc>,
) -> ScimResult<Uuid> {
    caller.may(Resource::Provisioning, Access::Write)?;
    let tenant_id = caller.tenant_id;
    let actor = caller.actor();
    write(db, async |txn| {
        let person = match find(txn, tenant_id, id).await {
            Ok(person) => person,
            Err(e) => return Ok(Err(e)),
        };
        if let Err(e) = check_version(if_match, person.updated_at) {
            return Ok(Err(e));
        }
        let person = if person.left_at.is_none() {
            leave(txn, &actor, person, now).await?
        } else {
            person
        };
        let id = person.id;
        entities::directory_group_member::Entity::delete_many()
            .filter(entities::directory_group_member::Column::EmployeeId.eq(id))
            .exec(txn)
            .await?;
        let mut row = employee::ActiveModel::from(person);
        row.user_name = Set(None);
        row.directory_record = Set(None);
        row.updated_at = Set(now);
        row.update(txn).await?;
        audit::record(
            txn,
            &actor,
            "deprovision",
            "employee",
            id,
            None::<&Value>,
            None,
        )
        .await?;
        Ok(Ok(id))
    })
    .await?
}

/// Which of `ids` are employees this tenant's directory provisions (group members
/// must be), asked five hundred at a time: a group may have every member of a region.
pub async fn provisioned<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    ids: &[Uuid],
) -> crate::error::AppResult<Vec<Uuid>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows: Vec<Uuid> = employee::Entity::find()
            .select_only()
            .column(employee::Column::Id)
            .filter(employee::Column::TenantId.eq(tenant_id))
            .filter(employee::Column::UserName.is_not_null())
            .filter(employee::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    found.sort_unstable();
    Ok(found)
}
