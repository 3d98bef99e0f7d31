//! An employee's push registrations: the app on a phone telling Stilla where to push.
use chrono::{DateTime, Utc};
use entities::{device, push_registration, vocab::PushPlatform};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{
    PushProvider,
    token_format::{check_platform, check_token, platform_of},
};
use crate::validation::optional_text;
use crate::{
    audit::{self, Actor},
    auth::{Access, Caller},
    db::write,
    delivery::outbox,
    error::{AppError, AppResult, FieldError},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistration {
    /// `apns`, `fcm` or `log`. Read as text and checked with the other fields, so a
    /// request learns every mistake at once.
    #[schema(value_type = PushProvider)]
    pub provider: String,
    /// APNs: the app's `deviceToken` in hex (64 digits today). FCM: the registration
    /// token. Checked against the provider's format.
    pub token: String,
    /// `ios`, `android` or `web`: which block of an FCM message the phone reads. APNs
    /// registrations are iOS; FCM ones Android unless they say.
    #[schema(value_type = Option<PushPlatform>)]
    pub platform: Option<String>,
    /// The organization device, assigned to me, that the app runs on; absent for a
    /// private phone.
    pub device_id: Option<Uuid>,
    pub app_id: Option<String>,
    /// Private devices only: let urgent notices through outside my working time.
    /// Default false. (Organization devices always get them.)
    pub urgent_off_hours: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegistrationView {
    pub id: Uuid,
    pub provider: PushProvider,
    pub token: String,
    /// `null` only for `log` registrations that did not say.
    pub platform: Option<PushPlatform>,
    pub device_id: Option<Uuid>,
    pub app_id: Option<String>,
    /// No organization device: a private phone.
    pub private: bool,
    pub urgent_off_hours: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    /// Set when a provider said the token is gone; it is never pushed to again.
    pub disabled: bool,
    pub disabled_reason: Option<String>,
}

impl From<push_registration::Model> for RegistrationView {
    fn from(m: push_registration::Model) -> Self {
        Self {
            id: m.id,
            private: m.device_id.is_none(),
            platform: platform_of(m.provider, m.platform),
            provider: m.provider,
            token: m.token,
            device_id: m.device_id,
            app_id: m.app_id,
            urgent_off_hours: m.urgent_off_hours,
            created_at: m.created_at,
            last_seen_at: m.last_seen_at,
            disabled: m.disabled_at.is_some(),
            disabled_reason: m.disabled_reason,
        }
    }
}

/// A registration as checked: what is stored.
struct Checked {
    provider: PushProvider,
    token: String,
    platform: Option<PushPlatform>,
    app_id: Option<String>,
}

async fn check<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    employee_id: Uuid,
    input: &NewRegistration,
) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let provider = PushProvider::try_from_value(&input.provider).ok();
    if provider.is_none() {
        errors.push(FieldError::new("provider", "must be apns, fcm or log"));
    }
    // Without a provider only the checks common to all apply (Log has only those).
    let token = check_token(provider.unwrap_or(PushProvider::Log), &input.token)
        .map_err(|e| errors.push(FieldError::new("token", e)))
        .unwrap_or_default();
    let platform = check_platform(
        provider.unwrap_or(PushProvider::Log),
        input.platform.as_deref(),
    )
    .map_err(|e| errors.push(FieldError::new("platform", e)))
    .unwrap_or_default();
    let app_id = optional_text("app_id", input.app_id.as_deref(), 200, &mut errors);
    if let Some(device_id) = input.device_id {
        let device = device::Entity::find_by_id(device_id)
            .filter(device::Column::TenantId.eq(tenant_id))
            .one(db)
            .await?;
        match device {
            None => errors.push(FieldError::new("device_id", "no such device")),
            Some(d) if d.assigned_employee_id != Some(employee_id) => errors.push(FieldError::new(
                "device_id",
                "the device is not assigned to you",
            )),
            Some(d) if d.ownership != crate::inventory::devices::Ownership::Organization => errors
                .push(FieldError::new(
                    "device_id",
                    "a private device is registered without device_id",
                )),
            Some(_) => {}
        }
    }
    match provider {
        Some(provider) if errors.is_empty() => Ok(Checked {
            provider,
            token,
            platform,
            app_id,
        }),
        _ => Err(AppError::Invalid(errors)),
    }
}

/// Registers a token, or refreshes it when this tenant has it already. A token that
/// moves to another employee (a phone handed over) moves with its registration, never
/// silently: the move is audited, and what was still waiting for the previous holder
/// is not pushed to the new one. A disabled token comes back to life: the app got it
/// anew from Apple or Google.
pub async fn register(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewRegistration,
    now: DateTime<Utc>,
) -> AppResult<RegistrationView> {
    let employee_id = caller.own_employee(Access::Write)?;
    let actor = &caller.actor();
    write(db, async |db| {
        let tenant_id = actor.tenant_id;
        let Checked {
            provider,
            token,
            platform,
            app_id,
        } = check(db, tenant_id, employee_id, &input).await?;
        let existing = push_registration::Entity::find()
            .filter(push_registration::Column::TenantId.eq(tenant_id))
            .filter(push_registration::Column::Provider.eq(provider))
            .filter(push_registration::Column::Token.eq(token.as_str()))
            .one(db)
            .await?;
        let urgent_off_hours = input.urgent_off_hours.unwrap_or(false) && input.device_id.is_none();
        if let Some(existing) = existing {
            if existing.employee_id != employee_id {
                crate::delivery::outbox::end_waiting(
                    db,
                    existing.id,
                    crate::delivery::outbox::DeliveryStatus::Cancelled,
                    "registration moved to another person",
                    now,
                )
                .await?;
                audit::record(
                    db,
                    actor,
                    "push-registration.moved",
                    "push_registration",
                    existing.id,
                    Some(&json!({"employee_id": existing.employee_id})),
                    Some(&json!({"employee_id": employee_id})),
                )
                .await?;
            }
            let mut active: push_registration::ActiveModel = existing.into();
            active.employee_id = Set(employee_id);
            active.device_id = Set(input.device_id);
            active.platform = Set(platform);
            active.app_id = Set(app_id);
            active.urgent_off_hours = Set(urgent_off_hours);
            active.last_seen_at = Set(now);
            active.disabled_at = Set(None);
            active.disabled_reason = Set(None);
            return Ok(active.update(db).await?.into());
        }
        let model = push_registration::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant_id),
            employee_id: Set(employee_id),
            provider: Set(provider),
            token: Set(token),
            platform: Set(platform),
            device_id: Set(input.device_id),
            app_id: Set(app_id),
            urgent_off_hours: Set(urgent_off_hours),
            created_at: Set(now),
            last_seen_at: Set(now),
            disabled_at: Set(None),
            disabled_reason: Set(None),
        }
        .insert(db)
        .await
        .map_err(|e| AppError::from_db_write(e, &[("token", "this push token")]))?;
        Ok(model.into())
    })
    .await
}

pub async fn list_registrations<C: ConnectionTrait>(
    db: &C,
    caller: &Caller,
) -> AppResult<Vec<RegistrationView>> {
    let employee_id = caller.own_employee(Access::Read)?;
    let tenant_id = caller.tenant_id;
    Ok(push_registration::Entity::find()
        .filter(push_registration::Column::TenantId.eq(tenant_id))
        .filter(push_registration::Column::EmployeeId.eq(employee_id))
        .filter(not_removed())
        .order_by_asc(push_registration::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(RegistrationView::from)
        .collect())
}

/// Removes one of my registrations. Deliveries still waiting for it are cancelled;
/// those already made keep pointing at it, so it is disabled rather than deleted.
pub async fn remove_registration(
    db: &DatabaseConnection,
    caller: &Caller,
    id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let employee_id = caller.own_employee(Access::Write)?;
    let actor = &caller.actor();
    write(db, async |db| {
        let found = push_registration::Entity::find_by_id(id)
            .filter(push_registration::Column::TenantId.eq(actor.tenant_id))
            .filter(push_registration::Column::EmployeeId.eq(employee_id))
            .filter(not_removed())
            .one(db)
            .await?
            .ok_or(AppError::NotFound("push registration"))?;
        retire(db, actor, found, Retirement::RemovedByOwner, now).await
    })
    .await
}

/// Why a registration stops receiving pushes for good.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retirement {
    /// Its owner removed it: what waited for it is cancelled, and it leaves their list.
    RemovedByOwner,
    /// The provider says the token is gone (the app was removed, the token expired):
    /// what waited for it has failed. Carries the provider's answer.
    TokenGone(String),
    /// The person left (the directory said so): nothing more goes to their phones, and
    /// what waited is cancelled.
    EmploymentEnded,
}

/// The stored reason of a registration its owner removed; such a registration is
/// hidden from their list.
const REMOVED: &str = "removed by its owner";

impl Retirement {
    fn stored_reason(&self) -> &str {
        match self {
            Retirement::RemovedByOwner => REMOVED,
            Retirement::TokenGone(answer) => answer,
            Retirement::EmploymentEnded => "employment ended",
        }
    }
}

/// Disables a registration for good, ends its waiting deliveries (cancelled when its
/// owner removed it, failed when its token is gone) and records the step in the audit
/// trail.
pub async fn retire<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    registration: push_registration::Model,
    retirement: Retirement,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let reason = retirement.stored_reason();
    let id = registration.id;
    let mut active: push_registration::ActiveModel = registration.into();
    active.disabled_at = Set(Some(now));
    active.disabled_reason = Set(Some(reason.to_owned()));
    active.update(db).await?;
    let status = match &retirement {
        Retirement::RemovedByOwner | Retirement::EmploymentEnded => {
            outbox::DeliveryStatus::Cancelled
        }
        Retirement::TokenGone(_) => outbox::DeliveryStatus::Failed,
    };
    let why = format!("registration disabled: {reason}");
    outbox::end_waiting(db, id, status, &why, now).await?;
    audit::record(
        db,
        actor,
        "retire",
        "push_registration",
        id,
        None,
        Some(&json!({ "reason": reason })),
    )
    .await
}

/// Retires a registration whose token the provider says is gone, on behalf of the
/// dispatcher. A registration already gone (removed meanwhile) is left as it is.
pub async fn retire_gone_token<C: ConnectionTrait>(
    db: &C,
    registration_id: Uuid,
    provider_answer: String,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(registration) = push_registration::Entity::find_by_id(registration_id)
        .filter(push_registration::Column::DisabledAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let actor = Actor {
        tenant_id: registration.tenant_id,
        token_id: None,
        name: "push dispatcher".to_owned(),
    };
    retire(
        db,
        &actor,
        registration,
        Retirement::TokenGone(provider_answer),
        now,
    )
    .await
}

/// Retires every active registration of a person who left.
pub async fn retire_all_of<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    employee_id: Uuid,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let active = push_registration::Entity::find()
        .filter(push_registration::Column::TenantId.eq(actor.tenant_id))
        .filter(push_registration::Column::EmployeeId.eq(employee_id))
        .filter(push_registration::Column::DisabledAt.is_null())
        .all(db)
        .await?;
    let count = active.len();
    for registration in active {
        retire(db, actor, registration, Retirement::EmploymentEnded, now).await?;
    }
    Ok(count)
}

fn not_removed() -> Condition {
    Condition::any()
        .add(push_registration::Column::DisabledReason.is_null())
        .add(push_registration::Column::DisabledReason.ne(REMOVED))
}
