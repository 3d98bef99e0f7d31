//! Notice templates: a title, a text and a priority kept under a name, shared by the
//! organisation's senders, so the weekly "Personalmöte" is not typed anew each time.
//! A template is only a starting point: the notice made from it is checked as any.
use chrono::{DateTime, Utc};
use entities::notice_template;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ModelTrait,
    QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    input::push_text,
    limits::{MAX_BODY_CHARS, MAX_TITLE_CHARS},
};
use crate::{
    audit,
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult},
    reachability::Priority,
    validation::required_text,
};

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTemplate {
    /// What senders pick it by ("Personalmöte").
    pub name: String,
    pub title: String,
    pub body: String,
    pub priority: Priority,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub id: Uuid,
    pub name: String,
    pub title: String,
    pub body: String,
    pub priority: Priority,
    pub created_at: DateTime<Utc>,
}

impl From<notice_template::Model> for TemplateView {
    fn from(m: notice_template::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            title: m.title,
            body: m.body,
            priority: m.priority,
            created_at: m.created_at,
        }
    }
}

pub async fn create_template(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewTemplate,
) -> AppResult<TemplateView> {
    write_as(db, caller, Resource::Notices, async |db, actor| {
        let mut errors = Vec::new();
        let name = required_text("name", &input.name, 100, &mut errors);
        // The same rules as a notice's: what a phone can show.
        let title = push_text("title", &input.title, MAX_TITLE_CHARS, &mut errors);
        let body = push_text("body", &input.body, MAX_BODY_CHARS, &mut errors);
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let model = notice_template::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(actor.tenant_id),
            name: Set(name),
            title: Set(title),
            body: Set(body),
            priority: Set(input.priority),
            created_at: Set(Utc::now()),
        }
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, &[("name", "a template with this name")]))?;
        let view = TemplateView::from(model);
        audit::record(
            db,
            actor,
            "create",
            "notice_template",
            view.id,
            None,
            Some(&view),
        )
        .await?;
        Ok(view)
    })
    .await
}

/// Every template of the caller's organisation, by name.
pub async fn list_templates<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> AppResult<Vec<TemplateView>> {
    caller.may(Resource::Notices, Access::Read)?;
    let mut templates: Vec<TemplateView> = notice_template::Entity::find()
        .filter(notice_template::Column::TenantId.eq(caller.tenant_id))
        .all(db)
        .await?
        .into_iter()
        .map(TemplateView::from)
        .collect();
    templates.sort_by_key(|t| t.name.to_lowercase());
    Ok(templates)
}

pub async fn get_template<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
    id: Uuid,
) -> AppResult<TemplateView> {
    caller.may(Resource::Notices, Access::Read)?;
    Ok(find(db, caller.tenant_id, id).await?.into())
}

pub async fn delete_template(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<()> {
    write_as(db, caller, Resource::Notices, async |db, actor| {
        let model = find(db, actor.tenant_id, id).await?;
        let before = TemplateView::from(model.clone());
        model.delete(db).await?;
        audit::record(
            db,
            actor,
            "delete",
            "notice_template",
            id,
            Some(&before),
            None,
        )
        .await?;
        Ok(())
    })
    .await
}

async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    id: Uuid,
) -> AppResult<notice_template::Model> {
    notice_template::Entity::find_by_id(id)
        .filter(notice_template::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("notice template"))
}
