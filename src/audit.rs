//! The audit trail: every write records who did what to which entity, before and after,
//! in the same transaction as the write itself.
use chrono::Utc;
use entities::audit_event;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::{
    auth::{Access, Caller, Resource},
    error::AppResult,
};

/// Who performs a write: a token, or the command line (`bootstrap`, `import`).
#[derive(Clone, Debug)]
pub struct Actor {
    pub tenant_id: Uuid,
    pub token_id: Option<Uuid>,
    pub name: String,
}

fn snapshot<T: Serialize>(value: Option<&T>) -> AppResult<Option<serde_json::Value>> {
    value
        .map(serde_json::to_value)
        .transpose()
        .map_err(|e| anyhow::Error::from(e).into())
}

/// One audit event, not yet written: for writers that set more than `record` does.
pub fn event<T: Serialize>(
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    before: Option<&T>,
    after: Option<&T>,
) -> AppResult<audit_event::ActiveModel> {
    Ok(audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(actor.tenant_id),
        at: Set(Utc::now()),
        actor_token_id: Set(actor.token_id),
        actor: Set(actor.name.clone()),
        action: Set(action.to_owned()),
        entity_type: Set(entity_type.to_owned()),
        entity_id: Set(entity_id),
        before: Set(snapshot(before)?),
        after: Set(snapshot(after)?),
    })
}

/// Records one write. Call it inside the write's transaction.
pub async fn record<C: ConnectionTrait, T: Serialize>(
    db: &C,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    before: Option<&T>,
    after: Option<&T>,
) -> AppResult<()> {
    event(actor, action, entity_type, entity_id, before, after)?
        .insert(db)
        .await?;
    Ok(())
}

/// Records the creation of many entities at once (imports), in chunks that stay under
/// every store's limit on bound parameters.
pub async fn record_created_many<C: ConnectionTrait, T: Serialize>(
    db: &C,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    created: &[(Uuid, T)],
) -> AppResult<()> {
    for chunk in created.chunks(1_000) {
        let events = chunk
            .iter()
            .map(|(id, after)| event(actor, action, entity_type, *id, None, Some(after)))
            .collect::<AppResult<Vec<_>>>()?;
        audit_event::Entity::insert_many(events).exec(db).await?;
    }
    Ok(())
}

/// One step in an entity's history, from its audit events.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HistoryItem {
    pub at: chrono::DateTime<Utc>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    /// The token (or command) that made the change.
    pub actor: String,
    /// The entity as it was after the step.
    pub after: Option<serde_json::Value>,
}

fn status_of(snapshot: Option<&serde_json::Value>) -> Option<String> {
    snapshot
        .and_then(|s| s.get("status"))
        .and_then(|s| s.as_str())
        .map(str::to_owned)
}

/// An entity's history, oldest first.
pub async fn entity_history<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    entity_type: &str,
    entity_id: Uuid,
) -> AppResult<Vec<HistoryItem>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .filter(audit_event::Column::EntityType.eq(entity_type))
        .filter(audit_event::Column::EntityId.eq(entity_id))
        .order_by_asc(audit_event::Column::Id)
        .all(db)
        .await?;
    Ok(events
        .into_iter()
        .map(|e| HistoryItem {
            at: e.at,
            action: e.action,
            from_status: status_of(e.before.as_ref()),
            to_status: status_of(e.after.as_ref()),
            actor: e.actor,
            after: e.after,
        })
        .collect())
}

/// An audit event as the API shows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEventView {
    pub id: Uuid,
    pub at: chrono::DateTime<Utc>,
    pub actor: String,
    pub actor_token_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl From<audit_event::Model> for AuditEventView {
    fn from(e: audit_event::Model) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            actor_token_id: e.actor_token_id,
            action: e.action,
            entity_type: e.entity_type,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
        }
    }
}

#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<Uuid>,
    pub action: Option<String>,
}

/// Which end of the audit trail a page starts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Oldest first: a feed to follow, page after page (the API).
    Forward,
    /// Newest first: what just happened (the console's log).
    Latest,
}

/// The tenant's audit trail (an admin's to read), keyset-paginated in the order
/// `reading` says.
/// What audited things are called, for reading the trail: a device by its serial
/// number, a subscription by its number, people, units, roles, tokens and templates by
/// name, a notice by its title. Things since deleted, and kinds without a name, are
/// left out (the trail still has their id).
pub async fn names_of<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    things: &[(&str, Uuid)],
) -> AppResult<std::collections::HashMap<Uuid, String>> {
    use entities::{
        api_token, device, employee, notice, notice_template, role, subscription, unit,
    };
    let ids = |kind: &str| -> Vec<Uuid> {
        things
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, id)| *id)
            .collect()
    };
    let mut names = Vec::new();
    names.extend(
        named::<device::Entity, _>(db, tenant_id, ids("device"), device::Column::SerialNumber)
            .await?,
    );
    names.extend(
        named::<subscription::Entity, _>(
            db,
            tenant_id,
            ids("subscription"),
            subscription::Column::Msisdn,
        )
        .await?,
    );
    names.extend(
        named::<employee::Entity, _>(db, tenant_id, ids("employee"), employee::Column::Name)
            .await?,
    );
    names.extend(named::<unit::Entity, _>(db, tenant_id, ids("unit"), unit::Column::Name).await?);
    names.extend(named::<role::Entity, _>(db, tenant_id, ids("role"), role::Column::Name).await?);
    names.extend(
        named::<api_token::Entity, _>(db, tenant_id, ids("token"), api_token::Column::Name).await?,
    );
    names.extend(
        named::<notice::Entity, _>(db, tenant_id, ids("notice"), notice::Column::Title).await?,
    );
    names.extend(
        named::<notice_template::Entity, _>(
            db,
            tenant_id,
            ids("notice_template"),
            notice_template::Column::Name,
        )
        .await?,
    );
    Ok(names.into_iter().collect())
}

/// `ids` of the tenant's rows of `E` with their `name` column; each such entity has
/// `id` and `tenant_id` columns.
async fn named<E, C>(
    db: &C,
    tenant_id: Uuid,
    ids: Vec<Uuid>,
    name: E::Column,
) -> AppResult<Vec<(Uuid, String)>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    use sea_orm::{
        QueryFilter, QuerySelect,
        sea_query::{Expr, ExprTrait},
    };
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let table = E::default();
    let column = |name: &'static str| Expr::col((table, sea_orm::sea_query::Alias::new(name)));
    Ok(E::find()
        .select_only()
        .expr(column("id"))
        .column(name)
        .filter(column("tenant_id").eq(tenant_id))
        .filter(column("id").is_in(ids))
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn list_events<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    filter: &AuditFilter,
    page: crate::pagination::PageRequest,
    reading: Reading,
) -> AppResult<crate::pagination::Page<AuditEventView>> {
    use crate::pagination::{fetch_page, fetch_page_newest_first};
    use sea_orm::{ColumnTrait, QueryFilter};
    caller.may(Resource::Audit, Access::Read)?;
    let mut select =
        audit_event::Entity::find().filter(audit_event::Column::TenantId.eq(caller.tenant_id));
    if let Some(t) = &filter.entity_type {
        select = select.filter(audit_event::Column::EntityType.eq(t.as_str()));
    }
    if let Some(id) = filter.entity_id {
        select = select.filter(audit_event::Column::EntityId.eq(id));
    }
    if let Some(a) = &filter.action {
        select = select.filter(audit_event::Column::Action.eq(a.as_str()));
    }
    let id = audit_event::Column::Id;
    let page = match reading {
        Reading::Forward => fetch_page(db, select, id, |e| e.id, page).await?,
        Reading::Latest => fetch_page_newest_first(db, select, id, |e| e.id, page).await?,
    };
    Ok(page.map(AuditEventView::from))
}

/// The id of the tenant's newest audit event: the tenant's data version. Every write
/// records an event in its own transaction and ids are time-ordered (UUIDv7), so the
/// answer changes whenever the tenant's data has. One index probe.
pub async fn newest_event<C: ConnectionTrait>(db: &C, tenant_id: Uuid) -> AppResult<Option<Uuid>> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder, QuerySelect};
    Ok(audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::Id)
        .filter(audit_event::Column::TenantId.eq(tenant_id))
        .order_by_desc(audit_event::Column::Id)
        .into_tuple::<Uuid>()
        .one(db)
        .await?)
}
