//! A tenant's own mobile apps, as an admin sets them up: the Apple key (key id, team,
//! topic, environment) and the Firebase service account its pushes go out with. The
//! key and the account are checked, sealed before they are stored, and never leave
//! again: a view says only that they are set, the audit trail only that they changed.
use chrono::{DateTime, Utc};
use entities::push_app;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{apns, fcm};
use crate::{
    audit,
    auth::{Access, Caller, Resource},
    db::write_as,
    error::{AppError, AppResult, FieldError},
    secrets::SecretBox,
};

/// An app's Apple side. A missing `signing_key` keeps the stored one.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApnsInput {
    /// The key's id in Apple's developer account (10 characters).
    pub key_id: String,
    /// The team id (10 characters).
    pub team_id: String,
    /// The app's bundle id: what pushes are for (`apns-topic`).
    pub topic: String,
    /// Apple's development environment instead of production; default false.
    #[serde(default)]
    pub sandbox: bool,
    /// The contents of the .p8 file (a P-256 key in PEM). Required the first time;
    /// never returned.
    #[schema(value_type = Option<String>, format = Password)]
    pub signing_key: Option<String>,
}

/// An app's Firebase side. A missing `service_account` keeps the stored one.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FcmInput {
    /// The service account JSON from the Firebase console, as an object. Required the
    /// first time; never returned.
    #[schema(value_type = Option<Object>)]
    pub service_account: Option<Value>,
}

/// What an admin sends for an app: its name and at least one of its two sides.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushAppInput {
    pub name: String,
    /// Left out: the app has no Apple side (any stored key is removed).
    pub apns: Option<ApnsInput>,
    /// Left out: the app has no Firebase side.
    pub fcm: Option<FcmInput>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ApnsView {
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
    pub sandbox: bool,
    /// Whether a signing key is stored (it is never shown).
    pub signing_key_set: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct FcmView {
    pub project_id: String,
    pub client_email: String,
    /// Whether a service account is stored (its key is never shown).
    pub service_account_set: bool,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PushAppView {
    /// What the app sends as `app_id` when it registers a phone.
    pub app_id: String,
    pub name: String,
    pub apns: Option<ApnsView>,
    pub fcm: Option<FcmView>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PushApps {
    pub items: Vec<PushAppView>,
}

impl PushAppView {
    fn new(m: &push_app::Model) -> Self {
        Self {
            app_id: m.app_id.clone(),
            name: m.name.clone(),
            apns: m.apns_key_id.as_ref().map(|key_id| ApnsView {
                key_id: key_id.clone(),
                team_id: m.apns_team_id.clone().unwrap_or_default(),
                topic: m.apns_topic.clone().unwrap_or_default(),
                sandbox: m.apns_sandbox,
                signing_key_set: m.apns_key_sealed.is_some(),
            }),
            fcm: m.fcm_project_id.as_ref().map(|project_id| FcmView {
                project_id: project_id.clone(),
                client_email: m.fcm_client_email.clone().unwrap_or_default(),
                service_account_set: m.fcm_account_sealed.is_some(),
            }),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// What the audit trail keeps of a change: the view, and which secrets changed.
#[derive(Serialize)]
struct Audited<'a> {
    #[serde(flatten)]
    view: &'a PushAppView,
    signing_key_changed: bool,
    service_account_changed: bool,
}

/// The purpose a tenant app's Apple key is sealed for: bound to the tenant and the app.
pub fn apns_purpose(tenant_id: Uuid, app_id: &str) -> String {
    format!("push_app.apns_key/{tenant_id}/{app_id}")
}

pub fn fcm_purpose(tenant_id: Uuid, app_id: &str) -> String {
    format!("push_app.fcm_account/{tenant_id}/{app_id}")
}

pub async fn list(db: &DatabaseConnection, caller: &Caller) -> AppResult<PushApps> {
    caller.may(Resource::PushApps, Access::Read)?;
    let items = push_app::Entity::find()
        .filter(push_app::Column::TenantId.eq(caller.tenant_id))
        .order_by_asc(push_app::Column::AppId)
        .all(db)
        .await?
        .iter()
        .map(PushAppView::new)
        .collect();
    Ok(PushApps { items })
}

async fn find(
    db: &impl sea_orm::ConnectionTrait,
    tenant_id: Uuid,
    app_id: &str,
) -> AppResult<Option<push_app::Model>> {
    Ok(push_app::Entity::find()
        .filter(push_app::Column::TenantId.eq(tenant_id))
        .filter(push_app::Column::AppId.eq(app_id))
        .one(db)
        .await?)
}

pub async fn get(db: &DatabaseConnection, caller: &Caller, app_id: &str) -> AppResult<PushAppView> {
    caller.may(Resource::PushApps, Access::Read)?;
    find(db, caller.tenant_id, app_id)
        .await?
        .map(|m| PushAppView::new(&m))
        .ok_or(AppError::NotFound("push app"))
}

/// The input, checked against what is stored: the secrets it brings (checked, still
/// plain) and the fields to store.
struct Checked {
    name: String,
    apns: Option<(ApnsInput, Option<String>)>,
    fcm: Option<(String, String, Option<String>)>,
}

fn is_apple_id(s: &str) -> bool {
    s.len() == 10
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

pub fn valid_app_id(app_id: &str) -> bool {
    (1..=200).contains(&app_id.len())
        && app_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
}

fn check(
    app_id: &str,
    input: PushAppInput,
    stored: Option<&push_app::Model>,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    if !valid_app_id(app_id) {
        errors.push(FieldError::new(
            "app_id",
            "1 to 200 letters, digits, '.', '-' or '_' (the app's bundle id, say)",
        ));
    }
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "1 to 200 characters"));
    }
    if input.apns.is_none() && input.fcm.is_none() {
        errors.push(FieldError::new(
            "apns",
            "an app needs an Apple side (apns), a Firebase side (fcm), or both",
        ));
    }
    let apns = input.apns.map(|mut a| {
        a.key_id = a.key_id.trim().to_owned();
        a.team_id = a.team_id.trim().to_owned();
        a.topic = a.topic.trim().to_owned();
        if !is_apple_id(&a.key_id) {
            errors.push(FieldError::new(
                "apns.key_id",
                "Apple's key id: 10 capital letters and digits",
            ));
        }
        if !is_apple_id(&a.team_id) {
            errors.push(FieldError::new(
                "apns.team_id",
                "Apple's team id: 10 capital letters and digits",
            ));
        }
        if !valid_app_id(&a.topic) {
            errors.push(FieldError::new(
                "apns.topic",
                "the app's bundle id: letters, digits, '.', '-' or '_'",
            ));
        }
        let key = a.signing_key.take().map(|k| k.trim().to_owned() + "\n");
        match &key {
            Some(pem) => {
                if let Err(e) = apns::check_signing_key(pem) {
                    errors.push(FieldError::new("apns.signing_key", e));
                }
            }
            None if stored.is_none_or(|m| m.apns_key_sealed.is_none()) => {
                errors.push(FieldError::new(
                    "apns.signing_key",
                    "required: the contents of the .p8 file",
                ));
            }
            None => {}
        }
        (a, key)
    });
    let fcm = input.fcm.map(|f| match f.service_account {
        Some(account) => match fcm::check_account(&account.to_string()) {
            Ok(checked) => (
                checked.project_id,
                checked.client_email,
                Some(account.to_string()),
            ),
            Err(e) => {
                errors.push(FieldError::new("fcm.service_account", e));
                (String::new(), String::new(), None)
            }
        },
        None => {
            if let Some(m) = stored.filter(|m| m.fcm_account_sealed.is_some()) {
                (
                    m.fcm_project_id.clone().unwrap_or_default(),
                    m.fcm_client_email.clone().unwrap_or_default(),
                    None,
                )
            } else {
                errors.push(FieldError::new(
                    "fcm.service_account",
                    "required: the service account JSON from the Firebase console",
                ));
                (String::new(), String::new(), None)
            }
        }
    });
    if errors.is_empty() {
        Ok(Checked { name, apns, fcm })
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Creates or replaces an app; returns it and whether it is new.
pub async fn put(
    db: &DatabaseConnection,
    caller: &Caller,
    secrets: &SecretBox,
    app_id: &str,
    input: PushAppInput,
) -> AppResult<(PushAppView, bool)> {
    caller.may(Resource::PushApps, Access::Write)?;
    let tenant_id = caller.tenant_id;
    let stored = find(db, tenant_id, app_id).await?;
    let checked = check(app_id, input, stored.as_ref())?;
    let apns_sealed = match checked.apns.as_ref().and_then(|(_, key)| key.as_ref()) {
        Some(key) => Some(secrets.seal(&apns_purpose(tenant_id, app_id), key).await?),
        None => None,
    };
    let fcm_sealed = match checked
        .fcm
        .as_ref()
        .and_then(|(_, _, account)| account.as_ref())
    {
        Some(account) => Some(
            secrets
                .seal(&fcm_purpose(tenant_id, app_id), account)
                .await?,
        ),
        None => None,
    };
    write_as(db, caller, Resource::PushApps, async |txn, actor| {
        let now = Utc::now();
        let before = stored.as_ref().map(PushAppView::new);
        let mut row = match &stored {
            Some(m) => push_app::ActiveModel::from(m.clone()),
            None => push_app::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                app_id: Set(app_id.to_owned()),
                created_at: Set(now),
                ..Default::default()
            },
        };
        row.name = Set(checked.name.clone());
        if let Some((a, _)) = &checked.apns {
            row.apns_key_id = Set(Some(a.key_id.clone()));
            row.apns_team_id = Set(Some(a.team_id.clone()));
            row.apns_topic = Set(Some(a.topic.clone()));
            row.apns_sandbox = Set(a.sandbox);
            if let Some(sealed) = &apns_sealed {
                row.apns_key_sealed = Set(Some(sealed.clone()));
            }
        } else {
            row.apns_key_id = Set(None);
            row.apns_team_id = Set(None);
            row.apns_topic = Set(None);
            row.apns_sandbox = Set(false);
            row.apns_key_sealed = Set(None);
        }
        if let Some((project_id, client_email, _)) = &checked.fcm {
            row.fcm_project_id = Set(Some(project_id.clone()));
            row.fcm_client_email = Set(Some(client_email.clone()));
            if let Some(sealed) = &fcm_sealed {
                row.fcm_account_sealed = Set(Some(sealed.clone()));
            }
        } else {
            row.fcm_project_id = Set(None);
            row.fcm_client_email = Set(None);
            row.fcm_account_sealed = Set(None);
        }
        row.updated_at = Set(now);
        let model = if stored.is_some() {
            row.update(txn).await?
        } else {
            row.insert(txn).await?
        };
        let view = PushAppView::new(&model);
        let after = Audited {
            view: &view,
            signing_key_changed: apns_sealed.is_some(),
            service_account_changed: fcm_sealed.is_some(),
        };
        let before = before.as_ref().map(|view| Audited {
            view,
            signing_key_changed: false,
            service_account_changed: false,
        });
        let action = if stored.is_some() { "update" } else { "create" };
        audit::record(
            txn,
            actor,
            action,
            "push_app",
            model.id,
            before.as_ref(),
            Some(&after),
        )
        .await?;
        Ok((view, stored.is_none()))
    })
    .await
}

/// Removes an app: its phones are pushed with the service's credentials from then on.
pub async fn delete(db: &DatabaseConnection, caller: &Caller, app_id: &str) -> AppResult<()> {
    write_as(db, caller, Resource::PushApps, async |txn, actor| {
        let stored = find(txn, actor.tenant_id, app_id)
            .await?
            .ok_or(AppError::NotFound("push app"))?;
        push_app::Entity::delete_by_id(stored.id).exec(txn).await?;
        audit::record(
            txn,
            actor,
            "delete",
            "push_app",
            stored.id,
            Some(&PushAppView::new(&stored)),
            None,
        )
        .await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_ids_are_bundle_id_like() {
        assert!(valid_app_id("se.regionskane.personal"));
        assert!(valid_app_id("app_1-2"));
        assert!(!valid_app_id(""));
        assert!(!valid_app_id("se/skane"));
        assert!(!valid_app_id(&"a".repeat(201)));
    }

    #[test]
    fn apple_ids_are_ten_capitals_and_digits() {
        assert!(is_apple_id("ABC123DEFG"));
        assert!(!is_apple_id("abc123defg"));
        assert!(!is_apple_id("ABC123DEF"));
    }
}
