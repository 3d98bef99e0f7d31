//! Token secrets and token records. A secret is 256 random bits, shown once; only its
//! SHA-256 is stored. A slow password hash would add nothing for a secret that cannot be
//! guessed, and would cost every request.
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use entities::{api_token, employee, unit};
use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Access, AccessRole, Caller, Resource};
use crate::{
    audit::{self, Actor},
    db::write,
    error::{AppError, AppResult, FieldError},
};

const SECRET_PREFIX: &str = "stl_";

/// A new random secret, ready to hand out.
pub fn generate_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("{SECRET_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The SHA-256 of a secret, as 64 hex digits (the digest's own `LowerHex`: one string,
/// not one per byte — this runs on every authenticated request).
pub fn hash_secret(secret: &str) -> String {
    format!("{:x}", Sha256::digest(secret.as_bytes()))
}

#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// Who or what uses the token ("Anna's laptop", "HR integration").
    pub name: String,
    pub role: AccessRole,
    /// Required for `employee` tokens: the employee it speaks for.
    pub employee_id: Option<Uuid>,
    /// Required for `manager` tokens: the units (with subtrees) it manages.
    pub unit_ids: Option<Vec<Uuid>>,
    /// May send urgent notices. Admin tokens always may.
    pub can_send_urgent: Option<bool>,
    /// When the token stops working (RFC 3339, in the future); absent: until revoked.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A token as listed: never its secret.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TokenView {
    pub id: Uuid,
    pub name: String,
    pub role: AccessRole,
    pub employee_id: Option<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub can_send_urgent: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

impl From<api_token::Model> for TokenView {
    fn from(m: api_token::Model) -> Self {
        Self {
            unit_ids: unit_ids_of(&m),
            id: m.id,
            name: m.name,
            role: m.role,
            employee_id: m.employee_id,
            can_send_urgent: m.can_send_urgent,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
            expires_at: m.expires_at,
        }
    }
}

pub fn unit_ids_of(token: &api_token::Model) -> Vec<Uuid> {
    serde_json::from_value(token.unit_ids.clone()).unwrap_or_default()
}

/// The created token with its secret, which is never shown again.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IssuedToken {
    pub id: Uuid,
    pub token: String,
    #[serde(flatten)]
    pub view: TokenView,
}

/// Whether a secret sent back (a CSRF token, a sign-in's `state`) is the one handed
/// out, compared in time that does not tell where they differ.
pub fn same_secret(sent: &str, expected: &str) -> bool {
    use subtle::ConstantTimeEq;
    sent.as_bytes().ct_eq(expected.as_bytes()).into()
}

/// Issues a token, for an admin: checks the request against the tenant's data.
pub async fn issue_token(
    db: &DatabaseConnection,
    caller: &Caller,
    input: NewToken,
    now: DateTime<Utc>,
) -> AppResult<IssuedToken> {
    caller.may(Resource::Tokens, Access::Write)?;
    write(db, async |txn| {
        issue_in(txn, caller.tenant_id, &caller.actor(), input, now).await
    })
    .await
}

async fn issue_in<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    actor: &Actor,
    input: NewToken,
    now: DateTime<Utc>,
) -> AppResult<IssuedToken> {
    let mut errors = Vec::new();
    let name = input.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    if input.expires_at.is_some_and(|at| at <= now) {
        errors.push(FieldError::new("expires_at", "must be in the future"));
    }
    let unit_ids = input.unit_ids.unwrap_or_default();
    match input.role {
        AccessRole::Employee if input.employee_id.is_none() => {
            errors.push(FieldError::new(
                "employee_id",
                "an employee token must name its employee",
            ));
        }
        AccessRole::Manager if unit_ids.is_empty() => {
            errors.push(FieldError::new(
                "unit_ids",
                "a manager token must name at least one unit",
            ));
        }
        // An admin token is the tenant's, for a service or a person's admin work; tied
        // to an employee it would also act as them ("me" routes) without anyone
        // having asked for that.
        AccessRole::Admin if input.employee_id.is_some() => {
            errors.push(FieldError::new(
                "employee_id",
                "an admin token names no employee; issue the person an employee or manager token",
            ));
        }
        AccessRole::Scim if input.employee_id.is_some() || !unit_ids.is_empty() => {
            errors.push(FieldError::new(
                "role",
                "a scim token is the directory's: it names no employee and no unit",
            ));
        }
        _ => {}
    }
    if let Some(employee_id) = input.employee_id {
        let found = employee::Entity::find_by_id(employee_id)
            .filter(employee::Column::TenantId.eq(tenant_id))
            .count(db)
            .await?;
        if found == 0 {
            errors.push(FieldError::new("employee_id", "no such employee"));
        }
    }
    if !unit_ids.is_empty() {
        let found = unit::Entity::find()
            .filter(unit::Column::TenantId.eq(tenant_id))
            .filter(unit::Column::Id.is_in(unit_ids.clone()))
            .count(db)
            .await?;
        let distinct: std::collections::HashSet<_> = unit_ids.iter().collect();
        if found != distinct.len() as u64 {
            errors.push(FieldError::new(
                "unit_ids",
                "names a unit that does not exist",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let (token, model) = insert_token(
        db,
        tenant_id,
        TokenGrant {
            name,
            role: input.role,
            employee_id: input.employee_id,
            unit_ids,
            can_send_urgent: input.role == AccessRole::Admin
                || (input.role != AccessRole::Scim && input.can_send_urgent.unwrap_or(false)),
            expires_at: input.expires_at,
        },
    )
    .await?;
    let view = TokenView::from(model);
    audit::record(db, actor, "create", "token", view.id, None, Some(&view)).await?;
    Ok(IssuedToken {
        id: view.id,
        token,
        view,
    })
}

/// What a token may do and for how long, checked and ready to write.
pub struct TokenGrant {
    pub name: String,
    pub role: AccessRole,
    pub employee_id: Option<Uuid>,
    pub unit_ids: Vec<Uuid>,
    pub can_send_urgent: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Writes a token row and returns its secret. The one place secrets are made.
pub async fn insert_token<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    grant: TokenGrant,
) -> AppResult<(String, api_token::Model)> {
    let secret = generate_secret();
    let model = api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant_id),
        name: Set(grant.name),
        role: Set(grant.role),
        employee_id: Set(grant.employee_id),
        unit_ids: Set(serde_json::to_value(grant.unit_ids).map_err(anyhow::Error::from)?),
        can_send_urgent: Set(grant.can_send_urgent),
        secret_hash: Set(hash_secret(&secret)),
        created_at: Set(Utc::now()),
        revoked_at: Set(None),
        expires_at: Set(grant.expires_at),
    }
    .insert(db)
    .await?;
    Ok((secret, model))
}

/// Who a secret names, usable or not (revoked, expired, its person gone): for recording
/// a refused sign-in in that tenant's audit trail.
pub async fn actor_of_secret<C: ConnectionTrait>(db: &C, secret: &str) -> AppResult<Option<Actor>> {
    let token = api_token::Entity::find()
        .filter(api_token::Column::SecretHash.eq(hash_secret(secret.trim())))
        .one(db)
        .await?;
    Ok(token.map(|t| Actor {
        tenant_id: t.tenant_id,
        token_id: Some(t.id),
        name: t.name,
    }))
}

/// Revokes a token at once (an admin's); revoking a revoked one changes nothing.
pub async fn revoke_token(db: &DatabaseConnection, caller: &Caller, id: Uuid) -> AppResult<()> {
    caller.may(Resource::Tokens, Access::Write)?;
    write(db, async |txn| {
        revoke_in(txn, caller.tenant_id, &caller.actor(), id).await
    })
    .await
}

async fn revoke_in<C: ConnectionTrait>(
    db: &C,
    tenant_id: Uuid,
    actor: &Actor,
    id: Uuid,
) -> AppResult<()> {
    let token = api_token::Entity::find_by_id(id)
        .filter(api_token::Column::TenantId.eq(tenant_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound("token"))?;
    if token.revoked_at.is_some() {
        return Ok(());
    }
    let before = TokenView::from(token.clone());
    let mut active: api_token::ActiveModel = token.into();
    active.revoked_at = Set(Some(Utc::now()));
    let after = TokenView::from(active.update(db).await?);
    audit::record(
        db,
        actor,
        "revoke",
        "token",
        id,
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(())
}

/// The tenant's tokens, revoked ones included, never their secrets (for an admin).
pub async fn list_tokens(
    db: &DatabaseConnection,
    caller: &Caller,
    page: crate::pagination::PageRequest,
) -> AppResult<crate::pagination::Page<TokenView>> {
    caller.may(Resource::Tokens, Access::Read)?;
    let select = api_token::Entity::find().filter(api_token::Column::TenantId.eq(caller.tenant_id));
    Ok(
        crate::pagination::fetch_page(db, select, api_token::Column::Id, |t| t.id, page)
            .await?
            .map(TokenView::from),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Stored tokens were hashed before this encoding: the digits must not change.
    #[test]
    fn a_secret_hashes_to_its_sha256_in_lowercase_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn secrets_are_long_random_and_hash_stably() {
        let a = generate_secret();
        let b = generate_secret();
        assert_ne!(a, b);
        assert!(a.starts_with("stl_") && a.len() == 4 + 43, "{a}");
        assert_eq!(hash_secret(&a), hash_secret(&a));
        assert_ne!(hash_secret(&a), hash_secret(&b));
        assert_eq!(hash_secret(&a).len(), 64);
    }
}
